/* dtls-listener-bench: N clients at once handshake with one server process
 * on one UDP port and exchange one datagram each; measures handshakes per
 * second, each handshake's latency, and the server's resident memory per
 * established peer.
 *
 *   dtls-listener-bench --ca CA --cert CERT [-n N] [--label NAME]
 *                       [--server-env VAR=VALUE]... -- SERVER [ARGS]
 *
 * SERVER is dtls-listener-server (a DtlsGo.Listener) or dtls-demux-server
 * (an application's demultiplexer over plain GIO, any backend); this
 * program starts it with --ca and --cert added and its environment changed
 * by --server-env, reads its port from its first line, and stops it by
 * closing its stdin. The clients are connections of this process's GIO
 * backend, all in its main context. Prints one JSON line. */

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gchar *opt_label;
static gchar **opt_server_env;
static gint opt_n = 100;

static GOptionEntry entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "Clients at once (default 100)", "N" },
  { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "Server name to report", "NAME" },
  { "server-env", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_server_env, "An environment variable of the server", "VAR=VALUE" },
  { NULL }
};

/* A client that has no echo yet sends its datagram again this often: it
 * may have been dropped by a full receive buffer like any datagram. */
static const guint resend_ms = 500;
/* Whatever the server does, a run ends. */
static const guint deadline_s = 300;

typedef struct
{
  guint index;
  GSocket *socket;
  GDtlsConnection *conn;
  gint64 started, handshaken; /* monotonic µs */
  gboolean failed;
  guint resend;
} Client;

static GSocketAddress *server_address;
static guint remaining; /* clients of the batch neither echoed nor failed */

static void
client_finished (Client *client)
{
  g_clear_handle_id (&client->resend, g_source_remove);
  remaining--;
}

static void
send_ping (Client *client)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *ping = g_strdup_printf ("ping %u", client->index);
  GOutputVector ov = { ping, strlen (ping) };
  GOutputMessage out = { .vectors = &ov, .num_vectors = 1 };

  if (g_datagram_based_send_messages (G_DATAGRAM_BASED (client->conn), &out, 1, 0, -1,
                                      NULL, &error) != 1)
    die ("a client's send", error);
}

static gboolean
resend (gpointer data)
{
  send_ping (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
echoed (GDatagramBased *dgram, GIOCondition condition, gpointer data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *expected = g_strdup_printf ("ping %u", client->index);
  gchar buf[64];
  GInputVector iv = { buf, sizeof buf };
  GInputMessage in = { .vectors = &iv, .num_vectors = 1 };
  gint got = g_datagram_based_receive_messages (dgram, &in, 1, 0, 0, NULL, &error);

  if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (got != 1)
    die ("a client's receive", error);
  if (in.bytes_received != strlen (expected) || memcmp (buf, expected, in.bytes_received) != 0)
    die ("an echo that is not the client's datagram", NULL);
  client_finished (client);
  return G_SOURCE_REMOVE;
}

static void
handshaken (GObject *source, GAsyncResult *result, gpointer data)
{
  Client *client = data;

  client->handshaken = g_get_monotonic_time ();
  if (!handshake_finished (client->conn, result))
    {
      client->failed = TRUE;
      client_finished (client);
      return;
    }
  send_ping (client);
  client->resend = g_timeout_add (resend_ms, resend, client);
  watch_readable (client->conn, echoed, client);
}

static void
client_start (Client *client, guint index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 4433);

  client->index = index;
  client->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, &error);
  if (client->socket == NULL || !g_socket_bind (client->socket, any, FALSE, &error) ||
      !g_socket_connect (client->socket, server_address, NULL, &error))
    die ("a client's socket", error);
  client->conn = G_DTLS_CONNECTION (g_dtls_client_connection_new (G_DATAGRAM_BASED (client->socket),
                                                                  identity, &error));
  if (client->conn == NULL)
    die ("a DTLS client connection", error);
  g_dtls_connection_set_database (client->conn, ca_database);
  client->started = g_get_monotonic_time ();
  g_dtls_connection_handshake_async (client->conn, G_PRIORITY_DEFAULT, NULL, handshaken, client);
}

static gboolean
too_late (gpointer data)
{
  g_printerr ("%s: %u clients still without an echo after %u s\n",
              g_get_prgname (), remaining, deadline_s);
  exit (1);
}

/* Starts n clients at once and returns when each has its echo or failed. */
static void
run_batch (Client *clients, guint n)
{
  guint i, timer = g_timeout_add_seconds (deadline_s, too_late, NULL);

  remaining = n;
  for (i = 0; i < n; i++)
    client_start (&clients[i], i);
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
}

