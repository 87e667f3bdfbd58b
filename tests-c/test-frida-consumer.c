/* The one public program known to drive a GIO DTLS backend, Frida's
 * peer-to-peer link (frida-core, lib/base/p2p.vala), replayed as it uses
 * one: its own GDatagramBased base (no GSocket) on which only
 * receive_messages, send_messages and create_source may be called, a
 * client with no server identity, a server that requires a client
 * certificate, no database, peers pinned by the SHA-256 fingerprint of
 * their self-signed RSA certificates, async handshakes, then a source on
 * each connection whose callback reads one message per wake-up with
 * timeout 0 and gives up (removes its source) when that read fails. */
#define _GNU_SOURCE /* pthread_getname_np, strcasestr */
#include <gio/gio.h>
#include <pthread.h>
#include <string.h>

#include "test-util.h"

/* ---- The base socket: as strict as Frida's ---------------------------- */

/* Datagrams cross in memory (as between libnice's agent and Frida's
 * socket), or through a connected UDP socket when udp is set. */

#define TYPE_FRIDA_SOCKET (frida_socket_get_type ())
G_DECLARE_FINAL_TYPE (FridaSocket, frida_socket, TEST, FRIDA_SOCKET, GObject)

struct _FridaSocket
{
  GObject parent_instance;
  GMutex mutex;
  GCond cond;
  GSocket *udp;        /* owned, or NULL: in memory */
  GQueue incoming;     /* GBytes, in memory */
  GSList *sources;     /* FridaSource, not owned */
  FridaSocket *peer;   /* not owned: the test keeps both alive */
  guint handshakes;    /* datagrams of handshake records sent so far */
  guint64 drop_mask;   /* drop handshake datagram i when bit i is set */
  gint dropped;
  gint flag_violations;
  GHashTable *threads; /* names of the threads that called the base */
};

static void frida_socket_iface_init (GDatagramBasedInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FridaSocket, frida_socket, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_DATAGRAM_BASED, frida_socket_iface_init))

static void
frida_socket_init (FridaSocket *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  g_queue_init (&self->incoming);
  self->threads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
frida_socket_finalize (GObject *object)
{
  FridaSocket *self = TEST_FRIDA_SOCKET (object);

  g_assert_null (self->sources);
  g_clear_object (&self->udp);
  g_queue_clear_full (&self->incoming, (GDestroyNotify) g_bytes_unref);
  g_hash_table_unref (self->threads);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (frida_socket_parent_class)->finalize (object);
}

static void
frida_socket_class_init (FridaSocketClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = frida_socket_finalize;
}

static pthread_t main_thread;

/* Called with the mutex held. */
static void
note_caller (FridaSocket *self)
{
  gchar name[16] = "main";

  if (!pthread_equal (pthread_self (), main_thread))
    pthread_getname_np (pthread_self (), name, sizeof name);
  g_hash_table_add (self->threads, g_strdup (name));
}

static GIOCondition
pending_io (FridaSocket *self)
{
  /* In memory, sends never wait. Called with the mutex held. */
  if (self->udp)
    return g_socket_condition_check (self->udp, G_IO_IN | G_IO_OUT | G_IO_ERR | G_IO_HUP);
  return G_IO_OUT | (self->incoming.length > 0 ? G_IO_IN : 0);
}

/* Frida's PeerSocketSource: ready while the socket's pending conditions
 * meet the watched one, woken by g_source_set_ready_time. */
typedef struct
{
  GSource source;
  FridaSocket *socket;
  GIOCondition condition;
} FridaSource;

static GIOCondition
source_ready (FridaSource *fs)
{
  GIOCondition ready;

  g_mutex_lock (&fs->socket->mutex);
  ready = pending_io (fs->socket) & fs->condition;
  g_mutex_unlock (&fs->socket->mutex);
  return ready;
}

static gboolean
frida_source_prepare (GSource *source, gint *timeout)
{
  *timeout = -1;
  return source_ready ((FridaSource *) source) != 0;
}

static gboolean
frida_source_check (GSource *source)
{
  return source_ready ((FridaSource *) source) != 0;
}

static gboolean
frida_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  FridaSource *fs = (FridaSource *) source;

  g_source_set_ready_time (source, -1);
  if (callback == NULL)
    return G_SOURCE_REMOVE;
  return ((GDatagramBasedSourceFunc) (void (*) (void)) callback) (G_DATAGRAM_BASED (fs->socket), source_ready (fs), data);
}

