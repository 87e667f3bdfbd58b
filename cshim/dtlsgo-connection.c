/* DtlsGoConnection: the connection base shared by client and server, in the
 * role of glib-networking's GTlsConnectionBase. It owns everything
 * GLib-shaped (properties, signals, the datagram contract, handshake ops and
 * their main contexts, peer verification through the database and
 * accept-certificate) and delegates the protocol to the Go core. This file
 * holds the object, its properties and its vtables, entered from GLib
 * threads; the other parts are named in dtlsgo-connection-private.h. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection-private.h"

#include "dtlsgo-certificate.h"
#include "dtlsgo-connection-stream.h"
#include "dtlsgo-copies.h"

enum
{
  PROP_0,
  PROP_BASE_IO_STREAM,
  PROP_BASE_SOCKET,
  PROP_REQUIRE_CLOSE_NOTIFY,
  PROP_REHANDSHAKE_MODE,
  PROP_USE_SYSTEM_CERTDB,
  PROP_DATABASE,
  PROP_INTERACTION,
  PROP_CERTIFICATE,
  PROP_PEER_CERTIFICATE,
  PROP_PEER_CERTIFICATE_ERRORS,
  PROP_ADVERTISED_PROTOCOLS,
  PROP_NEGOTIATED_PROTOCOL,
  PROP_PROTOCOL_VERSION,
  PROP_CIPHERSUITE_NAME,
  /* The DtlsGo namespace's own (cshim/dtlsgo.h) */
  PROP_SRTP_PROFILES,
  PROP_SRTP_PROFILE,
  PROP_CONNECTION_ID_LENGTH,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_RETRANSMISSION_INTERVAL,
  PROP_MTU,
  PROP_SESSION_RESUMED,
  PROP_KEY_EXCHANGE_GROUP,
  PROP_ECH_ACCEPTED,
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

#define DEFAULT_RETRANSMISSION_INTERVAL_MS 1000
#define DEFAULT_MTU 1200
static void dtls_go_connection_initable_iface_init (GInitableIface *iface);
static void dtls_go_connection_datagram_based_iface_init (GDatagramBasedInterface *iface);
static void dtls_go_connection_dtls_connection_iface_init (GDtlsConnectionInterface *iface);

/* This copy's own type; the public dtls_go_connection_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_connection_get_type dtls_go_connection_get_type_here
static GType dtls_go_connection_get_type_here (void);
G_DEFINE_ABSTRACT_TYPE_WITH_CODE (DtlsGoConnection, dtls_go_connection, G_TYPE_TLS_CONNECTION,
                                  G_ADD_PRIVATE (DtlsGoConnection)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                         dtls_go_connection_initable_iface_init)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_DATAGRAM_BASED,
                                                         dtls_go_connection_datagram_based_iface_init)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_DTLS_CONNECTION,
                                                         dtls_go_connection_dtls_connection_iface_init))
#undef dtls_go_connection_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_connection)

DtlsGoConnectionPrivate *
dtlsgo_connection_get_private (DtlsGoConnection *self)
{
  return dtls_go_connection_get_instance_private (self);
}

static void
dtls_go_connection_init (DtlsGoConnection *self)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);

  g_mutex_init (&priv->lock);
  priv->require_close_notify = TRUE;
  priv->rehandshake_mode = G_TLS_REHANDSHAKE_SAFELY;
  priv->wakeups = g_array_new (FALSE, FALSE, sizeof (int));
  priv->retransmission_interval = DEFAULT_RETRANSMISSION_INTERVAL_MS;
  priv->mtu = DEFAULT_MTU;
}

DtlsGoHandle
dtlsgo_connection_get_core (DtlsGoConnection *self)
{
  return PRIV (self)->core;
}

GIOStream *
dtlsgo_connection_get_base_io_stream (DtlsGoConnection *self)
{
  return PRIV (self)->base_io_stream;
}

/* ---- GInitable ----------------------------------------------------------- */

static gboolean
dtls_go_connection_initable_init (GInitable     *initable,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (initable);
  DtlsGoConnectionPrivate *priv = PRIV (self);

  if (priv->base_io_stream != NULL)
    priv->core = dtlsgo_connection_stream_init (self, priv->base_io_stream,
                                                DTLS_GO_CONNECTION_GET_CLASS (self)->is_client, error);
  else if (priv->base_socket == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A TLS connection needs a base-io-stream, a DTLS one a base-socket");
      return FALSE;
    }
  else
    priv->core = dtlsgo_core_connection_new (self, priv->base_socket,
                                             DTLS_GO_CONNECTION_GET_CLASS (self)->is_client, error);
  if (priv->core == 0)
    return FALSE;
  dtlsgo_core_connection_set_require_close_notify (priv->core, priv->require_close_notify);
  return TRUE;
}

