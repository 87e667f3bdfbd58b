/* dtls-demux-server: the server process of the listener benchmark as an
 * application over plain GIO serves many clients on one port, with
 * whatever TLS backend GIO picks (bench/listener-bench.c starts it). A
 * datagram from a new address on the listening socket makes a socket on
 * the same port (SO_REUSEPORT) connected to that address, which the kernel
 * then prefers for its datagrams, and a GDtlsServerConnection over it. The
 * datagram itself, the client's first ClientHello, stays behind: the
 * client sends it again when its retransmission timer fires. */

#include "bench-server.h"

/* Peers by address ("127.0.0.1:port"), while their connection lives. */
static GHashTable *peers;
static GSocket *listening;
static guint16 port;

/* What the new socket took as an unconnected member of the port's group
 * between its bind and its connect belongs to other clients. */
static void
drain (GSocket *s)
{
  guint8 buf[2048];

  while (g_socket_receive (s, (gchar *) buf, sizeof buf, NULL, NULL) >= 0)
    ;
}

static void
peer_done (gpointer key)
{
  g_hash_table_remove (peers, key);
}

static void
new_peer (GSocketAddress *from, gchar *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) s = bench_server_socket (port);
  GDatagramBased *conn;

  g_socket_set_blocking (s, FALSE);
  if (!g_socket_connect (s, from, NULL, &error))
    die ("connecting a peer's socket", error);
  drain (s);
  g_socket_set_blocking (s, TRUE);
  conn = g_dtls_server_connection_new (G_DATAGRAM_BASED (s), server_certificate, &error);
  if (conn == NULL)
    die ("a DTLS server connection", error);
  g_hash_table_add (peers, key);
  bench_server_serve (G_DTLS_CONNECTION (conn), peer_done, key);
}

static gboolean
listening_readable (GSocket *s, GIOCondition condition, gpointer data)
{
  guint8 buf[2048];

  for (;;)
    {
      g_autoptr(GSocketAddress) from = NULL;
      gchar *key;

      if (g_socket_receive_from (s, &from, (gchar *) buf, sizeof buf, NULL, NULL) < 0)
        return G_SOURCE_CONTINUE;
      key = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (from));
      if (g_hash_table_contains (peers, key))
        g_free (key); /* queued here before its socket was connected */
      else
        new_peer (from, key);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSource) watch = NULL;

  bench_server_init (&argc, &argv, NULL);
  peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  listening = bench_server_socket (0);
  g_socket_set_blocking (listening, FALSE);
  local = g_socket_get_local_address (listening, &error);
  if (local == NULL)
    die ("the server's address", error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  watch = g_socket_create_source (listening, G_IO_IN, NULL);
  g_source_set_callback (watch, G_SOURCE_FUNC (listening_readable), NULL, NULL);
  g_source_attach (watch, NULL);
  bench_server_run (listening);
}
