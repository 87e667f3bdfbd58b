/* DtlsGoConnection: the connection base shared by client and server, in the
 * role of glib-networking's GTlsConnectionBase. It owns everything
 * GLib-shaped (properties, signals, the datagram contract, handshake ops and
 * their main contexts, peer verification through the database and
 * accept-certificate) and delegates the protocol to the Go core. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dtlsgo-certificate.h"
#include "dtlsgo-connection-stream.h"

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
  N_PROPS
};

static GParamSpec *obj_props[N_PROPS];

#define DEFAULT_RETRANSMISSION_INTERVAL_MS 1000
#define DEFAULT_MTU 1200

/* One caller's wait for the handshake: the main context its upcalls and
 * completion run in, and how it completes (a GTask, a flag a sync caller
 * loops on, or nothing for an implicit handshake started in the
 * background). Held by its starter (a sync caller until it saw done,
 * otherwise until the completion ran) and by each upcall while it runs:
 * a handler may iterate the context, and the completion then runs inside
 * it. Referenced only where its context is dispatched. */
typedef struct
{
  grefcount refs;
  DtlsGoConnection *conn;
  GMainContext *context;
  GCancellable *cancellable;
  GTask *task;
  gboolean sync;
  gboolean done;
  GError *error;
} HandshakeOp;

typedef struct
{
  GDatagramBased *base_socket;
  GIOStream *base_io_stream;  /* stream TLS (dtlsgo-connection-stream.c) */
  DtlsGoHandle core;

  GMutex lock; /* guards the fields below; never held across a call out */
  GTlsDatabase *database;
  gboolean database_is_set;
  GTlsInteraction *interaction;
  GTlsCertificate *certificate;
  GTlsCertificate *peer_certificate;
  GTlsCertificateFlags peer_certificate_errors;
  gboolean require_close_notify;
  GTlsRehandshakeMode rehandshake_mode;
  gchar **advertised_protocols;
  gchar *negotiated_protocol;
  gchar *ciphersuite_name;
  gboolean handshake_complete;
  GTlsProtocolVersion protocol_version;
  GMainContext *handshake_context; /* of the op that started the handshake */
  GArray *wakeups;                 /* eventfds of this connection's sources */
  gchar **srtp_profiles;
  gchar *srtp_profile;
  gint connection_id_length;
  guint handshake_timeout;
  guint retransmission_interval;
  guint mtu;
  GByteArray *binding_arrays[3];   /* per GTlsChannelBindingType, for PyGObject */
} DtlsGoConnectionPrivate;

static void dtls_go_connection_initable_iface_init (GInitableIface *iface);
static void dtls_go_connection_datagram_based_iface_init (GDatagramBasedInterface *iface);
static void dtls_go_connection_dtls_connection_iface_init (GDtlsConnectionInterface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (DtlsGoConnection, dtls_go_connection, G_TYPE_TLS_CONNECTION,
                                  G_ADD_PRIVATE (DtlsGoConnection)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                         dtls_go_connection_initable_iface_init)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_DATAGRAM_BASED,
                                                         dtls_go_connection_datagram_based_iface_init)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_DTLS_CONNECTION,
                                                         dtls_go_connection_dtls_connection_iface_init))

#define PRIV(self) ((DtlsGoConnectionPrivate *) dtls_go_connection_get_instance_private (DTLS_GO_CONNECTION (self)))

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
static GTlsDatabase *
get_database (DtlsGoConnection *self)
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
      g_value_take_object (value, get_database (self));
      return;
    case PROP_USE_SYSTEM_CERTDB:
      {
        g_autoptr(GTlsDatabase) database = get_database (self);
        g_value_set_boolean (value, database != NULL);
      }
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

/* ---- Upcalls: the handshake's questions, answered in the op's context ---- */

static void
handshake_op_unref (HandshakeOp *op)
{
  if (!g_ref_count_dec (&op->refs))
    return;
  g_clear_object (&op->task);
  g_clear_object (&op->cancellable);
  g_clear_error (&op->error);
  g_main_context_unref (op->context);
  g_object_unref (op->conn);
  g_free (op);
}

/* A sync op's thread iterates a private context pushed as its
 * thread-default. Handlers and interactions run with the caller's own
 * thread-default context back in place (as in glib-networking): they see
 * the context the caller set up, and an interaction made in it is invoked
 * right here instead of waiting for a context nobody iterates. */
static void
op_leave_private_context (HandshakeOp *op)
{
  if (op->sync)
    g_main_context_pop_thread_default (op->context);
}

