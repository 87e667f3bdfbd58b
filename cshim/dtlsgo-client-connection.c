/* DtlsGoClientConnection: the client role. Sends SNI, checks the server
 * against server-identity, honours validation-flags, and records the CA
 * names a server asks client certificates from. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-client-connection.h"
#include "dtlsgo-certificate.h"
#include "dtlsgo-copies.h"

enum
{
  PROP_0,
  PROP_VALIDATION_FLAGS,
  PROP_SERVER_IDENTITY,
  PROP_USE_SSL3,
  PROP_ACCEPTED_CAS,
  PROP_PSK_IDENTITY,
  PROP_PSK,
  PROP_ECH_CONFIG_LIST,
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

struct _DtlsGoClientConnection
{
  DtlsGoConnection parent_instance;

  GMutex lock;
  GTlsCertificateFlags validation_flags;
  GSocketConnectable *server_identity;
  GList *accepted_cas; /* GByteArray DER names */
  gchar *server_name;  /* SNI of the running handshake */
  gchar *psk_identity;
  GBytes *psk;
  GBytes *ech_config_list;
};

static void dtls_go_client_connection_dtls_iface_init (GDtlsClientConnectionInterface *iface);
static void dtls_go_client_connection_tls_iface_init (GTlsClientConnectionInterface *iface);

/* This copy's own type; the public dtls_go_client_connection_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_client_connection_get_type dtls_go_client_connection_get_type_here
static GType dtls_go_client_connection_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoClientConnection, dtls_go_client_connection, DTLS_GO_TYPE_CONNECTION,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_CLIENT_CONNECTION,
                                                      dtls_go_client_connection_tls_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_DTLS_CLIENT_CONNECTION,
                                                      dtls_go_client_connection_dtls_iface_init))
#undef dtls_go_client_connection_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_client_connection)

static void
dtls_go_client_connection_init (DtlsGoClientConnection *self)
{
  g_mutex_init (&self->lock);
  self->validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
}

static GList *
copy_accepted_cas (GList *cas)
{
  return g_list_copy_deep (cas, (GCopyFunc) g_byte_array_ref, NULL);
}

static void
free_accepted_cas (GList *cas)
{
  g_list_free_full (cas, (GDestroyNotify) g_byte_array_unref);
}

static void
dtls_go_client_connection_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (object);

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_VALIDATION_FLAGS:
      g_value_set_flags (value, self->validation_flags);
      break;
    case PROP_SERVER_IDENTITY:
      g_value_set_object (value, self->server_identity);
      break;
    case PROP_USE_SSL3:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_ACCEPTED_CAS:
      /* A new list the caller frees, as GLib's getter documents. */
      g_value_set_pointer (value, copy_accepted_cas (self->accepted_cas));
      break;
    case PROP_PSK_IDENTITY:
      g_value_set_string (value, self->psk_identity);
      break;
    case PROP_PSK:
      g_value_set_boxed (value, self->psk);
      break;
    case PROP_ECH_CONFIG_LIST:
      g_value_set_boxed (value, self->ech_config_list);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
dtls_go_client_connection_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (object);

  g_mutex_lock (&self->lock);
  switch (prop_id)
    {
    case PROP_VALIDATION_FLAGS:
      self->validation_flags = g_value_get_flags (value);
      break;
    case PROP_SERVER_IDENTITY:
      g_set_object (&self->server_identity, g_value_get_object (value));
      break;
    case PROP_USE_SSL3:
      /* Deprecated no-op, as in GLib. */
      break;
    case PROP_PSK_IDENTITY:
      g_free (self->psk_identity);
      self->psk_identity = g_value_dup_string (value);
      break;
    case PROP_PSK:
      g_clear_pointer (&self->psk, g_bytes_unref);
      self->psk = g_value_dup_boxed (value);
      break;
    case PROP_ECH_CONFIG_LIST:
      g_clear_pointer (&self->ech_config_list, g_bytes_unref);
      self->ech_config_list = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  g_mutex_unlock (&self->lock);
}

static void
dtls_go_client_connection_finalize (GObject *object)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (object);

  g_clear_object (&self->server_identity);
  free_accepted_cas (self->accepted_cas);
  g_free (self->server_name);
  g_free (self->psk_identity);
  g_clear_pointer (&self->psk, g_bytes_unref);
  g_clear_pointer (&self->ech_config_list, g_bytes_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (dtls_go_client_connection_parent_class)->finalize (object);
}

