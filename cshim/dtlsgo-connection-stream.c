/* Stream TLS on the connection base: a connection made over a
 * base-io-stream reads and writes through its pollable input and output
 * streams (dtlsgo-tls-input-stream.c, dtlsgo-tls-output-stream.c) and
 * closes with close_notify, then its base. Everything else (properties,
 * handshake ops, verification, interaction) is the base's, shared with
 * DTLS. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-connection-stream.h"

#include "dtlsgo-socket-wait.h"
#include "dtlsgo-tls-input-stream.h"
#include "dtlsgo-tls-output-stream.h"

typedef struct
{
  GInputStream *input;
  GOutputStream *output;
} Streams;

static void
streams_free (gpointer data)
{
  Streams *streams = data;

  g_object_unref (streams->input);
  g_object_unref (streams->output);
  g_free (streams);
}

G_DEFINE_QUARK (dtlsgo-connection-streams, streams)

static Streams *
get_streams (DtlsGoConnection *self)
{
  return g_object_get_qdata (G_OBJECT (self), streams_quark ());
}

/* The socket of a plain socket connection, whose descriptor the core reads
 * itself; NULL for any other stream (a GTcpWrapperConnection's socket is
 * not where its data flows), driven through GIO. */
static GSocket *
plain_socket (GIOStream *base)
{
  GType type = G_OBJECT_TYPE (base);

  if (type == G_TYPE_TCP_CONNECTION || type == G_TYPE_SOCKET_CONNECTION
#ifdef G_OS_UNIX
      || type == G_TYPE_UNIX_CONNECTION
#endif
      )
    return g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));
  return NULL;
}

DtlsGoHandle
dtlsgo_connection_stream_init (DtlsGoConnection *self,
                               GIOStream        *base,
                               gboolean          is_client,
                               GError          **error)
{
  GSocket *socket = plain_socket (base);
  DtlsGoHandle core;
  Streams *streams;

  core = dtlsgo_core_stream_connection_new (self, socket ? g_socket_get_fd (socket) : -1, base,
                                            is_client, error);
  if (core == 0)
    return 0;
  streams = g_new (Streams, 1);
  streams->input = dtlsgo_tls_input_stream_new (self);
  streams->output = dtlsgo_tls_output_stream_new (self);
  g_object_set_qdata_full (G_OBJECT (self), streams_quark (), streams, streams_free);
  return core;
}

GInputStream *
dtlsgo_connection_stream_get_input_stream (DtlsGoConnection *self)
{
  Streams *streams = get_streams (self);

  return streams ? streams->input : NULL;
}

GOutputStream *
dtlsgo_connection_stream_get_output_stream (DtlsGoConnection *self)
{
  Streams *streams = get_streams (self);

  return streams ? streams->output : NULL;
}

/* The base is gone under us when the application closed it (or, for a
 * socket connection, its socket): GLib's unclean close. */
static gboolean
base_is_closed (GIOStream *base)
{
  GSocket *socket = plain_socket (base);

  return g_io_stream_is_closed (base) || (socket && g_socket_is_closed (socket));
}

