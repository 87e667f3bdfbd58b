/* DtlsGoServerConnection: the server role. Asks for client certificates as
 * authentication-mode says, and lets accept-certificate judge every
 * certificate a client presents, as GLib documents. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-server-connection.h"

#include "dtlsgo-database.h"
#include "dtlsgo-copies.h"

enum
{
  PROP_0,
  PROP_AUTHENTICATION_MODE,
  PROP_PSK_IDENTITY_HINT,
  PROP_ECH_KEYS,
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

enum
{
  PSK_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _DtlsGoServerConnection
{
  DtlsGoConnection parent_instance;

  GTlsAuthenticationMode authentication_mode; /* atomic */
  GMutex lock;
  gchar *psk_identity_hint;
  GBytes *ech_keys;
  GTlsDatabase *ca_database; /* keeps the handshake's client_ca_database alive */
};

static void dtls_go_server_connection_dtls_iface_init (GDtlsServerConnectionInterface *iface);
static void dtls_go_server_connection_tls_iface_init (GTlsServerConnectionInterface *iface);

/* This copy's own type; the public dtls_go_server_connection_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_server_connection_get_type dtls_go_server_connection_get_type_here
static GType dtls_go_server_connection_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoServerConnection, dtls_go_server_connection, DTLS_GO_TYPE_CONNECTION,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_SERVER_CONNECTION,
                                                      dtls_go_server_connection_tls_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_DTLS_SERVER_CONNECTION,
                                                      dtls_go_server_connection_dtls_iface_init))
#undef dtls_go_server_connection_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_server_connection)

static void
dtls_go_server_connection_init (DtlsGoServerConnection *self)
{
  self->authentication_mode = G_TLS_AUTHENTICATION_NONE;
  g_mutex_init (&self->lock);
}

static void
dtls_go_server_connection_finalize (GObject *object)
{
  DtlsGoServerConnection *self = DTLS_GO_SERVER_CONNECTION (object);

  g_free (self->psk_identity_hint);
  g_clear_pointer (&self->ech_keys, g_bytes_unref);
  g_clear_object (&self->ca_database);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dtls_go_server_connection_parent_class)->finalize (object);
}

static void
dtls_go_server_connection_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  DtlsGoServerConnection *self = DTLS_GO_SERVER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_AUTHENTICATION_MODE:
      g_value_set_enum (value, g_atomic_int_get (&self->authentication_mode));
      break;
    case PROP_PSK_IDENTITY_HINT:
      g_mutex_lock (&self->lock);
      g_value_set_string (value, self->psk_identity_hint);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ECH_KEYS:
      g_mutex_lock (&self->lock);
      g_value_set_boxed (value, self->ech_keys);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dtls_go_server_connection_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  DtlsGoServerConnection *self = DTLS_GO_SERVER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_AUTHENTICATION_MODE:
      g_atomic_int_set (&self->authentication_mode, g_value_get_enum (value));
      break;
    case PROP_PSK_IDENTITY_HINT:
      g_mutex_lock (&self->lock);
      g_free (self->psk_identity_hint);
      self->psk_identity_hint = g_value_dup_string (value);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ECH_KEYS:
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->ech_keys, g_bytes_unref);
      self->ech_keys = g_value_dup_boxed (value);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dtls_go_server_connection_prepare_handshake (DtlsGoConnection      *conn,
                                             DtlsGoHandshakeParams *params)
{
  DtlsGoServerConnection *self = DTLS_GO_SERVER_CONNECTION (conn);

  params->authentication_mode = g_atomic_int_get (&self->authentication_mode);
  /* PSK suites are offered only to a server that can look keys up. */
  params->psk_server = g_signal_has_handler_pending (self, signals[PSK_REQUESTED], 0, FALSE);
  g_mutex_lock (&self->lock);
  params->psk_identity_hint = g_strdup (self->psk_identity_hint);
  if (self->ech_keys)
    params->ech_keys = g_bytes_ref (self->ech_keys);
  g_mutex_unlock (&self->lock);
  if (params->authentication_mode == G_TLS_AUTHENTICATION_NONE)
    return;

  /* The CertificateRequest names the anchors of the connection's database,
   * as glib-networking's GnuTLS backend does with its own databases. A
   * database of another kind cannot list its anchors (GTlsDatabase has no
   * such call): the list is then empty, which lets the client send any
   * certificate. */
  g_clear_object (&self->ca_database);
  self->ca_database = g_tls_connection_get_database (G_TLS_CONNECTION (conn));
  if (self->ca_database && DTLS_GO_IS_DATABASE (self->ca_database))
    {
      g_object_ref (self->ca_database);
      params->client_ca_database = dtlsgo_database_get_handle (DTLS_GO_DATABASE (self->ca_database));
    }
  else
    self->ca_database = NULL;
}