static void
op_enter_private_context (HandshakeOp *op)
{
  if (op->sync)
    g_main_context_push_thread_default (op->context);
}

static GTlsCertificateFlags
verify_peer (DtlsGoConnection *self, GTlsCertificate *peer, GCancellable *cancellable)
{
  DtlsGoConnectionClass *klass = DTLS_GO_CONNECTION_GET_CLASS (self);
  g_autoptr(GTlsDatabase) database = get_database (self);
  g_autoptr(GSocketConnectable) identity = klass->get_peer_identity (self);
  GTlsCertificateFlags errors = 0;

  if (klass->is_client && identity == NULL)
    errors |= G_TLS_CERTIFICATE_BAD_IDENTITY;

  if (database == NULL)
    {
      errors |= G_TLS_CERTIFICATE_UNKNOWN_CA;
      errors |= g_tls_certificate_verify (peer, identity, NULL);
    }
  else
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsInteraction) interaction = NULL;

      g_object_get (self, "interaction", &interaction, NULL);
      errors |= g_tls_database_verify_chain (database, peer,
                                             klass->is_client ? G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER
                                                              : G_TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT,
                                             identity, interaction, G_TLS_DATABASE_VERIFY_NONE,
                                             cancellable, &error);
      if (error)
        {
          g_debug ("verifying the peer's certificate failed: %s", error->message);
          errors |= G_TLS_CERTIFICATE_GENERIC_ERROR;
        }
    }
  return errors;
}

static void
run_verify (HandshakeOp *op, DtlsGoHandle request)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionPrivate *priv = PRIV (self);
  g_autoptr(GPtrArray) chain = dtlsgo_core_verify_chain (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) peer = dtlsgo_certificate_new_peer_chain (chain, &error);
  GTlsCertificateFlags errors;
  gboolean accepted;

  if (peer == NULL)
    {
      dtlsgo_core_verify_reply (request, FALSE, error);
      return;
    }
  errors = verify_peer (self, peer, op->cancellable);

  op_leave_private_context (op);
  accepted = DTLS_GO_CONNECTION_GET_CLASS (self)->accept_peer (self, peer, errors);
  op_enter_private_context (op);

  /* GLib documents both as set after accept-certificate, not during it. */
  g_mutex_lock (&priv->lock);
  g_set_object (&priv->peer_certificate, peer);
  priv->peer_certificate_errors = errors;
  g_mutex_unlock (&priv->lock);
  g_object_notify (G_OBJECT (self), "peer-certificate");
  g_object_notify (G_OBJECT (self), "peer-certificate-errors");

  dtlsgo_core_verify_reply (request, accepted, NULL);
}

static void
run_request_certificate (HandshakeOp *op, DtlsGoHandle request)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionPrivate *priv = PRIV (self);
  g_autoptr(GPtrArray) cas = dtlsgo_core_certificate_request_cas (request);
  g_autoptr(GTlsInteraction) interaction = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  DtlsGoHandle handle = 0;

  DTLS_GO_CONNECTION_GET_CLASS (self)->certificate_requested (self, cas);

  g_mutex_lock (&priv->lock);
  if (priv->interaction)
    interaction = g_object_ref (priv->interaction);
  g_mutex_unlock (&priv->lock);

  if (interaction)
    {
      GTlsInteractionResult result;

      op_leave_private_context (op);
      result = g_tls_interaction_invoke_request_certificate (interaction, G_TLS_CONNECTION (self), 0,
                                                             op->cancellable, &error);
      op_enter_private_context (op);
      /* An error counts even with another result: PyGObject turns an
       * exception into an error and UNHANDLED. glib-networking keeps it
       * too. */
      if (result == G_TLS_INTERACTION_FAILED || error != NULL)
        {
          dtlsgo_core_certificate_reply (request, 0, error);
          return;
        }
    }

  g_mutex_lock (&priv->lock);
  if (priv->certificate)
    certificate = g_object_ref (priv->certificate);
  g_mutex_unlock (&priv->lock);
  if (certificate)
    {
      handle = dtlsgo_certificate_handle_for (certificate, &error);
      if (handle == 0)
        {
          dtlsgo_core_certificate_reply (request, 0, error);
          return;
        }
    }
  dtlsgo_core_certificate_reply (request, handle, NULL);
}

/* A server's question for a client identity's pre-shared key. */
static void
run_psk (HandshakeOp *op, DtlsGoHandle request)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionClass *klass = DTLS_GO_CONNECTION_GET_CLASS (self);
  g_autofree gchar *identity = dtlsgo_core_psk_identity (request);
  g_autoptr(GBytes) key = klass->psk_requested ? klass->psk_requested (self, identity) : NULL;

  dtlsgo_core_psk_reply (request, key, NULL);
}

