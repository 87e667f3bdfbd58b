/* dtls-listener-server: the server process of the listener benchmark on
 * one DtlsGo.Listener (bench/listener-bench.c starts it). Each accepted
 * connection handshakes and echoes in the main context. */

#include "bench-server.h"

#include "dtlsgo.h"

static gint opt_max_pending = -1;

static const GOptionEntry entries[] = {
  { "max-pending", 0, 0, G_OPTION_ARG_INT, &opt_max_pending, "The listener's max-pending (default: its own)", "N" },
  { NULL }
};

static void
accepted (GObject *source, GAsyncResult *result, gpointer data)
{
  DtlsGoListener *listener = DTLS_GO_LISTENER (source);
  g_autoptr(GError) error = NULL;
  DtlsGoServerConnection *conn = dtls_go_listener_accept_finish (listener, result, &error);

  if (conn == NULL)
    die ("accept", error);
  bench_server_serve (G_DTLS_CONNECTION (conn), NULL, NULL);
  dtls_go_listener_accept_async (listener, NULL, accepted, NULL);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  DtlsGoListener *listener;

  bench_server_init (&argc, &argv, entries);
  socket = bench_server_socket (0);
  listener = dtls_go_listener_new (socket, server_certificate, &error);
  if (listener == NULL)
    die ("DtlsGo.Listener", error);
  if (opt_max_pending >= 0)
    g_object_set (listener, "max-pending", (guint) opt_max_pending, NULL);
  dtls_go_listener_accept_async (listener, NULL, accepted, NULL);
  bench_server_run (socket);
}
