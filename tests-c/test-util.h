/* Shared helpers of the C tests. */
#pragma once

#include <gio/gio.h>

/* Makes the temporary directory the helpers use; call after g_test_init. */
void test_util_init (void);

/* Two UDP sockets on 127.0.0.1, connected to each other. */
void test_udp_pair (GSocket **a, GSocket **b);

/* Two GSocketConnections to each other over loopback TCP. */
void test_tcp_pair (GSocketConnection **client, GSocketConnection **server);

/* An accept-certificate handler that accepts any certificate. */
gboolean test_accept_any_certificate (GTlsConnection *conn, GTlsCertificate *cert,
                                      GTlsCertificateFlags errors, gpointer data);

/* A stream TLS client (over client_base, accepting the server's
 * certificate whatever it is) and server (over server_base, with
 * test_server_certificate), their handshakes done: the server's on a
 * thread of its own. */
void test_tls_stream_pair (GIOStream *client_base, GIOStream *server_base,
                           GIOStream **client, GIOStream **server);

/* A self-signed ECDSA certificate for "localhost" with its key, made by
 * openssl once per test program. */
GTlsCertificate *test_server_certificate (void);

/* The PEM files of that certificate and of its key (made if needed). */
void test_server_certificate_files (gchar **cert, gchar **key);

/* Iterates context until the caller holds the only reference to object
 * (at most 10 s): what a connection still posts there (the end of a
 * handshake or close, from another thread) runs first. */
void test_drain_until_sole_owner (GMainContext *context, gpointer object);
