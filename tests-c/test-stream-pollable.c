/* Stream TLS through GIO's pollable stream API from C, where the bytes a
 * non-blocking read returns can be seen (PyGObject loses them): readiness,
 * sources, the g_pollable_stream_* helpers, and streams that outlive their
 * connection. */
#include <gio/gio.h>

#include "test-util.h"

typedef struct
{
  GIOStream *client;
  GIOStream *server;
  GSocketConnection *client_base;
} Pair;

/* A handshaken client and server over loopback TCP. */
static void
pair_new (Pair *pair)
{
  g_autoptr(GSocketConnection) server_base = NULL;

  test_tcp_pair (&pair->client_base, &server_base);
  test_tls_stream_pair (G_IO_STREAM (pair->client_base), G_IO_STREAM (server_base),
                        &pair->client, &pair->server);
}

static void
pair_free (Pair *pair)
{
  g_io_stream_close (pair->client, NULL, NULL);
  g_io_stream_close (pair->server, NULL, NULL);
  g_clear_object (&pair->client);
  g_clear_object (&pair->server);
  g_clear_object (&pair->client_base);
}

static gboolean
note_fired (GObject *stream, gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!*flag)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_read_nonblocking_returns_the_bytes (void)
{
  Pair pair;
  g_autoptr(GError) error = NULL;
  GPollableInputStream *in;
  GOutputStream *server_out;
  g_autoptr(GSource) source = NULL;
  gboolean fired = FALSE;
  gchar buffer[64];
  gsize written;
  gssize n;

  pair_new (&pair);
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (pair.client));
  server_out = g_io_stream_get_output_stream (pair.server);
  g_assert_true (g_pollable_input_stream_can_poll (in));
  g_assert_false (g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, &error);
  g_assert_cmpint (n, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  source = g_pollable_input_stream_create_source (in, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (note_fired), &fired, NULL);
  g_source_attach (source, NULL);
  g_assert_true (g_output_stream_write_all (server_out, "hello, pollable", 15, &written, NULL, &error));
  g_assert_no_error (error);
  wait_until (&fired);
  g_assert_true (g_pollable_input_stream_is_readable (in));
  n = g_pollable_input_stream_read_nonblocking (in, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, n, "hello, pollable", 15);

  /* The blocking helpers go through the same streams. */
  g_assert_true (g_pollable_stream_write_all (g_io_stream_get_output_stream (pair.client), "back", 4,
                                              TRUE, &written, NULL, &error));
  g_assert_no_error (error);
  n = g_pollable_stream_read (g_io_stream_get_input_stream (pair.server), buffer, 4, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, n, "back", 4);
  pair_free (&pair);
}

static void
test_streams_outlive_their_connection (void)
{
  Pair pair;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GSource) source = NULL;
  gboolean fired = FALSE;
  gchar buffer[8];

  pair_new (&pair);
  in = g_object_ref (g_io_stream_get_input_stream (pair.client));
  out = g_object_ref (g_io_stream_get_output_stream (pair.client));
  pair_free (&pair);

  g_assert_cmpint (g_input_stream_read (in, buffer, sizeof buffer, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpint (g_output_stream_write (out, "x", 1, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (in)));
  g_assert_true (g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (out)));
  source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (in), NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (note_fired), &fired, NULL);
  g_source_attach (source, NULL);
  wait_until (&fired);
  g_source_destroy (source);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_util_init ();
  g_test_add_func ("/stream/pollable/read-nonblocking-returns-the-bytes",
                   test_read_nonblocking_returns_the_bytes);
  g_test_add_func ("/stream/pollable/streams-outlive-their-connection",
                   test_streams_outlive_their_connection);
  return g_test_run ();
}
