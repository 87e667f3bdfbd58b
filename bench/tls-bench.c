/* tls-bench: measures a GIO TLS backend's stream connections through the
 * public GIO API only. The backend is whatever GIO picks from the
 * environment (GIO_MODULE_DIR, GIO_USE_TLS); --raw runs the same traffic
 * over plain TCP.
 *
 *   tls-bench handshake  --ca CA --cert CERT [-n N] [--resume] [--raw]
 *   tls-bench throughput --ca CA --cert CERT [-n WRITES] [--size B] [--raw]
 *   tls-bench idle       --ca CA --cert CERT [-n PAIRS] [--default-server]
 *
 * Client and server live in this process: the client on the main thread,
 * the server on a thread of its own, over fresh TCP connections on
 * loopback (TCP_NODELAY on both ends, so that no figure waits for Nagle's
 * algorithm), so CPU figures are both sides'. Each run prints one JSON
 * line. */

#include "bench-util.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gchar *opt_label;
static gint opt_n = 0, opt_size = 16384;
static gboolean opt_raw, opt_resume, opt_default_server;

static GOptionEntry entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "Handshakes, writes or idle pairs", "N" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Bytes per write (default 16384)", "BYTES" },
  { "resume", 0, 0, G_OPTION_ARG_NONE, &opt_resume, "Resume each handshake from the one before", NULL },
  { "raw", 0, 0, G_OPTION_ARG_NONE, &opt_raw, "Plain TCP, no TLS", NULL },
  { "default-server", 0, 0, G_OPTION_ARG_NONE, &opt_default_server,
    "Idle: servers as GIO makes them (its default database, no certificate request)", NULL },
  { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "Backend name to report", "NAME" },
  { NULL }
};

/* ---- Seeing whether a handshake was resumed --------------------------------
 *
 * GIO 2.74 has no property saying so. The server asks for a client
 * certificate (authentication-mode REQUESTED) and the client has none, but
 * an interaction that counts the requests and declines them (the server's
 * database is the test CA's, so that the request is small): a full TLS 1.3
 * handshake carries the server's CertificateRequest, so the client's
 * interaction is asked once; a resumed one cannot carry it (RFC 8446,
 * 4.3.2: a server authenticating with a PSK does not send one). The cost,
 * an empty Certificate message from the client, is the same for every
 * backend. */

typedef GTlsInteraction CountingInteraction;
typedef GTlsInteractionClass CountingInteractionClass;
static GType counting_interaction_get_type (void);
G_DEFINE_TYPE (CountingInteraction, counting_interaction, G_TYPE_TLS_INTERACTION)

static gint certificate_requests;

static GTlsInteractionResult
counting_interaction_request_certificate (GTlsInteraction *interaction, GTlsConnection *connection,
                                          GTlsCertificateRequestFlags flags,
                                          GCancellable *cancellable, GError **error)
{
  g_atomic_int_inc (&certificate_requests);
  return G_TLS_INTERACTION_UNHANDLED;
}

static void
counting_interaction_class_init (CountingInteractionClass *klass)
{
  klass->request_certificate = counting_interaction_request_certificate;
}

static void
counting_interaction_init (CountingInteraction *self)
{
}

/* ---- Listeners, pairs and the server thread -------------------------------- */

/* A listening TCP socket on loopback and its address. */
typedef struct
{
  GSocketListener *listener;
  GSocketAddress *address;
} Listener;

static void
listener_open (Listener *l)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);

  l->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (l->listener, any, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &l->address, &error))
    die ("a TCP listener", error);
}

static void
listener_close (Listener *l)
{
  if (l->listener)
    g_socket_listener_close (l->listener);
  g_clear_object (&l->listener);
  g_clear_object (&l->address);
}

static void
no_delay (GSocketConnection *conn)
{
  g_autoptr(GError) error = NULL;

  if (!g_socket_set_option (g_socket_connection_get_socket (conn), IPPROTO_TCP, TCP_NODELAY,
                            1, &error))
    die ("TCP_NODELAY", error);
}

/* One connection under test, both ends: the TLS connections (or, raw, the
 * TCP ones). */
typedef struct
{
  GIOStream *client, *server;
  gboolean resumed; /* the client was not asked for a certificate */
} Pair;

