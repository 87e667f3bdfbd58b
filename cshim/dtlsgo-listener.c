/* DtlsGoListener: one UDP socket, many DTLS clients. The Go listener
 * (internal/listener) runs the stateless cookie exchange and routes
 * datagrams; this type hands each verified client to the application as a
 * DtlsGoServerConnection over a DtlsGoPeerSocket, set up from the
 * listener's properties. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-listener.h"
#include "dtlsgo-copies.h"

#include "dtlsgo-core.h"
#include "dtlsgo-peer-socket.h"
#include "dtlsgo-server-connection.h"

enum
{
  PROP_0,
  PROP_SOCKET,
  PROP_CERTIFICATE,
  PROP_DATABASE,
  PROP_AUTHENTICATION_MODE,
  PROP_INTERACTION,
  PROP_ADVERTISED_PROTOCOLS,
  PROP_MAX_PENDING,
  PROP_MAX_CONNECTIONS,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_SRTP_PROFILES,
  PROP_CONNECTION_ID_LENGTH,
  PROP_MTU,
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

enum
{
  PSK_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The Go listener's defaults (internal/listener), shown as the
 * properties' defaults. */
#define DEFAULT_MAX_PENDING 128
#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 30000

struct _DtlsGoListener
{
  GObject parent_instance;

  GSocket *socket;
  DtlsGoHandle core;

  GMutex lock; /* guards the settings below, read by accept on any thread */
  GTlsCertificate *certificate;
  GTlsDatabase *database;
  gboolean database_set;
  GTlsAuthenticationMode authentication_mode;
  GTlsInteraction *interaction;
  gchar **advertised_protocols;
  guint max_pending;
  guint max_connections;
  guint handshake_timeout;
  gchar **srtp_profiles;
  gint connection_id_length;
  guint mtu; /* 0: the connection's default */
};

static void dtls_go_listener_initable_init (GInitableIface *iface);

