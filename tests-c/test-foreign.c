/* dtlsgo's DTLS from C while glib-networking stays GIO's default TLS
 * backend (issue 15): the module loaded beside the system's modules, the
 * DtlsGo constructors, a server certificate and a database made by GnuTLS,
 * and TLS through glib-networking to openssl s_server in the same
 * process. */
#include <gio/gio.h>
#include <string.h>

#include "dtlsgo.h"
#include "test-util.h"

static void
test_default_backend (void)
{
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (g_tls_backend_get_default ()), ==, "GTlsBackendGnutls");
}

/* The server's handshake on its own thread; returns its error. */
static gpointer
handshake_server (gpointer server)
{
  GError *error = NULL;

  g_dtls_connection_handshake (server, NULL, &error);
  return error;
}

static void
test_dtls_with_gnutls_certificate_and_database (void)
{
  g_autofree gchar *cert_file = NULL;
  g_autofree gchar *key_file = NULL;
  g_autoptr(GTlsCertificate) cert = test_server_certificate ();
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 0);
  g_autoptr(GSocket) cs = NULL;
  g_autoptr(GSocket) ss = NULL;
  g_autoptr(DtlsGoClientConnection) client = NULL;
  g_autoptr(DtlsGoServerConnection) server = NULL;
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping from c", 11);
  g_autoptr(GBytes) received = NULL;
  g_autoptr(GBytes) echo = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *peer;
  GType default_certificate_type = g_tls_backend_get_certificate_type (g_tls_backend_get_default ());
  GThread *thread;

  test_server_certificate_files (&cert_file, &key_file);
  database = g_tls_file_database_new (cert_file, &error);
  g_assert_no_error (error);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (cert, default_certificate_type));
  g_assert_false (DTLS_GO_IS_DATABASE (database));

  test_udp_pair (&cs, &ss);
  client = dtls_go_client_connection_new (G_DATAGRAM_BASED (cs), identity, &error);
  g_assert_no_error (error);
  server = dtls_go_server_connection_new (G_DATAGRAM_BASED (ss), cert, &error);
  g_assert_no_error (error);
  g_dtls_connection_set_database (G_DTLS_CONNECTION (client), database);

  thread = g_thread_new ("server", handshake_server, server);
  g_assert_true (g_dtls_connection_handshake (G_DTLS_CONNECTION (client), NULL, &error));
  g_assert_no_error (error);
  error = g_thread_join (thread);
  g_assert_no_error (error);

  g_assert_true (dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (client), ping, 5 * G_USEC_PER_SEC,
                                                NULL, &error));
  g_assert_no_error (error);
  received = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (server), 0, 5 * G_USEC_PER_SEC, NULL,
                                               &error);
  g_assert_no_error (error);
  g_assert_true (dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (server), received, 5 * G_USEC_PER_SEC,
                                                NULL, &error));
  g_assert_no_error (error);
  echo = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (client), 0, 5 * G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (received, ping));
  g_assert_true (g_bytes_equal (echo, ping));

  /* Verified by GnuTLS's database, so a certificate of GnuTLS's type. */
  peer = g_dtls_connection_get_peer_certificate (G_DTLS_CONNECTION (client));
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (peer, default_certificate_type));
  g_assert_true (g_tls_certificate_is_same (peer, cert));
  g_assert_cmpuint (g_dtls_connection_get_peer_certificate_errors (G_DTLS_CONNECTION (client)), ==, 0);

  g_assert_true (g_dtls_connection_close (G_DTLS_CONNECTION (client), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_dtls_connection_close (G_DTLS_CONNECTION (server), NULL, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&client));
  g_assert_finalize_object (g_steal_pointer (&server));
}

static void
use_database (GSocketClient      *socket_client,
              GSocketClientEvent  event,
              GSocketConnectable *connectable,
              GIOStream          *connection,
              gpointer            database)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), database);
}

/* openssl s_server -www on a port of its choice; returns the port. */
static guint16
start_https_server (GSubprocess **proc, const gchar *cert_file, const gchar *key_file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  gchar *line;
  guint16 port = 0;

  *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                            "openssl", "s_server", "-www", "-accept", "127.0.0.1:0", "-naccept", "1",
                            "-cert", cert_file, "-key", key_file, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (*proc));
  while (port == 0 && (line = g_data_input_stream_read_line (out, NULL, NULL, &error)))
    {
      if (g_str_has_prefix (line, "ACCEPT 127.0.0.1:"))
        port = (guint16) g_ascii_strtoull (line + strlen ("ACCEPT 127.0.0.1:"), NULL, 10);
      g_free (line);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (port, !=, 0);
  return port;
}

/* HTTPS through glib-networking, verified by a GnuTLS database, in the
 * process that also runs dtlsgo's DTLS. */
static void
test_tls_through_glib_networking_beside (void)
{
  g_autofree gchar *cert_file = NULL;
  g_autofree gchar *key_file = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GByteArray) page = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  static const gchar request[] = "GET / HTTP/1.0\r\n\r\n";
  static const gchar status[] = "HTTP/1.0 200 ok\r\n";
  GIOStream *tls;
  guint8 buffer[4096];
  gssize n;
  guint16 port;

  test_server_certificate_files (&cert_file, &key_file);
  database = g_tls_file_database_new (cert_file, &error);
  g_assert_no_error (error);
  port = start_https_server (&proc, cert_file, key_file);

  g_socket_client_set_tls (socket_client, TRUE);
  g_signal_connect (socket_client, "event", G_CALLBACK (use_database), database);
  connection = g_socket_client_connect_to_host (socket_client, "localhost", port, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (page, buffer, n);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, >, strlen (status));
  g_assert_cmpmem (page->data, strlen (status), status, strlen (status));

  tls = g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (connection));
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (tls), ==, "GTlsClientConnectionGnutls");
  g_assert_cmpuint (g_tls_connection_get_peer_certificate_errors (G_TLS_CONNECTION (tls)), ==, 0);
  g_assert_true (g_io_stream_close (G_IO_STREAM (connection), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  /* The module's directory goes beside the system's (where glib-networking
   * is) instead of replacing it, whoever runs the program. */
  const gchar *module_dir = g_getenv ("GIO_MODULE_DIR");

  if (module_dir)
    {
      g_setenv ("GIO_EXTRA_MODULES", module_dir, TRUE);
      g_unsetenv ("GIO_MODULE_DIR");
    }
  g_unsetenv ("GIO_USE_TLS");

  g_test_init (&argc, &argv, NULL);
  test_util_init ();
  g_test_add_func ("/foreign/default-backend", test_default_backend);
  g_test_add_func ("/foreign/dtls-with-gnutls-certificate-and-database",
                   test_dtls_with_gnutls_certificate_and_database);
  g_test_add_func ("/foreign/tls-through-glib-networking-beside", test_tls_through_glib_networking_beside);
  return g_test_run ();
}
