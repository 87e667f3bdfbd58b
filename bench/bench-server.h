/* What both server processes of the listener benchmark share: options,
 * the UDP socket, telling the client process the port, echoing each
 * peer's datagrams, and exiting when the client process closes stdin. */

#pragma once

#include "bench-util.h"

/* Parses --ca, --cert and --rcvbuf (plus extra entries), loads the PKI,
 * raises the descriptor limit and exits the process when stdin closes. */
void bench_server_init (int *argc, char ***argv, const GOptionEntry *extra);

/* A UDP socket on 127.0.0.1:port (0: any port) with SO_REUSEPORT and the
 * receive buffer --rcvbuf asked for. */
GSocket *bench_server_socket (guint16 port);

/* Prints "port N" for the client process; then the main loop runs. */
G_NORETURN void bench_server_run (GSocket *listening);

/* Handshakes conn in the background, then echoes every datagram it
 * receives until the peer's close_notify or an error; then closes it and
 * calls done (data). Takes conn over. */
void bench_server_serve (GDtlsConnection *conn, GDestroyNotify done, gpointer data);
