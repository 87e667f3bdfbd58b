#pragma once

#include <gio/gio.h>

#include "dtlsgo-core.h"

G_BEGIN_DECLS

/* Waiting for a stream connection's socket on the thread that called in
 * from GLib (dtlsgo-socket-wait.c; see DtlsGoSocketWait in dtlsgo-core.h). */

/* The calling thread's wake eventfd, made on first use and closed when the
 * thread ends; -1 when none can be made (the core then waits itself). */
int dtlsgo_socket_wait_wake_fd (void);

/* Sleeps until socket is ready for condition (G_IO_IN or G_IO_OUT), wake
 * was signalled (the signal is read away), cancellable fired or deadline
 * (monotonic µs; -1: none) passed, and says which. */
DtlsGoWaited dtlsgo_socket_wait (GSocket      *socket,
                                 GIOCondition  condition,
                                 int           wake,
                                 gint64        deadline,
                                 GCancellable *cancellable);

G_END_DECLS
