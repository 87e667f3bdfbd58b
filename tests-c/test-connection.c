/* DTLS connections as C programs drive them, in the reference suite's
 * scenarios: one thread and one main context for both peers, or a server
 * on its own thread and context; sends with timeouts -1, long, 0; reads
 * with timeout 0 while iterating; a silent server; a lossy base socket that
 * drops a peer's first datagram; half-close; references back to 1 after
 * teardown. */
#include <gio/gio.h>
#include <string.h>

#include "test-util.h"

/* ---- A lossy GDatagramBased wrapper -------------------------------------- */

#define TYPE_LOSSY_SOCKET (lossy_socket_get_type ())
G_DECLARE_FINAL_TYPE (LossySocket, lossy_socket, TEST, LOSSY_SOCKET, GObject)

struct _LossySocket
{
  GObject parent_instance;
  GSocket *base;
  gint drop_next; /* datagrams still to drop, atomically decremented */
  gint dropped;
  gint receive_error; /* a G_IO_ERROR code every receive fails with; 0: none */
};

static void lossy_socket_iface_init (GDatagramBasedInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LossySocket, lossy_socket, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_DATAGRAM_BASED, lossy_socket_iface_init))

static void
lossy_socket_init (LossySocket *self)
{
}

static void
lossy_socket_finalize (GObject *object)
{
  g_clear_object (&TEST_LOSSY_SOCKET (object)->base);
  G_OBJECT_CLASS (lossy_socket_parent_class)->finalize (object);
}

static void
lossy_socket_class_init (LossySocketClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lossy_socket_finalize;
}

static gint
lossy_receive (GDatagramBased *db, GInputMessage *messages, guint n, gint flags,
               gint64 timeout, GCancellable *cancellable, GError **error)
{
  if (TEST_LOSSY_SOCKET (db)->receive_error)
    {
      g_set_error_literal (error, G_IO_ERROR, TEST_LOSSY_SOCKET (db)->receive_error,
                           "The wrapper's receive failed");
      return -1;
    }
  return g_datagram_based_receive_messages (G_DATAGRAM_BASED (TEST_LOSSY_SOCKET (db)->base),
                                            messages, n, flags, timeout, cancellable, error);
}

static gint
lossy_send (GDatagramBased *db, GOutputMessage *messages, guint n, gint flags,
            gint64 timeout, GCancellable *cancellable, GError **error)
{
  LossySocket *self = TEST_LOSSY_SOCKET (db);
  gint left = g_atomic_int_get (&self->drop_next);

  if (n > 0 && left > 0 && g_atomic_int_compare_and_exchange (&self->drop_next, left, left - 1))
    {
      /* Claim it was sent. */
      messages[0].bytes_sent = 0;
      for (guint i = 0; i < messages[0].num_vectors; i++)
        messages[0].bytes_sent += messages[0].vectors[i].size;
      g_atomic_int_inc (&self->dropped);
      return 1;
    }
  return g_datagram_based_send_messages (G_DATAGRAM_BASED (self->base), messages, n, flags,
                                         timeout, cancellable, error);
}

static GSource *
lossy_create_source (GDatagramBased *db, GIOCondition condition, GCancellable *cancellable)
{
  return g_datagram_based_create_source (G_DATAGRAM_BASED (TEST_LOSSY_SOCKET (db)->base),
                                         condition, cancellable);
}

static GIOCondition
lossy_condition_check (GDatagramBased *db, GIOCondition condition)
{
  return g_datagram_based_condition_check (G_DATAGRAM_BASED (TEST_LOSSY_SOCKET (db)->base), condition);
}

static gboolean
lossy_condition_wait (GDatagramBased *db, GIOCondition condition, gint64 timeout,
                      GCancellable *cancellable, GError **error)
{
  return g_datagram_based_condition_wait (G_DATAGRAM_BASED (TEST_LOSSY_SOCKET (db)->base),
                                          condition, timeout, cancellable, error);
}

static void
lossy_socket_iface_init (GDatagramBasedInterface *iface)
{
  iface->receive_messages = lossy_receive;
  iface->send_messages = lossy_send;
  iface->create_source = lossy_create_source;
  iface->condition_check = lossy_condition_check;
  iface->condition_wait = lossy_condition_wait;
}