/* The SNI name of an identity: host names only, never IP literals. */
static gchar *
sni_name (GSocketConnectable *identity)
{
  const gchar *host = NULL;
  gsize len;

  if (G_IS_NETWORK_ADDRESS (identity))
    host = g_network_address_get_hostname (G_NETWORK_ADDRESS (identity));
  else if (G_IS_NETWORK_SERVICE (identity))
    host = g_network_service_get_domain (G_NETWORK_SERVICE (identity));
  if (host == NULL || g_hostname_is_ip_address (host))
    return NULL;
  len = strlen (host);
  if (len > 0 && host[len - 1] == '.')
    len--;
  return g_strndup (host, len);
}

/* What tells apart the trust a database gives: a file database's anchors
 * file (two databases of one file trust alike), else the object. */
static gchar *
database_key (GTlsDatabase *database)
{
  g_autofree gchar *anchors = NULL;

  if (database == NULL)
    return g_strdup ("none");
  if (G_IS_TLS_FILE_DATABASE (database))
    g_object_get (database, "anchors", &anchors, NULL);
  if (anchors)
    return g_strconcat ("file:", anchors, NULL);
  return g_strdup_printf ("%s@%p", G_OBJECT_TYPE_NAME (database), (gpointer) database);
}

/* The server's key in the process's session cache, as glib-networking
 * makes it: the peer's address and port, the identity it is checked
 * against and our certificate, plus the database, so that no session is
 * offered where its certificate would be judged by other rules. NULL (no
 * automatic resumption) unless the base is a socket connection to an
 * Internet address, as in glib-networking. */
static gchar *
session_key (DtlsGoClientConnection *self, GSocketConnectable *identity)
{
  GIOStream *base = dtlsgo_connection_get_base_io_stream (DTLS_GO_CONNECTION (self));
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GByteArray) der = NULL;
  g_autofree gchar *address = NULL;
  g_autofree gchar *host = NULL;
  g_autofree gchar *cert_hash = NULL;
  g_autofree gchar *db = NULL;

  if (!G_IS_SOCKET_CONNECTION (base))
    return NULL;
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (base), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  host = dtlsgo_identity_from_connectable (identity);
  g_object_get (self, "certificate", &certificate, "database", &database, NULL);
  if (certificate)
    g_object_get (certificate, "certificate", &der, NULL);
  if (der)
    cert_hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  db = database_key (database);
  return g_strdup_printf ("%s/%s%s/%u/%s/%s", address, identity ? "=" : "-", host ? host : "",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)),
                          cert_hash ? cert_hash : "", db);
}

static void
dtls_go_client_connection_prepare_handshake (DtlsGoConnection      *conn,
                                             DtlsGoHandshakeParams *params)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (conn);
  g_autoptr(GSocketConnectable) identity = NULL;

  g_mutex_lock (&self->lock);
  identity = self->server_identity ? g_object_ref (self->server_identity) : NULL;
  g_free (self->server_name);
  self->server_name = identity ? sni_name (identity) : NULL;
  params->server_name = self->server_name;
  if (self->psk)
    {
      params->psk = g_bytes_ref (self->psk);
      params->psk_identity = g_strdup (self->psk_identity);
    }
  if (self->ech_config_list)
    params->ech_config_list = g_bytes_ref (self->ech_config_list);
  g_mutex_unlock (&self->lock);
  /* Out of the lock: it reads the connection's properties. */
  params->session_key = session_key (self, identity);
}

static GSocketConnectable *
dtls_go_client_connection_get_peer_identity (DtlsGoConnection *conn)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (conn);
  GSocketConnectable *identity;

  g_mutex_lock (&self->lock);
  identity = self->server_identity ? g_object_ref (self->server_identity) : NULL;
  g_mutex_unlock (&self->lock);
  return identity;
}

/* GLib's client rule: errors outside validation-flags are ignored;
 * otherwise accept-certificate decides. */
static gboolean
dtls_go_client_connection_accept_peer (DtlsGoConnection     *conn,
                                       GTlsCertificate      *peer,
                                       GTlsCertificateFlags  errors)
{
  DtlsGoClientConnection *self = DTLS_GO_CLIENT_CONNECTION (conn);
  GTlsCertificateFlags flags;

  g_mutex_lock (&self->lock);
  flags = self->validation_flags;
  g_mutex_unlock (&self->lock);
  if ((errors & flags) == 0)
    return TRUE;
  return g_tls_connection_emit_accept_certificate (G_TLS_CONNECTION (conn), peer, errors);
}

