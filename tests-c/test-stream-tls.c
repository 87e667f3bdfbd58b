/* Stream TLS as a C program drives it, over a GSocketConnection (read
 * through its descriptor) and over a generic GIOStream (read and written
 * on dtlsgo's GLib threads): handshake, a megabyte each way, close with
 * close_notify, a close that wakes a read blocked in another thread, the
 * async calls, a peer that does not speak TLS; and every object finalized
 * afterwards. scripts/valgrind-c-tests runs it under memcheck, so the
 * stream path's C and its hand-offs to Go are checked for bad accesses
 * and leaks. */
#include <gio/gio.h>
#include <string.h>

#include "test-util.h"

#define MEGABYTE (1 << 20)

typedef struct
{
  GSocketConnection *client_socket;
  GSocketConnection *server_socket;
  GIOStream *client_base; /* client_socket itself, or a GSimpleIOStream over its streams */
  GIOStream *client;
  GIOStream *server;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer generic)
{
  test_tcp_pair (&f->client_socket, &f->server_socket);
  if (generic)
    f->client_base = g_simple_io_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (f->client_socket)),
                                             g_io_stream_get_output_stream (G_IO_STREAM (f->client_socket)));
  else
    f->client_base = g_object_ref (G_IO_STREAM (f->client_socket));
}

/* Drops every reference, then waits until each object was finalized: the
 * connections, their streams and their bases leave nothing behind. */
static void
fixture_tear_down (Fixture *f, gconstpointer generic)
{
  GObject *objects[] = {
    G_OBJECT (f->client_socket), G_OBJECT (f->server_socket), G_OBJECT (f->client_base),
    f->client ? G_OBJECT (f->client) : NULL, f->server ? G_OBJECT (f->server) : NULL,
    f->client ? G_OBJECT (g_io_stream_get_input_stream (f->client)) : NULL,
    f->client ? G_OBJECT (g_io_stream_get_output_stream (f->client)) : NULL,
  };
  gpointer weak[G_N_ELEMENTS (objects)];
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean all_gone = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (objects); i++)
    {
      weak[i] = objects[i];
      if (objects[i])
        g_object_add_weak_pointer (objects[i], &weak[i]);
    }
  g_clear_object (&f->client);
  g_clear_object (&f->server);
  g_clear_object (&f->client_base);
  g_clear_object (&f->client_socket);
  g_clear_object (&f->server_socket);

  while (!all_gone)
    {
      all_gone = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
        all_gone = all_gone && weak[i] == NULL;
      if (!all_gone)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (1000);
        }
    }
}

static guint8 *
pattern (gsize size, guint seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 31 + seed) ^ (i >> 11));
  return data;
}

typedef struct
{
  GIOStream *conn;
  gsize size;
  guint seed;
} Sending;

static gpointer
send_pattern (gpointer data)
{
  Sending *s = data;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = pattern (s->size, s->seed);
  gsize written = 0;

  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (s->conn), bytes, s->size,
                                            &written, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, s->size);
  return NULL;
}

static void
receive_pattern (GIOStream *conn, gsize size, guint seed)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *expected = pattern (size, seed);
  g_autofree guint8 *got = g_malloc (size);
  gsize read = 0;

  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (conn), got, size, &read,
                                          NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, read, expected, size);
}

/* A megabyte each way at once, in writes of GLib's choosing. */
static void
exchange (Fixture *f)
{
  Sending up = { f->client, MEGABYTE, 1 }, down = { f->server, MEGABYTE, 2 };
  GThread *up_thread = g_thread_new ("send-up", send_pattern, &up);
  GThread *down_thread = g_thread_new ("send-down", send_pattern, &down);

  receive_pattern (f->server, MEGABYTE, 1);
  receive_pattern (f->client, MEGABYTE, 2);
  g_thread_join (up_thread);
  g_thread_join (down_thread);
}

/* The server reads the client's close_notify (0, twice), then closes; its
 * own close_notify may find the client's socket gone. */
static void
server_sees_the_end (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  guint8 byte;

  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (f->server), &byte, 1, NULL, &error),
                       ==, 0);
      g_assert_no_error (error);
    }
  if (!g_io_stream_close (f->server, NULL, &error))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
}

static void
test_exchange_and_close (Fixture *f, gconstpointer generic)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *client_suite = NULL, *server_suite = NULL;
  guint8 byte;

  test_tls_stream_pair (f->client_base, G_IO_STREAM (f->server_socket), &f->client, &f->server);
  g_assert_cmpint (g_tls_connection_get_protocol_version (G_TLS_CONNECTION (f->client)), ==,
                   G_TLS_PROTOCOL_VERSION_TLS_1_3);
  client_suite = g_tls_connection_get_ciphersuite_name (G_TLS_CONNECTION (f->client));
  server_suite = g_tls_connection_get_ciphersuite_name (G_TLS_CONNECTION (f->server));
  g_assert_nonnull (client_suite);
  g_assert_cmpstr (client_suite, ==, server_suite);
  exchange (f);

  g_assert_true (g_io_stream_close (f->client, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_io_stream_is_closed (f->client_base));
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (f->client), &byte, 1, NULL, &error),
                   ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  server_sees_the_end (f);
}

