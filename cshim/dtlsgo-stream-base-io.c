/* Drives a base GIOStream that is not a plain socket connection (a proxy
 * stream, a GTcpWrapperConnection, a Python subclass) from two GLib threads,
 * so its methods never run on a Go thread: a reader that hands each chunk
 * read up to Go, and a writer that writes what Go queued and says when it
 * is written. Stopping is asked from Go and done by the writer thread; the
 * close of the connection, on the caller's thread, cancels what the base
 * may still be blocked in (so that the cancellable's handlers, which the
 * base may have connected, never run on a Go thread) and waits for both
 * threads before it closes the base (a stream with a read in progress
 * refuses to close). */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-core.h"

/* What one read asks for: one full TLS record and its header. */
#define DTLSGO_STREAM_READ_BUFFER (16384 + 2048)

struct _DtlsGoStreamIO
{
  GIOStream *base;
  DtlsGoHandle sink;
  GCancellable *cancellable;       /* interrupts the base's read */
  GCancellable *write_cancellable; /* interrupts the base's write */
  GAsyncQueue *outgoing;     /* GBytes; stop_request ends both threads */
  GMutex lock;               /* guards reader */
  GThread *reader;           /* NULL once joined */
};

/* Cancels the reader's read and waits until it ended. */
static void
stop_reader (DtlsGoStreamIO *io)
{
  GThread *reader;

  g_cancellable_cancel (io->cancellable);
  g_mutex_lock (&io->lock);
  reader = g_steal_pointer (&io->reader);
  g_mutex_unlock (&io->lock);
  if (reader)
    g_thread_join (reader);
}

/* Queued after the last write: its address alone ends the writer. */
static GBytes *const stop_request = (GBytes *) &stop_request;

static gpointer
reader_thread (gpointer data)
{
  DtlsGoStreamIO *io = data;
  GInputStream *in = g_io_stream_get_input_stream (io->base);
  g_autofree guint8 *buffer = g_malloc (DTLSGO_STREAM_READ_BUFFER);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (in, buffer, DTLSGO_STREAM_READ_BUFFER, io->cancellable, &error);

      if (g_cancellable_is_cancelled (io->cancellable))
        break;
      if (n < 0 && error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "The base stream failed without saying why");
      /* Blocks until Go took the chunk: the base is read no faster than
       * TLS consumes it. */
      dtlsgo_core_stream_io_deliver (io->sink, buffer, n, error);
      /* A base that timed out (its socket's timeout) has not ended: Go
       * tells a waiting read, and reading goes on, as GLib's backends do. */
      if (n <= 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        break;
    }
  return NULL;
}

static gpointer
writer_thread (gpointer data)
{
  DtlsGoStreamIO *io = data;
  GOutputStream *out = g_io_stream_get_output_stream (io->base);

  for (;;)
    {
      GBytes *popped = g_async_queue_pop (io->outgoing);
      g_autoptr(GBytes) chunk = NULL;
      g_autoptr(GError) error = NULL;
      gsize size;
      const guint8 *bytes;

      if (popped == stop_request)
        break;
      chunk = popped;
      bytes = g_bytes_get_data (chunk, &size);
      g_output_stream_write_all (out, bytes, size, NULL, io->write_cancellable, &error);
      dtlsgo_core_stream_io_written (io->sink, error);
    }

  stop_reader (io);
  /* The last use of io here: Go frees it once told. */
  dtlsgo_core_stream_io_stopped (io->sink);
  return NULL;
}

DtlsGoStreamIO *
dtlsgo_shim_stream_io_start (GIOStream *base, DtlsGoHandle sink)
{
  DtlsGoStreamIO *io = g_new0 (DtlsGoStreamIO, 1);

  io->base = g_object_ref (base);
  io->sink = sink;
  io->cancellable = g_cancellable_new ();
  io->write_cancellable = g_cancellable_new ();
  io->outgoing = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  g_mutex_init (&io->lock);
  io->reader = g_thread_new ("dtlsgo-tls-rd", reader_thread, io);
  /* The threads' names tell them apart in a debugger and let tests see
   * where the base's methods ran. Nobody joins the writer: it says when it
   * stopped. */
  g_thread_unref (g_thread_new ("dtlsgo-tls-wr", writer_thread, io));
  return io;
}

void
dtlsgo_shim_stream_io_write (DtlsGoStreamIO *io, const guint8 *data, gsize len)
{
  g_async_queue_push (io->outgoing, g_bytes_new (data, len));
}

void
dtlsgo_shim_stream_io_stop_reading (DtlsGoStreamIO *io)
{
  stop_reader (io);
}

void
dtlsgo_shim_stream_io_stop (DtlsGoStreamIO *io)
{
  g_async_queue_push (io->outgoing, stop_request);
}

void
dtlsgo_shim_stream_io_cancel (DtlsGoStreamIO *io)
{
  g_cancellable_cancel (io->cancellable);
  g_cancellable_cancel (io->write_cancellable);
}

void
dtlsgo_shim_stream_io_free (DtlsGoStreamIO *io)
{
  g_mutex_clear (&io->lock);
  g_async_queue_unref (io->outgoing);
  g_object_unref (io->cancellable);
  g_object_unref (io->write_cancellable);
  g_object_unref (io->base);
  g_free (io);
}
