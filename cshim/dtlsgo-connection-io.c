/* DtlsGoConnection's datagram I/O and close, entered from GLib threads:
 * send, receive, condition check and wait, shutdown and GIOStream's close. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection-private.h"
#include "dtlsgo-connection-stream.h"

/* ---- GDatagramBased ------------------------------------------------------- */

/* What is left of an op's timeout once its handshake took some: never 0,
 * which would turn a bounded wait into a poll. */
static gint64
remaining (gint64 timeout, gint64 deadline)
{
  if (timeout <= 0)
    return timeout;
  return MAX (deadline - g_get_monotonic_time (), 1);
}

/* What every send and receive checks before anything moves (a record
 * already queued stays for the next receive, and nothing is sent): no
 * flags, not cancelled. */
static gboolean
check_io (const gchar   *what,
          gint           flags,
          GCancellable  *cancellable,
          GError       **error)
{
  if (flags != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s flags are not supported", what);
      return FALSE;
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The start of an I/O call the core sent back for its handshake: the
 * handshake done (or started, or failed: the core reports that), and
 * *timeout cut to what the handshake left of it. */
static gboolean
begin_io (DtlsGoConnection *self,
          const gchar      *what,
          gint              flags,
          gint64           *timeout,
          GCancellable     *cancellable,
          GError          **error)
{
  gint64 deadline = *timeout > 0 ? g_get_monotonic_time () + *timeout : 0;

  if (!check_io (what, flags, cancellable, error))
    return FALSE;
  if (!dtlsgo_connection_ensure_handshake (self, *timeout, cancellable, error))
    return FALSE;
  *timeout = remaining (*timeout, deadline);
  return TRUE;
}

/* A stream read or write starts as a datagram call does (stream TLS,
 * dtlsgo-connection-stream.c). */
gboolean
dtlsgo_connection_begin_io (DtlsGoConnection  *self,
                            gint64            *timeout,
                            GCancellable      *cancellable,
                            GError           **error)
{
  return begin_io (self, "I/O", 0, timeout, cancellable, error);
}

static DtlsGoStatus
core_io (DtlsGoConnection *self,
         gboolean          sending,
         gpointer          messages,
         guint             num_messages,
         gint64            timeout,
         GCancellable     *cancellable,
         gint             *count,
         GError          **error)
{
  if (sending)
    return dtlsgo_core_connection_send (PRIV (self)->core, messages, num_messages, timeout,
                                        cancellable, count, error);
  return dtlsgo_core_connection_receive (PRIV (self)->core, messages, num_messages, timeout,
                                         cancellable, count, error);
}

/* A send or receive: one call into the core, which waits if it must (on
 * this thread, for the socket, the connection's changes and the
 * cancellable) and answers with a status; a second one only after the
 * handshake it asked for. */
static gint
run_io (DtlsGoConnection *self,
        gboolean          sending,
        gpointer          messages,
        guint             num_messages,
        gint              flags,
        gint64            timeout,
        GCancellable     *cancellable,
        GError          **error)
{
  const gchar *what = sending ? "Send" : "Receive";
  gint count = 0;

  if (!check_io (what, flags, cancellable, error))
    return -1;
  switch (core_io (self, sending, messages, num_messages, timeout, cancellable, &count, error))
    {
    case DTLSGO_STATUS_OK:
      return count;
    case DTLSGO_STATUS_NEED_HANDSHAKE:
      break;
    default:
      return -1;
    }
  if (!begin_io (self, what, flags, &timeout, cancellable, error))
    return -1;
  switch (core_io (self, sending, messages, num_messages, timeout, cancellable, &count, error))
    {
    case DTLSGO_STATUS_OK:
      return count;
    case DTLSGO_STATUS_NEED_HANDSHAKE:
      /* A handshake that ended without completing or failing: a close
       * stopped it. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The DTLS handshake has not completed");
      return -1;
    default:
      return -1;
    }
}

gint
dtlsgo_connection_receive_messages (GDatagramBased  *datagram_based,
                                    GInputMessage   *messages,
                                    guint            num_messages,
                                    gint             flags,
                                    gint64           timeout,
                                    GCancellable    *cancellable,
                                    GError         **error)
{
  return run_io (DTLS_GO_CONNECTION (datagram_based), FALSE, messages, num_messages, flags,
                 timeout, cancellable, error);
}

gint
dtlsgo_connection_send_messages (GDatagramBased  *datagram_based,
                                 GOutputMessage  *messages,
                                 guint            num_messages,
                                 gint             flags,
                                 gint64           timeout,
                                 GCancellable    *cancellable,
                                 GError         **error)
{
  return run_io (DTLS_GO_CONNECTION (datagram_based), TRUE, messages, num_messages, flags,
                 timeout, cancellable, error);
}

GIOCondition
dtlsgo_connection_condition_check (GDatagramBased *datagram_based,
                                   GIOCondition    condition)
{
  return dtlsgo_core_connection_condition (PRIV (datagram_based)->core, condition);
}

gboolean
dtlsgo_connection_condition_wait (GDatagramBased  *datagram_based,
                                  GIOCondition     condition,
                                  gint64           timeout,
                                  GCancellable    *cancellable,
                                  GError         **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return dtlsgo_core_connection_condition_wait (PRIV (datagram_based)->core, condition,
                                                timeout, cancellable, error);
}
/* ---- Shutdown and close --------------------------------------------------- */

gboolean
dtlsgo_connection_shutdown (GDtlsConnection *conn,
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

  if (dtlsgo_connection_shutdown (G_DTLS_CONNECTION (object), data->read, data->write,
                                  cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
dtlsgo_connection_shutdown_async (GDtlsConnection     *conn,
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
  g_task_set_source_tag (task, dtlsgo_connection_shutdown_async);
  g_task_set_priority (task, io_priority);
  g_task_set_task_data (task, data, g_free);
  /* Closing may wait briefly for the core's goroutines; keep it off the
   * caller's thread. */
  g_task_run_in_thread (task, shutdown_thread);
}

gboolean
dtlsgo_connection_shutdown_finish (GDtlsConnection *conn,
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
gboolean
dtlsgo_connection_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return dtlsgo_connection_shutdown (G_DTLS_CONNECTION (stream), TRUE, TRUE, cancellable, error);
}

void
dtlsgo_connection_close_async (GIOStream           *stream,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  dtlsgo_connection_shutdown_async (G_DTLS_CONNECTION (stream), TRUE, TRUE, io_priority,
                                    cancellable, callback, user_data);
}

gboolean
dtlsgo_connection_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return dtlsgo_connection_shutdown_finish (G_DTLS_CONNECTION (stream), result, error);
}