static LossySocket *
lossy_socket_new (GSocket *base, gint drop_first)
{
  LossySocket *self = g_object_new (TYPE_LOSSY_SOCKET, NULL);

  self->base = g_object_ref (base);
  self->drop_next = drop_first;
  return self;
}

/* ---- Fixture --------------------------------------------------------------- */

/* A test's data: which base drops its first datagram, and its options. */
enum
{
  DROP_CLIENT = 1 << 0,
  DROP_SERVER = 1 << 1,
  WRAP_BOTH = 1 << 2,    /* both bases are wrappers that drop nothing */
  ASYNC = 1 << 3,
};

typedef struct
{
  GSocket *client_socket, *server_socket;
  GDatagramBased *client_base, *server_base;
  GDtlsConnection *client, *server;
  GTlsCertificate *certificate;
} Fixture;

static gboolean
accept_any (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  gint flags = GPOINTER_TO_INT (data);
  gboolean wrap_client = flags & (DROP_CLIENT | WRAP_BOTH), wrap_server = flags & (DROP_SERVER | WRAP_BOTH);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 0);

  test_udp_pair (&f->client_socket, &f->server_socket);
  f->certificate = test_server_certificate ();
  f->client_base = wrap_client ? G_DATAGRAM_BASED (lossy_socket_new (f->client_socket, !!(flags & DROP_CLIENT)))
                               : G_DATAGRAM_BASED (g_object_ref (f->client_socket));
  f->server_base = wrap_server ? G_DATAGRAM_BASED (lossy_socket_new (f->server_socket, !!(flags & DROP_SERVER)))
                               : G_DATAGRAM_BASED (g_object_ref (f->server_socket));
  f->client = G_DTLS_CONNECTION (g_dtls_client_connection_new (f->client_base, identity, &error));
  g_assert_no_error (error);
  g_signal_connect (f->client, "accept-certificate", G_CALLBACK (accept_any), NULL);
  f->server = G_DTLS_CONNECTION (g_dtls_server_connection_new (f->server_base, f->certificate, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_dtls_connection_close (f->client, NULL, NULL);
  g_dtls_connection_close (f->server, NULL, NULL);
  /* An implicit handshake completes in the context it started from, posted
   * there by the handshake's thread once it ended: data may flow before
   * that post arrives, so wait for it (not just for what is pending now). */
  test_drain_until_sole_owner (NULL, f->client);
  test_drain_until_sole_owner (NULL, f->server);
  /* Every reference the connections took is given back. */
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->server);
  /* A plain base is the socket itself, referenced twice here. */
  if (TEST_IS_LOSSY_SOCKET (f->client_base))
    g_assert_finalize_object (f->client_base);
  else
    g_object_unref (f->client_base);
  if (TEST_IS_LOSSY_SOCKET (f->server_base))
    g_assert_finalize_object (f->server_base);
  else
    g_object_unref (f->server_base);
  g_assert_finalize_object (f->client_socket);
  g_assert_finalize_object (f->server_socket);
  g_object_unref (f->certificate);
}

/* Sends "ping" with the given timeout (retrying WOULD_BLOCK while iterating
 * context) and reads it back on the other side the same way. */
static void
exchange (GDtlsConnection *from, GDtlsConnection *to, gint64 send_timeout, GMainContext *context)
{
  gchar payload[] = "ping";
  gchar buf[64];
  GOutputVector ov = { payload, sizeof payload };
  GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean sent = FALSE, received = FALSE;

  while (!received)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!sent)
        {
          gint n = g_datagram_based_send_messages (G_DATAGRAM_BASED (from), &om, 1, 0,
                                                   send_timeout, NULL, &error);
          if (n == 1)
            sent = TRUE;
          else
            g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_clear_error (&error);
        }
      if (g_datagram_based_receive_messages (G_DATAGRAM_BASED (to), &im, 1, 0, 0, NULL, &error) == 1)
        received = TRUE;
      else
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_main_context_iteration (context, FALSE);
    }
  g_assert_cmpuint (im.bytes_received, ==, sizeof payload);
  g_assert_cmpstr (buf, ==, "ping");
}

static void
handshake_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_dtls_connection_handshake_finish (G_DTLS_CONNECTION (source), result, &error));
  g_assert_no_error (error);
  (*(gint *) data)++;
}