static void
dtls_go_connection_initable_iface_init (GInitableIface *iface)
{
  iface->init = dtls_go_connection_initable_init;
}

/* ---- Properties ---------------------------------------------------------- */

/* The database reads as the backend's default until set; set to NULL it
 * means "no trust store". Returns a new reference or NULL. */
GTlsDatabase *
dtlsgo_connection_dup_database (DtlsGoConnection *self)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);
  GTlsDatabase *database;

  g_mutex_lock (&priv->lock);
  if (priv->database_is_set)
    database = priv->database ? g_object_ref (priv->database) : NULL;
  else
    database = NULL;
  g_mutex_unlock (&priv->lock);
  if (!priv->database_is_set)
    database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  return database;
}

static void
set_database (DtlsGoConnection *self, GTlsDatabase *database, gboolean is_set)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);

  g_mutex_lock (&priv->lock);
  g_set_object (&priv->database, database);
  priv->database_is_set = is_set;
  g_mutex_unlock (&priv->lock);
}

static void
dtls_go_connection_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (object);
  DtlsGoConnectionPrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_BASE_IO_STREAM:
      g_value_set_object (value, priv->base_io_stream);
      return;
    case PROP_BASE_SOCKET:
      g_value_set_object (value, priv->base_socket);
      return;
    case PROP_DATABASE:
      g_value_take_object (value, dtlsgo_connection_dup_database (self));
      return;
    case PROP_USE_SYSTEM_CERTDB:
      {
        g_autoptr(GTlsDatabase) database = dtlsgo_connection_dup_database (self);
        g_value_set_boolean (value, database != NULL);
      }
      return;
    /* Asked of the core, outside our lock (the core takes ours while
     * holding its own). */
    case PROP_KEY_EXCHANGE_GROUP:
      g_value_take_string (value, priv->core ? dtlsgo_core_connection_key_exchange_group (priv->core) : NULL);
      return;
    case PROP_ECH_ACCEPTED:
      g_value_set_boolean (value, priv->core && dtlsgo_core_connection_ech_accepted (priv->core));
      return;
    default:
      break;
    }

  g_mutex_lock (&priv->lock);
  switch (prop_id)
    {
    case PROP_REQUIRE_CLOSE_NOTIFY:
      g_value_set_boolean (value, priv->require_close_notify);
      break;
    case PROP_REHANDSHAKE_MODE:
      g_value_set_enum (value, priv->rehandshake_mode);
      break;
    case PROP_INTERACTION:
      g_value_set_object (value, priv->interaction);
      break;
    case PROP_CERTIFICATE:
      g_value_set_object (value, priv->certificate);
      break;
    case PROP_PEER_CERTIFICATE:
      g_value_set_object (value, priv->peer_certificate);
      break;
    case PROP_PEER_CERTIFICATE_ERRORS:
      g_value_set_flags (value, priv->peer_certificate_errors);
      break;
    case PROP_ADVERTISED_PROTOCOLS:
      g_value_set_boxed (value, priv->advertised_protocols);
      break;
    case PROP_NEGOTIATED_PROTOCOL:
      g_value_set_string (value, priv->negotiated_protocol);
      break;
    case PROP_PROTOCOL_VERSION:
      g_value_set_enum (value, priv->handshake_complete ? priv->protocol_version
                                                        : G_TLS_PROTOCOL_VERSION_UNKNOWN);
      break;
    case PROP_CIPHERSUITE_NAME:
      g_value_set_string (value, priv->ciphersuite_name);
      break;
    case PROP_SRTP_PROFILES:
      g_value_set_boxed (value, priv->srtp_profiles);
      break;
    case PROP_SRTP_PROFILE:
      g_value_set_string (value, priv->srtp_profile);
      break;
    case PROP_CONNECTION_ID_LENGTH:
      g_value_set_int (value, priv->connection_id_length);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, priv->handshake_timeout);
      break;
    case PROP_RETRANSMISSION_INTERVAL:
      g_value_set_uint (value, priv->retransmission_interval);
      break;
    case PROP_MTU:
      g_value_set_uint (value, priv->mtu);
      break;
    case PROP_SESSION_RESUMED:
      g_value_set_boolean (value, priv->session_resumed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&priv->lock);
}