/* How many passwords an interaction may try before the handshake fails. */
#define MAX_PASSWORD_TRIES 3

/* The certificate's private key is encrypted: ask the interaction for its
 * password, as glib-networking asks for a PKCS #11 PIN. */
static void
run_ask_password (HandshakeOp *op, DtlsGoHandle request)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionPrivate *priv = PRIV (self);
  g_autofree gchar *subject = dtlsgo_core_password_request_subject (request);
  g_autofree gchar *description = g_strdup_printf ("Password for the private key of %s", subject);
  g_autoptr(GTlsInteraction) interaction = NULL;
  g_autoptr(GError) error = NULL;
  GTlsPasswordFlags flags = 0;

  g_mutex_lock (&priv->lock);
  if (priv->interaction)
    interaction = g_object_ref (priv->interaction);
  g_mutex_unlock (&priv->lock);

  for (guint attempt = 1; interaction && attempt <= MAX_PASSWORD_TRIES; attempt++)
    {
      g_autoptr(GTlsPassword) password = NULL;
      GTlsInteractionResult result;
      const guchar *value;
      gsize length;

      if (attempt == MAX_PASSWORD_TRIES)
        flags |= G_TLS_PASSWORD_FINAL_TRY;
      password = g_tls_password_new (flags, description);
      op_leave_private_context (op);
      result = g_tls_interaction_invoke_ask_password (interaction, password, op->cancellable, &error);
      op_enter_private_context (op);
      if (result == G_TLS_INTERACTION_FAILED || error != NULL)
        {
          dtlsgo_core_password_reply (request, error);
          return;
        }
      if (result != G_TLS_INTERACTION_HANDLED)
        break;
      value = g_tls_password_get_value (password, &length);
      if (dtlsgo_core_password_try (request, (guint8 *) value, length))
        {
          dtlsgo_core_password_reply (request, NULL);
          return;
        }
      flags |= G_TLS_PASSWORD_RETRY;
    }
  if (interaction == NULL)
    g_set_error (&error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE_PASSWORD,
                 "The private key of %s is encrypted and the connection has no interaction to ask "
                 "for its password", subject);
  dtlsgo_core_password_reply (request, error);
}

static void
run_handshake_done (HandshakeOp *op, DtlsGoHandle request)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionPrivate *priv = PRIV (self);
  gboolean first = FALSE;

  if (dtlsgo_core_handshake_result (request, &op->error))
    {
      /* Asked before taking the lock: the core holds its own lock while it
       * calls dtlsgo_shim_connection_changed, which takes ours. */
      g_autofree gchar *negotiated_protocol = dtlsgo_core_connection_negotiated_protocol (priv->core);
      g_autofree gchar *ciphersuite_name = dtlsgo_core_connection_ciphersuite (priv->core);
      g_autofree gchar *srtp_profile = dtlsgo_core_connection_srtp_profile (priv->core);
      GTlsProtocolVersion protocol_version = dtlsgo_core_connection_protocol_version (priv->core);

      g_mutex_lock (&priv->lock);
      if (!priv->handshake_complete)
        {
          first = TRUE;
          priv->handshake_complete = TRUE;
          priv->negotiated_protocol = g_steal_pointer (&negotiated_protocol);
          priv->ciphersuite_name = g_steal_pointer (&ciphersuite_name);
          priv->srtp_profile = g_steal_pointer (&srtp_profile);
          priv->protocol_version = protocol_version;
        }
      g_mutex_unlock (&priv->lock);
    }

  if (first)
    {
      DTLS_GO_CONNECTION_GET_CLASS (self)->handshake_done (self);
      g_object_notify (G_OBJECT (self), "negotiated-protocol");
      g_object_notify (G_OBJECT (self), "protocol-version");
      g_object_notify (G_OBJECT (self), "ciphersuite-name");
      g_object_notify_by_pspec (G_OBJECT (self), obj_props[PROP_SRTP_PROFILE]);
    }

  if (op->task)
    {
      if (op->error)
        g_task_return_error (op->task, g_steal_pointer (&op->error));
      else
        g_task_return_boolean (op->task, TRUE);
    }
  op->done = TRUE;
}

typedef struct
{
  HandshakeOp *op;
  DtlsGoUpcall kind;
  DtlsGoHandle request;
} Upcall;

