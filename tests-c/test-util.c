#include "test-util.h"

#include <glib/gstdio.h>

static gchar *tmpdir;

static void
remove_tmpdir (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
}

void
test_util_init (void)
{
  g_autoptr(GError) error = NULL;

  tmpdir = g_dir_make_tmp ("dtlsgo-test-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_tmpdir);
}

static GSocket *
udp_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (s, any, FALSE, &error));
  return s;
}

void
test_udp_pair (GSocket **a, GSocket **b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) aa = NULL, ba = NULL;

  *a = udp_socket ();
  *b = udp_socket ();
  aa = g_socket_get_local_address (*a, &error);
  ba = g_socket_get_local_address (*b, &error);
  g_assert_true (g_socket_connect (*a, ba, NULL, &error));
  g_assert_true (g_socket_connect (*b, aa, NULL, &error));
  g_assert_no_error (error);
}

void
test_server_certificate_files (gchar **cert,
                               gchar **key)
{
  g_autoptr(GError) error = NULL;

  *cert = g_build_filename (tmpdir, "server.pem", NULL);
  *key = g_build_filename (tmpdir, "server-key.pem", NULL);
  if (!g_file_test (*cert, G_FILE_TEST_EXISTS))
    {
      const gchar *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                              "ec_paramgen_curve:P-256", "-nodes", "-keyout", *key, "-out", *cert,
                              "-days", "2", "-subj", "/CN=localhost",
                              "-addext", "subjectAltName=DNS:localhost", NULL };
      gint status;

      g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
                                   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                   NULL, NULL, NULL, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, &error));
    }
}

GTlsCertificate *
test_server_certificate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;
  GTlsCertificate *certificate;

  test_server_certificate_files (&cert, &key);
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  return certificate;
}

void
test_drain_until_sole_owner (GMainContext *context, gpointer object)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&G_OBJECT (object)->ref_count) > 1 &&
         g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (1000);
    }
  while (g_main_context_iteration (context, FALSE))
    ;
}

void
test_tcp_pair (GSocketConnection **client,
               GSocketConnection **server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  *client = g_socket_client_connect_to_host (socket_client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  *server = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
}

gboolean
test_accept_any_certificate (GTlsConnection      *conn,
                             GTlsCertificate     *cert,
                             GTlsCertificateFlags errors,
                             gpointer             data)
{
  return TRUE;
}

static gpointer
server_handshake (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (data), NULL, &error));
  g_assert_no_error (error);
  return NULL;
}

void
test_tls_stream_pair (GIOStream  *client_base,
                      GIOStream  *server_base,
                      GIOStream **client,
                      GIOStream **server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 443);
  g_autoptr(GTlsCertificate) cert = test_server_certificate ();
  GThread *thread;

  *client = g_tls_client_connection_new (client_base, identity, &error);
  g_assert_no_error (error);
  g_signal_connect (*client, "accept-certificate", G_CALLBACK (test_accept_any_certificate), NULL);
  *server = g_tls_server_connection_new (server_base, cert, &error);
  g_assert_no_error (error);

  thread = g_thread_new ("server-handshake", server_handshake, *server);
  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (*client), NULL, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
}