/* This copy's own type; the public dtls_go_listener_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_listener_get_type dtls_go_listener_get_type_here
static GType dtls_go_listener_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoListener, dtls_go_listener, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, dtls_go_listener_initable_init))
#undef dtls_go_listener_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_listener)

static void
dtls_go_listener_init (DtlsGoListener *self)
{
  g_mutex_init (&self->lock);
  self->authentication_mode = G_TLS_AUTHENTICATION_NONE;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT_MS;
}

static void
apply_limits (DtlsGoListener *self)
{
  if (self->core == 0)
    return;
  g_mutex_lock (&self->lock);
  dtlsgo_core_listener_set_limits (self->core, self->max_pending, self->max_connections,
                                   self->handshake_timeout, self->connection_id_length);
  g_mutex_unlock (&self->lock);
}

static gboolean
dtls_go_listener_initable_init_impl (GInitable     *initable,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  DtlsGoListener *self = DTLS_GO_LISTENER (initable);

  if (self->core != 0)
    return TRUE;
  if (self->socket == NULL || g_socket_get_socket_type (self->socket) != G_SOCKET_TYPE_DATAGRAM)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A listener needs a bound, unconnected UDP socket");
      return FALSE;
    }
  self->core = dtlsgo_core_listener_new (g_socket_get_fd (self->socket), error);
  if (self->core == 0)
    return FALSE;
  apply_limits (self);
  return TRUE;
}

static void
dtls_go_listener_initable_init (GInitableIface *iface)
{
  iface->init = dtls_go_listener_initable_init_impl;
}

static void
dtls_go_listener_finalize (GObject *object)
{
  DtlsGoListener *self = DTLS_GO_LISTENER (object);

  if (self->core != 0)
    {
      dtlsgo_core_listener_close (self->core);
      dtlsgo_core_handle_free (self->core);
    }
  g_clear_object (&self->socket);
  g_clear_object (&self->certificate);
  g_clear_object (&self->database);
  g_clear_object (&self->interaction);
  g_strfreev (self->advertised_protocols);
  g_strfreev (self->srtp_profiles);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dtls_go_listener_parent_class)->finalize (object);
}

static void
dtls_go_listener_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DtlsGoListener *self = DTLS_GO_LISTENER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_SOCKET:
      g_value_set_object (value, self->socket);
      break;
    case PROP_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_AUTHENTICATION_MODE:
      g_value_set_enum (value, self->authentication_mode);
      break;
    case PROP_INTERACTION:
      g_value_set_object (value, self->interaction);
      break;
    case PROP_ADVERTISED_PROTOCOLS:
      g_value_set_boxed (value, self->advertised_protocols);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_SRTP_PROFILES:
      g_value_set_boxed (value, self->srtp_profiles);
      break;
    case PROP_CONNECTION_ID_LENGTH:
      g_value_set_int (value, self->connection_id_length);
      break;
    case PROP_MTU:
      g_value_set_uint (value, self->mtu);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
dtls_go_listener_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DtlsGoListener *self = DTLS_GO_LISTENER (object);
  gboolean limits = FALSE;

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_SOCKET:
      self->socket = g_value_dup_object (value);
      break;
    case PROP_CERTIFICATE:
      g_set_object (&self->certificate, g_value_get_object (value));
      break;
    case PROP_DATABASE:
      g_set_object (&self->database, g_value_get_object (value));
      self->database_set = TRUE;
      break;
    case PROP_AUTHENTICATION_MODE:
      self->authentication_mode = g_value_get_enum (value);
      break;
    case PROP_INTERACTION:
      g_set_object (&self->interaction, g_value_get_object (value));
      break;
    case PROP_ADVERTISED_PROTOCOLS:
      g_strfreev (self->advertised_protocols);
      self->advertised_protocols = g_value_dup_boxed (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      limits = TRUE;
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      limits = TRUE;
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      self->handshake_timeout = g_value_get_uint (value);
      limits = TRUE;
      break;
    case PROP_SRTP_PROFILES:
      g_strfreev (self->srtp_profiles);
      self->srtp_profiles = g_value_dup_boxed (value);
      break;
    case PROP_CONNECTION_ID_LENGTH:
      self->connection_id_length = g_value_get_int (value);
      limits = TRUE;
      break;
    case PROP_MTU:
      self->mtu = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
  if (limits)
    apply_limits (self);
}

/* A connection's psk-requested, asked of the listener (a weak pointer:
 * the connection may outlive it). */
static GBytes *
forward_psk_requested (DtlsGoServerConnection *conn,
                       const gchar            *identity,
                       GWeakRef               *listener_ref)
{
  g_autoptr(DtlsGoListener) listener = g_weak_ref_get (listener_ref);
  GBytes *key = NULL;

  if (listener != NULL)
    g_signal_emit (listener, signals[PSK_REQUESTED], 0, conn, identity, &key);
  return key;
}