static void
frida_source_finalize (GSource *source)
{
  FridaSource *fs = (FridaSource *) source;

  g_mutex_lock (&fs->socket->mutex);
  fs->socket->sources = g_slist_remove (fs->socket->sources, fs);
  g_mutex_unlock (&fs->socket->mutex);
  g_object_unref (fs->socket);
}

static GSourceFuncs frida_source_funcs = {
  frida_source_prepare, frida_source_check, frida_source_dispatch, frida_source_finalize, NULL, NULL,
};

static GSource *
frida_create_source (GDatagramBased *db, GIOCondition condition, GCancellable *cancellable)
{
  FridaSocket *self = TEST_FRIDA_SOCKET (db);
  GSource *source = g_source_new (&frida_source_funcs, sizeof (FridaSource));
  FridaSource *fs = (FridaSource *) source;

  fs->socket = g_object_ref (self);
  fs->condition = condition | G_IO_ERR | G_IO_HUP;
  g_mutex_lock (&self->mutex);
  note_caller (self);
  self->sources = g_slist_prepend (self->sources, fs);
  g_mutex_unlock (&self->mutex);
  if (self->udp)
    g_source_add_unix_fd (source, g_socket_get_fd (self->udp), fs->condition);
  if (cancellable)
    {
      g_autoptr(GSource) child = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (child);
      g_source_add_child_source (source, child);
    }
  return source;
}

static gboolean
refuse_flags (FridaSocket *self, gint flags, GError **error)
{
  if (flags == 0)
    return FALSE;
  g_atomic_int_inc (&self->flag_violations);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Flags not supported");
  return TRUE;
}

static void
wake_waiters (GCancellable *cancellable, gpointer data)
{
  FridaSocket *self = data;

  g_mutex_lock (&self->mutex);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

static gint
frida_receive (GDatagramBased *db, GInputMessage *messages, guint n, gint flags,
               gint64 timeout, GCancellable *cancellable, GError **error)
{
  FridaSocket *self = TEST_FRIDA_SOCKET (db);
  gint64 deadline = timeout > 0 ? g_get_monotonic_time () + timeout : timeout;
  gulong handler = 0;
  guint received = 0;
  gboolean failed = FALSE;

  if (refuse_flags (self, flags, error))
    return -1;
  if (self->udp)
    {
      g_mutex_lock (&self->mutex);
      note_caller (self);
      g_mutex_unlock (&self->mutex);
      return g_datagram_based_receive_messages (G_DATAGRAM_BASED (self->udp), messages, n, 0,
                                                timeout, cancellable, error);
    }
  if (cancellable && timeout != 0)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters), self, NULL);

  g_mutex_lock (&self->mutex);
  note_caller (self);
  while (received < n && !failed)
    {
      GBytes *datagram = g_queue_pop_head (&self->incoming);

      if (datagram)
        {
          gsize size, left;
          const guint8 *data = g_bytes_get_data (datagram, &size);
          GInputMessage *m = &messages[received++];

          m->bytes_received = 0;
          m->flags = 0;
          left = size;
          for (guint i = 0; i < m->num_vectors && left > 0; i++)
            {
              gsize k = MIN (left, m->vectors[i].size);

              memcpy (m->vectors[i].buffer, data + (size - left), k);
              left -= k;
              m->bytes_received += k;
            }
          g_bytes_unref (datagram);
          continue;
        }
      if (received > 0)
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        failed = TRUE;
      else if (timeout == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "Resource temporarily unavailable");
          failed = TRUE;
        }
      else if (timeout < 0)
        g_cond_wait (&self->cond, &self->mutex);
      else if (!g_cond_wait_until (&self->cond, &self->mutex, deadline) &&
               self->incoming.length == 0 && !g_cancellable_is_cancelled (cancellable))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timed out");
          failed = TRUE;
        }
    }
  g_mutex_unlock (&self->mutex);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return received > 0 ? (gint) received : -1;
}