static GThread *server_thread;
static GAsyncQueue *accept_jobs;  /* Listener *: accept one connection; the queue itself: stop */
static GAsyncQueue *accepted;     /* GIOStream *: the server end, handshaken */

/* The server's end of each connection: accepted, handshaken, then one byte
 * written, which the client reading it is how both know the other side's
 * handshake is over. */
static gpointer
serve (gpointer data)
{
  Listener *l;

  while ((l = g_async_queue_pop (accept_jobs)) != (gpointer) accept_jobs)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketConnection) tcp = g_socket_listener_accept (l->listener, NULL, NULL, &error);
      GIOStream *server;

      if (tcp == NULL)
        die ("accept", error);
      no_delay (tcp);
      if (opt_raw)
        server = G_IO_STREAM (g_object_ref (tcp));
      else
        {
          server = g_tls_server_connection_new (G_IO_STREAM (tcp), server_certificate, &error);
          if (server == NULL)
            die ("a TLS server connection", error);
          /* Its database names the CAs it would take client certificates
           * from in its request: the test CA, not every CA of the
           * system's (tens of KiB in every request). */
          if (!opt_default_server)
            g_object_set (server, "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED,
                          "database", ca_database, NULL);
          if (!g_tls_connection_handshake (G_TLS_CONNECTION (server), NULL, &error))
            die ("server handshake", error);
        }
      if (!g_output_stream_write_all (g_io_stream_get_output_stream (server), "!", 1, NULL,
                                      NULL, &error))
        die ("the server's first byte", error);
      g_async_queue_push (accepted, server);
    }
  return NULL;
}

static void
server_start (void)
{
  accept_jobs = g_async_queue_new ();
  accepted = g_async_queue_new ();
  server_thread = g_thread_new ("server", serve, NULL);
}

static void
server_stop (void)
{
  g_async_queue_push (accept_jobs, accept_jobs);
  g_thread_join (server_thread);
}

/* Connects to l, handshakes both ends (the client resuming from previous,
 * if given) and reads the server's first byte. */
static void
pair_open (Pair *pair, Listener *l, GTlsClientConnection *previous)
{
  static GSocketClient *tcp_client;
  static GTlsInteraction *interaction;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) tcp = NULL;
  gint requests = g_atomic_int_get (&certificate_requests);
  gchar byte;

  if (tcp_client == NULL)
    {
      tcp_client = g_socket_client_new ();
      interaction = g_object_new (counting_interaction_get_type (), NULL);
    }
  g_async_queue_push (accept_jobs, l);
  tcp = g_socket_client_connect (tcp_client, G_SOCKET_CONNECTABLE (l->address), NULL, &error);
  if (tcp == NULL)
    die ("connect", error);
  no_delay (tcp);
  if (opt_raw)
    pair->client = G_IO_STREAM (g_object_ref (tcp));
  else
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 443);

      pair->client = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
      if (pair->client == NULL)
        die ("a TLS client connection", error);
      g_tls_connection_set_database (G_TLS_CONNECTION (pair->client), ca_database);
      g_tls_connection_set_interaction (G_TLS_CONNECTION (pair->client), interaction);
      if (previous)
        g_tls_client_connection_copy_session_state (G_TLS_CLIENT_CONNECTION (pair->client),
                                                    previous);
      if (!g_tls_connection_handshake (G_TLS_CONNECTION (pair->client), NULL, &error))
        die ("client handshake", error);
    }
  if (g_input_stream_read (g_io_stream_get_input_stream (pair->client), &byte, 1, NULL,
                           &error) != 1)
    die ("the server's first byte", error);
  pair->server = g_async_queue_pop (accepted);
  pair->resumed = !opt_raw && g_atomic_int_get (&certificate_requests) == requests;
}

static void
pair_close (Pair *pair)
{
  g_io_stream_close (pair->client, NULL, NULL);
  g_io_stream_close (pair->server, NULL, NULL);
  g_clear_object (&pair->client);
  g_clear_object (&pair->server);
}

