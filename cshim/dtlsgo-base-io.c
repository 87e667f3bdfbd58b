/* Drives a base GDatagramBased that is not a plain GSocket (a wrapper, a
 * Python subclass) from two GLib threads, so its methods never run on a Go
 * thread: a reader that hands each datagram up to Go, and a writer that
 * sends what Go queued. UDP-like: sends never block the caller. */

#define _GNU_SOURCE /* pthread_setname_np */
#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-core.h"

#include <pthread.h>

/* Largest datagram read: no record is ever cut for lack of buffer. */
#define DTLSGO_BASE_IO_BUFFER 65536

struct _DtlsGoBaseIO
{
  GDatagramBased *base;
  DtlsGoHandle sink;
  GCancellable *cancellable; /* stops both threads */
  GAsyncQueue *outgoing;     /* GBytes; the stop marker ends the writer */
  GThread *reader;
  GThread *writer;
};

static GBytes *stop_marker (void)
{
  static GBytes *marker;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      marker = g_bytes_new_static ("", 0);
      g_once_init_leave (&once, 1);
    }
  return marker;
}

static gpointer
reader_thread (gpointer data)
{
  DtlsGoBaseIO *io = data;
  g_autofree guint8 *buffer = g_malloc (DTLSGO_BASE_IO_BUFFER);

  /* GLib 2.74 does not name its threads; a name tells them apart in a
   * debugger and lets tests see where the base's methods ran. */
  pthread_setname_np (pthread_self (), "dtlsgo-base-rd");

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GInputVector vector = { buffer, DTLSGO_BASE_IO_BUFFER };
      GInputMessage message = { NULL, &vector, 1, 0, 0, NULL, NULL };
      gint n;

      n = g_datagram_based_receive_messages (io->base, &message, 1, 0, -1,
                                             io->cancellable, &error);
      if (g_cancellable_is_cancelled (io->cancellable))
        break;
      if (n == 1)
        {
          dtlsgo_core_base_io_deliver (io->sink, buffer, message.bytes_received, NULL);
          continue;
        }
      /* A spurious wake-up is not the end, nor is a refused earlier
       * send: Go decides what that means (it ends a handshake). */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        continue;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        {
          dtlsgo_core_base_io_deliver (io->sink, NULL, -1, error);
          continue;
        }
      if (n < 0 && error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "The base socket failed without saying why");
      dtlsgo_core_base_io_deliver (io->sink, NULL, 0, error);
      break;
    }
  return NULL;
}

static gpointer
writer_thread (gpointer data)
{
  DtlsGoBaseIO *io = data;

  pthread_setname_np (pthread_self (), "dtlsgo-base-wr");

  for (;;)
    {
      g_autoptr(GBytes) datagram = g_async_queue_pop (io->outgoing);
      g_autoptr(GError) error = NULL;
      GOutputVector vector;
      GOutputMessage message = { NULL, &vector, 1, 0, NULL, 0 };

      if (datagram == stop_marker ())
        break;
      vector.buffer = g_bytes_get_data (datagram, &vector.size);
      /* Lost datagrams are DTLS's business (it retransmits): errors are
       * only worth a debug line, except a refusal (the peer's port is
       * closed), which Go hears of as from the reader. */
      if (g_datagram_based_send_messages (io->base, &message, 1, 0, -1,
                                          NULL, &error) < 0)
        {
          g_debug ("dropping a datagram the base socket refused: %s", error->message);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
            dtlsgo_core_base_io_deliver (io->sink, NULL, -1, error);
        }
    }
  return NULL;
}

DtlsGoBaseIO *
dtlsgo_shim_base_io_start (GDatagramBased *base, DtlsGoHandle sink)
{
  DtlsGoBaseIO *io = g_new0 (DtlsGoBaseIO, 1);

  io->base = g_object_ref (base);
  io->sink = sink;
  io->cancellable = g_cancellable_new ();
  io->outgoing = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  io->reader = g_thread_new ("dtlsgo-base-read", reader_thread, io);
  io->writer = g_thread_new ("dtlsgo-base-write", writer_thread, io);
  return io;
}

void
dtlsgo_shim_base_io_send (DtlsGoBaseIO *io, const guint8 *data, gsize len)
{
  g_async_queue_push (io->outgoing, g_bytes_new (data, len));
}

void
dtlsgo_shim_base_io_stop (DtlsGoBaseIO *io)
{
  /* The writer drains what was queued first: the last datagram is often
   * the close_notify. */
  g_async_queue_push (io->outgoing, g_bytes_ref (stop_marker ()));
  g_thread_join (io->writer);
  g_cancellable_cancel (io->cancellable);
  g_thread_join (io->reader);
  g_async_queue_unref (io->outgoing);
  g_object_unref (io->cancellable);
  g_object_unref (io->base);
  g_free (io);
}