static void
deliver (FridaSocket *to, GBytes *datagram)
{
  GSList *l;

  g_mutex_lock (&to->mutex);
  g_queue_push_tail (&to->incoming, datagram);
  g_cond_broadcast (&to->cond);
  for (l = to->sources; l; l = l->next)
    {
      FridaSource *fs = l->data;

      if (pending_io (to) & fs->condition)
        g_source_set_ready_time (&fs->source, 0);
    }
  g_mutex_unlock (&to->mutex);
}

static gint
frida_send (GDatagramBased *db, GOutputMessage *messages, guint n, gint flags,
            gint64 timeout, GCancellable *cancellable, GError **error)
{
  FridaSocket *self = TEST_FRIDA_SOCKET (db);

  if (refuse_flags (self, flags, error))
    return -1;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  for (guint i = 0; i < n; i++)
    {
      GByteArray *datagram = g_byte_array_new ();
      gboolean drop;

      for (guint v = 0; v < messages[i].num_vectors; v++)
        g_byte_array_append (datagram, messages[i].vectors[v].buffer, messages[i].vectors[v].size);
      messages[i].bytes_sent = datagram->len;

      g_mutex_lock (&self->mutex);
      note_caller (self);
      /* Only handshake datagrams (first record's content type 22) are
       * lost: DTLS retransmits those, not application data. */
      drop = FALSE;
      if (datagram->len > 0 && datagram->data[0] == 22)
        {
          drop = self->handshakes < 64 && (self->drop_mask & (G_GUINT64_CONSTANT (1) << self->handshakes));
          self->handshakes++;
        }
      if (drop)
        self->dropped++;
      g_mutex_unlock (&self->mutex);

      if (drop)
        g_byte_array_unref (datagram);
      else if (!self->udp)
        deliver (self->peer, g_byte_array_free_to_bytes (datagram));
      else
        {
          GOutputVector ov = { datagram->data, datagram->len };
          GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
          gint sent = g_datagram_based_send_messages (G_DATAGRAM_BASED (self->udp), &om, 1, 0,
                                                      timeout, cancellable, i > 0 ? NULL : error);

          g_byte_array_unref (datagram);
          if (sent < 0)
            return i > 0 ? (gint) i : -1;
        }
    }
  return n;
}

static GIOCondition
frida_condition_check (GDatagramBased *db, GIOCondition condition)
{
  g_error ("condition_check was called on Frida's base socket");
  return 0;
}

static gboolean
frida_condition_wait (GDatagramBased *db, GIOCondition condition, gint64 timeout,
                      GCancellable *cancellable, GError **error)
{
  g_error ("condition_wait was called on Frida's base socket");
  return FALSE;
}

static void
frida_socket_iface_init (GDatagramBasedInterface *iface)
{
  iface->receive_messages = frida_receive;
  iface->send_messages = frida_send;
  iface->create_source = frida_create_source;
  iface->condition_check = frida_condition_check;
  iface->condition_wait = frida_condition_wait;
}

/* ---- One peer of the link, as Frida's SctpConnection drives it ---------- */

#define MESSAGES 500
#define BURST 4
/* Messages a peer sends ahead of what the other has read (Frida's SCTP
 * has its own flow control): 32 fit any UDP receive buffer. */
#define WINDOW 32

typedef struct
{
  const gchar *name;
  guint8 tag;               /* marks the payloads this peer sends */
  FridaSocket *base;
  GDtlsConnection *conn;
  gchar *expected;          /* SHA-256 of the peer certificate's DER, hex */
  GCancellable *io_cancellable;
  GSource *source;
  gboolean handshaken;
  GError *handshake_error;
  gint accept_calls;
  guint sent, received;
  gboolean eof, closed;
} Peer;

typedef struct
{
  GMainContext *context;
  GThread *main_thread;
  Peer client, server;
} Link;

static Link *link_under_test; /* for the assertions on threads and contexts */

static void
assert_in_test_context (void)
{
  g_assert_true (g_thread_self () == link_under_test->main_thread);
  g_assert_true (g_main_context_is_owner (link_under_test->context));
  g_assert_true (g_main_context_get_thread_default () == link_under_test->context);
}

static gchar *
fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static GTlsCertificate *
load_certificate (const gchar *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autofree gchar *pem = NULL;
  GTlsCertificate *certificate;

  g_assert_true (g_file_get_contents (path, &pem, NULL, &error));
  g_assert_no_error (error);
  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  return certificate;
}