static gboolean
run_upcall (gpointer data)
{
  Upcall *upcall = data;
  HandshakeOp *op = upcall->op;

  g_ref_count_inc (&op->refs);
  switch (upcall->kind)
    {
    case DTLSGO_UPCALL_VERIFY:
      run_verify (op, upcall->request);
      break;
    case DTLSGO_UPCALL_REQUEST_CERTIFICATE:
      run_request_certificate (op, upcall->request);
      break;
    case DTLSGO_UPCALL_ASK_PASSWORD:
      run_ask_password (op, upcall->request);
      break;
    case DTLSGO_UPCALL_PSK:
      run_psk (op, upcall->request);
      break;
    case DTLSGO_UPCALL_HANDSHAKE_DONE:
      run_handshake_done (op, upcall->request);
      /* A sync caller drops its own reference once it sees done. */
      if (!op->sync)
        handshake_op_unref (op);
      break;
    }
  handshake_op_unref (op);
  return G_SOURCE_REMOVE;
}

void
dtlsgo_shim_upcall (gpointer op, DtlsGoUpcall kind, DtlsGoHandle request)
{
  HandshakeOp *hop = op;
  Upcall *upcall = g_new (Upcall, 1);
  /* Our own reference: once attached, the upcall may run and free op (and
   * with it a sync op's private context) before this thread drops its
   * reference to the source, and g_source_unref() locks the source's
   * context. Without this the last unref of the source raced with the
   * context's finalization: heap corruption, or "source_remove_from_context:
   * assertion 'source_list != NULL' failed". */
  g_autoptr(GMainContext) context = g_main_context_ref (hop->context);
  g_autoptr(GSource) source = g_idle_source_new ();

  upcall->op = hop;
  upcall->kind = kind;
  upcall->request = request;
  /* An idle source rather than g_main_context_invoke: invoke would run the
   * upcall right here, on a Go thread, whenever it can acquire the context. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_upcall, upcall, g_free);
  g_source_set_static_name (source, "[dtlsgo] handshake upcall");
  g_source_attach (source, context);
  /* The source goes before the context (autoptrs are released in reverse
   * order of declaration). */
}

/* ---- Handshake ops -------------------------------------------------------- */

static HandshakeOp *
handshake_op_new (DtlsGoConnection *self,
                  GMainContext     *context,
                  GCancellable     *cancellable,
                  GTask            *task,
                  gboolean          sync)
{
  HandshakeOp *op = g_new0 (HandshakeOp, 1);

  g_ref_count_init (&op->refs);
  op->conn = g_object_ref (self);
  op->context = g_main_context_ref (context);
  op->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  op->task = task ? g_object_ref (task) : NULL;
  op->sync = sync;
  return op;
}

/* Starts or joins the handshake for op; on FALSE no upcall will come and the
 * caller completes op itself. */
static gboolean
handshake_op_start (HandshakeOp *op, gint64 timeout, GError **error)
{
  DtlsGoConnection *self = op->conn;
  DtlsGoConnectionPrivate *priv = PRIV (self);
  DtlsGoHandshakeParams params = { 0 };
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_auto(GStrv) protocols = NULL;
  g_auto(GStrv) srtp_profiles = NULL;
  gboolean started = FALSE;
  gboolean ok;

  g_mutex_lock (&priv->lock);
  if (priv->certificate)
    certificate = g_object_ref (priv->certificate);
  protocols = g_strdupv (priv->advertised_protocols);
  srtp_profiles = g_strdupv (priv->srtp_profiles);
  params.connection_id_length = priv->connection_id_length;
  params.handshake_timeout_ms = priv->handshake_timeout;
  params.retransmission_interval_ms = priv->retransmission_interval;
  params.mtu = priv->mtu;
  g_mutex_unlock (&priv->lock);
  params.srtp_profiles = (const gchar * const *) srtp_profiles;
  params.key_log_file = g_getenv ("SSLKEYLOGFILE");

  params.is_client = DTLS_GO_CONNECTION_GET_CLASS (self)->is_client;
  if (certificate)
    {
      params.certificate = dtlsgo_certificate_handle_for (certificate, error);
      if (params.certificate == 0)
        return FALSE;
    }
  params.protocols = (const gchar * const *) protocols;
  DTLS_GO_CONNECTION_GET_CLASS (self)->prepare_handshake (self, &params);

  ok = dtlsgo_core_connection_handshake (priv->core, &params, op, timeout,
                                         op->cancellable, &started, error);
  if (params.certificate)
    dtlsgo_core_handle_free (params.certificate);
  g_clear_pointer (&params.psk, g_bytes_unref);
  g_clear_pointer (&params.psk_identity, g_free);
  g_clear_pointer (&params.psk_identity_hint, g_free);

  if (ok && started)
    {
      g_mutex_lock (&priv->lock);
      g_clear_pointer (&priv->handshake_context, g_main_context_unref);
      priv->handshake_context = g_main_context_ref (op->context);
      g_mutex_unlock (&priv->lock);
    }
  return ok;
}

