/* DtlsGoServerConnection: the server role. Asks for client certificates as
 * authentication-mode says, and lets accept-certificate judge every
 * certificate a client presents, as GLib documents. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-server-connection.h"

enum
{
  PROP_0,
  PROP_AUTHENTICATION_MODE,
};

struct _DtlsGoServerConnection
{
  DtlsGoConnection parent_instance;

  GTlsAuthenticationMode authentication_mode; /* atomic */
};

static void dtls_go_server_connection_dtls_iface_init (GDtlsServerConnectionInterface *iface);
static void dtls_go_server_connection_tls_iface_init (GTlsServerConnectionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoServerConnection, dtls_go_server_connection, DTLS_GO_TYPE_CONNECTION,
                               G_IMPLEMENT_INTERFACE (G_TYPE_TLS_SERVER_CONNECTION,
                                                      dtls_go_server_connection_tls_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_DTLS_SERVER_CONNECTION,
                                                      dtls_go_server_connection_dtls_iface_init))

static void
dtls_go_server_connection_init (DtlsGoServerConnection *self)
{
  self->authentication_mode = G_TLS_AUTHENTICATION_NONE;
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

  conn_class->is_client = FALSE;
  conn_class->prepare_handshake = dtls_go_server_connection_prepare_handshake;
  conn_class->get_peer_identity = dtls_go_server_connection_get_peer_identity;
  conn_class->accept_peer = dtls_go_server_connection_accept_peer;
  conn_class->certificate_requested = dtls_go_server_connection_certificate_requested;
  conn_class->handshake_done = dtls_go_server_connection_handshake_done;

  g_object_class_override_property (gobject_class, PROP_AUTHENTICATION_MODE, "authentication-mode");
}

static void
dtls_go_server_connection_tls_iface_init (GTlsServerConnectionInterface *iface)
{
}

static void
dtls_go_server_connection_dtls_iface_init (GDtlsServerConnectionInterface *iface)
{
}
