/* DtlsGoConnection's datagram I/O with GBytes, for languages whose bindings
 * cannot fill GInputMessage/GOutputMessage vectors. Each call is one
 * message through the connection's own GDatagramBased implementation, so
 * timeouts, errors, close and the implicit handshake are exactly those of
 * g_datagram_based_send_messages() and g_datagram_based_receive_messages().
 * The async forms poll (timeout 0) from the connection's GSource in the
 * caller's main context: nothing blocks and nothing runs on another thread. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection.h"
#include "dtlsgo-copies.h"

/* No record is larger than a UDP datagram: a bigger buffer holds nothing
 * more. */
#define LARGEST_RECORD 65535

/**
 * dtls_go_connection_send_bytes:
 * @self: a #DtlsGoConnection
 * @bytes: the datagram's payload
 * @timeout: the maximum time to wait, in microseconds: -1 to block, 0 to
 *   fail with %G_IO_ERROR_WOULD_BLOCK rather than wait, more than 0 to fail
 *   with %G_IO_ERROR_TIMED_OUT after that long
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends @bytes as one DTLS record, as
 * [method@Gio.DatagramBased.send_messages] would send one message: the
 * first send or receive performs the handshake (bounded by @timeout).
 *
 * Errors: a payload larger than a record can hold (8064 bytes) fails with
 * %G_IO_ERROR_MESSAGE_TOO_LARGE, sending after
 * [method@Gio.DtlsConnection.close] with %G_IO_ERROR_CLOSED, a cancelled
 * @cancellable with %G_IO_ERROR_CANCELLED; @timeout ends it with
 * %G_IO_ERROR_WOULD_BLOCK or %G_IO_ERROR_TIMED_OUT as above; a failed
 * handshake with its own error (%G_TLS_ERROR domain), again on every
 * later call.
 *
 * ```c
 * g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
 * if (!dtls_go_connection_send_bytes (conn, hello, 5 * G_USEC_PER_SEC, NULL, &error))
 *   g_warning ("not sent: %s", error->message);
 * ```
 *
 * Returns: %TRUE when the record was sent
 */
gboolean
dtls_go_connection_send_bytes (DtlsGoConnection  *self,
                               GBytes            *bytes,
                               gint64             timeout,
                               GCancellable      *cancellable,
                               GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_send_bytes, (self, bytes, timeout, cancellable, error));
  GOutputVector vector;
  GOutputMessage message = { NULL, &vector, 1, 0, NULL, 0 };
  gint sent;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  vector.buffer = g_bytes_get_data (bytes, &vector.size);
  sent = g_datagram_based_send_messages (G_DATAGRAM_BASED (self), &message, 1, 0, timeout,
                                         cancellable, error);
  if (sent == 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The record was not sent");
  return sent > 0;
}

/**
 * dtls_go_connection_receive_bytes:
 * @self: a #DtlsGoConnection
 * @max_size: the most bytes to return, 0 for a whole record of any size;
 *   the rest of a longer record is discarded, as a datagram socket
 *   discards it
 * @timeout: the maximum time to wait, in microseconds: -1 to block, 0 to
 *   fail with %G_IO_ERROR_WOULD_BLOCK rather than wait, more than 0 to fail
 *   with %G_IO_ERROR_TIMED_OUT after that long
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Receives one DTLS record, as [method@Gio.DatagramBased.receive_messages]
 * would receive one message; the first send or receive performs the
 * handshake (bounded by @timeout). After the peer closed the connection
 * (its close_notify) it returns %NULL with no error, every time; an empty
 * record is an empty [struct@GLib.Bytes].
 *
 * Errors: %G_IO_ERROR_WOULD_BLOCK or %G_IO_ERROR_TIMED_OUT when @timeout
 * ends the wait, %G_IO_ERROR_CANCELLED, %G_IO_ERROR_CLOSED after
 * [method@Gio.DtlsConnection.close]; a failed handshake with its own error
 * (%G_TLS_ERROR domain), again on every later call.
 *
 * ```python
 * while (data := conn.receive_bytes(0, -1, None)) is not None:
 *     handle(data.get_data())
 * # the peer closed the connection
 * ```
 *
 * Returns: (transfer full) (nullable): the record's payload, or %NULL at
 *   the end of the stream or on error
 */