/* TRUE when the calling thread is running the main context a handshake in
 * progress depends on: blocking here would deadlock it. */
static gboolean
blocks_running_handshake (DtlsGoConnection *self)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);
  gboolean owner;

  if (dtlsgo_core_connection_handshake_state (priv->core) != DTLSGO_HANDSHAKE_RUNNING)
    return FALSE;
  g_mutex_lock (&priv->lock);
  owner = priv->handshake_context && g_main_context_is_owner (priv->handshake_context);
  g_mutex_unlock (&priv->lock);
  return owner;
}

static gboolean
set_blocking_during_handshake_error (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Cannot perform a blocking operation during the TLS handshake "
                       "from the thread running its main context");
  return FALSE;
}

/* Runs (or waits for) the handshake on the calling thread, iterating a
 * private main context where the handshake's upcalls (verification,
 * accept-certificate, interaction) run. timeout < 0: no bound but the
 * handshake's own. */
static gboolean
handshake_sync (DtlsGoConnection *self,
                gint64            timeout,
                GCancellable     *cancellable,
                GError          **error)
{
  g_autoptr(GMainContext) context = NULL;
  HandshakeOp *op;
  gboolean ok;

  if (blocks_running_handshake (self))
    return set_blocking_during_handshake_error (error);

  context = g_main_context_new ();
  op = handshake_op_new (self, context, cancellable, NULL, TRUE);
  g_main_context_push_thread_default (context);
  ok = handshake_op_start (op, timeout, error);
  if (ok)
    {
      while (!op->done)
        g_main_context_iteration (context, TRUE);
      ok = op->error == NULL;
      if (!ok)
        g_propagate_error (error, g_steal_pointer (&op->error));
    }
  g_main_context_pop_thread_default (context);
  handshake_op_unref (op);
  return ok;
}

static gboolean
dtls_go_connection_handshake (GDtlsConnection *conn,
                              GCancellable    *cancellable,
                              GError         **error)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (conn);
  gint64 timeout = PRIV (self)->base_io_stream ? dtlsgo_connection_stream_timeout (self) : -1;

  return handshake_sync (self, timeout, cancellable, error);
}

static void
dtls_go_connection_handshake_async (GDtlsConnection     *conn,
                                    int                  io_priority,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (conn);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  HandshakeOp *op;

  g_task_set_source_tag (task, dtls_go_connection_handshake_async);
  g_task_set_priority (task, io_priority);
  /* Upcalls and completion run in the caller's thread-default context. */
  op = handshake_op_new (self, g_task_get_context (task), cancellable, task, FALSE);
  if (!handshake_op_start (op, -1, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      handshake_op_unref (op);
    }
}

static gboolean
dtls_go_connection_handshake_finish (GDtlsConnection *conn,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GTlsConnection's handshake methods are the same operation. */
static gboolean
dtls_go_connection_tls_handshake (GTlsConnection *conn, GCancellable *cancellable, GError **error)
{
  return dtls_go_connection_handshake (G_DTLS_CONNECTION (conn), cancellable, error);
}

static void
dtls_go_connection_tls_handshake_async (GTlsConnection      *conn,
                                        int                  io_priority,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  dtls_go_connection_handshake_async (G_DTLS_CONNECTION (conn), io_priority, cancellable,
                                      callback, user_data);
}

static gboolean
dtls_go_connection_tls_handshake_finish (GTlsConnection *conn, GAsyncResult *result, GError **error)
{
  return dtls_go_connection_handshake_finish (G_DTLS_CONNECTION (conn), result, error);
}

/* The implicit handshake of the first send or receive. With timeout 0 it
 * starts in the background, in the caller's thread-default context (which
 * the caller iterates), and the op reports WOULD_BLOCK; otherwise it runs
 * here, bounded by the op's timeout. A failed handshake is reported by the
 * I/O call itself (the error is sticky in the core). */
static gboolean
ensure_handshake (DtlsGoConnection *self,
                  gint64            timeout,
                  GCancellable     *cancellable,
                  GError          **error)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);

  switch (dtlsgo_core_connection_handshake_state (priv->core))
    {
    case DTLSGO_HANDSHAKE_DONE:
    case DTLSGO_HANDSHAKE_FAILED:
      return TRUE;
    case DTLSGO_HANDSHAKE_IDLE:
      if (timeout == 0)
        {
          g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
          HandshakeOp *op = handshake_op_new (self, context, NULL, NULL, FALSE);

          if (!handshake_op_start (op, -1, error))
            {
              handshake_op_unref (op);
              return FALSE;
            }
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                               "The TLS handshake is in progress");
          return FALSE;
        }
      break;
    case DTLSGO_HANDSHAKE_RUNNING:
      if (timeout == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                               "The TLS handshake is in progress");
          return FALSE;
        }
      break;
    }
  return handshake_sync (self, timeout, cancellable, error);
}