/* What the client negotiated: "TLS_1_3 TLS_AES_128_GCM_SHA256". */
static gchar *
negotiated (GIOStream *client)
{
  GTlsConnection *tls;
  GEnumClass *versions;
  GEnumValue *v;
  gchar *text;

  if (opt_raw)
    return g_strdup ("TCP");
  tls = G_TLS_CONNECTION (client);
  versions = g_type_class_ref (G_TYPE_TLS_PROTOCOL_VERSION);
  v = g_enum_get_value (versions, g_tls_connection_get_protocol_version (tls));
  text = g_strdup_printf ("%s %s", v ? v->value_nick : "?",
                          g_tls_connection_get_ciphersuite_name (tls));
  g_type_class_unref (versions);
  return text;
}

/* ---- Modes ---------------------------------------------------------------- */

/* Sequential connections, each from connect() to the server's first byte
 * read, then closed by both ends. Full handshakes go to a listener of
 * their own each (a session cache keyed by address and port cannot offer
 * one); resumed ones to one listener, each copying the session state of
 * the connection before it (and, with backends that have one, through
 * GLib's per-identity session cache). */
static void
run_handshake (void)
{
  guint n = opt_n > 0 ? opt_n : 200, i, resumed = 0;
  g_autofree gint64 *wall = g_new (gint64, n);
  g_autofree Listener *listeners = g_new0 (Listener, n + 1);
  g_autofree gchar *suite = NULL;
  GIOStream *previous = NULL;
  gdouble cpu0, cpu;
  gint64 total0, total;
  Pair pair;

  raise_descriptor_limit ();
  if (!opt_raw)
    load_pki ();
  server_start ();
  for (i = 0; i < (opt_resume ? 1 : n + 1); i++)
    listener_open (&listeners[i]);
  /* One untimed connection loads what a process loads once and, resuming,
   * gives the first session to resume. */
  pair_open (&pair, &listeners[0], NULL);
  suite = negotiated (pair.client);
  previous = g_object_ref (pair.client);
  pair_close (&pair);

  cpu0 = cpu_seconds ();
  total0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();

      pair_open (&pair, &listeners[opt_resume ? 0 : i + 1],
                 opt_resume ? G_TLS_CLIENT_CONNECTION (previous) : NULL);
      wall[i] = g_get_monotonic_time () - t0;
      resumed += pair.resumed;
      g_clear_object (&previous);
      previous = g_object_ref (pair.client);
      pair_close (&pair);
    }
  total = g_get_monotonic_time () - total0;
  cpu = cpu_seconds () - cpu0;
  g_clear_object (&previous);
  server_stop ();
  for (i = 0; i < n + 1; i++)
    listener_close (&listeners[i]);
  qsort (wall, n, sizeof *wall, cmp_gint64);
  printf ("{\"mode\":\"tls-%s\",\"backend\":\"%s\",\"negotiated\":\"%s\",\"count\":%u,"
          "\"resumed\":%u,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"handshakes_per_s\":%.1f,"
          "\"cpu_ms_per_handshake\":%.3f,\"total_s\":%.3f,\"peak_rss_kib\":%ld}\n",
          opt_resume ? "resumed" : "handshake", backend_name (opt_label, opt_raw), suite, n,
          resumed, percentile (wall, n, 50) / 1e3, percentile (wall, n, 99) / 1e3,
          n / (total / 1e6), cpu * 1e3 / n, total / 1e6, peak_rss_kib ());
}

typedef struct
{
  GInputStream *in;
  guint64 total;
  gint64 end_time;
} Sink;

static gpointer
sink_thread (gpointer data)
{
  Sink *sink = data;
  g_autofree guint8 *buf = g_malloc (65536);
  guint64 got = 0;

  while (got < sink->total)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (sink->in, buf, 65536, NULL, &error);

      if (n <= 0)
        die ("the receiver's read", error);
      got += n;
    }
  sink->end_time = g_get_monotonic_time ();
  return NULL;
}

/* One connection, the client writing -n writes of --size bytes, the server
 * reading them in up to 64 KiB at a time on its thread. */