static GBytes *
dtls_go_server_connection_psk_requested (DtlsGoConnection *conn,
                                         const gchar      *identity)
{
  GBytes *key = NULL;

  g_signal_emit (conn, signals[PSK_REQUESTED], 0, identity, &key);
  return key;
}

/* The first handler that knows the identity answers. */
gboolean
dtlsgo_psk_accumulator (GSignalInvocationHint *hint,
                 GValue                *return_accu,
                 const GValue          *handler_return,
                 gpointer               data)
{
  GBytes *key = g_value_get_boxed (handler_return);

  g_value_set_boxed (return_accu, key);
  return key == NULL;
}

static GSocketConnectable *
dtls_go_server_connection_get_peer_identity (DtlsGoConnection *conn)
{
  return NULL;
}

/* GLib's server rule: a certificate the client presents is accepted only
 * if an accept-certificate handler returns TRUE, even with no errors. */
static gboolean
dtls_go_server_connection_accept_peer (DtlsGoConnection     *conn,
                                       GTlsCertificate      *peer,
                                       GTlsCertificateFlags  errors)
{
  return g_tls_connection_emit_accept_certificate (G_TLS_CONNECTION (conn), peer, errors);
}

static void
dtls_go_server_connection_certificate_requested (DtlsGoConnection *conn, GPtrArray *cas)
{
}

static void
dtls_go_server_connection_handshake_done (DtlsGoConnection *conn)
{
}

