/* The part of the listener benchmark's servers that is not how they
 * demultiplex (bench-server.h). Everything runs in the main context. */

#include "bench-server.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static gint opt_rcvbuf = 4 << 20;

static const GOptionEntry entries[] = {
  { "rcvbuf", 0, 0, G_OPTION_ARG_INT, &opt_rcvbuf, "SO_RCVBUF to ask for (default 4 MiB; the kernel caps it at net.core.rmem_max)", "BYTES" },
  { NULL }
};

/* The client process holds the other end of stdin: when it goes away,
 * however it ends, so does this server. */
static gboolean
stdin_closed (gint fd, GIOCondition condition, gpointer data)
{
  gchar buf[64];

  if (read (fd, buf, sizeof buf) > 0)
    return G_SOURCE_CONTINUE;
  exit (0);
}

void
bench_server_init (int *argc, char ***argv, const GOptionEntry *extra)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— a server of the listener benchmark");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, pki_entries, NULL);
  if (extra)
    g_option_context_add_main_entries (context, extra, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    die ("options", error);
  load_pki ();
  raise_descriptor_limit ();
  g_unix_fd_add (0, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_closed, NULL);
}

GSocket *
bench_server_socket (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                             G_SOCKET_PROTOCOL_UDP, &error);

  /* SO_REUSEPORT for the demultiplexer's per-peer sockets on the same port. */
  if (s == NULL || !g_socket_set_option (s, SOL_SOCKET, SO_REUSEPORT, 1, &error) ||
      !g_socket_bind (s, address, TRUE, &error))
    die ("UDP socket", error);
  g_socket_set_option (s, SOL_SOCKET, SO_RCVBUF, opt_rcvbuf, NULL);
  return s;
}

void
bench_server_run (GSocket *listening)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (listening, &error);

  if (local == NULL)
    die ("the server's address", error);
  printf ("port %u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}

typedef struct
{
  GDtlsConnection *conn;
  GDestroyNotify done;
  gpointer data;
} Peer;

static void
peer_end (Peer *peer)
{
  g_dtls_connection_close (peer->conn, NULL, NULL);
  g_object_unref (peer->conn);
  if (peer->done)
    peer->done (peer->data);
  g_free (peer);
}

/* Echoes what is there; ends the peer at close_notify or an error. */
static gboolean
readable (GDatagramBased *dgram, GIOCondition condition, gpointer data)
{
  Peer *peer = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      guint8 buf[2048];
      GInputVector iv = { buf, sizeof buf };
      GInputMessage in = { .vectors = &iv, .num_vectors = 1 };
      GOutputVector ov = { buf, 0 };
      GOutputMessage out = { .vectors = &ov, .num_vectors = 1 };
      gint got = g_datagram_based_receive_messages (dgram, &in, 1, 0, 0, NULL, &error);

      if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (got <= 0)
        break;
      ov.size = in.bytes_received;
      if (g_datagram_based_send_messages (dgram, &out, 1, 0, -1, NULL, &error) != 1)
        break;
    }
  peer_end (peer);
  return G_SOURCE_REMOVE;
}

static void
handshaken (GObject *source, GAsyncResult *result, gpointer data)
{
  Peer *peer = data;

  if (handshake_finished (peer->conn, result))
    watch_readable (peer->conn, readable, peer);
  else
    peer_end (peer);
}

void
bench_server_serve (GDtlsConnection *conn, GDestroyNotify done, gpointer data)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->conn = conn;
  peer->done = done;
  peer->data = data;
  g_dtls_connection_handshake_async (conn, G_PRIORITY_DEFAULT, NULL, handshaken, peer);
}
