/* The DtlsGo API from C (issue 8): a program that includes <dtlsgo.h> and
 * links libgiodtlsgo.so by name, while GIO loads the same file as its TLS
 * backend. A PSK handshake with no certificate, GBytes datagrams both ways
 * (sync and async), keying material and SRTP keys agreeing on both peers. */
#include <gio/gio.h>
#include <string.h>

#include "dtlsgo.h"
#include "test-util.h"

#define KEY "0123456789abcdef0123456789abcdef"

static void
test_library (void)
{
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "..", "VERSION", NULL);
  g_autofree gchar *version = NULL;
  g_auto(GStrv) suites = dtls_go_get_cipher_suites ();
  g_auto(GStrv) profiles = dtls_go_get_srtp_profiles ();

  g_assert_true (g_file_get_contents (path, &version, NULL, NULL));
  g_assert_cmpstr (dtls_go_get_version (), ==, g_strstrip (version));
  g_assert_true (g_strv_contains ((const gchar * const *) suites, "TLS_PSK_WITH_AES_128_GCM_SHA256"));
  g_assert_true (g_strv_contains ((const gchar * const *) profiles, "SRTP_AES128_CM_HMAC_SHA1_80"));
}

/* The module this program linked and the one GIO loaded are one mapping:
 * one Go runtime. */
static void
test_one_module (void)
{
  g_autofree gchar *maps = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_true (DTLS_GO_IS_BACKEND (g_tls_backend_get_default ()));
  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const gchar *path = strchr (lines[i], '/');
      if (path && strstr (path, "libgiodtlsgo"))
        g_hash_table_add (paths, (gpointer) path);
    }
  g_assert_cmpuint (g_hash_table_size (paths), ==, 1);
}

static GBytes *
psk_requested (DtlsGoServerConnection *server, const gchar *identity, gpointer user_data)
{
  GThread **seen_on = user_data;

  *seen_on = g_thread_self ();
  if (g_strcmp0 (identity, "c-client") != 0)
    return NULL;
  return g_bytes_new_static (KEY, strlen (KEY));
}

typedef struct
{
  GDtlsConnection *server;
  GThread *handler_thread;
  GBytes *received;
  GError *error;
} Server;

/* The server's side on its own thread: a sync handshake (its
 * psk-requested handler runs here), then an echo of one datagram. */
static gpointer
serve (gpointer data)
{
  Server *s = data;
  g_autoptr(GBytes) upper = NULL;
  g_autofree gchar *text = NULL;

  if (!g_dtls_connection_handshake (s->server, NULL, &s->error))
    return NULL;
  s->received = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (s->server), 0, 5 * G_USEC_PER_SEC,
                                                  NULL, &s->error);
  if (s->received == NULL)
    return NULL;
  text = g_ascii_strup (g_bytes_get_data (s->received, NULL), g_bytes_get_size (s->received));
  upper = g_bytes_new (text, strlen (text));
  dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (s->server), upper, -1, NULL, &s->error);
  return NULL;
}

