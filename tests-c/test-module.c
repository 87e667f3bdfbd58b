/* Loads dtlsgo the way a C program does (GIO_MODULE_DIR) and checks what
 * GIO sees of the backend. */
#include <gio/gio.h>

static void
test_backend_is_dtlsgo (void)
{
  GTlsBackend *backend = g_tls_backend_get_default ();

  g_assert_cmpstr (G_OBJECT_TYPE_NAME (backend), ==, "DtlsGoBackend");
  g_assert_true (g_tls_backend_supports_dtls (backend));
  g_assert_true (g_tls_backend_supports_tls (backend));
  g_assert_true (g_type_is_a (g_tls_backend_get_dtls_client_connection_type (backend),
                              G_TYPE_DTLS_CLIENT_CONNECTION));
  g_assert_true (g_type_is_a (g_tls_backend_get_dtls_server_connection_type (backend),
                              G_TYPE_DTLS_SERVER_CONNECTION));
  g_assert_true (g_type_is_a (g_tls_backend_get_certificate_type (backend),
                              G_TYPE_TLS_CERTIFICATE));
  g_assert_true (g_type_is_a (g_tls_backend_get_file_database_type (backend),
                              G_TYPE_TLS_FILE_DATABASE));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/module/backend-is-dtlsgo", test_backend_is_dtlsgo);
  return g_test_run ();
}