static gpointer
blocked_read (gpointer data)
{
  GError *error = NULL;
  guint8 byte;

  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (data), &byte, 1, NULL, &error), ==, -1);
  return error;
}

static void
test_close_wakes_a_blocked_read (Fixture *f, gconstpointer generic)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) read_error = NULL;
  GThread *reader;

  test_tls_stream_pair (f->client_base, G_IO_STREAM (f->server_socket), &f->client, &f->server);
  reader = g_thread_new ("blocked-read", blocked_read, f->client);
  g_usleep (G_USEC_PER_SEC / 10); /* most likely blocked by now; closed either way */
  g_assert_true (g_io_stream_close (f->client, NULL, &error));
  g_assert_no_error (error);
  read_error = g_thread_join (reader);
  g_assert_error (read_error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  server_sees_the_end (f);
}

static gpointer
server_handshake (gpointer data)
{
  GError *error = NULL;

  g_tls_connection_handshake (G_TLS_CONNECTION (data), NULL, &error);
  return error;
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async_calls (Fixture *f, gconstpointer generic)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) server_error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 443);
  g_autoptr(GTlsCertificate) cert = test_server_certificate ();
  g_autoptr(GAsyncResult) handshaken = NULL, written = NULL, closed = NULL;
  GThread *thread;
  gsize count = 0;
  gchar got[6];

  f->client = g_tls_client_connection_new (f->client_base, identity, &error);
  g_assert_no_error (error);
  g_signal_connect (f->client, "accept-certificate", G_CALLBACK (test_accept_any_certificate), NULL);
  f->server = g_tls_server_connection_new (G_IO_STREAM (f->server_socket), cert, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("server-handshake", server_handshake, f->server);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (f->client), G_PRIORITY_DEFAULT, NULL,
                                    store_result, &handshaken);
  g_assert_true (g_tls_connection_handshake_finish (G_TLS_CONNECTION (f->client), wait_for (&handshaken),
                                                    &error));
  g_assert_no_error (error);
  server_error = g_thread_join (thread);
  g_assert_no_error (server_error);

  g_output_stream_write_all_async (g_io_stream_get_output_stream (f->client), "async", 5,
                                   G_PRIORITY_DEFAULT, NULL, store_result, &written);
  g_assert_true (g_output_stream_write_all_finish (g_io_stream_get_output_stream (f->client),
                                                   wait_for (&written), &count, &error));
  g_assert_no_error (error);
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (f->server), got, 5, &count, NULL,
                                          &error));
  g_assert_cmpmem (got, count, "async", 5);

  g_io_stream_close_async (f->client, G_PRIORITY_DEFAULT, NULL, store_result, &closed);
  g_assert_true (g_io_stream_close_finish (f->client, wait_for (&closed), &error));
  g_assert_no_error (error);
  server_sees_the_end (f);
}

static void
test_peer_that_does_not_speak_tls (Fixture *f, gconstpointer generic)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = test_server_certificate ();
  const gchar *request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  guint8 byte;

  /* Here the dtlsgo side is the server, the raw peer the client's base. */
  f->server = g_tls_server_connection_new (G_IO_STREAM (f->server_socket), cert, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (f->client_base), request,
                                            strlen (request), NULL, NULL, &error));
  g_assert_false (g_tls_connection_handshake (G_TLS_CONNECTION (f->server), NULL, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS);
  g_clear_error (&error);
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (f->server), &byte, 1, NULL, &error),
                   ==, -1);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS); /* sticky */
  g_clear_error (&error);
  g_assert_true (g_io_stream_close (f->server, NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  const struct
  {
    const gchar *name;
    void (*fn) (Fixture *, gconstpointer);
  } tests[] = {
    { "exchange-and-close", test_exchange_and_close },
    { "close-wakes-a-blocked-read", test_close_wakes_a_blocked_read },
    { "async-calls", test_async_calls },
    { "peer-that-does-not-speak-tls", test_peer_that_does_not_speak_tls },
  };

  g_test_init (&argc, &argv, NULL);
  test_util_init ();
  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    for (int generic = 0; generic < 2; generic++)
      {
        g_autofree gchar *path = g_strdup_printf ("/stream/%s/%s", generic ? "generic-base" : "socket-base",
                                                  tests[i].name);

        g_test_add (path, Fixture, GINT_TO_POINTER (generic), fixture_set_up, tests[i].fn,
                    fixture_tear_down);
      }
  return g_test_run ();
}
