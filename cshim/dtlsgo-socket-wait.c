/* Waiting for a stream connection's socket on the thread that called in
 * from GLib: the core reads and writes without waiting, and a blocking read
 * or write that must wait sleeps here, in poll(), as GSocket's own blocking
 * calls and glib-networking's backends do. Waiting in Go instead parks the
 * thread in Go's poller and wakes it through Go's scheduler (a handful of
 * futex calls and thread hand-offs per wait). */

#define G_LOG_DOMAIN "dtlsgo"
#include "dtlsgo-socket-wait.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A thread's wake eventfd, stored + 1 (so that 0 means none). One per
 * thread rather than per connection: a thread waits for one connection at
 * a time, and a process with many connections has few threads that read. */
static void
close_wake_fd (gpointer data)
{
  close (GPOINTER_TO_INT (data) - 1);
}

static GPrivate wake_fd = G_PRIVATE_INIT (close_wake_fd);

int
dtlsgo_socket_wait_wake_fd (void)
{
  int fd = GPOINTER_TO_INT (g_private_get (&wake_fd)) - 1;

  if (fd < 0)
    {
      fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (fd >= 0)
        g_private_set (&wake_fd, GINT_TO_POINTER (fd + 1));
    }
  return fd;
}

/* poll()'s timeout for deadline: milliseconds rounded up (the wait must not
 * end before it), -1 for none, 0 once it passed. */
static int
poll_timeout (gint64 deadline)
{
  gint64 left;

  if (deadline < 0)
    return -1;
  left = deadline - g_get_monotonic_time ();
  if (left <= 0)
    return 0;
  return (int) MIN ((left + 999) / 1000, G_MAXINT);
}

DtlsGoWaited
dtlsgo_socket_wait (GSocket      *socket,
                    GIOCondition  condition,
                    int           wake,
                    gint64        deadline,
                    GCancellable *cancellable)
{
  struct pollfd fds[3];
  GPollFD cancel_fd;
  gboolean cancel_polled = g_cancellable_make_pollfd (cancellable, &cancel_fd);
  DtlsGoWaited waited = DTLSGO_WAITED_READY;
  nfds_t n = 2;
  int timeout, res;

  /* A socket the application closed under the connection is not polled
   * (its number may name another file by now): the core wakes the wait
   * once its own duplicate is closed. */
  fds[0].fd = g_socket_is_closed (socket) ? -1 : g_socket_get_fd (socket);
  fds[0].events = condition == G_IO_OUT ? POLLOUT : POLLIN;
  fds[1].fd = wake;
  fds[1].events = POLLIN;
  if (cancel_polled)
    {
      fds[2].fd = cancel_fd.fd;
      fds[2].events = POLLIN;
      n = 3;
    }
  do
    {
      fds[0].revents = fds[1].revents = fds[2].revents = 0;
      timeout = poll_timeout (deadline);
      res = timeout == 0 ? 0 : poll (fds, n, timeout);
    }
  while (res < 0 && errno == EINTR);

  if (g_cancellable_is_cancelled (cancellable))
    waited = DTLSGO_WAITED_CANCELLED;
  else if (res == 0)
    waited = DTLSGO_WAITED_TIMED_OUT;
  if (fds[1].revents & POLLIN)
    {
      guint64 signals;

      while (read (wake, &signals, sizeof signals) < 0 && errno == EINTR)
        ;
    }
  if (cancel_polled)
    g_cancellable_release_fd (cancellable);
  /* A failed poll (the socket gone bad) is READY too: the core's next
   * system call says what happened. */
  return waited;
}