/* What is left of an op's timeout once its handshake took some: never 0,
 * which would turn a bounded wait into a poll. */
static gint64
remaining (gint64 timeout, gint64 deadline)
{
  if (timeout <= 0)
    return timeout;
  return MAX (deadline - g_get_monotonic_time (), 1);
}

/* ---- GDatagramBased ------------------------------------------------------- */

/* The common start of send and receive: no flags, the handshake done (or
 * started, or failed: the core reports that), and *timeout cut to what the
 * handshake left of it. */
static gboolean
begin_io (DtlsGoConnection *self,
          const gchar      *what,
          gint              flags,
          gint64           *timeout,
          GCancellable     *cancellable,
          GError          **error)
{
  gint64 deadline = *timeout > 0 ? g_get_monotonic_time () + *timeout : 0;

  if (flags != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s flags are not supported", what);
      return FALSE;
    }
  if (!ensure_handshake (self, *timeout, cancellable, error))
    return FALSE;
  *timeout = remaining (*timeout, deadline);
  return TRUE;
}

gboolean
dtlsgo_connection_begin_io (DtlsGoConnection  *self,
                            gint64            *timeout,
                            GCancellable      *cancellable,
                            GError           **error)
{
  return begin_io (self, "I/O", 0, timeout, cancellable, error);
}

static gint
dtls_go_connection_receive_messages (GDatagramBased  *datagram_based,
                                     GInputMessage   *messages,
                                     guint            num_messages,
                                     gint             flags,
                                     gint64           timeout,
                                     GCancellable    *cancellable,
                                     GError         **error)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (datagram_based);

  if (!begin_io (self, "Receive", flags, &timeout, cancellable, error))
    return -1;
  return dtlsgo_core_connection_receive (PRIV (self)->core, messages, num_messages,
                                         timeout, cancellable, error);
}

static gint
dtls_go_connection_send_messages (GDatagramBased  *datagram_based,
                                  GOutputMessage  *messages,
                                  guint            num_messages,
                                  gint             flags,
                                  gint64           timeout,
                                  GCancellable    *cancellable,
                                  GError         **error)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (datagram_based);

  if (!begin_io (self, "Send", flags, &timeout, cancellable, error))
    return -1;
  return dtlsgo_core_connection_send (PRIV (self)->core, messages, num_messages,
                                      timeout, cancellable, error);
}

static GIOCondition
dtls_go_connection_condition_check (GDatagramBased *datagram_based,
                                    GIOCondition    condition)
{
  return dtlsgo_core_connection_condition (PRIV (datagram_based)->core, condition);
}

static gboolean
dtls_go_connection_condition_wait (GDatagramBased  *datagram_based,
                                   GIOCondition     condition,
                                   gint64           timeout,
                                   GCancellable    *cancellable,
                                   GError         **error)
{
  return dtlsgo_core_connection_condition_wait (PRIV (datagram_based)->core, condition,
                                                timeout, cancellable, error);
}

/* A source for the connection's own readiness: the core signals changes
 * through an eventfd per source, and check() asks the core again. The
 * source calls back only when a watched condition holds (or its
 * cancellable fired), with that condition: an application that reads once
 * per wake-up and gives up on WOULD_BLOCK (Frida does) must never be woken
 * for nothing. */
typedef struct
{
  GSource source;
  DtlsGoConnection *conn;
  GIOCondition condition;
  GCancellable *cancellable;
  /* Added with g_source_add_poll, not g_source_add_unix_fd: GLib
   * dispatches a source whose unix fd polled ready even when check()
   * said no, and the eventfd often holds a signal for records that
   * prepare() already saw and the callback already took. */
  GPollFD wakeup;
} ConnectionSource;