/* Handshakes both peers asynchronously in the thread-default context. */
static void
handshake_both (Fixture *f)
{
  gint done = 0;

  g_dtls_connection_handshake_async (f->client, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  g_dtls_connection_handshake_async (f->server, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  while (done < 2)
    g_main_context_iteration (NULL, TRUE);
}

/* Both peers in one thread, one main context, async handshakes. */
static void
test_one_context (Fixture *f, gconstpointer data)
{
  handshake_both (f);
  exchange (f->client, f->server, -1, NULL);
  exchange (f->server, f->client, 0, NULL);
}

static void send_ping (GDtlsConnection *conn, gint64 timeout);

/* Two sources watch one connection and each callback reads once: when one
 * took the record, the other is not called for nothing. */
static gboolean
read_once (GDatagramBased *conn, GIOCondition condition, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gchar buf[64];
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };

  g_assert_cmphex (condition, ==, G_IO_IN);
  g_assert_cmpint (g_datagram_based_receive_messages (conn, &im, 1, 0, 0, NULL, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (buf, ==, "ping");
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static void
test_two_sources (Fixture *f, gconstpointer data)
{
  GSource *sources[2];
  guint reads = 0, i;
  gint done = 0;

  g_dtls_connection_handshake_async (f->client, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  g_dtls_connection_handshake_async (f->server, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  while (done < 2)
    g_main_context_iteration (NULL, TRUE);
  for (i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      sources[i] = g_datagram_based_create_source (G_DATAGRAM_BASED (f->client), G_IO_IN, NULL);
      g_source_set_callback (sources[i], G_SOURCE_FUNC (read_once), &reads, NULL);
      g_source_attach (sources[i], NULL);
    }
  for (i = 1; i <= 50; i++)
    {
      send_ping (f->server, -1);
      while (reads < i)
        g_main_context_iteration (NULL, TRUE);
    }
  /* Nothing more to read: no callback runs, however long the loop turns. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (reads, ==, 50);
  for (i = 0; i < G_N_ELEMENTS (sources); i++)
    {
      g_source_destroy (sources[i]);
      g_source_unref (sources[i]);
    }
}

static gboolean
note_cancelled (GDatagramBased *conn, GIOCondition condition, gpointer data)
{
  /* Nothing to read: it is the cancellable that woke the source. */
  g_assert_cmphex (condition, ==, 0);
  (*(guint *) data)++;
  return G_SOURCE_REMOVE;
}

/* A source's cancellable calls it back even with nothing ready, as a
 * GSocket's source does. */
static void
test_cancelled_source (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) source = NULL;
  guint calls = 0;
  gint done = 0;

  g_dtls_connection_handshake_async (f->client, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  g_dtls_connection_handshake_async (f->server, G_PRIORITY_DEFAULT, NULL, handshake_done, &done);
  while (done < 2)
    g_main_context_iteration (NULL, TRUE);
  source = g_datagram_based_create_source (G_DATAGRAM_BASED (f->client), G_IO_IN, cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (note_cancelled), &calls, NULL);
  g_source_attach (source, NULL);
  g_cancellable_cancel (cancellable);
  while (calls == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (calls, ==, 1);
  g_assert_true (g_source_is_destroyed (source));
}

/* Implicit handshakes driven by timeout-0 I/O only. */
static void
test_implicit_nonblocking (Fixture *f, gconstpointer data)
{
  exchange (f->client, f->server, 0, NULL);
  exchange (f->server, f->client, 0, NULL);
}

typedef struct
{
  Fixture *f;
  gint64 send_timeout;
  GMainContext *context;
} ServerThread;

static void
send_ping (GDtlsConnection *conn, gint64 timeout)
{
  gchar payload[] = "ping";
  GOutputVector ov = { payload, sizeof payload };
  GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      if (g_datagram_based_send_messages (G_DATAGRAM_BASED (conn), &om, 1, 0, timeout, NULL, &error) == 1)
        return;
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

static gpointer
server_thread (gpointer data)
{
  ServerThread *st = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (st->context);
  g_dtls_connection_handshake (st->f->server, NULL, &error);
  g_assert_no_error (error);
  send_ping (st->f->server, st->send_timeout);
  g_main_context_pop_thread_default (st->context);
  return NULL;
}

/* Reads with timeout 0 on the main thread, iterating its context, until the
 * server's ping arrives. */
static void
receive_ping (GDtlsConnection *conn)
{
  gchar buf[64];
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      if (g_datagram_based_receive_messages (G_DATAGRAM_BASED (conn), &im, 1, 0, 0, NULL, &error) == 1)
        break;
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpstr (buf, ==, "ping");
}

/* The server on its own thread and context, sending with the given
 * timeout, while the client handshakes by reading with timeout 0. */
static void
test_server_thread (Fixture *f, gconstpointer data)
{
  static const gint64 timeouts[] = { -1, 1000 * G_USEC_PER_SEC, 0 };

  for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++)
    {
      ServerThread st = { f, timeouts[i], g_main_context_new () };
      GThread *thread;

      if (i > 0)
        {
          fixture_tear_down (f, data);
          fixture_set_up (f, data);
        }
      thread = g_thread_new ("server", server_thread, &st);
      receive_ping (f->client);
      g_thread_join (thread);
      g_main_context_unref (st.context);
    }
}

/* A lossy wrapper drops a peer's first datagram: retransmission recovers. */
static void
test_lossy (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  ServerThread st = { f, -1, g_main_context_new () };
  GThread *thread = g_thread_new ("server", server_thread, &st);

  g_dtls_connection_handshake (f->client, NULL, &error);
  g_assert_no_error (error);
  receive_ping (f->client);
  g_thread_join (thread);
  g_main_context_unref (st.context);
  /* The close_notify crosses the wrapper: the server sees the end. */
  g_assert_true (g_dtls_connection_close (f->client, NULL, &error));
  {
    gchar buf[16];
    GInputVector iv = { buf, sizeof buf };
    GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };

    g_assert_cmpint (g_datagram_based_receive_messages (G_DATAGRAM_BASED (f->server), &im, 1, 0,
                                                        5 * G_USEC_PER_SEC, NULL, &error), ==, 0);
    g_assert_no_error (error);
  }
  if (TEST_IS_LOSSY_SOCKET (f->client_base))
    g_assert_cmpint (TEST_LOSSY_SOCKET (f->client_base)->dropped, ==, 1);
  if (TEST_IS_LOSSY_SOCKET (f->server_base))
    g_assert_cmpint (TEST_LOSSY_SOCKET (f->server_base)->dropped, ==, 1);
}

typedef struct
{
  GCancellable *cancellable;
  GError *error; /* the handshake's */
  gboolean done;
} NestedLoop;

static void
nested_handshake_done (GObject *source, GAsyncResult *result, gpointer data)
{
  NestedLoop *nl = data;

  g_assert_false (g_dtls_connection_handshake_finish (G_DTLS_CONNECTION (source), result, &nl->error));
  nl->done = TRUE;
}

/* Cancels the handshake, as a dialog's Cancel button would, and runs the
 * main context (a nested loop) until the handshake has ended. */
static gboolean
cancel_in_nested_loop (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors,
                       gpointer data)
{
  NestedLoop *nl = data;

  g_cancellable_cancel (nl->cancellable);
  while (!nl->done)
    g_main_context_iteration (NULL, TRUE);
  return FALSE;
}

/* The async handshake's completion runs inside accept-certificate (in the
 * handler's nested main loop): the upcall that emitted the signal still
 * needs its op after the handler returns (Valgrind checks that it is not
 * freed memory by then). */
static void
test_nested_loop_in_accept_certificate (Fixture *f, gconstpointer data)
{
  NestedLoop nl = { g_cancellable_new (), NULL, FALSE };

  g_signal_handlers_disconnect_by_func (f->client, accept_any, NULL);
  g_signal_connect (f->client, "accept-certificate", G_CALLBACK (cancel_in_nested_loop), &nl);
  g_dtls_connection_handshake_async (f->server, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_dtls_connection_handshake_async (f->client, G_PRIORITY_DEFAULT, nl.cancellable,
                                     nested_handshake_done, &nl);
  while (!nl.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (nl.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The upcall's work after the handler (peer-certificate) was done. */
  g_assert_nonnull (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (f->client)));
  g_clear_error (&nl.error);
  g_object_unref (nl.cancellable);
}

/* Sends text as one message; returns the count (-1 with error set). */
static gint
send_text (GDtlsConnection *conn, const gchar *text, GError **error)
{
  GOutputVector ov = { text, strlen (text) };
  GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };

  return g_datagram_based_send_messages (G_DATAGRAM_BASED (conn), &om, 1, 0, -1, NULL, error);
}

/* Receives one message as a string into buf, waiting at most 5 s; returns
 * the count: 1, 0 at the end of the stream, -1 with error set. */
static gint
receive_text (GDtlsConnection *conn, gchar *buf, gsize size, GError **error)
{
  GInputVector iv = { buf, size - 1 };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  gint n = g_datagram_based_receive_messages (G_DATAGRAM_BASED (conn), &im, 1, 0,
                                              5 * G_USEC_PER_SEC, NULL, error);

  buf[n == 1 ? im.bytes_received : 0] = '\0';
  return n;
}

static void
shutdown_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_dtls_connection_shutdown_finish (G_DTLS_CONNECTION (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

/* Half-close: shutting the client's write side sends close_notify at once.
 * The server's stream ends (0 messages, no error, every time) and nothing
 * else: the server still sends and the client still receives, until the
 * server closes too. The async form is called through the interface:
 * g_dtls_connection_shutdown_async hands the backend TRUE, TRUE whatever
 * it is given (GLib 2.74, and GLib's main branch too). */
static void
test_half_close (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gchar buf[64];

  handshake_both (f);
  g_assert_cmpint (send_text (f->client, "before", &error), ==, 1);
  g_assert_cmpint (receive_text (f->server, buf, sizeof buf, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (buf, ==, "before");

  if (GPOINTER_TO_INT (data) & ASYNC)
    {
      gboolean done = FALSE;

      G_DTLS_CONNECTION_GET_INTERFACE (f->client)->shutdown_async (f->client, FALSE, TRUE, G_PRIORITY_DEFAULT,
                                                                   NULL, shutdown_done, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
    }
  else
    g_assert_true (g_dtls_connection_shutdown (f->client, FALSE, TRUE, NULL, &error));
  g_assert_no_error (error);

  for (gint i = 0; i < 2; i++)
    {
      g_assert_cmpint (receive_text (f->server, buf, sizeof buf, &error), ==, 0);
      g_assert_no_error (error);
    }
  g_assert_cmpint (send_text (f->client, "refused", &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_cmpint (send_text (f->server, "to the half-closed side", &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (receive_text (f->client, buf, sizeof buf, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (buf, ==, "to the half-closed side");

  g_assert_true (g_dtls_connection_close (f->server, NULL, &error));
  g_assert_cmpint (receive_text (f->client, buf, sizeof buf, &error), ==, 0);
  g_assert_no_error (error);
}

/* A server that never answers: a 0.5 s read gives TIMED_OUT in time. */
static void
test_silent_server (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gchar buf[64];
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (g_datagram_based_receive_messages (G_DATAGRAM_BASED (f->client), &im, 1, 0,
                                                      G_USEC_PER_SEC / 2, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

/* A handshake that reaches its own bound (the server never answers) under
 * a call whose timeout is -1 or 0, or under handshake_async: a
 * G_TLS_ERROR_HANDSHAKE naming the bound, never TIMED_OUT (GLib allows that
 * only for a timeout > 0: it would drop the error with a CRITICAL), and
 * every later call, whatever its timeout, gets it again at once. */
static void
assert_handshake_timed_out (GError *error)
{
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (error->message, "timed out after 0.3s"));
}

static void
async_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_handshake_timeout (Fixture *f, gconstpointer data)
{
  const gchar *how = g_test_get_path () + strlen ("/connection/handshake-timeout/");
  g_autoptr(GError) error = NULL;
  gchar buf[64] = "ping";
  GOutputVector ov = { buf, 4 };
  GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  const gint64 later_timeouts[] = { -1, 0, G_USEC_PER_SEC };

  g_object_set (f->client, "handshake-timeout", 300, NULL);
  if (g_str_equal (how, "blocking"))
    g_assert_cmpint (g_datagram_based_send_messages (G_DATAGRAM_BASED (f->client), &om, 1, 0, -1,
                                                     NULL, &error), ==, -1);
  else if (g_str_equal (how, "polling"))
    {
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      while (g_datagram_based_receive_messages (G_DATAGRAM_BASED (f->client), &im, 1, 0, 0,
                                                NULL, &error) == -1 &&
             g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_clear_error (&error);
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
    }
  else
    {
      g_autoptr(GAsyncResult) result = NULL;

      g_dtls_connection_handshake_async (f->client, G_PRIORITY_DEFAULT, NULL, async_done, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_false (g_dtls_connection_handshake_finish (f->client, result, &error));
    }
  assert_handshake_timed_out (error);

  for (guint i = 0; i < G_N_ELEMENTS (later_timeouts); i++)
    {
      gint64 start = g_get_monotonic_time ();

      g_clear_error (&error);
      g_assert_cmpint (g_datagram_based_send_messages (G_DATAGRAM_BASED (f->client), &om, 1, 0,
                                                       later_timeouts[i], NULL, &error), ==, -1);
      assert_handshake_timed_out (error);
      g_clear_error (&error);
      g_assert_cmpint (g_datagram_based_receive_messages (G_DATAGRAM_BASED (f->client), &im, 1, 0,
                                                          later_timeouts[i], NULL, &error), ==, -1);
      assert_handshake_timed_out (error);
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
    }
  g_clear_error (&error);
  g_assert_false (g_dtls_connection_handshake (f->client, NULL, &error));
  assert_handshake_timed_out (error);
}

/* A server that is not running: the ICMP port unreachable its port answers
 * with ends the handshake at once with CONNECTION_REFUSED, whether the
 * kernel reports it on the plain GSocket or a wrapper's receive passes the
 * GSocket's GError on, instead of the 60 s handshake timeout. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gchar payload[] = "ping";
  GOutputVector ov = { payload, sizeof payload };
  GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
  gint64 start = g_get_monotonic_time ();

  /* Nothing listens at the client's peer address (the server connection
   * holds a duplicate of its socket until closed). */
  g_assert_true (g_dtls_connection_close (f->server, NULL, &error));
  g_assert_true (g_socket_close (f->server_socket, &error));
  g_object_set (f->client, "handshake-timeout", 60000, NULL);
  g_assert_false (g_dtls_connection_handshake (f->client, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_clear_error (&error);
  /* The handshake's failure is sticky. */
  g_assert_cmpint (g_datagram_based_send_messages (G_DATAGRAM_BASED (f->client), &om, 1, 0, -1,
                                                   NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* A wrapper whose receive fails: the handshake ends with the base's own
 * error, not as if the base had reached end of stream. */
static void
test_base_error (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  TEST_LOSSY_SOCKET (f->client_base)->receive_error = G_IO_ERROR_HOST_UNREACHABLE;
  g_assert_false (g_dtls_connection_handshake (f->client, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "The wrapper's receive failed");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_util_init ();

#define ADD(path, data, fn) \
  g_test_add ("/connection/" path, Fixture, GINT_TO_POINTER (data), fixture_set_up, fn, fixture_tear_down)
  ADD ("one-context", 0, test_one_context);
  ADD ("implicit-nonblocking", 0, test_implicit_nonblocking);
  ADD ("server-thread", 0, test_server_thread);
  ADD ("lossy-client", DROP_CLIENT, test_lossy);
  ADD ("lossy-server", DROP_SERVER, test_lossy);
  ADD ("lossy-both", DROP_CLIENT | DROP_SERVER, test_lossy);
  ADD ("half-close", 0, test_half_close);
  ADD ("half-close-async", ASYNC, test_half_close);
  ADD ("half-close-wrapper", WRAP_BOTH, test_half_close);
  ADD ("half-close-wrapper-async", WRAP_BOTH | ASYNC, test_half_close);
  ADD ("silent-server", 0, test_silent_server);
  ADD ("two-sources", 0, test_two_sources);
  ADD ("cancelled-source", 0, test_cancelled_source);
  ADD ("handshake-timeout/blocking", 0, test_handshake_timeout);
  ADD ("handshake-timeout/polling", 0, test_handshake_timeout);
  ADD ("handshake-timeout/async", 0, test_handshake_timeout);
  ADD ("refused", 0, test_refused);
  /* The wrapper drops the first ClientHello: the retransmission is refused. */
  ADD ("refused-wrapper", DROP_CLIENT, test_refused);
  ADD ("base-error", DROP_CLIENT, test_base_error);
  ADD ("nested-loop-in-accept-certificate", 0, test_nested_loop_in_accept_certificate);
#undef ADD
  return g_test_run ();
}
