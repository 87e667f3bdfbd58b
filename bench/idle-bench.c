/* dtls-idle-bench: many idle DTLS connections in one process, as a server
 * holds its clients. Half are clients, each on a connected UDP socket of
 * its own; the other half are the server connections a DtlsGo.Listener
 * accepted for them, all on the listener's one socket (a socket per server
 * connection would cost a descriptor each: 10,000 connections of socket
 * pairs outrun common descriptor limits, this machine's 20,000 among them).
 *
 *   dtls-idle-bench --ca CA --cert CERT [-n CONNECTIONS]
 *
 * Every pair is handshaken (CA-verified) one after the other and kept;
 * the growth of RSS from before the first to half a second after the last
 * is divided by the connections. Prints one JSON line. */

#include "bench-util.h"

#include "dtlsgo.h"


static gint opt_n = 10000;

static const GOptionEntry entries[] = {
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "Idle connections, clients and servers (default 10000)", "N" },
  { NULL }
};

typedef struct
{
  GSocket *socket;
  GDtlsConnection *client, *server;
} Pair;

typedef struct
{
  GDtlsConnection *client;
  GCancellable *accept; /* cancelled when the client fails: accept waits no more */
} ClientHandshake;

static gpointer
client_handshake_thread (gpointer data)
{
  ClientHandshake *hs = data;
  GError *error = NULL;

  if (!g_dtls_connection_handshake (hs->client, NULL, &error))
    {
      g_cancellable_cancel (hs->accept);
      return error;
    }
  return NULL;
}

/* A client on a socket of its own, connected to the listener, and the
 * server connection the listener accepts for it, both handshaken. */
static void
pair_open (Pair *pair, DtlsGoListener *listener, GSocketAddress *server_address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 4433);
  g_autoptr(GCancellable) accept = g_cancellable_new ();
  ClientHandshake hs;
  GError *client_error;
  GThread *thread;

  pair->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  if (pair->socket == NULL || !g_socket_bind (pair->socket, any, FALSE, &error) ||
      !g_socket_connect (pair->socket, server_address, NULL, &error))
    die ("a client socket", error);
  pair->client = G_DTLS_CONNECTION (g_dtls_client_connection_new (G_DATAGRAM_BASED (pair->socket), identity, &error));
  if (pair->client == NULL)
    die ("a client connection", error);
  g_dtls_connection_set_database (pair->client, ca_database);
  hs = (ClientHandshake) { pair->client, accept };
  thread = g_thread_new ("client-handshake", client_handshake_thread, &hs);
  pair->server = G_DTLS_CONNECTION (dtls_go_listener_accept (listener, accept, &error));
  if (pair->server == NULL || !g_dtls_connection_handshake (pair->server, NULL, &error))
    {
      client_error = g_thread_join (thread);
      die (client_error ? "the client's handshake" : "the server's handshake", client_error ? client_error : error);
    }
  client_error = g_thread_join (thread);
  if (client_error)
    die ("the client's handshake", client_error);
}

static void
pair_close (Pair *pair)
{
  g_dtls_connection_close (pair->client, NULL, NULL);
  g_dtls_connection_close (pair->server, NULL, NULL);
  g_clear_object (&pair->client);
  g_clear_object (&pair->server);
  g_socket_close (pair->socket, NULL);
  g_clear_object (&pair->socket);
}

/* The listener the pairs' servers come from, and the pairs kept. */
typedef struct
{
  DtlsGoListener *listener;
  GSocketAddress *server_address;
  Pair *pairs;
} Run;

static void
warm_pair (gpointer data)
{
  Run *run = data;
  Pair warm;

  pair_open (&warm, run->listener, run->server_address);
  pair_close (&warm);
}

static void
open_kept_pair (guint i, gpointer data)
{
  Run *run = data;

  pair_open (&run->pairs[i], run->listener, run->server_address);
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— idle DTLS connections in one process");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) server_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(DtlsGoListener) listener = NULL;
  g_autofree Pair *pairs = NULL;
  IdleCost cost;
  Run run;
  guint n, i;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, pki_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  if (opt_n < 2)
    die ("give -n N >= 2", NULL);
  n = opt_n / 2;
  pairs = g_new0 (Pair, n);
  load_pki ();

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  if (socket == NULL || !g_socket_bind (socket, any, FALSE, &error) ||
      (server_address = g_socket_get_local_address (socket, &error)) == NULL)
    die ("the listener's socket", error);
  listener = dtls_go_listener_new (socket, server_certificate, &error);
  if (listener == NULL)
    die ("DtlsGo.Listener", error);
  g_object_set (listener, "max-connections", n + 1, NULL);

  run = (Run) { listener, server_address, pairs };
  measure_idle (n, warm_pair, open_kept_pair, &run, &cost);
  print_idle ("idle-listener", "dtlsgo", 2 * n, &cost);
  for (i = 0; i < n; i++)
    pair_close (&pairs[i]);
  dtls_go_listener_close (listener);
  return 0;
}