static void
free_weak_ref (gpointer data, GClosure *closure)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
dtls_go_listener_class_init (DtlsGoListenerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = dtls_go_listener_finalize;
  gobject_class->get_property = dtls_go_listener_get_property;
  gobject_class->set_property = dtls_go_listener_set_property;

  /**
   * DtlsGoListener:socket:
   *
   * The bound, unconnected UDP socket the listener serves (IPv4 or IPv6).
   * The listener reads it from its own thread and never closes it; do not
   * read it elsewhere. It raises the socket's receive buffer to 4 MiB
   * (within net.core.rmem_max): all clients' datagrams wait there.
   */
  obj_props[PROP_SOCKET] =
    g_param_spec_object ("socket", NULL, NULL, G_TYPE_SOCKET,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:certificate:
   *
   * The #GTlsConnection:certificate of every connection accepted from now on.
   */
  obj_props[PROP_CERTIFICATE] =
    g_param_spec_object ("certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:database:
   *
   * The #GTlsConnection:database of every connection accepted from now on;
   * while never set, connections keep their default (the system's).
   */
  obj_props[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL, G_TYPE_TLS_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:authentication-mode:
   *
   * The #GDtlsServerConnection:authentication-mode of every connection
   * accepted from now on.
   */
  obj_props[PROP_AUTHENTICATION_MODE] =
    g_param_spec_enum ("authentication-mode", NULL, NULL, G_TYPE_TLS_AUTHENTICATION_MODE,
                       G_TLS_AUTHENTICATION_NONE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:interaction:
   *
   * The #GTlsConnection:interaction of every connection accepted from now on.
   */
  obj_props[PROP_INTERACTION] =
    g_param_spec_object ("interaction", NULL, NULL, G_TYPE_TLS_INTERACTION,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:advertised-protocols:
   *
   * The ALPN protocols (#GDtlsConnection:advertised-protocols) of every
   * connection accepted from now on, in order of preference.
   */
  obj_props[PROP_ADVERTISED_PROTOCOLS] =
    g_param_spec_boxed ("advertised-protocols", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:max-pending:
   *
   * How many clients may have returned a valid cookie without completing
   * their handshake (waiting for accept, or handshaking) at once; a client
   * beyond it gets no state (a debug line says so), and its retransmitted
   * hello is served once there is room. 0: the default.
   */
  obj_props[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", NULL, NULL, 0, G_MAXINT, DEFAULT_MAX_PENDING,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:max-connections:
   *
   * How many clients the listener serves at once (pending or established,
   * until their connection is closed). 0: the default.
   */
  obj_props[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 0, G_MAXINT, DEFAULT_MAX_CONNECTIONS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:handshake-timeout:
   *
   * How long (ms) a client may take from its verified hello to the end of
   * its handshake, accept included; then the listener forgets it and its
   * connection's handshake fails. 0: the default.
   */
  obj_props[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 0, G_MAXINT, DEFAULT_HANDSHAKE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:srtp-profiles:
   *
   * The #DtlsGoConnection:srtp-profiles every accepted connection accepts,
   * in order of preference; %NULL: no DTLS-SRTP.
   */
  obj_props[PROP_SRTP_PROFILES] =
    g_param_spec_boxed ("srtp-profiles", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:connection-id-length:
   *
   * The #DtlsGoConnection:connection-id-length of every accepted
   * connection. With IDs (1-255), the listener gives each client its own
   * and routes the client's records by it, so a client whose address
   * changes (a NAT rebinding) keeps its connection (RFC 9146). Set it
   * before clients arrive.
   */
  obj_props[PROP_CONNECTION_ID_LENGTH] =
    g_param_spec_int ("connection-id-length", NULL, NULL, -1, 255, 0,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * DtlsGoListener:mtu:
   *
   * The #DtlsGoConnection:mtu of every accepted connection; 0 leaves the
   * connection's default.
   */
  obj_props[PROP_MTU] =
    g_param_spec_uint ("mtu", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPS, obj_props);

  /**
   * DtlsGoListener::psk-requested:
   * @listener: the #DtlsGoListener
   * @connection: the accepted #DtlsGoServerConnection asking
   * @identity: the PSK identity the client sent
   *
   * Emitted for every accepted connection's
   * #DtlsGoServerConnection::psk-requested, in that connection's handshake
   * context, when a handler was connected here by the time the connection
   * was accepted (which lets it accept PSK suites).
   *
   * Returns: (transfer full) (nullable): the key, or %NULL for an identity
   *   the handler does not know
   */
  signals[PSK_REQUESTED] =
    g_signal_new ("psk-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  dtlsgo_psk_accumulator, NULL, NULL, G_TYPE_BYTES, 2,
                  DTLS_GO_TYPE_SERVER_CONNECTION, G_TYPE_STRING);
}

/**
 * dtls_go_listener_new:
 * @socket: a bound, unconnected UDP #GSocket (IPv4 or IPv6); the listener
 *   reads it from now on and never closes it
 * @certificate: (nullable): the certificate (with its private key) of
 *   every accepted connection; %NULL for pre-shared keys only
 * @error: return location for a #GError
 *
 * Creates a listener serving DTLS clients on @socket. A client's first
 * ClientHello gets a HelloVerifyRequest (RFC 6347 4.2.1) and costs nothing;
 * a client that returns the cookie is offered to dtls_go_listener_accept().
 *
 * Returns: (transfer full): the listener, or %NULL on error
 */
DtlsGoListener *
dtls_go_listener_new (GSocket          *socket,
                      GTlsCertificate  *certificate,
                      GError          **error)
{
  DTLSGO_FORWARD (dtls_go_listener_new, (socket, certificate, error));
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (DTLS_GO_TYPE_LISTENER, NULL, error,
                         "socket", socket,
                         "certificate", certificate,
                         NULL);
}

/**
 * dtls_go_listener_new_for_address:
 * @address: the address to bind a new UDP socket to (port 0: any free
 *   port, see #DtlsGoListener:socket for which)
 * @certificate: (nullable): as for dtls_go_listener_new()
 * @error: return location for a #GError
 *
 * Creates a listener on a UDP socket of its own, bound to @address.
 *
 * Returns: (transfer full): the listener, or %NULL on error
 */
DtlsGoListener *
dtls_go_listener_new_for_address (GSocketAddress   *address,
                                  GTlsCertificate  *certificate,
                                  GError          **error)
{
  DTLSGO_FORWARD (dtls_go_listener_new_for_address, (address, certificate, error));
  g_autoptr(GSocket) socket = NULL;

  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), NULL);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return NULL;
  return dtls_go_listener_new (socket, certificate, error);
}

/**
 * dtls_go_listener_get_socket:
 * @self: a #DtlsGoListener
 *
 * Gets the socket the listener serves, e.g. to learn the port it was bound
 * to.
 *
 * Returns: (transfer none): the listener's socket (#DtlsGoListener:socket)
 */
GSocket *
dtls_go_listener_get_socket (DtlsGoListener *self)
{
  DTLSGO_FORWARD (dtls_go_listener_get_socket, (self));
  g_return_val_if_fail (DTLS_GO_IS_LISTENER (self), NULL);

  return self->socket;
}

/**
 * dtls_go_listener_accept:
 * @self: a #DtlsGoListener
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Waits for the next client that returned a valid cookie and returns its
 * connection before the handshake, set up from the listener's properties:
 * connect #GDtlsConnection::accept-certificate, set what else it needs and
 * handshake as with any #GDtlsServerConnection (the first handshake step
 * is the verified ClientHello, so the client waits no extra round trip).
 * Its #GDtlsConnection:base-socket is a #DtlsGoPeerSocket carrying only
 * that client's datagrams. %G_IO_ERROR_CLOSED once
 * dtls_go_listener_close() was called.
 *
 * Returns: (transfer full): the connection, or %NULL on error
 */
DtlsGoServerConnection *
dtls_go_listener_accept (DtlsGoListener  *self,
                         GCancellable    *cancellable,
                         GError         **error)
{
  DTLSGO_FORWARD (dtls_go_listener_accept, (self, cancellable, error));
  g_autoptr(DtlsGoPeerSocket) peer = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GTlsInteraction) interaction = NULL;
  g_auto(GStrv) protocols = NULL;
  g_auto(GStrv) srtp_profiles = NULL;
  GTlsAuthenticationMode mode;
  gboolean database_set;
  guint timeout, mtu;
  gint cid_length;
  DtlsGoHandle handle;
  DtlsGoServerConnection *conn;

  g_return_val_if_fail (DTLS_GO_IS_LISTENER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  handle = dtlsgo_core_listener_accept (self->core, cancellable, error);
  if (handle == 0)
    return NULL;
  peer = dtlsgo_peer_socket_new (handle);

  g_mutex_lock (&self->lock);
  certificate = self->certificate ? g_object_ref (self->certificate) : NULL;
  database = self->database ? g_object_ref (self->database) : NULL;
  database_set = self->database_set;
  interaction = self->interaction ? g_object_ref (self->interaction) : NULL;
  protocols = g_strdupv (self->advertised_protocols);
  mode = self->authentication_mode;
  srtp_profiles = g_strdupv (self->srtp_profiles);
  timeout = self->handshake_timeout;
  cid_length = self->connection_id_length;
  mtu = self->mtu;
  g_mutex_unlock (&self->lock);

  conn = g_initable_new (DTLS_GO_TYPE_SERVER_CONNECTION, NULL, error,
                         "base-socket", peer,
                         "certificate", certificate,
                         "authentication-mode", mode,
                         "interaction", interaction,
                         "advertised-protocols", protocols,
                         "srtp-profiles", srtp_profiles,
                         "handshake-timeout", timeout,
                         "connection-id-length", cid_length,
                         NULL);
  if (conn == NULL)
    return NULL;
  if (database_set)
    g_tls_connection_set_database (G_TLS_CONNECTION (conn), database);
  if (mtu != 0)
    g_object_set (conn, "mtu", mtu, NULL);
  if (g_signal_has_handler_pending (self, signals[PSK_REQUESTED], 0, FALSE))
    {
      GWeakRef *ref = g_new0 (GWeakRef, 1);

      g_weak_ref_init (ref, self);
      g_signal_connect_data (conn, "psk-requested", G_CALLBACK (forward_psk_requested), ref,
                             free_weak_ref, 0);
    }
  return conn;
}

static void
accept_in_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  DtlsGoServerConnection *conn = dtls_go_listener_accept (source, cancellable, &error);

  if (conn != NULL)
    g_task_return_pointer (task, conn, g_object_unref);
  else
    g_task_return_error (task, error);
}

/**
 * dtls_go_listener_accept_async:
 * @self: a #DtlsGoListener
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller once a client was accepted (or on error)
 * @user_data: data for @callback
 *
 * Accepts the next client without blocking; see dtls_go_listener_accept().
 * The wait occupies one thread of GLib's pool until it ends.
 */
void
dtls_go_listener_accept_async (DtlsGoListener      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  DTLSGO_FORWARD_VOID (dtls_go_listener_accept_async, (self, cancellable, callback, user_data));
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DTLS_GO_IS_LISTENER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dtls_go_listener_accept_async);
  g_task_run_in_thread (task, accept_in_thread);
}

/**
 * dtls_go_listener_accept_finish:
 * @self: a #DtlsGoListener
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes dtls_go_listener_accept_async().
 *
 * Returns: (transfer full): the connection, as dtls_go_listener_accept()
 *   returns it, or %NULL on error
 */
DtlsGoServerConnection *
dtls_go_listener_accept_finish (DtlsGoListener  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  DTLSGO_FORWARD (dtls_go_listener_accept_finish, (self, result, error));
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * dtls_go_listener_close:
 * @self: a #DtlsGoListener
 *
 * Stops accepting: new clients get no answer, clients not yet accepted are
 * forgotten, and accept fails with %G_IO_ERROR_CLOSED. Connections already
 * accepted live on until they are closed. The socket stays open.
 */
void
dtls_go_listener_close (DtlsGoListener *self)
{
  DTLSGO_FORWARD_VOID (dtls_go_listener_close, (self));
  g_return_if_fail (DTLS_GO_IS_LISTENER (self));

  dtlsgo_core_listener_close (self->core);
}

/**
 * dtls_go_listener_get_peer_count:
 * @self: a #DtlsGoListener
 * @pending: (out) (optional): how many of them have not completed their
 *   handshake
 *
 * Counts the clients the listener keeps state for: those accepted or
 * waiting to be, until their connection is closed.
 *
 * Returns: how many clients hold state at the listener (for tests and
 *   monitoring)
 */
guint
dtls_go_listener_get_peer_count (DtlsGoListener *self,
                                 guint          *pending)
{
  DTLSGO_FORWARD (dtls_go_listener_get_peer_count, (self, pending));
  guint p = 0, n;

  g_return_val_if_fail (DTLS_GO_IS_LISTENER (self), 0);

  n = dtlsgo_core_listener_peer_count (self->core, &p);
  if (pending != NULL)
    *pending = p;
  return n;
}
