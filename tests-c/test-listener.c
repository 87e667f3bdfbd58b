/* DtlsGo.Listener from C: several clients on one port, each accepted by
 * accept_async (its callback in the caller's context), handshaken and
 * echoed with the address its peer socket names; close stops accepting
 * while accepted connections live on; every object is finalized. */
#include <gio/gio.h>
#include <string.h>

#include "dtlsgo.h"
#include "test-util.h"

#define CLIENTS 4

/* A bound on each blocking call, not a speed expectation: under Valgrind
 * several handshakes at once take far longer than on their own. */
#define IO_BOUND (60 * G_USEC_PER_SEC)

typedef struct
{
  guint16 server_port;
  guint index;
  guint16 port; /* its own */
  gchar *reply;
  GError *error;
} Client;

static gboolean
accept_any (GDtlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE; /* the test's self-signed certificate */
}

/* A client on its own thread: handshake with its first send, then read
 * the echo, then close. */
static gpointer
run_client (gpointer data)
{
  Client *c = data;
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new (lo, c->server_port);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GDatagramBased) conn = NULL;
  g_autofree gchar *text = g_strdup_printf ("client %u", c->index);
  g_autoptr(GBytes) ping = g_bytes_new (text, strlen (text));
  g_autoptr(GBytes) reply = NULL;

  if (!g_socket_bind (sock, any, FALSE, &c->error) || !g_socket_connect (sock, server, NULL, &c->error))
    return NULL;
  local = g_socket_get_local_address (sock, NULL);
  c->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  conn = g_dtls_client_connection_new (G_DATAGRAM_BASED (sock), NULL, &c->error);
  if (conn == NULL)
    return NULL;
  g_signal_connect (conn, "accept-certificate", G_CALLBACK (accept_any), NULL);
  if (!dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (conn), ping, IO_BOUND, NULL, &c->error))
    return NULL;
  reply = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (conn), 0, IO_BOUND, NULL,
                                            &c->error);
  if (reply != NULL)
    c->reply = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  g_dtls_connection_close (G_DTLS_CONNECTION (conn), NULL, NULL);
  return NULL;
}

typedef struct
{
  GThread *thread;
  DtlsGoServerConnection *conn;
  GError *error;
} Accepted;

static void
accepted (GObject *source, GAsyncResult *result, gpointer data)
{
  Accepted *a = data;

  a->thread = g_thread_self ();
  a->conn = dtls_go_listener_accept_finish (DTLS_GO_LISTENER (source), result, &a->error);
}

static void
test_clients_share_one_port (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GTlsCertificate) cert = test_server_certificate ();
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  DtlsGoServerConnection *servers[CLIENTS] = { NULL };
  Client clients[CLIENTS] = { 0 };
  GThread *threads[CLIENTS];
  DtlsGoListener *listener;
  guint pending = 99;

  listener = dtls_go_listener_new_for_address (addr, cert, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (dtls_go_listener_get_socket (listener), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < CLIENTS; i++)
    {
      clients[i].server_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      clients[i].index = i;
      threads[i] = g_thread_new ("client", run_client, &clients[i]);
    }

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < CLIENTS; i++)
    {
      Accepted a = { 0 };
      g_autoptr(GDatagramBased) base = NULL;
      g_autoptr(GSocketAddress) remote = NULL;
      g_autoptr(GBytes) got = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autofree gchar *text = NULL;

      dtls_go_listener_accept_async (listener, NULL, accepted, &a);
      while (a.thread == NULL)
        g_main_context_iteration (context, TRUE);
      g_assert_no_error (a.error);
      g_assert_true (a.thread == g_thread_self ());
      servers[i] = a.conn;
      g_assert_true (G_IS_DTLS_SERVER_CONNECTION (a.conn));
      g_object_get (a.conn, "base-socket", &base, NULL);
      g_assert_true (DTLS_GO_IS_PEER_SOCKET (base));
      g_assert_cmpint (g_datagram_based_condition_check (base, G_IO_OUT), ==, G_IO_OUT);
      remote = dtls_go_peer_socket_get_remote_address (DTLS_GO_PEER_SOCKET (base));

      g_assert_true (g_dtls_connection_handshake (G_DTLS_CONNECTION (a.conn), NULL, &error));
      g_assert_no_error (error);
      got = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (a.conn), 0, IO_BOUND, NULL,
                                              &error);
      g_assert_no_error (error);
      text = g_strdup_printf ("%.*s from %u", (int) g_bytes_get_size (got), (const char *) g_bytes_get_data (got, NULL),
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
      reply = g_bytes_new (text, strlen (text));
      g_assert_true (dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (a.conn), reply, -1, NULL, &error));
      g_assert_no_error (error);
    }

  for (guint i = 0; i < CLIENTS; i++)
    {
      g_autofree gchar *want = NULL;

      g_thread_join (threads[i]);
      g_assert_no_error (clients[i].error);
      want = g_strdup_printf ("client %u from %u", i, clients[i].port);
      g_assert_cmpstr (clients[i].reply, ==, want);
      g_free (clients[i].reply);
    }

  /* Closed: no more accepting, the accepted connections live on. */
  dtls_go_listener_close (listener);
  g_assert_null (dtls_go_listener_accept (listener, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  for (guint i = 0; i < CLIENTS; i++)
    {
      /* The client's close_notify. */
      g_assert_null (dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (servers[i]), 0,
                                                       IO_BOUND, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_dtls_connection_close (G_DTLS_CONNECTION (servers[i]), NULL, &error));
      g_assert_no_error (error);
      test_drain_until_sole_owner (context, servers[i]);
      g_assert_finalize_object (servers[i]);
    }
  g_assert_cmpuint (dtls_go_listener_get_peer_count (listener, &pending), ==, 0);
  g_assert_cmpuint (pending, ==, 0);
  g_main_context_pop_thread_default (context);
  g_assert_finalize_object (listener);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_util_init ();
  g_test_add_func ("/listener/clients-share-one-port", test_clients_share_one_port);
  return g_test_run ();
}