static void
received_async (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GBytes **out = user_data;
  GError *error = NULL;

  *out = dtls_go_connection_receive_bytes_finish (DTLS_GO_CONNECTION (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

static void
assert_same_bytes (GBytes *a, GBytes *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (g_bytes_equal (a, b));
}

static void
test_psk_exchange (void)
{
  g_autoptr(GSocket) cs = NULL;
  g_autoptr(GSocket) ss = NULL;
  g_autoptr(GDatagramBased) client = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static (KEY, strlen (KEY));
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping from c", 11);
  g_autoptr(GBytes) echo = NULL;
  g_autoptr(GBytes) ck = NULL; /* client's view: local key and salt, remote key and salt */
  g_autoptr(GBytes) cs_ = NULL;
  g_autoptr(GBytes) sk = NULL;
  g_autoptr(GBytes) ss_ = NULL;
  g_autoptr(GBytes) sck = NULL; /* server's view */
  g_autoptr(GBytes) scs = NULL;
  g_autoptr(GBytes) ssk = NULL;
  g_autoptr(GBytes) sss = NULL;
  g_autoptr(GBytes) ce = NULL;
  g_autoptr(GBytes) se = NULL;
  const gchar *profiles[] = { "SRTP_AEAD_AES_128_GCM", NULL };
  g_autofree gchar *suite = NULL;
  g_autoptr(GError) error = NULL;
  Server s = { 0 };
  GThread *thread;

  test_udp_pair (&cs, &ss);
  client = g_dtls_client_connection_new (G_DATAGRAM_BASED (cs), NULL, &error);
  g_assert_no_error (error);
  s.server = G_DTLS_CONNECTION (g_dtls_server_connection_new (G_DATAGRAM_BASED (ss), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (DTLS_GO_IS_CLIENT_CONNECTION (client));
  g_assert_true (DTLS_GO_IS_SERVER_CONNECTION (s.server));
  dtls_go_client_connection_set_psk (DTLS_GO_CLIENT_CONNECTION (client), "c-client", key);
  g_signal_connect (s.server, "psk-requested", G_CALLBACK (psk_requested), &s.handler_thread);
  dtls_go_connection_set_srtp_profiles (DTLS_GO_CONNECTION (client), profiles);
  dtls_go_connection_set_srtp_profiles (DTLS_GO_CONNECTION (s.server), profiles);

  thread = g_thread_new ("server", serve, &s);
  /* The first send performs the client's handshake. */
  g_assert_true (dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (client), ping, 10 * G_USEC_PER_SEC,
                                                NULL, &error));
  g_assert_no_error (error);
  dtls_go_connection_receive_bytes_async (DTLS_GO_CONNECTION (client), 0, G_PRIORITY_DEFAULT, NULL,
                                          received_async, &echo);
  while (echo == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_assert_no_error (s.error);
  g_assert_true (s.handler_thread == thread);
  assert_same_bytes (s.received, ping);
  g_assert_cmpmem (g_bytes_get_data (echo, NULL), g_bytes_get_size (echo), "PING FROM C", 11);
  suite = g_tls_connection_get_ciphersuite_name (G_TLS_CONNECTION (client));
  g_assert_nonnull (strstr (suite, "_PSK_"));
  g_assert_null (g_dtls_connection_get_peer_certificate (G_DTLS_CONNECTION (client)));

  ce = dtls_go_connection_export_keying_material (DTLS_GO_CONNECTION (client), "EXPERIMENTAL-c", NULL, 48,
                                                  &error);
  g_assert_no_error (error);
  se = dtls_go_connection_export_keying_material (DTLS_GO_CONNECTION (s.server), "EXPERIMENTAL-c", NULL, 48,
                                                  &error);
  g_assert_no_error (error);
  assert_same_bytes (ce, se);
  g_assert_cmpuint (g_bytes_get_size (ce), ==, 48);

  g_assert_cmpstr (dtls_go_connection_get_srtp_profile (DTLS_GO_CONNECTION (client)), ==,
                   "SRTP_AEAD_AES_128_GCM");
  g_assert_true (dtls_go_connection_get_srtp_keys (DTLS_GO_CONNECTION (client), &ck, &cs_, &sk, &ss_, &error));
  g_assert_true (dtls_go_connection_get_srtp_keys (DTLS_GO_CONNECTION (s.server), &sck, &scs, &ssk, &sss,
                                                   &error));
  g_assert_no_error (error);
  assert_same_bytes (ck, ssk);
  assert_same_bytes (cs_, sss);
  assert_same_bytes (sk, sck);
  g_assert_cmpuint (g_bytes_get_size (ck), ==, 16);
  g_assert_cmpuint (g_bytes_get_size (cs_), ==, 12);

  g_assert_true (g_dtls_connection_close (G_DTLS_CONNECTION (client), NULL, &error));
  g_assert_no_error (error);
  /* The peer's close_notify: NULL and no error. */
  g_assert_null (dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (s.server), 0, 5 * G_USEC_PER_SEC,
                                                   NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_dtls_connection_close (s.server, NULL, &error));
  g_clear_pointer (&s.received, g_bytes_unref);
  g_object_unref (s.server);
}

static void
test_errors (void)
{
  g_autoptr(GSocket) cs = NULL;
  g_autoptr(GSocket) ss = NULL;
  g_autoptr(GDatagramBased) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) km = NULL;
  g_autoptr(GBytes) ctx = g_bytes_new_static ("x", 1);
  g_autoptr(GBytes) got = NULL;

  test_udp_pair (&cs, &ss);
  client = g_dtls_client_connection_new (G_DATAGRAM_BASED (cs), NULL, &error);
  g_assert_no_error (error);

  km = dtls_go_connection_export_keying_material (DTLS_GO_CONNECTION (client), "x", NULL, 8, &error);
  g_assert_null (km);
  g_assert_error (error, G_TLS_CHANNEL_BINDING_ERROR, G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (dtls_go_connection_get_srtp_keys (DTLS_GO_CONNECTION (client), NULL, NULL, NULL, NULL,
                                                    &error));
  g_assert_error (error, G_TLS_CHANNEL_BINDING_ERROR, G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_null (dtls_go_connection_get_srtp_profile (DTLS_GO_CONNECTION (client)));

  /* A silent server: the implicit handshake is bounded by the timeout. */
  got = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (client), 0, G_USEC_PER_SEC / 4, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  km = dtls_go_connection_export_keying_material (DTLS_GO_CONNECTION (client), "x", ctx, 8, &error);
  g_assert_null (km);
  g_assert_error (error, G_TLS_CHANNEL_BINDING_ERROR, G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* The GBytes forms under a handshake that reaches its own bound (a silent
 * server): the async send calls back with G_TLS_ERROR_HANDSHAKE (it never
 * called back: GLib dropped TIMED_OUT), and a blocking receive reports it
 * too instead of NULL without an error (which means end of stream). */
static void
test_handshake_timeout (void)
{
  g_autoptr(GSocket) cs = NULL;
  g_autoptr(GSocket) ss = NULL;
  g_autoptr(GDatagramBased) client = NULL;
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping", 4);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  test_udp_pair (&cs, &ss);
  client = g_dtls_client_connection_new (G_DATAGRAM_BASED (cs), NULL, &error);
  g_assert_no_error (error);
  g_object_set (client, "handshake-timeout", 300, NULL);

  dtls_go_connection_send_bytes_async (DTLS_GO_CONNECTION (client), ping, G_PRIORITY_DEFAULT, NULL,
                                       store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (dtls_go_connection_send_bytes_finish (DTLS_GO_CONNECTION (client), result, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (error->message, "timed out after 0.3s"));
  g_clear_error (&error);

  g_assert_null (dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (client), 0, -1, NULL, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_util_init ();
  g_test_add_func ("/namespace/library", test_library);
  g_test_add_func ("/namespace/one-module", test_one_module);
  g_test_add_func ("/namespace/psk-exchange", test_psk_exchange);
  g_test_add_func ("/namespace/errors", test_errors);
  g_test_add_func ("/namespace/handshake-timeout", test_handshake_timeout);
  return g_test_run ();
}