static gboolean
connection_source_prepare (GSource *source, gint *timeout)
{
  ConnectionSource *cs = (ConnectionSource *) source;

  *timeout = -1;
  return dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition) != 0;
}

static gboolean
connection_source_check (GSource *source)
{
  ConnectionSource *cs = (ConnectionSource *) source;

  /* Drain before asking: a change after this will signal again. */
  if (cs->wakeup.revents & G_IO_IN)
    {
      guint64 count;
      while (read (cs->wakeup.fd, &count, sizeof count) < 0 && errno == EINTR)
        ;
    }
  return dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition) != 0;
}

static gboolean
connection_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  ConnectionSource *cs = (ConnectionSource *) source;
  GDatagramBasedSourceFunc func = (GDatagramBasedSourceFunc) callback;
  GIOCondition ready = dtlsgo_core_connection_condition (PRIV (cs->conn)->core, cs->condition);

  if (func == NULL)
    {
      g_warning ("DTLS connection source dispatched without callback. "
                 "You must call g_source_set_callback().");
      return G_SOURCE_REMOVE;
    }
  /* Another source's callback may have taken the records meanwhile. */
  if (ready == 0 && !g_cancellable_is_cancelled (cs->cancellable))
    return G_SOURCE_CONTINUE;
  return func (G_DATAGRAM_BASED (cs->conn), ready, user_data);
}

static void
connection_source_finalize (GSource *source)
{
  ConnectionSource *cs = (ConnectionSource *) source;
  DtlsGoConnectionPrivate *priv = PRIV (cs->conn);
  guint i;

  g_mutex_lock (&priv->lock);
  for (i = 0; i < priv->wakeups->len; i++)
    if (g_array_index (priv->wakeups, int, i) == cs->wakeup.fd)
      {
        g_array_remove_index_fast (priv->wakeups, i);
        break;
      }
  g_mutex_unlock (&priv->lock);
  close (cs->wakeup.fd);
  g_clear_object (&cs->cancellable);
  g_object_unref (cs->conn);
}

static gboolean
connection_source_closure_callback (GDatagramBased *datagram_based,
                                    GIOCondition    condition,
                                    gpointer        data)
{
  GClosure *closure = data;
  GValue params[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue result_value = G_VALUE_INIT;
  gboolean result;

  g_value_init (&result_value, G_TYPE_BOOLEAN);
  g_value_init (&params[0], G_TYPE_DATAGRAM_BASED);
  g_value_set_object (&params[0], datagram_based);
  g_value_init (&params[1], G_TYPE_IO_CONDITION);
  g_value_set_flags (&params[1], condition);
  g_closure_invoke (closure, &result_value, 2, params, NULL);
  result = g_value_get_boolean (&result_value);
  g_value_unset (&result_value);
  g_value_unset (&params[0]);
  g_value_unset (&params[1]);
  return result;
}

static GSourceFuncs connection_source_funcs = {
  connection_source_prepare,
  connection_source_check,
  connection_source_dispatch,
  connection_source_finalize,
  (GSourceFunc) connection_source_closure_callback,
  NULL,
};

static GSource *
dtls_go_connection_create_source (GDatagramBased *datagram_based,
                                  GIOCondition    condition,
                                  GCancellable   *cancellable)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (datagram_based);
  DtlsGoConnectionPrivate *priv = PRIV (self);
  GSource *source = g_source_new (&connection_source_funcs, sizeof (ConnectionSource));
  ConnectionSource *cs = (ConnectionSource *) source;

  g_source_set_static_name (source, "[dtlsgo] DTLS connection source");
  cs->conn = g_object_ref (self);
  cs->condition = condition;
  cs->wakeup.fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (cs->wakeup.fd < 0)
    g_error ("dtlsgo: eventfd failed: %s", g_strerror (errno));
  cs->wakeup.events = G_IO_IN;
  g_source_add_poll (source, &cs->wakeup);
  g_mutex_lock (&priv->lock);
  g_array_append_val (priv->wakeups, cs->wakeup.fd);
  g_mutex_unlock (&priv->lock);

  if (cancellable)
    {
      g_autoptr(GSource) cancellable_source = g_cancellable_source_new (cancellable);

      cs->cancellable = g_object_ref (cancellable);
      g_source_set_dummy_callback (cancellable_source);
      g_source_add_child_source (source, cancellable_source);
    }
  return source;
}