static void
close_batch (Client *clients, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    {
      g_dtls_connection_close (clients[i].conn, NULL, NULL);
      g_clear_object (&clients[i].conn);
      g_clear_object (&clients[i].socket);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The server's resident memory once the handshakes' garbage is gone: a
 * Go heap hands freed pages back to the system over a few seconds (about
 * 50 KiB a peer half a second after 1,000 handshakes, 29 KiB from 3 s on),
 * so this samples until it stops falling. */
static glong
settled_rss_kib (GPid pid)
{
  glong rss = rss_kib_of (pid), previous;
  guint i;

  for (i = 0; i < 20; i++)
    {
      g_usleep (G_USEC_PER_SEC / 2);
      previous = rss;
      rss = rss_kib_of (pid);
      if (rss > previous - previous / 200)
        break;
    }
  return rss;
}

/* Starts the server (argv) and reads its port. */
static GSubprocess *
server_start (gchar **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree gchar *line = NULL;
  GSubprocess *server;
  guint port;

  for (gchar **env = opt_server_env; env && *env; env++)
    {
      g_auto(GStrv) kv = g_strsplit (*env, "=", 2);
      if (kv[0] == NULL || kv[1] == NULL)
        die ("--server-env wants VAR=VALUE", NULL);
      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  for (; *argv; argv++)
    g_ptr_array_add (args, *argv);
  g_ptr_array_add (args, "--ca");
  g_ptr_array_add (args, pki_ca);
  g_ptr_array_add (args, "--cert");
  g_ptr_array_add (args, pki_cert);
  g_ptr_array_add (args, NULL);
  server = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) args->pdata, &error);
  if (server == NULL)
    die ("starting the server", error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || sscanf (line, "port %u", &port) != 1)
    die ("the server said no port", error);
  server_address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  return server;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("-- SERVER [ARGS] — N clients at once against one server");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autofree Client *clients = NULL;
  g_autofree gint64 *latency = NULL;
  Client warm = { 0 };
  guint n, ok = 0, failed = 0, i;
  gint64 first = G_MAXINT64, last = 0;
  glong rss0, rss1;
  gdouble cpu0, cpu1;
  GPid pid;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, pki_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  /* GOption keeps the "--" when an argument after it looks like an option. */
  if (argc >= 2 && g_str_equal (argv[1], "--"))
    {
      argv++;
      argc--;
    }
  if (argc < 2 || opt_n < 1)
    die ("give -n N >= 1 and the server's command after --", NULL);
  n = opt_n;
  clients = g_new0 (Client, n);
  latency = g_new (gint64, n);
  load_pki ();
  raise_descriptor_limit ();
  server = server_start (argv + 1);
  pid = atoi (g_subprocess_get_identifier (server));

  /* One client first loads what the server loads once. */
  run_batch (&warm, 1);
  close_batch (&warm, 1);
  g_usleep (G_USEC_PER_SEC / 5);
  rss0 = rss_kib_of (pid);
  cpu0 = cpu_seconds_of (pid);

  run_batch (clients, n);
  rss1 = settled_rss_kib (pid);
  cpu1 = cpu_seconds_of (pid);

  for (i = 0; i < n; i++)
    {
      first = MIN (first, clients[i].started);
      last = MAX (last, clients[i].handshaken);
      if (clients[i].failed)
        failed++;
      else
        latency[ok++] = clients[i].handshaken - clients[i].started;
    }
  if (ok == 0)
    die ("no handshake succeeded", NULL);
  qsort (latency, ok, sizeof *latency, cmp_gint64);
  printf ("{\"mode\":\"listener\",\"server\":\"%s\",\"clients\":%u,\"failed\":%u,"
          "\"handshakes_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
          "\"kib_per_peer\":%.1f,\"server_rss_before_kib\":%ld,\"server_rss_after_kib\":%ld,"
          "\"server_cpu_ms_per_peer\":%.3f,\"total_s\":%.3f}\n",
          opt_label ? opt_label : argv[1], n, failed, ok / ((last - first) / 1e6),
          percentile (latency, ok, 50) / 1e3, percentile (latency, ok, 99) / 1e3,
          (gdouble) (rss1 - rss0) / ok, rss0, rss1, (cpu1 - cpu0) * 1e3 / n,
          (last - first) / 1e6);

  close_batch (clients, n);
  g_output_stream_close (g_subprocess_get_stdin_pipe (server), NULL, NULL);
  if (!g_subprocess_wait_check (server, NULL, &error))
    die ("the server", error);
  return 0;
}
