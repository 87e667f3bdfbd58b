/* DtlsGoTlsInputStream: what a stream TLS connection reads through. */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-tls-input-stream.h"

#include "dtlsgo-connection-stream.h"
#include "dtlsgo-copies.h"

struct _DtlsGoTlsInputStream
{
  GInputStream parent_instance;
  GWeakRef connection;
};

static void dtls_go_tls_input_stream_pollable_iface_init (GPollableInputStreamInterface *iface);

/* This copy's own type; the exported dtls_go_tls_input_stream_get_type() answers with the
 * first copy's in a later copy (dtlsgo-copies.h). */
#define dtls_go_tls_input_stream_get_type dtls_go_tls_input_stream_get_type_here
static GType dtls_go_tls_input_stream_get_type_here (void);
G_DEFINE_FINAL_TYPE_WITH_CODE (DtlsGoTlsInputStream, dtls_go_tls_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      dtls_go_tls_input_stream_pollable_iface_init))
#undef dtls_go_tls_input_stream_get_type
DTLSGO_PUBLIC_GET_TYPE (dtls_go_tls_input_stream)

static void
dtls_go_tls_input_stream_init (DtlsGoTlsInputStream *self)
{
  g_weak_ref_init (&self->connection, NULL);
}

GInputStream *
dtlsgo_tls_input_stream_new (DtlsGoConnection *connection)
{
  DtlsGoTlsInputStream *self = g_object_new (DTLS_GO_TYPE_TLS_INPUT_STREAM, NULL);

  g_weak_ref_set (&self->connection, connection);
  return G_INPUT_STREAM (self);
}

static void
dtls_go_tls_input_stream_finalize (GObject *object)
{
  g_weak_ref_clear (&DTLS_GO_TLS_INPUT_STREAM (object)->connection);
  G_OBJECT_CLASS (dtls_go_tls_input_stream_parent_class)->finalize (object);
}

/* The connection, or NULL and G_IO_ERROR_CLOSED once it is gone. */
static DtlsGoConnection *
get_connection (DtlsGoTlsInputStream *self, GError **error)
{
  DtlsGoConnection *conn = g_weak_ref_get (&self->connection);

  if (conn == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection is closed");
  return conn;
}

static gssize
read_from (GInputStream *stream, void *buffer, gsize count, gboolean blocking,
           GCancellable *cancellable, GError **error)
{
  g_autoptr(DtlsGoConnection) conn = get_connection (DTLS_GO_TLS_INPUT_STREAM (stream), error);

  if (conn == NULL)
    return -1;
  return dtlsgo_connection_stream_read (conn, buffer, count, blocking, cancellable, error);
}

static gssize
dtls_go_tls_input_stream_read (GInputStream *stream, void *buffer, gsize count,
                               GCancellable *cancellable, GError **error)
{
  return read_from (stream, buffer, count, TRUE, cancellable, error);
}

static gboolean
dtls_go_tls_input_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_INPUT_STREAM (stream)->connection);

  if (conn == NULL)
    return TRUE;
  return dtlsgo_connection_stream_close_read (conn, cancellable, error);
}

static gboolean
dtls_go_tls_input_stream_is_readable (GPollableInputStream *pollable)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_INPUT_STREAM (pollable)->connection);

  /* A gone connection is "readable": reading says it is closed. */
  return conn == NULL || dtlsgo_connection_stream_is_ready (conn, G_IO_IN);
}

static GSource *
dtls_go_tls_input_stream_create_source (GPollableInputStream *pollable, GCancellable *cancellable)
{
  g_autoptr(DtlsGoConnection) conn = g_weak_ref_get (&DTLS_GO_TLS_INPUT_STREAM (pollable)->connection);

  if (conn == NULL)
    {
      g_autoptr(GSource) ready = g_idle_source_new ();

      return g_pollable_source_new_full (pollable, ready, cancellable);
    }
  return dtlsgo_connection_stream_create_source (conn, G_IO_IN, G_OBJECT (pollable), cancellable);
}

static gssize
dtls_go_tls_input_stream_read_nonblocking (GPollableInputStream *pollable, void *buffer,
                                           gsize count, GError **error)
{
  return read_from (G_INPUT_STREAM (pollable), buffer, count, FALSE, NULL, error);
}

static void
dtls_go_tls_input_stream_class_init (DtlsGoTlsInputStreamClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  gobject_class->finalize = dtls_go_tls_input_stream_finalize;
  input_class->read_fn = dtls_go_tls_input_stream_read;
  input_class->close_fn = dtls_go_tls_input_stream_close;
}

static void
dtls_go_tls_input_stream_pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = dtls_go_tls_input_stream_is_readable;
  iface->create_source = dtls_go_tls_input_stream_create_source;
  iface->read_nonblocking = dtls_go_tls_input_stream_read_nonblocking;
}
