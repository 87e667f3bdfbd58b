/* DtlsGoTlsOutputStream: what a stream TLS connection writes through. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-tls-output-stream.h"

#include "dtlsgo-connection-stream.h"
#include "dtlsgo-copies.h"

struct _DtlsGoTlsOutputStream
{
  GOutputStream parent_instance;
  GWeakRef connection;
};

static void dtls_go_tls_output_stream_pollable_iface_init (GPollableOutputStreamInterface *iface);

/* This copy's own type; the exported dtls_go_tls_output_stream_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_tls_output_stream_get_type dtls_go_tls_output_stream_get_type_here
static GType dtls_go_tls_output_stream_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoTlsOutputStream, dtls_go_tls_output_stream, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      dtls_go_tls_output_stream_pollable_iface_init))
#undef dtls_go_tls_output_stream_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_tls_output_stream)

static void
dtls_go_tls_output_stream_init (DtlsGoTlsOutputStream *self)
{
  g_weak_ref_init (&self->connection, NULL);
}

GOutputStream *
dtlsgo_tls_output_stream_new (DtlsGoConnection *connection)
{
  DtlsGoTlsOutputStream *self = g_object_new (DTLS_GO_TYPE_TLS_OUTPUT_STREAM, NULL);

  g_weak_ref_set (&self->connection, connection);
  return G_OUTPUT_STREAM (self);
}

static void
dtls_go_tls_output_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&DTLS_GO_TLS_OUTPUT_STREAM (object)->connection);
  G_OBJECT_CLASS (dtls_go_tls_output_stream_parent_class)->finalize (object);
}

/* The connection, or NULL and G_IO_ERROR_CLOSED once it is gone. */
static DtlsGoConnection *
get_connection (DtlsGoTlsOutputStream *self, GError **error)
{
  DtlsGoConnection *conn = g_weak_ref_get (&self->connection);

  if (conn == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection is closed");
  return conn;
}

static gssize
write_to (GOutputStream *stream, const void *buffer, gsize count, gboolean blocking,
          GCancellable *cancellable, GError **error)
{
  g_autoptr(DtlsGoConnection) conn = get_connection (DTLS_GO_TLS_OUTPUT_STREAM (stream), error);

  if (conn == NULL)
    return -1;
  return dtlsgo_connection_stream_write (conn, buffer, count, blocking, cancellable, error);
}

static gssize
dtls_go_tls_output_stream_write (GOutputStream *stream, const void *buffer, gsize count,
                                 GCancellable *cancellable, GError **error)
{
  return write_to (stream, buffer, count, TRUE, cancellable, error);
}

static gboolean
dtls_go_tls_output_stream_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_OUTPUT_STREAM (stream)->connection);

  if (conn == NULL)
    return TRUE;
  /* Half-close: close_notify, then the base's output stream. */
  return dtlsgo_connection_stream_close_write (conn, cancellable, error);
}

static gboolean
dtls_go_tls_output_stream_is_writable (GPollableOutputStream *pollable)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_OUTPUT_STREAM (pollable)->connection);

  /* A gone connection is "writable": writing says it is closed. */
  return conn == NULL || dtlsgo_connection_stream_is_ready (conn, G_IO_OUT);
}

static GSource *
dtls_go_tls_output_stream_create_source (GPollableOutputStream *pollable, GCancellable *cancellable)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_OUTPUT_STREAM (pollable)->connection);

  if (conn == NULL)
    {
      g_autoptr(GSource) ready = g_idle_source_new ();

      return g_pollable_source_new_full (pollable, ready, cancellable);
    }
  return dtlsgo_connection_stream_create_source (conn, G_IO_OUT, G_OBJECT (pollable), cancellable);
}

static gssize
dtls_go_tls_output_stream_write_nonblocking (GPollableOutputStream *pollable, const void *buffer,
                                             gsize count, GError **error)
{
  return write_to (G_OUTPUT_STREAM (pollable), buffer, count, FALSE, NULL, error);
}

static void
dtls_go_tls_output_stream_class_init (DtlsGoTlsOutputStreamClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  gobject_class->finalize = dtls_go_tls_output_stream_finalize;
  output_class->write_fn = dtls_go_tls_output_stream_write;
  output_class->close_fn = dtls_go_tls_output_stream_close;
}

static void
dtls_go_tls_output_stream_pollable_iface_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = dtls_go_tls_output_stream_is_writable;
  iface->create_source = dtls_go_tls_output_stream_create_source;
  iface->write_nonblocking = dtls_go_tls_output_stream_write_nonblocking;
}