static void
set_accepted_cas (DtlsGoClientConnection *self, GPtrArray *names)
{
  GList *cas = NULL;
  guint i;

  for (i = names ? names->len : 0; i > 0; i--)
    {
      gsize size;
      const guint8 *der = g_bytes_get_data (g_ptr_array_index (names, i - 1), &size);
      cas = g_list_prepend (cas, g_byte_array_append (g_byte_array_new (), der, size));
    }
  g_mutex_lock (&self->lock);
  free_accepted_cas (self->accepted_cas);
  self->accepted_cas = cas;
  g_mutex_unlock (&self->lock);
  g_object_notify (G_OBJECT (self), "accepted-cas");
}

static void
dtls_go_client_connection_certificate_requested (DtlsGoConnection *conn,
                                                 GPtrArray        *accepted_cas)
{
  set_accepted_cas (DTLS_GO_CLIENT_CONNECTION (conn), accepted_cas);
}

static void
dtls_go_client_connection_handshake_done (DtlsGoConnection *conn)
{
  g_autoptr(GPtrArray) cas = dtlsgo_core_connection_accepted_cas (dtlsgo_connection_get_core (conn));

  if (cas->len > 0)
    set_accepted_cas (DTLS_GO_CLIENT_CONNECTION (conn), cas);
}