static gboolean
accept_pinned (GDtlsConnection *conn, GTlsCertificate *peer_cert, GTlsCertificateFlags errors, gpointer data)
{
  Peer *p = data;
  g_autofree gchar *seen = fingerprint (peer_cert);

  assert_in_test_context ();
  p->accept_calls++;
  return g_str_equal (seen, p->expected);
}

/* Message i of a peer: its number, the peer's tag, then a pattern; sizes
 * vary from 16 to 1115 bytes. */
static gsize
message_fill (guint8 *buf, guint8 tag, guint i)
{
  gsize size = 16 + (i * 131) % 1100;

  buf[0] = i >> 24;
  buf[1] = i >> 16;
  buf[2] = i >> 8;
  buf[3] = i;
  buf[4] = tag;
  for (gsize j = 5; j < size; j++)
    buf[j] = (guint8) (i + j * 7 + tag);
  return size;
}

/* Frida's on_transport_socket_readable: one non-blocking read per wake-up.
 * Frida removes its source when that read fails, and its link stops
 * receiving for good: here such a read fails the test. The end of the
 * stream (0 messages) ends the watch. */
static gboolean
on_readable (GDatagramBased *conn, GIOCondition condition, gpointer data)
{
  Peer *p = data;
  g_autoptr(GError) error = NULL;
  guint8 buf[65536], want[2048];
  GInputVector iv = { buf, sizeof buf };
  GInputMessage im = { NULL, &iv, 1, 0, 0, NULL, NULL };
  Peer *from = p == &link_under_test->client ? &link_under_test->server : &link_under_test->client;
  gsize size;
  gint n;

  assert_in_test_context ();
  /* Only a condition it watches wakes a source, and it is the one passed. */
  g_assert_cmphex (condition, ==, G_IO_IN);
  n = g_datagram_based_receive_messages (conn, &im, 1, 0, 0, p->io_cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >=, 0);
  if (n == 0)
    {
      p->eof = TRUE;
      g_clear_pointer (&p->source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  g_assert_cmpuint (p->received, <, MESSAGES);
  size = message_fill (want, from->tag, p->received);
  g_assert_cmpmem (buf, im.bytes_received, want, size);
  p->received++;
  return G_SOURCE_CONTINUE;
}

static void
watch (Peer *p)
{
  p->source = g_datagram_based_create_source (G_DATAGRAM_BASED (p->conn), G_IO_IN, p->io_cancellable);
  g_source_set_callback (p->source, G_SOURCE_FUNC (on_readable), p, NULL);
  g_source_attach (p->source, link_under_test->context);
}

/* Sends with timeout 0, as Frida's emit_transport_packet does; a few
 * messages per turn of the loop from each peer. */
static void
send_some (Peer *p, Peer *to)
{
  for (guint k = 0; k < BURST && p->sent < MESSAGES && p->sent - to->received < WINDOW; k++)
    {
      g_autoptr(GError) error = NULL;
      guint8 buf[2048];
      GOutputVector ov = { buf, message_fill (buf, p->tag, p->sent) };
      GOutputMessage om = { NULL, &ov, 1, 0, NULL, 0 };
      gint n = g_datagram_based_send_messages (G_DATAGRAM_BASED (p->conn), &om, 1, 0, 0,
                                               p->io_cancellable, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return;
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 1);
      g_assert_cmpuint (om.bytes_sent, ==, ov.size);
      p->sent++;
    }
}

static gboolean
pump (gpointer data)
{
  Link *l = data;

  assert_in_test_context ();
  send_some (&l->client, &l->server);
  send_some (&l->server, &l->client);
  return l->client.sent < MESSAGES || l->server.sent < MESSAGES;
}

static void
handshake_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Peer *p = data;

  assert_in_test_context ();
  g_dtls_connection_handshake_finish (G_DTLS_CONNECTION (source), result, &p->handshake_error);
  p->handshaken = TRUE;
}

static void
close_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Peer *p = data;
  g_autoptr(GError) error = NULL;

  assert_in_test_context ();
  g_assert_true (g_dtls_connection_close_finish (G_DTLS_CONNECTION (source), result, &error));
  g_assert_no_error (error);
  p->closed = TRUE;
}

