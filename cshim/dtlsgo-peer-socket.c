/* DtlsGoPeerSocket: one client of a DtlsGoListener as a GDatagramBased. It
 * receives only that client's datagrams and sends through the listener's
 * socket. A connection over it reads and writes the Go peer directly; the
 * GDatagramBased methods below serve anyone else. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-peer-socket.h"

#include "dtlsgo-connection.h"
#include "dtlsgo-copies.h"

enum
{
  PROP_0,
  PROP_REMOTE_ADDRESS,
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

struct _DtlsGoPeerSocket
{
  GObject parent_instance;

  DtlsGoHandle peer;
};

static void dtls_go_peer_socket_datagram_based_init (GDatagramBasedInterface *iface);

/* This copy's own type; the public dtls_go_peer_socket_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_peer_socket_get_type dtls_go_peer_socket_get_type_here
static GType dtls_go_peer_socket_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoPeerSocket, dtls_go_peer_socket, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_DATAGRAM_BASED,
                                                      dtls_go_peer_socket_datagram_based_init))
#undef dtls_go_peer_socket_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_peer_socket)

/* The largest UDP payload: no datagram is cut for lack of room. */
#define MAX_DATAGRAM 65535

/* Readiness is polled this often (ms) by condition_wait and sources: a
 * peer socket has no descriptor to poll, and a connection over it never
 * asks. */
#define POLL_INTERVAL_MS 10

DtlsGoPeerSocket *
dtlsgo_peer_socket_new (DtlsGoHandle peer)
{
  DtlsGoPeerSocket *self = g_object_new (DTLS_GO_TYPE_PEER_SOCKET, NULL);

  self->peer = peer;
  return self;
}

DtlsGoHandle
dtlsgo_shim_peer_socket_handle (GDatagramBased *base)
{
  return DTLS_GO_IS_PEER_SOCKET (base) ? DTLS_GO_PEER_SOCKET (base)->peer : 0;
}

static void
dtls_go_peer_socket_init (DtlsGoPeerSocket *self)
{
}

static void
dtls_go_peer_socket_finalize (GObject *object)
{
  DtlsGoPeerSocket *self = DTLS_GO_PEER_SOCKET (object);

  if (self->peer != 0)
    dtlsgo_core_peer_free (self->peer);

  G_OBJECT_CLASS (dtls_go_peer_socket_parent_class)->finalize (object);
}