GBytes *
dtls_go_connection_receive_bytes (DtlsGoConnection  *self,
                                  gsize              max_size,
                                  gint64             timeout,
                                  GCancellable      *cancellable,
                                  GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_receive_bytes, (self, max_size, timeout, cancellable, error));
  gsize size = (max_size == 0 || max_size > LARGEST_RECORD) ? LARGEST_RECORD : max_size;
  g_autofree guint8 *buffer = NULL;
  GInputVector vector;
  GInputMessage message = { NULL, &vector, 1, 0, 0, NULL, NULL };
  gint received;

  g_return_val_if_fail (DTLS_GO_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  buffer = g_malloc (size);
  vector.buffer = buffer;
  vector.size = size;
  received = g_datagram_based_receive_messages (G_DATAGRAM_BASED (self), &message, 1, 0, timeout,
                                                cancellable, error);
  if (received <= 0)
    return NULL; /* an error, or the end of the stream */
  return g_bytes_new_take (g_realloc (g_steal_pointer (&buffer), message.bytes_received),
                           message.bytes_received);
}

/* ---- Async forms ----------------------------------------------------------- */

typedef struct
{
  GBytes *bytes;   /* to send */
  gsize max_size;  /* to receive */
} IOData;

static void
io_data_free (IOData *data)
{
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_free (data);
}

/* One poll for the task's operation: TRUE when the task has returned. */
typedef gboolean (*Attempt) (GTask *task);

/* Ends the task with error, unless it is WOULD_BLOCK: FALSE then, to poll
 * again. */
static gboolean
return_unless_would_block (GTask *task, GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_error_free (error);
      return FALSE;
    }
  g_task_return_error (task, error);
  return TRUE;
}

static gboolean
attempt_send (GTask *task)
{
  IOData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!dtls_go_connection_send_bytes (g_task_get_source_object (task), data->bytes, 0, NULL, &error))
    return return_unless_would_block (task, error);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static gboolean
attempt_receive (GTask *task)
{
  IOData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *bytes;

  bytes = dtls_go_connection_receive_bytes (g_task_get_source_object (task), data->max_size, 0,
                                            NULL, &error);
  if (error != NULL)
    return return_unless_would_block (task, error);
  g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref); /* NULL: end of stream */
  return TRUE;
}

/* Polls in the task's context, as the caller's thread-default: an implicit
 * handshake a poll starts runs its upcalls there. */
static gboolean
poll_in_context (GTask *task, Attempt attempt)
{
  GMainContext *context = g_task_get_context (task);
  gboolean done;

  if (g_task_return_error_if_cancelled (task))
    return TRUE;
  g_main_context_push_thread_default (context);
  done = attempt (task);
  g_main_context_pop_thread_default (context);
  return done;
}

