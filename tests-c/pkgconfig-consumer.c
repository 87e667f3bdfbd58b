/* A C program built the way a user builds one against an installed dtlsgo:
 * `cc consumer.c $(pkg-config --cflags --libs dtlsgo-1.0)`, nothing from
 * the source tree (tests-python/test_module.py builds and runs it). It echoes one
 * datagram over a PSK handshake and checks that the library it linked is
 * the module GIO loaded, from the installed prefix. */
#include <dtlsgo.h>
#include <string.h>

#define KEY "0123456789abcdef0123456789abcdef"

static GBytes *
psk_requested (DtlsGoServerConnection *server, const gchar *identity, gpointer user_data)
{
  return g_str_equal (identity, "consumer") ? g_bytes_new_static (KEY, strlen (KEY)) : NULL;
}

static gpointer
echo_one (gpointer server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = dtls_go_connection_receive_bytes (server, 0, 10 * G_USEC_PER_SEC, NULL, &error);

  g_assert_no_error (error);
  dtls_go_connection_send_bytes (server, got, -1, NULL, &error);
  g_assert_no_error (error);
  return NULL;
}

static GSocket *
udp_socket (void)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  return s;
}

static void
connect_to (GSocket *s, GSocket *peer)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (peer, NULL);

  g_assert_true (g_socket_connect (s, address, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_autoptr(GSocket) cs = udp_socket ();
  g_autoptr(GSocket) ss = udp_socket ();
  g_autoptr(GDatagramBased) client = NULL;
  g_autoptr(GDatagramBased) server = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static (KEY, strlen (KEY));
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping", 4);
  g_autoptr(GBytes) echo = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *maps = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree gchar *suite = NULL;
  const gchar *module = argv[1]; /* the installed module's real path */
  GThread *thread;

  g_assert_true (argc == 2);
  connect_to (cs, ss);
  connect_to (ss, cs);
  client = g_dtls_client_connection_new (G_DATAGRAM_BASED (cs), NULL, &error);
  g_assert_no_error (error);
  server = g_dtls_server_connection_new (G_DATAGRAM_BASED (ss), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (DTLS_GO_IS_CLIENT_CONNECTION (client));
  dtls_go_client_connection_set_psk (DTLS_GO_CLIENT_CONNECTION (client), "consumer", key);
  g_signal_connect (server, "psk-requested", G_CALLBACK (psk_requested), NULL);

  thread = g_thread_new ("server", echo_one, server);
  g_assert_true (dtls_go_connection_send_bytes (DTLS_GO_CONNECTION (client), ping, -1, NULL, &error));
  g_assert_no_error (error);
  echo = dtls_go_connection_receive_bytes (DTLS_GO_CONNECTION (client), 0, 10 * G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  g_thread_join (thread);
  g_assert_true (g_bytes_equal (echo, ping));

  /* One copy of the module, the installed one: the run path from the .pc
   * file found the library GIO loaded from its module directory. */
  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const gchar *path = strchr (lines[i], '/');
      if (path && strstr (path, "libgiodtlsgo"))
        g_assert_cmpstr (path, ==, module);
    }
  suite = g_tls_connection_get_ciphersuite_name (G_TLS_CONNECTION (client));
  g_print ("dtlsgo %s: echoed \"ping\" over %s\n", dtls_go_get_version (), suite);
  return 0;
}
