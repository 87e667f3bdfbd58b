/* DtlsGoConnection's handshake: the handshake operations (sync, async and
 * the implicit one of a first send or receive) and the upcalls through
 * which the Go core asks the handshake's questions. dtlsgo_shim_upcall is
 * entered from Go threads; everything else here runs on GLib threads, in
 * the main context of the op that waits. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection-private.h"
#include "dtlsgo-connection-stream.h"

#include "dtlsgo-certificate.h"

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

/* The peer's verification flags; identity_text: what it was checked
 * against, for the message of a refusal. */
static GTlsCertificateFlags
verify_peer (DtlsGoConnection *self, GTlsCertificate *peer, GCancellable *cancellable,
             gchar **identity_text)
{
  DtlsGoConnectionClass *klass = DTLS_GO_CONNECTION_GET_CLASS (self);
  g_autoptr(GTlsDatabase) database = dtlsgo_connection_dup_database (self);
  g_autoptr(GSocketConnectable) identity = klass->get_peer_identity (self);
  GTlsCertificateFlags errors = 0;

  *identity_text = dtlsgo_identity_from_connectable (identity);

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
  g_autofree gchar *identity = NULL;
  GTlsCertificateFlags errors;
  gboolean accepted;

  if (peer == NULL)
    {
      dtlsgo_core_verify_reply (request, FALSE, 0, NULL, error);
      return;
    }
  errors = verify_peer (self, peer, op->cancellable, &identity);

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

  dtlsgo_core_verify_reply (request, accepted, errors, identity, NULL);
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
      gboolean session_resumed = dtlsgo_core_connection_session_resumed (priv->core);

      g_mutex_lock (&priv->lock);
      if (!priv->handshake_complete)
        {
          first = TRUE;
          priv->handshake_complete = TRUE;
          priv->negotiated_protocol = g_steal_pointer (&negotiated_protocol);
          priv->ciphersuite_name = g_steal_pointer (&ciphersuite_name);
          priv->srtp_profile = g_steal_pointer (&srtp_profile);
          priv->protocol_version = protocol_version;
          priv->session_resumed = session_resumed;
        }
      g_mutex_unlock (&priv->lock);
    }

  if (first)
    {
      DTLS_GO_CONNECTION_GET_CLASS (self)->handshake_done (self);
      g_object_notify (G_OBJECT (self), "negotiated-protocol");
      g_object_notify (G_OBJECT (self), "protocol-version");
      g_object_notify (G_OBJECT (self), "ciphersuite-name");
      g_object_notify (G_OBJECT (self), "srtp-profile");
      g_object_notify (G_OBJECT (self), "session-resumed");
      g_object_notify (G_OBJECT (self), "key-exchange-group");
      g_object_notify (G_OBJECT (self), "ech-accepted");
    }

  /* The handshake has ended, so nothing can block its context any more
   * (blocks_running_handshake asks only while it runs): kept, a sync
   * handshake's private context would hold an eventfd and its tables for
   * the connection's life. */
  g_mutex_lock (&priv->lock);
  if (priv->handshake_context == op->context)
    g_clear_pointer (&priv->handshake_context, g_main_context_unref);
  g_mutex_unlock (&priv->lock);

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

  /* As GSocket: an op whose cancellable is already cancelled does nothing,
   * so a cancelled first op neither sends a ClientHello nor leaves a
   * handshake failed for the ops after it. */
  if (g_cancellable_set_error_if_cancelled (op->cancellable, error))
    return FALSE;

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
  g_clear_pointer (&params.session_key, g_free);
  g_clear_pointer (&params.ech_config_list, g_bytes_unref);
  g_clear_pointer (&params.ech_keys, g_bytes_unref);

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

gboolean
dtlsgo_connection_handshake (GDtlsConnection *conn,
                             GCancellable    *cancellable,
                             GError         **error)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (conn);
  gint64 timeout = PRIV (self)->base_io_stream ? dtlsgo_connection_stream_timeout (self) : -1;

  return handshake_sync (self, timeout, cancellable, error);
}

void
dtlsgo_connection_handshake_async (GDtlsConnection     *conn,
                                   int                  io_priority,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  DtlsGoConnection *self = DTLS_GO_CONNECTION (conn);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  HandshakeOp *op;

  g_task_set_source_tag (task, dtlsgo_connection_handshake_async);
  g_task_set_priority (task, io_priority);
  /* Upcalls and completion run in the caller's thread-default context. */
  op = handshake_op_new (self, g_task_get_context (task), cancellable, task, FALSE);
  if (!handshake_op_start (op, -1, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      handshake_op_unref (op);
    }
}

gboolean
dtlsgo_connection_handshake_finish (GDtlsConnection *conn,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GTlsConnection's handshake methods are the same operation. */
gboolean
dtlsgo_connection_tls_handshake (GTlsConnection *conn, GCancellable *cancellable, GError **error)
{
  return dtlsgo_connection_handshake (G_DTLS_CONNECTION (conn), cancellable, error);
}

void
dtlsgo_connection_tls_handshake_async (GTlsConnection      *conn,
                                       int                  io_priority,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  dtlsgo_connection_handshake_async (G_DTLS_CONNECTION (conn), io_priority, cancellable,
                                     callback, user_data);
}

gboolean
dtlsgo_connection_tls_handshake_finish (GTlsConnection *conn, GAsyncResult *result, GError **error)
{
  return dtlsgo_connection_handshake_finish (G_DTLS_CONNECTION (conn), result, error);
}

/* The implicit handshake of the first send or receive. With timeout 0 it
 * starts in the background, in the caller's thread-default context (which
 * the caller iterates), and the op reports WOULD_BLOCK; otherwise it runs
 * here, bounded by the op's timeout. A failed handshake is reported by the
 * I/O call itself (the error is sticky in the core). */
gboolean
dtlsgo_connection_ensure_handshake (DtlsGoConnection *self,
                                    gint64            timeout,
                                    GCancellable     *cancellable,
                                    GError          **error)
{
  DtlsGoConnectionPrivate *priv = PRIV (self);
  gboolean complete;

  /* A completed handshake is never run again: every later read and write
   * goes on without asking the core (one crossing into Go less per call). */
  g_mutex_lock (&priv->lock);
  complete = priv->handshake_complete;
  g_mutex_unlock (&priv->lock);
  if (complete)
    return TRUE;

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