static gboolean
close_connection (DtlsGoConnection  *self,
                  GCancellable      *cancellable,
                  GError           **error)
{
  GIOStream *base = dtlsgo_connection_get_base_io_stream (self);
  DtlsGoHandle core = dtlsgo_connection_get_core (self);
  g_autoptr(GError) tls_error = NULL;
  gboolean tls_ok = TRUE;
  gboolean base_ok;

  /* GIOStream's dispose closes even an object whose init failed. */
  if (core == 0)
    return base == NULL || g_io_stream_close (base, cancellable, error);

  if (base_is_closed (base))
    {
      g_set_error_literal (&tls_error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Stream is already closed");
      tls_ok = FALSE;
      dtlsgo_core_stream_close (core, FALSE, -1, cancellable, NULL);
    }
  else
    /* A peer that stops reading holds close_notify back: the base's
     * timeout bounds the wait, as it bounds a write. */
    tls_ok = dtlsgo_core_stream_close (core, TRUE, dtlsgo_connection_stream_timeout (self),
                                       cancellable, &tls_error);
  /* The base is closed whatever happened to close_notify. */
  base_ok = g_io_stream_close (base, cancellable, tls_ok ? error : NULL);
  if (!tls_ok)
    {
      g_propagate_error (error, g_steal_pointer (&tls_error));
      return FALSE;
    }
  return base_ok;
}

/* An operation's bound: none when blocking unless the base socket has a
 * timeout (GSocket's, as a GSocketConnection's own streams honour it, and
 * the handshake too); 0 when not blocking. */
gint64
dtlsgo_connection_stream_timeout (DtlsGoConnection *self)
{
  GSocket *socket = plain_socket (dtlsgo_connection_get_base_io_stream (self));
  guint seconds = socket ? g_socket_get_timeout (socket) : 0;

  return seconds > 0 ? (gint64) seconds * G_USEC_PER_SEC : -1;
}

static gint64
io_timeout (DtlsGoConnection *self, gboolean blocking)
{
  return blocking ? dtlsgo_connection_stream_timeout (self) : 0;
}

typedef DtlsGoStatus (*CoreIO) (DtlsGoHandle conn, guint8 *buffer, gsize count, gint64 timeout_us,
                                GCancellable *cancellable, DtlsGoSocketWait *wait, gssize *moved,
                                GError **error);

/* A read or write: the implicit handshake, then the core's call; over a
 * socket, a blocking one waits for the socket here, on the caller's
 * thread, between the core's calls (dtlsgo-socket-wait.c). */
static gssize
run_io (DtlsGoConnection  *self,
        CoreIO             core_io,
        guint8            *buffer,
        gsize              count,
        gboolean           blocking,
        GCancellable      *cancellable,
        GError           **error)
{
  gint64 timeout = io_timeout (self, blocking);
  GSocket *socket = plain_socket (dtlsgo_connection_get_base_io_stream (self));
  DtlsGoSocketWait wait = { -1, DTLSGO_WAITED_NOTHING, 0 };
  gint64 deadline;
  gssize moved = -1;

  if (!dtlsgo_connection_begin_io (self, &timeout, cancellable, error))
    return -1;
  if (timeout != 0 && socket != NULL)
    wait.wake = dtlsgo_socket_wait_wake_fd ();
  deadline = timeout > 0 ? g_get_monotonic_time () + timeout : -1;
  for (;;)
    {
      switch (core_io (dtlsgo_connection_get_core (self), buffer, count, timeout, cancellable,
                       wait.wake >= 0 ? &wait : NULL, &moved, error))
        {
        case DTLSGO_STATUS_OK:
          return moved;
        case DTLSGO_STATUS_WAIT:
          break;
        default:
          return -1;
        }
      wait.waited = dtlsgo_socket_wait (socket, wait.condition, wait.wake, deadline, cancellable);
    }
}

gssize
dtlsgo_connection_stream_read (DtlsGoConnection  *self,
                               void              *buffer,
                               gsize              count,
                               gboolean           blocking,
                               GCancellable      *cancellable,
                               GError           **error)
{
  return run_io (self, dtlsgo_core_stream_read, buffer, count, blocking, cancellable, error);
}

gssize
dtlsgo_connection_stream_write (DtlsGoConnection  *self,
                                const void        *buffer,
                                gsize              count,
                                gboolean           blocking,
                                GCancellable      *cancellable,
                                GError           **error)
{
  return run_io (self, dtlsgo_core_stream_write, (guint8 *) buffer, count, blocking, cancellable,
                 error);
}

gboolean
dtlsgo_connection_stream_close_read (DtlsGoConnection  *self,
                                     GCancellable      *cancellable,
                                     GError           **error)
{
  GIOStream *base = dtlsgo_connection_get_base_io_stream (self);

  dtlsgo_core_stream_shutdown_read (dtlsgo_connection_get_core (self));
  return g_input_stream_close (g_io_stream_get_input_stream (base), cancellable, error);
}

gboolean
dtlsgo_connection_stream_close_write (DtlsGoConnection  *self,
                                      GCancellable      *cancellable,
                                      GError           **error)
{
  GIOStream *base = dtlsgo_connection_get_base_io_stream (self);
  g_autoptr(GError) tls_error = NULL;
  gboolean tls_ok = dtlsgo_core_stream_close_write (dtlsgo_connection_get_core (self),
                                                    dtlsgo_connection_stream_timeout (self),
                                                    cancellable, &tls_error);
  gboolean base_ok = g_output_stream_close (g_io_stream_get_output_stream (base), cancellable,
                                            tls_ok ? error : NULL);

  if (!tls_ok)
    {
      g_propagate_error (error, g_steal_pointer (&tls_error));
      return FALSE;
    }
  return base_ok;
}

gboolean
dtlsgo_connection_stream_is_ready (DtlsGoConnection *self, GIOCondition condition)
{
  return g_datagram_based_condition_check (G_DATAGRAM_BASED (self), condition) != 0;
}

/* The connection's own readiness source (the base's, shared with DTLS),
 * as the child of a pollable source that calls back with pollable_stream. */
GSource *
dtlsgo_connection_stream_create_source (DtlsGoConnection *self,
                                        GIOCondition      condition,
                                        GObject          *pollable_stream,
                                        GCancellable     *cancellable)
{
  g_autoptr(GSource) readiness = g_datagram_based_create_source (G_DATAGRAM_BASED (self),
                                                                 condition, NULL);

  return g_pollable_source_new_full (pollable_stream, readiness, cancellable);
}

gboolean
dtlsgo_connection_stream_shutdown (DtlsGoConnection  *self,
                                   gboolean           shutdown_read,
                                   gboolean           shutdown_write,
                                   GCancellable      *cancellable,
                                   GError           **error)
{
  if (shutdown_read && shutdown_write)
    return close_connection (self, cancellable, error);
  if (shutdown_write)
    return dtlsgo_connection_stream_close_write (self, cancellable, error);
  if (shutdown_read)
    return dtlsgo_connection_stream_close_read (self, cancellable, error);
  return TRUE;
}