static gboolean
send_ready (GDatagramBased *datagram_based, GIOCondition condition, gpointer user_data)
{
  return poll_in_context (user_data, attempt_send) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean
receive_ready (GDatagramBased *datagram_based, GIOCondition condition, gpointer user_data)
{
  return poll_in_context (user_data, attempt_receive) ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Tries at once, then again whenever the connection is ready (or the
 * cancellable fires). */
static void
start (GTask *task, Attempt attempt, GIOCondition condition, GDatagramBasedSourceFunc ready)
{
  g_autoptr(GSource) source = NULL;

  if (poll_in_context (task, attempt))
    return;
  source = g_datagram_based_create_source (g_task_get_source_object (task), condition,
                                           g_task_get_cancellable (task));
  g_task_attach_source (task, source, (GSourceFunc) ready);
}

/**
 * dtls_go_connection_send_bytes_async:
 * @self: a #DtlsGoConnection
 * @bytes: the datagram's payload
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the record was sent or sending failed
 * @user_data: data for @callback
 *
 * Sends @bytes as one DTLS record without blocking, as
 * [method@DtlsGo.Connection.send_bytes] does; the handshake, when this is
 * the first operation, runs in the thread-default main context, where
 * @callback is called too. Finish with
 * [method@DtlsGo.Connection.send_bytes_finish].
 */
void
dtls_go_connection_send_bytes_async (DtlsGoConnection    *self,
                                     GBytes              *bytes,
                                     int                  io_priority,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  DTLSGO_FORWARD_VOID (dtls_go_connection_send_bytes_async, (self, bytes, io_priority, cancellable, callback, user_data));
  g_autoptr(GTask) task = NULL;
  IOData *data;

  g_return_if_fail (DTLS_GO_IS_CONNECTION (self));
  g_return_if_fail (bytes != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dtls_go_connection_send_bytes_async);
  g_task_set_priority (task, io_priority);
  data = g_new0 (IOData, 1);
  data->bytes = g_bytes_ref (bytes);
  g_task_set_task_data (task, data, (GDestroyNotify) io_data_free);
  start (task, attempt_send, G_IO_OUT, send_ready);
}

/**
 * dtls_go_connection_send_bytes_finish:
 * @self: a #DtlsGoConnection
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@DtlsGo.Connection.send_bytes_async], with the errors of
 * [method@DtlsGo.Connection.send_bytes].
 *
 * Returns: %TRUE when the record was sent
 */
gboolean
dtls_go_connection_send_bytes_finish (DtlsGoConnection  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_send_bytes_finish, (self, result, error));
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dtls_go_connection_send_bytes_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * dtls_go_connection_receive_bytes_async:
 * @self: a #DtlsGoConnection
 * @max_size: the most bytes to return, 0 for a whole record of any size
 * @io_priority: the I/O priority of the request
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when a record arrived, the stream ended
 *   or receiving failed
 * @user_data: data for @callback
 *
 * Receives one DTLS record without blocking, as
 * [method@DtlsGo.Connection.receive_bytes] does; the handshake, when this
 * is the first operation, runs in the thread-default main context, where
 * @callback is called too. Finish with
 * [method@DtlsGo.Connection.receive_bytes_finish].
 *
 * ```python
 * def received(conn, result):
 *     data = conn.receive_bytes_finish(result)  # None: the peer closed
 *
 * conn.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received)
 * ```
 */
void
dtls_go_connection_receive_bytes_async (DtlsGoConnection    *self,
                                        gsize                max_size,
                                        int                  io_priority,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  DTLSGO_FORWARD_VOID (dtls_go_connection_receive_bytes_async, (self, max_size, io_priority, cancellable, callback, user_data));
  g_autoptr(GTask) task = NULL;
  IOData *data;

  g_return_if_fail (DTLS_GO_IS_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dtls_go_connection_receive_bytes_async);
  g_task_set_priority (task, io_priority);
  data = g_new0 (IOData, 1);
  data->max_size = max_size;
  g_task_set_task_data (task, data, (GDestroyNotify) io_data_free);
  start (task, attempt_receive, G_IO_IN, receive_ready);
}

/**
 * dtls_go_connection_receive_bytes_finish:
 * @self: a #DtlsGoConnection
 * @result: the #GAsyncResult passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@DtlsGo.Connection.receive_bytes_async], with the errors
 * of [method@DtlsGo.Connection.receive_bytes].
 *
 * Returns: (transfer full) (nullable): the record's payload, or %NULL at
 *   the end of the stream (the peer's close_notify) or on error
 */
GBytes *
dtls_go_connection_receive_bytes_finish (DtlsGoConnection  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  DTLSGO_FORWARD (dtls_go_connection_receive_bytes_finish, (self, result, error));
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dtls_go_connection_receive_bytes_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