static void
dtls_go_peer_socket_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  DtlsGoPeerSocket *self = DTLS_GO_PEER_SOCKET (object);

  switch (prop_id)
    {
    case PROP_REMOTE_ADDRESS:
      g_value_take_object (value, dtls_go_peer_socket_get_remote_address (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gint
dtls_go_peer_socket_receive_messages (GDatagramBased  *datagram_based,
                                      GInputMessage   *messages,
                                      guint            num_messages,
                                      gint             flags,
                                      gint64           timeout,
                                      GCancellable    *cancellable,
                                      GError         **error)
{
  DtlsGoPeerSocket *self = DTLS_GO_PEER_SOCKET (datagram_based);
  g_autofree guint8 *buf = NULL;
  guint i;

  if (flags != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "A peer socket takes no receive flags");
      return -1;
    }
  buf = g_malloc (MAX_DATAGRAM);
  /* The first message waits as timeout says; the rest are what is queued. */
  for (i = 0; i < num_messages; i++)
    {
      GInputMessage *m = &messages[i];
      g_autoptr(GError) local = NULL;
      gssize n = dtlsgo_core_peer_receive (self->peer, buf, MAX_DATAGRAM, i == 0 ? timeout : 0,
                                           cancellable, &local);
      gsize at = 0;
      guint v;

      if (n < 0)
        {
          if (i > 0)
            break;
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      for (v = 0; v < m->num_vectors && at < (gsize) n; v++)
        {
          gsize take = MIN (m->vectors[v].size, (gsize) n - at);

          memcpy (m->vectors[v].buffer, buf + at, take);
          at += take;
        }
      m->bytes_received = at;
      m->flags = 0;
      if (m->address != NULL)
        *m->address = dtls_go_peer_socket_get_remote_address (self);
      if (m->control_messages != NULL)
        {
          *m->control_messages = NULL;
          *m->num_control_messages = 0;
        }
    }
  return i;
}

static gint
dtls_go_peer_socket_send_messages (GDatagramBased  *datagram_based,
                                   GOutputMessage  *messages,
                                   guint            num_messages,
                                   gint             flags,
                                   gint64           timeout,
                                   GCancellable    *cancellable,
                                   GError         **error)
{
  DtlsGoPeerSocket *self = DTLS_GO_PEER_SOCKET (datagram_based);
  guint i;

  if (flags != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "A peer socket takes no send flags");
      return -1;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  for (i = 0; i < num_messages; i++)
    {
      GOutputMessage *m = &messages[i];
      g_autoptr(GByteArray) d = g_byte_array_new ();
      g_autoptr(GError) local = NULL;
      guint v;

      for (v = 0; v < m->num_vectors; v++)
        g_byte_array_append (d, m->vectors[v].buffer, m->vectors[v].size);
      if (!dtlsgo_core_peer_send (self->peer, d->data, d->len, &local))
        {
          if (i > 0)
            break;
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      m->bytes_sent = d->len;
    }
  return i;
}

static GIOCondition
dtls_go_peer_socket_condition_check (GDatagramBased *datagram_based,
                                     GIOCondition    condition)
{
  DtlsGoPeerSocket *self = DTLS_GO_PEER_SOCKET (datagram_based);
  GIOCondition ready = G_IO_OUT;

  if (dtlsgo_core_peer_readable (self->peer))
    ready |= G_IO_IN;
  return ready & condition;
}

static gboolean
dtls_go_peer_socket_condition_wait (GDatagramBased  *datagram_based,
                                    GIOCondition     condition,
                                    gint64           timeout,
                                    GCancellable    *cancellable,
                                    GError         **error)
{
  gint64 deadline = timeout > 0 ? g_get_monotonic_time () + timeout : -1;

  while (dtls_go_peer_socket_condition_check (datagram_based, condition) == 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (timeout == 0 || (deadline >= 0 && g_get_monotonic_time () >= deadline))
        {
          g_set_error_literal (error, G_IO_ERROR, timeout == 0 ? G_IO_ERROR_WOULD_BLOCK : G_IO_ERROR_TIMED_OUT,
                               timeout == 0 ? "Operation would block" : "Socket I/O timed out");
          return FALSE;
        }
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  return TRUE;
}

typedef struct
{
  GSource source;
  DtlsGoPeerSocket *socket;
  GIOCondition condition;
} PeerSource;

static gboolean
peer_source_prepare (GSource *source, gint *timeout)
{
  PeerSource *s = (PeerSource *) source;

  if (dtls_go_peer_socket_condition_check (G_DATAGRAM_BASED (s->socket), s->condition) != 0)
    return TRUE;
  *timeout = POLL_INTERVAL_MS;
  return FALSE;
}

static gboolean
peer_source_check (GSource *source)
{
  PeerSource *s = (PeerSource *) source;

  return dtls_go_peer_socket_condition_check (G_DATAGRAM_BASED (s->socket), s->condition) != 0;
}

static gboolean
peer_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  PeerSource *s = (PeerSource *) source;
  GDatagramBasedSourceFunc func = (GDatagramBasedSourceFunc) callback;

  if (func == NULL)
    return G_SOURCE_REMOVE;
  return func (G_DATAGRAM_BASED (s->socket),
               dtls_go_peer_socket_condition_check (G_DATAGRAM_BASED (s->socket), s->condition),
               user_data);
}

static void
peer_source_finalize (GSource *source)
{
  g_clear_object (&((PeerSource *) source)->socket);
}

static GSourceFuncs peer_source_funcs = {
  peer_source_prepare,
  peer_source_check,
  peer_source_dispatch,
  peer_source_finalize,
  (GSourceFunc) dtlsgo_datagram_source_closure_callback,
  NULL,
};

static GSource *
dtls_go_peer_socket_create_source (GDatagramBased *datagram_based,
                                   GIOCondition    condition,
                                   GCancellable   *cancellable)
{
  GSource *source = g_source_new (&peer_source_funcs, sizeof (PeerSource));
  PeerSource *s = (PeerSource *) source;

  g_source_set_static_name (source, "DtlsGoPeerSocket");
  s->socket = g_object_ref (DTLS_GO_PEER_SOCKET (datagram_based));
  s->condition = condition;
  if (cancellable != NULL)
    {
      GSource *cancel = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel);
      g_source_add_child_source (source, cancel);
      g_source_unref (cancel);
    }
  return source;
}

static void
dtls_go_peer_socket_datagram_based_init (GDatagramBasedInterface *iface)
{
  iface->receive_messages = dtls_go_peer_socket_receive_messages;
  iface->send_messages = dtls_go_peer_socket_send_messages;
  iface->create_source = dtls_go_peer_socket_create_source;
  iface->condition_check = dtls_go_peer_socket_condition_check;
  iface->condition_wait = dtls_go_peer_socket_condition_wait;
}

static void
dtls_go_peer_socket_class_init (DtlsGoPeerSocketClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = dtls_go_peer_socket_finalize;
  gobject_class->get_property = dtls_go_peer_socket_get_property;

  /**
   * DtlsGoPeerSocket:remote-address:
   *
   * The client's address: where its datagrams come from and where the
   * peer socket sends. With connection IDs it follows a client whose
   * address changed (once its connection authenticated a record from
   * there).
   */
  obj_props[PROP_REMOTE_ADDRESS] =
    g_param_spec_object ("remote-address", NULL, NULL, G_TYPE_SOCKET_ADDRESS,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPS, obj_props);
}

/**
 * dtls_go_peer_socket_get_remote_address:
 * @self: a #DtlsGoPeerSocket
 *
 * Gets the address of the client this socket carries, now.
 *
 * Returns: (transfer full): the client's address
 *   (#DtlsGoPeerSocket:remote-address)
 */
GSocketAddress *
dtls_go_peer_socket_get_remote_address (DtlsGoPeerSocket *self)
{
  DTLSGO_FORWARD (dtls_go_peer_socket_get_remote_address, (self));
  g_autofree gchar *ip = NULL;
  guint16 port = 0;

  g_return_val_if_fail (DTLS_GO_IS_PEER_SOCKET (self), NULL);

  ip = dtlsgo_core_peer_address (self->peer, &port);
  return g_inet_socket_address_new_from_string (ip, port);
}