static void
dtls_go_connection_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (object);
  DtlsGoConnectionPrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_BASE_IO_STREAM:
      priv->base_io_stream = g_value_dup_object (value);
      return;
    case PROP_BASE_SOCKET:
      priv->base_socket = g_value_dup_object (value);
      return;
    case PROP_DATABASE:
      set_database (self, g_value_get_object (value), TRUE);
      return;
    case PROP_USE_SYSTEM_CERTDB:
      if (g_value_get_boolean (value))
        set_database (self, NULL, FALSE);
      else
        set_database (self, NULL, TRUE);
      return;
    case PROP_REQUIRE_CLOSE_NOTIFY:
      g_mutex_lock (&priv->lock);
      priv->require_close_notify = g_value_get_boolean (value);
      g_mutex_unlock (&priv->lock);
      if (priv->core)
        dtlsgo_core_connection_set_require_close_notify (priv->core, g_value_get_boolean (value));
      return;
    default:
      break;
    }

  g_mutex_lock (&priv->lock);
  switch (prop_id)
    {
    case PROP_REHANDSHAKE_MODE:
      /* Accepted and ignored: DTLS 1.2 renegotiation is not offered. */
      priv->rehandshake_mode = g_value_get_enum (value);
      break;
    case PROP_INTERACTION:
      g_set_object (&priv->interaction, g_value_get_object (value));
      break;
    case PROP_CERTIFICATE:
      g_set_object (&priv->certificate, g_value_get_object (value));
      break;
    case PROP_ADVERTISED_PROTOCOLS:
      g_strfreev (priv->advertised_protocols);
      priv->advertised_protocols = g_value_dup_boxed (value);
      break;
    case PROP_SRTP_PROFILES:
      g_strfreev (priv->srtp_profiles);
      priv->srtp_profiles = g_value_dup_boxed (value);
      break;
    case PROP_CONNECTION_ID_LENGTH:
      priv->connection_id_length = g_value_get_int (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      priv->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_RETRANSMISSION_INTERVAL:
      priv->retransmission_interval = g_value_get_uint (value);
      break;
    case PROP_MTU:
      priv->mtu = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&priv->lock);
}

static void
dtls_go_connection_finalize (GObject *object)
{
  DtlsGoConnectionPrivate *priv = PRIV (object);

  if (priv->core)
    dtlsgo_core_connection_free (priv->core);
  g_clear_object (&priv->base_socket);
  g_clear_object (&priv->base_io_stream);
  g_clear_object (&priv->database);
  g_clear_object (&priv->interaction);
  g_clear_object (&priv->certificate);
  g_clear_object (&priv->peer_certificate);
  g_clear_pointer (&priv->advertised_protocols, g_strfreev);
  g_clear_pointer (&priv->negotiated_protocol, g_free);
  g_clear_pointer (&priv->ciphersuite_name, g_free);
  g_clear_pointer (&priv->srtp_profiles, g_strfreev);
  g_clear_pointer (&priv->srtp_profile, g_free);
  g_clear_pointer (&priv->handshake_context, g_main_context_unref);
  g_array_unref (priv->wakeups);
  for (guint i = 0; i < G_N_ELEMENTS (priv->binding_arrays); i++)
    g_clear_pointer (&priv->binding_arrays[i], g_byte_array_unref);
  g_mutex_clear (&priv->lock);

  G_OBJECT_CLASS (dtls_go_connection_parent_class)->finalize (object);
}
static void
dtls_go_connection_datagram_based_iface_init (GDatagramBasedInterface *iface)
{
  iface->receive_messages = dtlsgo_connection_receive_messages;
  iface->send_messages = dtlsgo_connection_send_messages;
  iface->create_source = dtlsgo_connection_create_source;
  iface->condition_check = dtlsgo_connection_condition_check;
  iface->condition_wait = dtlsgo_connection_condition_wait;
}
/* ---- ALPN, channel binding, accept-certificate ---------------------------- */

static void
dtls_go_connection_set_advertised_protocols (GDtlsConnection     *conn,
                                             const gchar * const *protocols)
{
  g_object_set (conn, "advertised-protocols", protocols, NULL);
}

static const gchar *
dtls_go_connection_get_negotiated_protocol (GDtlsConnection *conn)
{
  DtlsGoConnectionPrivate *priv = PRIV (conn);

  /* Set once at the end of the handshake, then constant. */
  return priv->negotiated_protocol;
}