static void
peer_init (Link *l, Peer *p, const gchar *name, const gchar *cert, const gchar *expected_peer)
{
  g_autoptr(GTlsCertificate) mine = load_certificate (cert);
  g_autoptr(GTlsCertificate) theirs = load_certificate (expected_peer);
  g_autoptr(GError) error = NULL;

  p->name = name;
  p->tag = name[0];
  p->base = g_object_new (TYPE_FRIDA_SOCKET, NULL);
  p->expected = fingerprint (theirs);
  p->io_cancellable = g_cancellable_new ();
  if (p == &l->client)
    {
      p->conn = G_DTLS_CONNECTION (g_dtls_client_connection_new (G_DATAGRAM_BASED (p->base), NULL, &error));
      g_assert_no_error (error);
      g_dtls_connection_set_certificate (p->conn, mine);
    }
  else
    {
      p->conn = G_DTLS_CONNECTION (g_dtls_server_connection_new (G_DATAGRAM_BASED (p->base), mine, &error));
      g_assert_no_error (error);
      g_object_set (p->conn, "authentication-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
    }
  g_dtls_connection_set_database (p->conn, NULL);
  g_signal_connect (p->conn, "accept-certificate", G_CALLBACK (accept_pinned), p);
}

/* client_pins and server_pins name the certificate each expects of its
 * peer; udp puts a connected UDP socket pair under the bases. */
static void
link_set_up (Link *l, const gchar *client_pins, const gchar *server_pins, gboolean udp)
{
  memset (l, 0, sizeof *l);
  link_under_test = l;
  l->main_thread = g_thread_self ();
  l->context = g_main_context_new ();
  g_main_context_push_thread_default (l->context);
  peer_init (l, &l->client, "client", "frida-client.pem", client_pins);
  peer_init (l, &l->server, "server", "frida-server.pem", server_pins);
  l->client.base->peer = l->server.base;
  l->server.base->peer = l->client.base;
  if (udp)
    test_udp_pair (&l->client.base->udp, &l->server.base->udp);
}

static void
peer_check_base (Peer *p)
{
  GHashTableIter it;
  const gchar *thread;

  /* The backend used no flags (no MSG_PEEK), and called the base only from
   * the application's thread or its own threads, never from a Go thread
   * (those bear the program's name). */
  g_assert_cmpint (p->base->flag_violations, ==, 0);
  g_hash_table_iter_init (&it, p->base->threads);
  while (g_hash_table_iter_next (&it, (gpointer *) &thread, NULL))
    if (!g_str_equal (thread, "main") && !g_str_has_prefix (thread, "dtlsgo-base-"))
      g_error ("%s's base socket was called from thread \"%s\"", p->name, thread);
}

static void
peer_clear (Link *l, Peer *p)
{
  g_cancellable_cancel (p->io_cancellable);
  if (p->source)
    g_source_destroy (p->source);
  g_clear_pointer (&p->source, g_source_unref);
  test_drain_until_sole_owner (l->context, p->conn);
  g_assert_finalize_object (p->conn);
  peer_check_base (p);
  g_clear_object (&p->io_cancellable);
  g_clear_error (&p->handshake_error);
  g_free (p->expected);
}

static void
link_tear_down (Link *l)
{
  peer_clear (l, &l->client);
  peer_clear (l, &l->server);
  g_assert_finalize_object (l->client.base);
  g_assert_finalize_object (l->server.base);
  while (g_main_context_iteration (l->context, FALSE))
    ;
  g_main_context_pop_thread_default (l->context);
  g_main_context_unref (l->context);
  link_under_test = NULL;
}

static void
iterate_until (Link *l, gboolean *a, gboolean *b)
{
  while (!*a || !*b)
    g_main_context_iteration (l->context, TRUE);
}

static void
handshake_both (Link *l)
{
  g_dtls_connection_handshake_async (l->server.conn, G_PRIORITY_DEFAULT, NULL, handshake_done, &l->server);
  g_dtls_connection_handshake_async (l->client.conn, G_PRIORITY_DEFAULT, NULL, handshake_done, &l->client);
  iterate_until (l, &l->client.handshaken, &l->server.handshaken);
}

static gboolean
all_received (Link *l)
{
  return l->client.received == MESSAGES && l->server.received == MESSAGES;
}

/* Hundreds of messages each way, read from the connections' sources, then
 * the client closes and the server sees the end of the stream there. */
static void
exchange_and_close (Link *l)
{
  g_autoptr(GSource) pumping = g_idle_source_new ();

  watch (&l->client);
  watch (&l->server);
  g_source_set_callback (pumping, pump, l, NULL);
  g_source_attach (pumping, l->context);
  while (!all_received (l))
    {
      /* A peer whose source went away stopped receiving for good. */
      g_assert_nonnull (l->client.source);
      g_assert_nonnull (l->server.source);
      g_main_context_iteration (l->context, TRUE);
    }
  g_assert_cmpuint (l->client.sent, ==, MESSAGES);
  g_assert_cmpuint (l->server.sent, ==, MESSAGES);

  /* Frida's close: its source first, then the connection. */
  g_source_destroy (l->client.source);
  g_clear_pointer (&l->client.source, g_source_unref);
  g_dtls_connection_close_async (l->client.conn, G_PRIORITY_DEFAULT, NULL, close_done, &l->client);
  iterate_until (l, &l->client.closed, &l->server.eof);
  g_assert_null (l->server.source);
  g_assert_cmpuint (l->server.received, ==, MESSAGES);
  g_dtls_connection_close_async (l->server.conn, G_PRIORITY_DEFAULT, NULL, close_done, &l->server);
  iterate_until (l, &l->server.closed, &l->server.closed);
}

static void
test_exchange (gconstpointer udp)
{
  Link l;

  link_set_up (&l, "frida-server.pem", "frida-client.pem", GPOINTER_TO_INT (udp));
  handshake_both (&l);
  g_assert_no_error (l.client.handshake_error);
  g_assert_no_error (l.server.handshake_error);
  g_assert_cmpint (l.client.accept_calls, ==, 1);
  g_assert_cmpint (l.server.accept_calls, ==, 1);
  exchange_and_close (&l);
  link_tear_down (&l);
}

/* Handshake datagrams are lost (the client's first and fourth, the
 * server's second): retransmission completes the handshake, and data
 * flows after. */
static void
test_lossy_handshake (void)
{
  Link l;

  link_set_up (&l, "frida-server.pem", "frida-client.pem", FALSE);
  l.client.base->drop_mask = 0x9;
  l.server.base->drop_mask = 0x2;
  handshake_both (&l);
  g_assert_no_error (l.client.handshake_error);
  g_assert_no_error (l.server.handshake_error);
  g_assert_cmpint (l.client.base->dropped, ==, 2);
  g_assert_cmpint (l.server.base->dropped, ==, 1);
  exchange_and_close (&l);
  link_tear_down (&l);
}

/* A peer that is not the one pinned fails the handshake on both sides, at
 * once (not by timing out): the rejecting side with BAD_CERTIFICATE, its
 * peer with MISC from the alert it was sent ... */
static void
test_wrong_fingerprint (gconstpointer data)
{
  gboolean server_rejects = GPOINTER_TO_INT (data);
  Link l;
  Peer *rejecting, *rejected;

  link_set_up (&l, server_rejects ? "frida-server.pem" : "frida-stranger.pem",
               server_rejects ? "frida-stranger.pem" : "frida-client.pem", FALSE);
  rejecting = server_rejects ? &l.server : &l.client;
  rejected = server_rejects ? &l.client : &l.server;
  handshake_both (&l);
  g_assert_error (rejecting->handshake_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_error (rejected->handshake_error, G_TLS_ERROR, G_TLS_ERROR_MISC);
  /* ... naming what the alert said. */
  g_assert_nonnull (strcasestr (rejected->handshake_error->message, "certificate"));
  g_assert_cmpint (rejecting->accept_calls, ==, 1);
  link_tear_down (&l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  main_thread = pthread_self ();

  g_test_add_data_func ("/frida/exchange", GINT_TO_POINTER (FALSE), test_exchange);
  g_test_add_data_func ("/frida/exchange-udp", GINT_TO_POINTER (TRUE), test_exchange);
  g_test_add_func ("/frida/lossy-handshake", test_lossy_handshake);
  g_test_add_data_func ("/frida/wrong-fingerprint/server-rejects", GINT_TO_POINTER (TRUE), test_wrong_fingerprint);
  g_test_add_data_func ("/frida/wrong-fingerprint/client-rejects", GINT_TO_POINTER (FALSE), test_wrong_fingerprint);
  return g_test_run ();
}