void
dtlsgo_shim_connection_changed (gpointer connection)
{
  DtlsGoConnectionPrivate *priv = PRIV (connection);
  const guint64 one = 1;
  guint i;

  g_mutex_lock (&priv->lock);
  for (i = 0; i < priv->wakeups->len; i++)
    {
      int fd = g_array_index (priv->wakeups, int, i);
      while (write (fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    }
  g_mutex_unlock (&priv->lock);
}

static void
dtls_go_connection_datagram_based_iface_init (GDatagramBasedInterface *iface)
{
  iface->receive_messages = dtls_go_connection_receive_messages;
  iface->send_messages = dtls_go_connection_send_messages;
  iface->create_source = dtls_go_connection_create_source;
  iface->condition_check = dtls_go_connection_condition_check;
  iface->condition_wait = dtls_go_connection_condition_wait;
}

/* ---- Shutdown and close --------------------------------------------------- */

static gboolean
dtls_go_connection_shutdown (GDtlsConnection *conn,
                             gboolean         shutdown_read,
                             gboolean         shutdown_write,
                             GCancellable    *cancellable,
                             GError         **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (PRIV (conn)->base_io_stream)
    return dtlsgo_connection_stream_shutdown (DTLS_GO_CONNECTION (conn), shutdown_read,
                                              shutdown_write, cancellable, error);
  /* GIOStream's dispose closes even an object whose init failed. */
  if (PRIV (conn)->core == 0)
    return TRUE;
  return dtlsgo_core_connection_shutdown (PRIV (conn)->core, shutdown_read, shutdown_write, error);
}

typedef struct
{
  gboolean read;
  gboolean write;
} ShutdownData;

static void
shutdown_thread (GTask *task, gpointer object, gpointer task_data, GCancellable *cancellable)
{
  ShutdownData *data = task_data;
  GError *error = NULL;

  if (dtls_go_connection_shutdown (G_DTLS_CONNECTION (object), data->read, data->write,
                                   cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
dtls_go_connection_shutdown_async (GDtlsConnection     *conn,
                                   gboolean             shutdown_read,
                                   gboolean             shutdown_write,
                                   int                  io_priority,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (conn, cancellable, callback, user_data);
  ShutdownData *data = g_new (ShutdownData, 1);

  data->read = shutdown_read;
  data->write = shutdown_write;
  g_task_set_source_tag (task, dtls_go_connection_shutdown_async);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, data, g_free);
  /* Closing may wait briefly for the core's goroutines; keep it off the
   * caller's thread. */
  g_task_run_in_thread (task, shutdown_thread);
}

static gboolean
dtls_go_connection_shutdown_finish (GDtlsConnection *conn,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GIOStream's own close methods (what g_io_stream_close and Python's
 * conn.close() reach) are the full shutdown (for a stream connection its
 * close: close_notify, then the base): the defaults would go through the
 * input and output streams a DTLS connection does not have. */
static gboolean
dtls_go_connection_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return dtls_go_connection_shutdown (G_DTLS_CONNECTION (stream), TRUE, TRUE, cancellable, error);
}

static void
dtls_go_connection_close_async (GIOStream           *stream,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  dtls_go_connection_shutdown_async (G_DTLS_CONNECTION (stream), TRUE, TRUE, io_priority,
                                     cancellable, callback, user_data);
}

static gboolean
dtls_go_connection_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return dtls_go_connection_shutdown_finish (G_DTLS_CONNECTION (stream), result, error);
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
  iface->handshake = dtls_go_connection_handshake;
  iface->handshake_async = dtls_go_connection_handshake_async;
  iface->handshake_finish = dtls_go_connection_handshake_finish;
  iface->shutdown = dtls_go_connection_shutdown;
  iface->shutdown_async = dtls_go_connection_shutdown_async;
  iface->shutdown_finish = dtls_go_connection_shutdown_finish;
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
  stream_class->close_fn = dtls_go_connection_close;
  stream_class->close_async = dtls_go_connection_close_async;
  stream_class->close_finish = dtls_go_connection_close_finish;

  tls_class->handshake = dtls_go_connection_tls_handshake;
  tls_class->handshake_async = dtls_go_connection_tls_handshake_async;
  tls_class->handshake_finish = dtls_go_connection_tls_handshake_finish;
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
   * %G_IO_ERROR_TIMED_OUT. 0 (the default) means 60 seconds, or the number
   * of seconds in the environment variable `DTLSGO_HANDSHAKE_TIMEOUT`. An
   * operation's own timeout bounds the handshake it starts as well.
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

  for (guint i = PROP_SRTP_PROFILES; i < N_PROPS; i++)
    g_object_class_install_property (gobject_class, i, obj_props[i]);
}