static const gchar *
dtls_go_connection_tls_get_negotiated_protocol (GTlsConnection *conn)
{
  return dtls_go_connection_get_negotiated_protocol (G_DTLS_CONNECTION (conn));
}

/* PyGObject (3.42 at least) reads the GIR's "out, callee-allocates"
 * GByteArray as a GByteArray** and passes the address of its argument
 * slot: a NULL pointer followed by a pointer to the slot itself. Filling
 * that as an array is what crashes Python with the reference backend
 * (SIGFPE in g_array_maybe_expand). A real GByteArray never looks like it:
 * one with no data has length and capacity 0. */
static gboolean
is_pygobject_out_slot (GByteArray *data)
{
  gpointer *words = (gpointer *) data;

  return words[0] == NULL && words[1] == (gpointer) data;
}

static gboolean
dtls_go_connection_get_binding_data (GDtlsConnection        *conn,
                                     GTlsChannelBindingType  type,
                                     GByteArray             *data,
                                     GError                **error)
{
  DtlsGoConnectionPrivate *priv = PRIV (conn);
  GByteArray *owned;

  if (data == NULL || !is_pygobject_out_slot (data))
    return dtlsgo_core_connection_channel_binding (priv->core, type, data, error);

  /* Answer the slot with an array the connection keeps (the GIR says
   * transfer none); binding data never changes after the handshake, so
   * one array per type serves every call. */
  if ((guint) type >= G_N_ELEMENTS (priv->binding_arrays))
    return dtlsgo_core_connection_channel_binding (priv->core, type, NULL, error);
  g_mutex_lock (&priv->lock);
  owned = priv->binding_arrays[type];
  g_mutex_unlock (&priv->lock);
  if (owned == NULL)
    {
      g_autoptr(GByteArray) fresh = g_byte_array_new ();

      if (!dtlsgo_core_connection_channel_binding (priv->core, type, fresh, error))
        return FALSE;
      g_mutex_lock (&priv->lock);
      if (priv->binding_arrays[type] == NULL)
        priv->binding_arrays[type] = g_steal_pointer (&fresh);
      owned = priv->binding_arrays[type];
      g_mutex_unlock (&priv->lock);
    }
  *(GByteArray **) data = owned;
  return TRUE;
}

static gboolean
dtls_go_connection_tls_get_binding_data (GTlsConnection         *conn,
                                         GTlsChannelBindingType  type,
                                         GByteArray             *data,
                                         GError                **error)
{
  return dtls_go_connection_get_binding_data (G_DTLS_CONNECTION (conn), type, data, error);
}

/* The object is both a GTlsConnection and a GDtlsConnection, each with an
 * "accept-certificate" signal; handlers connected by name land on
 * GTlsConnection's. GDtlsConnection's class handler forwards to it, so that
 * g_dtls_connection_emit_accept_certificate() reaches them too. */
static gboolean
dtls_go_connection_dtls_accept_certificate (GDtlsConnection      *conn,
                                            GTlsCertificate      *peer_cert,
                                            GTlsCertificateFlags  errors)
{
  return g_tls_connection_emit_accept_certificate (G_TLS_CONNECTION (conn), peer_cert, errors);
}

static void
dtls_go_connection_dtls_connection_iface_init (GDtlsConnectionInterface *iface)
{
  iface->accept_certificate = dtls_go_connection_dtls_accept_certificate;
  iface->handshake = dtlsgo_connection_handshake;
  iface->handshake_async = dtlsgo_connection_handshake_async;
  iface->handshake_finish = dtlsgo_connection_handshake_finish;
  iface->shutdown = dtlsgo_connection_shutdown;
  iface->shutdown_async = dtlsgo_connection_shutdown_async;
  iface->shutdown_finish = dtlsgo_connection_shutdown_finish;
  iface->set_advertised_protocols = dtls_go_connection_set_advertised_protocols;
  iface->get_negotiated_protocol = dtls_go_connection_get_negotiated_protocol;
  iface->get_binding_data = dtls_go_connection_get_binding_data;
}

/* A DTLS connection has no streams (NULL). */
static GInputStream *
dtls_go_connection_get_input_stream (GIOStream *stream)
{
  return dtlsgo_connection_stream_get_input_stream (DTLS_GO_CONNECTION (stream));
}