static void
dtls_go_client_connection_class_init (DtlsGoClientConnectionClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  DtlsGoConnectionClass *conn_class = DTLS_GO_CONNECTION_CLASS (klass);

  gobject_class->get_property = dtls_go_client_connection_get_property;
  gobject_class->set_property = dtls_go_client_connection_set_property;
  gobject_class->finalize = dtls_go_client_connection_finalize;

  conn_class->is_client = TRUE;
  conn_class->prepare_handshake = dtls_go_client_connection_prepare_handshake;
  conn_class->get_peer_identity = dtls_go_client_connection_get_peer_identity;
  conn_class->accept_peer = dtls_go_client_connection_accept_peer;
  conn_class->certificate_requested = dtls_go_client_connection_certificate_requested;
  conn_class->handshake_done = dtls_go_client_connection_handshake_done;

  g_object_class_override_property (gobject_class, PROP_VALIDATION_FLAGS, "validation-flags");
  g_object_class_override_property (gobject_class, PROP_SERVER_IDENTITY, "server-identity");
  g_object_class_override_property (gobject_class, PROP_USE_SSL3, "use-ssl3");
  g_object_class_override_property (gobject_class, PROP_ACCEPTED_CAS, "accepted-cas");

  /**
   * DtlsGoClientConnection:psk-identity:
   *
   * The identity the client sends with its [property@DtlsGo.ClientConnection:psk]
   * (RFC 4279: UTF-8, and what the server looks the key up by).
   */
  obj_props[PROP_PSK_IDENTITY] =
    g_param_spec_string ("psk-identity", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoClientConnection:psk:
   *
   * The pre-shared key (RFC 4279), or %NULL (the default) for none. With a
   * key the client offers only PSK cipher suites (the ECDHE_PSK ones
   * first, for forward secrecy), plus the certificate suites when it also
   * has a [property@Gio.TlsConnection:certificate], and needs no
   * certificates at all. A key without a non-empty
   * [property@DtlsGo.ClientConnection:psk-identity] makes the
   * handshake fail with %G_IO_ERROR_INVALID_ARGUMENT.
   */
  obj_props[PROP_PSK] =
    g_param_spec_boxed ("psk", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * DtlsGoClientConnection:ech-config-list:
   *
   * Encrypted Client Hello (RFC 9849) for stream TLS: an ECHConfigList,
   * the bytes a server publishes in the `ech` parameter of its DNS HTTPS
   * record (base64 there), or that
   * dtls_go_generate_ech_keys() gives. %NULL (the default) leaves ECH out.
   * With a list the client speaks TLS 1.3 only and encrypts its real
   * ClientHello, [property@Gio.TlsClientConnection:server-identity]'s
   * name included, to one of the list's configs; the unencrypted outer
   * ClientHello names only the config's public name. The server's
   * certificate is verified against server-identity as without ECH.
   *
   * A server that does not decrypt it (no ECH, or other keys) makes the
   * handshake fail with %G_TLS_ERROR_HANDSHAKE ("The server rejected
   * Encrypted Client Hello: …") before any application data; dtlsgo
   * neither retries nor falls back to plain TLS. A list holding no config
   * dtlsgo can use fails the handshake's start with
   * %G_IO_ERROR_INVALID_ARGUMENT. DTLS connections ignore it.
   */
  obj_props[PROP_ECH_CONFIG_LIST] =
    g_param_spec_boxed ("ech-config-list", NULL, NULL, G_TYPE_BYTES,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (gobject_class, PROP_PSK_IDENTITY, obj_props[PROP_PSK_IDENTITY]);
  g_object_class_install_property (gobject_class, PROP_PSK, obj_props[PROP_PSK]);
  g_object_class_install_property (gobject_class, PROP_ECH_CONFIG_LIST, obj_props[PROP_ECH_CONFIG_LIST]);
}

/**
 * dtls_go_client_connection_new:
 * @base_socket: the #GDatagramBased to run DTLS over, usually a connected
 *   UDP #GSocket; dtlsgo never closes it
 * @server_identity: (nullable): the expected identity of the server
 *   (#GDtlsClientConnection:server-identity), sent as SNI when it is a host
 *   name
 * @error: return location for a #GError
 *
 * Creates a dtlsgo DTLS client connection, as
 * g_dtls_client_connection_new() does while dtlsgo is GIO's default TLS
 * backend, but whatever the default is: a program can keep
 * glib-networking for its TLS streams and take dtlsgo's DTLS by name.
 * Certificates and databases of the default backend are accepted (the
 * certificate is read through its PEM or DER properties; a database of
 * another backend verifies a chain of that backend's certificates).
 *
 * Before the connection is used, check with `isinstance()` (or
 * DTLS_GO_IS_CLIENT_CONNECTION()) wherever a connection may come from
 * g_dtls_client_connection_new() instead: only dtlsgo's connections have
 * the DtlsGo methods.
 *
 * Returns: (transfer full): the new connection, or %NULL on error
 */
DtlsGoClientConnection *
dtls_go_client_connection_new (GDatagramBased     *base_socket,
                               GSocketConnectable *server_identity,
                               GError            **error)
{
  DTLSGO_FORWARD (dtls_go_client_connection_new, (base_socket, server_identity, error));
  g_return_val_if_fail (G_IS_DATAGRAM_BASED (base_socket), NULL);
  g_return_val_if_fail (server_identity == NULL || G_IS_SOCKET_CONNECTABLE (server_identity), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (DTLS_GO_TYPE_CLIENT_CONNECTION, NULL, error,
                         "base-socket", base_socket,
                         "server-identity", server_identity,
                         NULL);
}

/**
 * dtls_go_client_connection_set_psk:
 * @self: a #DtlsGoClientConnection
 * @identity: (nullable): the PSK identity to send
 * @key: (nullable): the pre-shared key, or %NULL to use none
 *
 * Sets [property@DtlsGo.ClientConnection:psk-identity] and
 * [property@DtlsGo.ClientConnection:psk] at once, before the handshake.
 * A key with a %NULL or empty @identity makes the handshake fail with
 * %G_IO_ERROR_INVALID_ARGUMENT.
 */
void
dtls_go_client_connection_set_psk (DtlsGoClientConnection *self,
                                   const gchar            *identity,
                                   GBytes                 *key)
{
  DTLSGO_FORWARD_VOID (dtls_go_client_connection_set_psk, (self, identity, key));
  g_return_if_fail (DTLS_GO_IS_CLIENT_CONNECTION (self));

  g_object_set (self, "psk-identity", identity, "psk", key, NULL);
}

/* The next handshake offers source's session (an unused ticket of its
 * server, else the one source used last). Unlike glib-networking, a
 * source without a session, another backend's or a DTLS one, is not a
 * programming error: nothing is copied. */
static void
dtls_go_client_connection_copy_session_state (GTlsClientConnection *conn,
                                              GTlsClientConnection *source)
{
  DtlsGoHandle core = dtlsgo_connection_get_core (DTLS_GO_CONNECTION (conn));
  DtlsGoHandle source_core;

  if (!DTLS_GO_IS_CLIENT_CONNECTION (source))
    return;
  source_core = dtlsgo_connection_get_core (DTLS_GO_CONNECTION (source));
  if (core != 0 && source_core != 0)
    dtlsgo_core_stream_copy_session_state (core, source_core);
}

static void
dtls_go_client_connection_tls_iface_init (GTlsClientConnectionInterface *iface)
{
  iface->copy_session_state = dtls_go_client_connection_copy_session_state;
}

static void
dtls_go_client_connection_dtls_iface_init (GDtlsClientConnectionInterface *iface)
{
}