static void
dtls_go_server_connection_class_init (DtlsGoServerConnectionClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  DtlsGoConnectionClass *conn_class = DTLS_GO_CONNECTION_CLASS (klass);

  gobject_class->get_property = dtls_go_server_connection_get_property;
  gobject_class->set_property = dtls_go_server_connection_set_property;
  gobject_class->finalize = dtls_go_server_connection_finalize;

  conn_class->is_client = FALSE;
  conn_class->prepare_handshake = dtls_go_server_connection_prepare_handshake;
  conn_class->get_peer_identity = dtls_go_server_connection_get_peer_identity;
  conn_class->accept_peer = dtls_go_server_connection_accept_peer;
  conn_class->certificate_requested = dtls_go_server_connection_certificate_requested;
  conn_class->handshake_done = dtls_go_server_connection_handshake_done;
  conn_class->psk_requested = dtls_go_server_connection_psk_requested;

  g_object_class_override_property (gobject_class, PROP_AUTHENTICATION_MODE, "authentication-mode");

  /**
   * DtlsGoServerConnection:psk-identity-hint:
   *
   * The PSK identity hint (RFC 4279) the server sends to help clients pick
   * an identity, or %NULL (the default) for none.
   */
  obj_props[PROP_PSK_IDENTITY_HINT] =
    g_param_spec_string ("psk-identity-hint", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_PSK_IDENTITY_HINT,
                                   obj_props[PROP_PSK_IDENTITY_HINT]);

  /**
   * DtlsGoServerConnection:ech-keys:
   *
   * The server's Encrypted Client Hello (RFC 9849) keys for stream TLS,
   * or %NULL (the default) for none. The data is PEM as the ECH PEM
   * files of draft-farrell-tls-pemesni hold it (OpenSSL's ECH support
   * writes and reads them): a PKCS #8 `PRIVATE KEY` (X25519, or a NIST
   * P-256/384/521 key) and an `ECHCONFIG` block, the base64 of the
   * ECHConfigList clients get, whose configs carry the key's public half.
   * Several such files concatenated give several keys (to rotate them).
   * dtls_go_generate_ech_keys() makes one.
   *
   * A client whose ECH this server decrypts gets the handshake for the
   * name inside (the same [property@Gio.TlsConnection:certificate]
   * serves every name); others are served as without ECH, TLS 1.2
   * included, and those that tried ECH with a config the server has no
   * key for are sent the server's configs to retry with.
   * [property@DtlsGo.Connection:ech-accepted] tells them apart. Keys that
   * cannot be used (a config without its key, a key without a config, an
   * unsupported HPKE algorithm) fail the handshake's start with
   * %G_IO_ERROR_INVALID_ARGUMENT. DTLS connections ignore it.
   */
  obj_props[PROP_ECH_KEYS] =
    g_param_spec_boxed ("ech-keys", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_ECH_KEYS, obj_props[PROP_ECH_KEYS]);

  /**
   * DtlsGoServerConnection::psk-requested:
   * @conn: the server connection
   * @identity: the PSK identity the client sent
   *
   * Asks for the pre-shared key (RFC 4279) of a client's identity during
   * the handshake. A server with a handler connected when its handshake
   * starts accepts PSK cipher suites (and needs no certificate for them);
   * handlers run in the handshake's main context, like
   * [signal@Gio.DtlsConnection::accept-certificate], and the first one that
   * returns a key ends the emission. With no key the handshake fails with
   * %G_TLS_ERROR_HANDSHAKE (and the client with %G_TLS_ERROR_MISC, for
   * the alert it receives).
   *
   * ```python
   * def find_key(conn, identity):
   *     return keys.get(identity)  # a GLib.Bytes, or None
   *
   * server.connect("psk-requested", find_key)
   * ```
   *
   * Returns: (transfer full) (nullable): the key, or %NULL for an identity
   *   the handler does not know
   */
  signals[PSK_REQUESTED] =
    g_signal_new ("psk-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  dtlsgo_psk_accumulator, NULL, NULL, G_TYPE_BYTES, 1, G_TYPE_STRING);
}

static void
dtls_go_server_connection_tls_iface_init (GTlsServerConnectionInterface *iface)
{
}

static void
dtls_go_server_connection_dtls_iface_init (GDtlsServerConnectionInterface *iface)
{
}

/**
 * dtls_go_server_connection_new:
 * @base_socket: the #GDatagramBased to run DTLS over, usually a UDP
 *   #GSocket connected to the client; dtlsgo never closes it
 * @certificate: (nullable): the server's certificate with its private key
 *   (#GTlsConnection:certificate), of any TLS backend; %NULL for a server
 *   that authenticates by pre-shared key only
 * @error: return location for a #GError
 *
 * Creates a dtlsgo DTLS server connection, as
 * g_dtls_server_connection_new() does while dtlsgo is GIO's default TLS
 * backend, but whatever the default is: a program can keep
 * glib-networking for its TLS streams and take dtlsgo's DTLS by name. A
 * @certificate made by another backend (g_tls_certificate_new_from_file()
 * under glib-networking) is read through its DER or PEM properties.
 *
 * Returns: (transfer full): the new connection, or %NULL on error
 */
DtlsGoServerConnection *
dtls_go_server_connection_new (GDatagramBased   *base_socket,
                               GTlsCertificate  *certificate,
                               GError          **error)
{
  DTLSGO_FORWARD (dtls_go_server_connection_new, (base_socket, certificate, error));
  g_return_val_if_fail (G_IS_DATAGRAM_BASED (base_socket), NULL);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (DTLS_GO_TYPE_SERVER_CONNECTION, NULL, error,
                         "base-socket", base_socket,
                         "certificate", certificate,
                         NULL);
}