static GOutputStream *
dtls_go_connection_get_output_stream (GIOStream *stream)
{
  return dtlsgo_connection_stream_get_output_stream (DTLS_GO_CONNECTION (stream));
}

static void
dtls_go_connection_class_init (DtlsGoConnectionClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);
  GTlsConnectionClass *tls_class = G_TLS_CONNECTION_CLASS (klass);

  gobject_class->get_property = dtls_go_connection_get_property;
  gobject_class->set_property = dtls_go_connection_set_property;
  gobject_class->finalize = dtls_go_connection_finalize;

  stream_class->get_input_stream = dtls_go_connection_get_input_stream;
  stream_class->get_output_stream = dtls_go_connection_get_output_stream;
  stream_class->close_fn = dtlsgo_connection_close;
  stream_class->close_async = dtlsgo_connection_close_async;
  stream_class->close_finish = dtlsgo_connection_close_finish;

  tls_class->handshake = dtlsgo_connection_tls_handshake;
  tls_class->handshake_async = dtlsgo_connection_tls_handshake_async;
  tls_class->handshake_finish = dtlsgo_connection_tls_handshake_finish;
  tls_class->get_binding_data = dtls_go_connection_tls_get_binding_data;
  tls_class->get_negotiated_protocol = dtls_go_connection_tls_get_negotiated_protocol;

  g_object_class_override_property (gobject_class, PROP_BASE_IO_STREAM, "base-io-stream");
  g_object_class_override_property (gobject_class, PROP_BASE_SOCKET, "base-socket");
  g_object_class_override_property (gobject_class, PROP_REQUIRE_CLOSE_NOTIFY, "require-close-notify");
  g_object_class_override_property (gobject_class, PROP_REHANDSHAKE_MODE, "rehandshake-mode");
  g_object_class_override_property (gobject_class, PROP_USE_SYSTEM_CERTDB, "use-system-certdb");
  g_object_class_override_property (gobject_class, PROP_DATABASE, "database");
  g_object_class_override_property (gobject_class, PROP_INTERACTION, "interaction");
  g_object_class_override_property (gobject_class, PROP_CERTIFICATE, "certificate");
  g_object_class_override_property (gobject_class, PROP_PEER_CERTIFICATE, "peer-certificate");
  g_object_class_override_property (gobject_class, PROP_PEER_CERTIFICATE_ERRORS, "peer-certificate-errors");
  g_object_class_override_property (gobject_class, PROP_ADVERTISED_PROTOCOLS, "advertised-protocols");
  g_object_class_override_property (gobject_class, PROP_NEGOTIATED_PROTOCOL, "negotiated-protocol");
  g_object_class_override_property (gobject_class, PROP_PROTOCOL_VERSION, "protocol-version");
  g_object_class_override_property (gobject_class, PROP_CIPHERSUITE_NAME, "ciphersuite-name");

  /**
   * DtlsGoConnection:srtp-profiles: (type GStrv)
   *
   * The DTLS-SRTP protection profiles (RFC 5764) a client offers or a
   * server accepts, most preferred first, by their IANA names (see
   * dtls_go_get_srtp_profiles()). %NULL or empty (the default) leaves
   * DTLS-SRTP out of the handshake. The server picks the first of its
   * profiles the client offers. A handshake where the client offers
   * profiles fails (with an insufficient_security alert) when none is
   * selected, including, as pion/dtls behaves, when the server accepts no
   * profiles at all. An unknown name makes the handshake fail with
   * %G_IO_ERROR_INVALID_ARGUMENT.
   */
  obj_props[PROP_SRTP_PROFILES] =
    g_param_spec_boxed ("srtp-profiles", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:srtp-profile:
   *
   * The DTLS-SRTP protection profile the handshake selected, or %NULL
   * (before the handshake, or when none was negotiated). Notified when the
   * handshake completes.
   */
  obj_props[PROP_SRTP_PROFILE] =
    g_param_spec_string ("srtp-profile", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:connection-id-length:
   *
   * Connection IDs (RFC 9146). 0 (the default) leaves them out. A length
   * from 1 to 255 asks the peer to put a connection ID of that many bytes
   * in every record it sends, so that its records are recognised whatever
   * address they come from: a server whose client moves (a NAT rebinding, a
   * new network) keeps the connection and answers the new address. -1 sends
   * the connection ID the peer asks for without asking for one (what a
   * client whose own address may change needs). Both peers must enable
   * connection IDs for either to use them.
   *
   * A server follows its client to a new address only on an unconnected
   * base socket (a #GSocket that was never connected): its peer is then the
   * sender of the first DTLS datagram, and records from other addresses are
   * dropped unless they carry the connection ID.
   */
  obj_props[PROP_CONNECTION_ID_LENGTH] =
    g_param_spec_int ("connection-id-length", NULL, NULL, -1, 255, 0,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:handshake-timeout:
   *
   * How long a handshake may take, in milliseconds, before it fails with
   * %G_TLS_ERROR_HANDSHAKE ("DTLS handshake timed out after …"). 0 (the
   * default) means 60 seconds, or the number of seconds in the environment
   * variable `DTLSGO_HANDSHAKE_TIMEOUT`. An operation's own timeout bounds
   * the handshake it starts as well: that operation then fails with
   * %G_IO_ERROR_TIMED_OUT, and every later one with %G_TLS_ERROR_HANDSHAKE.
   */
  obj_props[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:retransmission-interval:
   *
   * How long, in milliseconds, the handshake waits for the peer's answer
   * before it sends a flight again; the wait doubles after each
   * retransmission. The default is 1000 (RFC 6347's initial timer).
   */
  obj_props[PROP_RETRANSMISSION_INTERVAL] =
    g_param_spec_uint ("retransmission-interval", NULL, NULL, 1, G_MAXUINT,
                       DEFAULT_RETRANSMISSION_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:mtu:
   *
   * The largest datagram, in bytes, the handshake's messages are
   * fragmented into. The default is 1200. Application data is never
   * fragmented: each message sent is one record of up to 8064 bytes.
   */
  obj_props[PROP_MTU] =
    g_param_spec_uint ("mtu", NULL, NULL, 128, 65535, DEFAULT_MTU,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:session-resumed:
   *
   * Whether the completed handshake of a stream TLS connection resumed an
   * earlier session (a TLS 1.3 ticket, or a TLS 1.2 session ticket)
   * instead of authenticating the peer anew. %FALSE before the handshake
   * completed, and always on DTLS connections. Notified when the
   * handshake completes.
   *
   * A client resumes on its own a session it learnt from the same server
   * (the same address and port, server identity, client certificate and
   * database), or the one g_tls_client_connection_copy_session_state()
   * gave it; a server resumes sessions it issued, in the same process,
   * with the same certificate. A resumed session's peer certificate is
   * judged as in a full handshake, so
   * [property@Gio.TlsConnection:peer-certificate],
   * [property@Gio.TlsConnection:peer-certificate-errors] and
   * [signal@Gio.TlsConnection::accept-certificate] behave alike either
   * way.
   */
  obj_props[PROP_SESSION_RESUMED] =
    g_param_spec_boolean ("session-resumed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:key-exchange-group:
   *
   * The group of the completed handshake's key exchange, by its IANA name
   * (TLS Supported Groups registry, as OpenSSL names them too):
   * `X25519MLKEM768`, `SecP256r1MLKEM768` or `SecP384r1MLKEM1024` for the
   * hybrid post-quantum key exchanges of TLS 1.3, which dtlsgo offers
   * first, or `x25519`, `secp256r1`, `secp384r1`, `secp521r1` with a peer
   * that has none of them. A resumed session reports its original
   * handshake's group. %NULL before the handshake, for a TLS 1.2 key
   * exchange without a group (RSA key transport), and for DTLS
   * connections, whose engine does not tell. Notified when the handshake
   * completes.
   */
  obj_props[PROP_KEY_EXCHANGE_GROUP] =
    g_param_spec_string ("key-exchange-group", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoConnection:ech-accepted:
   *
   * Whether the completed handshake used Encrypted Client Hello (RFC
   * 9849): the client's real ClientHello (its server name, ALPN) went
   * encrypted to the server's ECH key, and the server decrypted it. On a
   * client with a [property@DtlsGo.ClientConnection:ech-config-list] a
   * completed handshake always has it (a rejection fails the handshake);
   * on a server with [property@DtlsGo.ServerConnection:ech-keys] it tells
   * clients that used ECH from those that did not. %FALSE before the
   * handshake and for DTLS. Notified when the handshake completes.
   */
  obj_props[PROP_ECH_ACCEPTED] =
    g_param_spec_boolean ("ech-accepted", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  for (guint i = PROP_SRTP_PROFILES; i < N_PROPS; i++)
    g_object_class_install_property (gobject_class, i, obj_props[i]);
}