static void
run_throughput (void)
{
  guint64 writes = opt_n > 0 ? opt_n : 32768, i;
  g_autofree guint8 *payload = g_malloc (opt_size);
  g_autofree gchar *suite = NULL;
  GOutputStream *out;
  Listener l = { 0 };
  Sink sink;
  Pair pair;
  GThread *receiver;
  gdouble cpu0, cpu, secs, mb;
  gint64 t0;

  if (!opt_raw)
    load_pki ();
  memset (payload, 0xa5, opt_size);
  server_start ();
  listener_open (&l);
  pair_open (&pair, &l, NULL);
  suite = negotiated (pair.client);
  out = g_io_stream_get_output_stream (pair.client);
  sink.in = g_io_stream_get_input_stream (pair.server);
  sink.total = writes * opt_size;

  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  receiver = g_thread_new ("receiver", sink_thread, &sink);
  for (i = 0; i < writes; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!g_output_stream_write_all (out, payload, opt_size, NULL, NULL, &error))
        die ("write", error);
    }
  g_thread_join (receiver);
  cpu = cpu_seconds () - cpu0;
  secs = (sink.end_time - t0) / 1e6;
  mb = sink.total / 1e6;
  printf ("{\"mode\":\"tls-throughput\",\"backend\":\"%s\",\"negotiated\":\"%s\",\"size\":%d,"
          "\"writes\":%" G_GUINT64_FORMAT ",\"seconds\":%.3f,\"mb_per_s\":%.1f,"
          "\"cpu_s_per_mb\":%.5f,\"peak_rss_kib\":%ld}\n",
          backend_name (opt_label, opt_raw), suite, opt_size, writes, secs, mb / secs, cpu / mb,
          peak_rss_kib ());
  pair_close (&pair);
  server_stop ();
  listener_close (&l);
}

/* Resident memory of idle, handshaken connections: N pairs are opened and
 * kept; the growth of RSS is divided by the 2N connections, half a second
 * after the last (and at its highest while they were opened: "peak"). The
 * servers are those of the handshake mode, or with --default-server as GIO
 * makes them: a server's default database is the system's, which a backend
 * may load for each connection. */
static void
run_idle (void)
{
  guint n = opt_n > 0 ? opt_n : 500, i;
  g_autofree Pair *pairs = g_new0 (Pair, n);
  glong rss0, rss1, peak;
  gdouble cpu0;
  gint64 t0;

  /* Two sockets a pair, more with a backend that duplicates them. */
  raise_descriptor_limit ();
  load_pki ();
  server_start ();
  {
    Listener l = { 0 };
    Pair warm;

    listener_open (&l);
    pair_open (&warm, &l, NULL);
    pair_close (&warm);
    listener_close (&l);
  }
  rss0 = peak = current_rss_kib ();
  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++)
    {
      Listener l = { 0 };

      /* A listener each, as for full handshakes: none of them resumes. */
      listener_open (&l);
      pair_open (&pairs[i], &l, NULL);
      listener_close (&l);
      peak = MAX (peak, current_rss_kib ());
    }
  g_usleep (G_USEC_PER_SEC / 2); /* let the handshakes' garbage settle */
  rss1 = current_rss_kib ();
  printf ("{\"mode\":\"tls-idle%s\",\"backend\":\"%s\",\"connections\":%u,"
          "\"kib_per_connection\":%.1f,\"peak_kib_per_connection\":%.1f,"
          "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
          "\"open_s\":%.3f,\"cpu_s\":%.3f,\"peak_rss_kib\":%ld}\n",
          opt_default_server ? "-default-server" : "", backend_name (opt_label, FALSE), 2 * n,
          (rss1 - rss0) / (2.0 * n), (peak - rss0) / (2.0 * n), rss0, rss1,
          (g_get_monotonic_time () - t0) / 1e6,
          cpu_seconds () - cpu0, peak_rss_kib ());
  for (i = 0; i < n; i++)
    pair_close (&pairs[i]);
  server_stop ();
}

int
main (int argc, char **argv)
{
  const gchar *mode = parse_mode (argc, argv, entries, "handshake, throughput or idle");

  if (opt_size < 1 || opt_size > (1 << 24))
    die ("need 1 <= --size <= 16 MiB", NULL);
  if (!opt_raw && !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    die ("GIO's TLS backend does not support TLS", NULL);

  if (opt_default_server && !g_str_equal (mode, "idle"))
    die ("--default-server is for the idle mode", NULL);
  if (g_str_equal (mode, "handshake") && !(opt_raw && opt_resume))
    run_handshake ();
  else if (g_str_equal (mode, "throughput") && !opt_resume)
    run_throughput ();
  else if (g_str_equal (mode, "idle") && !opt_raw && !opt_resume)
    run_idle ();
  else
    die ("unknown MODE (or not with --raw or --resume)", NULL);
  return 0;
}
