/* The seam: every function the Go core exports to the C shim (implemented
 * in package export, one file per area), and the few C functions the Go side
 * calls back. Each export recovers Go panics and reports failures through its
 * GError** in the right domain and code (cgo cannot say const: pointers
 * passed in are borrowed unless said otherwise); handles are runtime/cgo handles of
 * Go objects, 0 meaning none, freed with dtlsgo_core_handle_free.
 *
 * Keep each area's rows in its own section: the sections are edited by
 * different people. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef guintptr DtlsGoHandle;

/* ---- Handles -------------------------------------------------------------- */

void dtlsgo_core_handle_free (DtlsGoHandle handle);

/* ---- Certificates and databases (export/certificate.go, export/database.go) */

/* cgo spells a Go export's parameter types as written in Go, so a const
 * string parameter needs a type name of its own. */
typedef const char DtlsGoConstChar;

/* A certificate handle holds an immutable Go dtlsgo.Certificate: the
 * parsed certificate, its issuer's certificate when known, its private key
 * when it has one. Failures are G_TLS_ERROR_BAD_CERTIFICATE with a message
 * naming the problem unless said otherwise. */

/* From GTlsCertificate's construct properties: der or pem (one of them),
 * key_der or key_pem (at most one; it must match the certificate), and the
 * issuer's handle or 0 (borrowed). */
DtlsGoHandle dtlsgo_core_certificate_new (GBytes *der, DtlsGoConstChar *pem,
                                          GBytes *key_der, DtlsGoConstChar *key_pem,
                                          DtlsGoHandle issuer, GError **error);
/* From DER PKCS #12 data holding a certificate, its key and maybe its
 * chain; password may be NULL. A wrong or missing password is
 * G_TLS_ERROR_BAD_CERTIFICATE_PASSWORD. */
DtlsGoHandle dtlsgo_core_certificate_new_from_pkcs12 (GBytes *data, DtlsGoConstChar *password,
                                                      GError **error);
/* From a peer's DER certificates, leaf first; issuers are linked by name. */
DtlsGoHandle dtlsgo_core_certificate_new_from_der_chain (GBytes **ders, guint n_ders,
                                                         GError **error);
/* A new handle to the same certificate / to its issuer's (0 if none). */
DtlsGoHandle dtlsgo_core_certificate_dup (DtlsGoHandle cert);
DtlsGoHandle dtlsgo_core_certificate_get_issuer (DtlsGoHandle cert);
/* Properties, transfer full; NULL when cert is 0 or has no such value.
 * Private keys read as unencrypted PKCS #8; names as GnuTLS formats them;
 * dns-names hold GBytes, ip-addresses GInetAddress. */
GBytes *dtlsgo_core_certificate_get_der (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_pem (DtlsGoHandle cert);
GBytes *dtlsgo_core_certificate_get_private_key_der (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_private_key_pem (DtlsGoHandle cert);
GDateTime *dtlsgo_core_certificate_get_not_valid_before (DtlsGoHandle cert);
GDateTime *dtlsgo_core_certificate_get_not_valid_after (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_subject_name (DtlsGoHandle cert);
char *dtlsgo_core_certificate_get_issuer_name (DtlsGoHandle cert);
GPtrArray *dtlsgo_core_certificate_get_dns_names (DtlsGoHandle cert);
GPtrArray *dtlsgo_core_certificate_get_ip_addresses (DtlsGoHandle cert);
/* g_tls_certificate_verify. identity: a host name or IP literal; NULL for
 * no identity; "" for an identity naming no host (always BAD_IDENTITY).
 * trusted_ca: a certificate handle or 0. */
GTlsCertificateFlags dtlsgo_core_certificate_verify (DtlsGoHandle cert, DtlsGoConstChar *identity,
                                                     DtlsGoHandle trusted_ca);

/* A database handle holds a Go dtlsgo.Database (a trust store). */

/* The anchors of a PEM file (an absolute path); handle_prefix starts the
 * handles of its certificates (the file's URI). G_TLS_ERROR_MISC if the
 * file cannot be read or holds no certificate. */
DtlsGoHandle dtlsgo_core_database_new_file (DtlsGoConstChar *anchors, DtlsGoConstChar *handle_prefix,
                                            GError **error);
/* The system trust store: one per process, read on first use. */
DtlsGoHandle dtlsgo_core_database_new_system (void);
/* g_tls_database_verify_chain: purpose is an extended key usage OID;
 * identity as for dtlsgo_core_certificate_verify. Errors (a system store
 * that failed to load) come with G_TLS_CERTIFICATE_GENERIC_ERROR. */
GTlsCertificateFlags dtlsgo_core_database_verify_chain (DtlsGoHandle db, DtlsGoHandle chain,
                                                        DtlsGoConstChar *purpose,
                                                        DtlsGoConstChar *identity,
                                                        GError **error);
/* The handle string of an anchor, or NULL when cert is not one. */
char *dtlsgo_core_database_create_certificate_handle (DtlsGoHandle db, DtlsGoHandle cert);
/* Lookups return certificate handles; 0 (or n_certs 0) with no error when
 * nothing matches. */
DtlsGoHandle dtlsgo_core_database_lookup_certificate_for_handle (DtlsGoHandle db,
                                                                 DtlsGoConstChar *handle,
                                                                 GError **error);
DtlsGoHandle dtlsgo_core_database_lookup_certificate_issuer (DtlsGoHandle db, DtlsGoHandle cert,
                                                             GTlsDatabaseLookupFlags flags,
                                                             GError **error);
/* Returns a g_malloc'ed array of *n_certs handles. */
DtlsGoHandle *dtlsgo_core_database_lookup_certificates_issued_by (DtlsGoHandle db,
                                                                  GBytes *issuer_raw_dn,
                                                                  GTlsDatabaseLookupFlags flags,
                                                                  guint *n_certs,
                                                                  GError **error);

/* ---- Connections (export/connection.go) ------------------------------------ */

/* Handshake progress, as dtlsgo_core_connection_handshake_state reports it. */
typedef enum {
  DTLSGO_HANDSHAKE_IDLE,
  DTLSGO_HANDSHAKE_RUNNING,
  DTLSGO_HANDSHAKE_DONE,
  DTLSGO_HANDSHAKE_FAILED,
} DtlsGoHandshakeState;

/* What a handshake needs from the connection's properties, read when it
 * starts. Borrowed for the duration of the call only. */
typedef struct {
  gboolean is_client;
  DtlsGoHandle certificate;          /* 0: none */
  const gchar *server_name;          /* SNI, NULL for none or an IP literal */
  const gchar * const *protocols;    /* ALPN, NULL: disabled */
  GTlsAuthenticationMode authentication_mode;
  DtlsGoHandle client_ca_database;  /* server: a database whose anchors name the CAs a
                                        CertificateRequest lists (accepted-cas), or 0 */

  /* The DtlsGo namespace's settings (cshim/dtlsgo.h). The role's fields
   * (psk*) are owned: the caller frees them after the call. */
  const gchar * const *srtp_profiles; /* offered or accepted; NULL: no DTLS-SRTP */
  gchar *psk_identity;                /* client, with psk */
  GBytes *psk;                        /* client: NULL for no pre-shared key */
  gboolean psk_server;                /* server: ask DTLSGO_UPCALL_PSK for keys */
  gchar *psk_identity_hint;           /* server, NULL for none */
  gint connection_id_length;          /* 0: none; -1: send only; else bytes */
  guint handshake_timeout_ms;         /* 0: the default bound */
  guint retransmission_interval_ms;   /* 0: the default */
  guint mtu;                          /* 0: the default */
  const gchar *key_log_file;          /* SSLKEYLOGFILE, NULL for none */

  gchar *session_key;                 /* stream client: its server in the session cache
                                         (owned), NULL: not cached (export/session.go) */
  /* Encrypted Client Hello, stream TLS only (export/streamextras.go);
   * owned like psk. Unusable data fails the handshake's start with
   * G_IO_ERROR_INVALID_ARGUMENT. */
  GBytes *ech_config_list;            /* client: an ECHConfigList, NULL for no ECH */
  GBytes *ech_keys;                   /* server: PEM keys, NULL for none */
} DtlsGoHandshakeParams;

/* The calls up from a running handshake. Each is posted, in order, to the
 * main context of the handshake op it belongs to (never run on a Go thread);
 * each request handle is answered (and freed) by exactly one call below. */
typedef enum {
  DTLSGO_UPCALL_VERIFY,               /* answer: dtlsgo_core_verify_reply */
  DTLSGO_UPCALL_REQUEST_CERTIFICATE,  /* answer: dtlsgo_core_certificate_reply */
  DTLSGO_UPCALL_HANDSHAKE_DONE,       /* answer: dtlsgo_core_handshake_result */
  DTLSGO_UPCALL_PSK,                  /* answer: dtlsgo_core_psk_reply */
  DTLSGO_UPCALL_ASK_PASSWORD,         /* answer: dtlsgo_core_password_reply */
} DtlsGoUpcall;

/* Go → C: implemented in cshim/dtlsgo-connection-handshake.c. */
void dtlsgo_shim_upcall (gpointer op, DtlsGoUpcall kind, DtlsGoHandle request);
/* Go → C: readiness of the connection changed (wakes its GSources);
 * implemented in cshim/dtlsgo-connection-source.c. */
void dtlsgo_shim_connection_changed (gpointer connection);

/* connection is the DtlsGoConnection (not referenced; it frees the handle
 * before it goes). base must stay alive as long as the handle. */
DtlsGoHandle dtlsgo_core_connection_new (gpointer connection, GDatagramBased *base,
                                         gboolean is_client, GError **error);
/* Closes (without waiting for the peer) and frees. */
void dtlsgo_core_connection_free (DtlsGoHandle conn);

DtlsGoHandshakeState dtlsgo_core_connection_handshake_state (DtlsGoHandle conn);
/* Starts the handshake, or joins the one running or over, for one caller's
 * op: on TRUE exactly one DTLSGO_UPCALL_HANDSHAKE_DONE follows through op,
 * and *started tells whether this op began it. FALSE (and no upcall) when
 * it cannot begin: a closed connection, unusable parameters. timeout_us
 * < 0: the default bound only. */
gboolean dtlsgo_core_connection_handshake (DtlsGoHandle conn, DtlsGoHandshakeParams *params,
                                           gpointer op, gint64 timeout_us, GCancellable *cancellable,
                                           gboolean *started, GError **error);
gboolean dtlsgo_core_handshake_result (DtlsGoHandle request, GError **error);

GPtrArray *dtlsgo_core_verify_chain (DtlsGoHandle request); /* GBytes DER, leaf first */
/* errors: the verification's flags; identity: what the peer was checked
 * against (NULL for none). A refusal's message says why from both. */
void dtlsgo_core_verify_reply (DtlsGoHandle request, gboolean accepted, GTlsCertificateFlags errors,
                               DtlsGoConstChar *identity, GError *error);
GPtrArray *dtlsgo_core_certificate_request_cas (DtlsGoHandle request); /* GBytes DER names */
/* A certificate's encrypted private key needs its password: the subject
 * (g_free) to describe it, tries (TRUE: the key opened), then one reply:
 * error NULL after a successful try, else why it stays locked. */
gchar *dtlsgo_core_password_request_subject (DtlsGoHandle request);
gboolean dtlsgo_core_password_try (DtlsGoHandle request, guint8 *password, gsize length);
void dtlsgo_core_password_reply (DtlsGoHandle request, GError *error);
/* certificate: a handle the reply takes over, or 0 for none. */
void dtlsgo_core_certificate_reply (DtlsGoHandle request, DtlsGoHandle certificate,
                                    GError *error);

/* How one send or receive ended, after glib-networking's
 * GTlsConnectionBaseStatus: the shim decides what GLib sees. */
typedef enum {
  DTLSGO_STATUS_OK,             /* *count messages moved (0 at the end of the peer's stream) */
  DTLSGO_STATUS_WOULD_BLOCK,    /* timeout 0 and nothing to move; error set */
  DTLSGO_STATUS_TIMED_OUT,      /* timeout > 0 passed; error set */
  DTLSGO_STATUS_NEED_HANDSHAKE, /* nothing done, no error: the handshake has not run or is
                                 * running; run or join it, then call again */
  DTLSGO_STATUS_ERROR,          /* error set */
  DTLSGO_STATUS_WAIT,           /* stream I/O only: wait for the socket (DtlsGoSocketWait),
                                 * then call again */
} DtlsGoStatus;

/* GDatagramBased: one call per send or receive. timeout_us as GLib's; the
 * cancellable is only looked at when the call has to wait (the shim checks
 * it before the call). */
DtlsGoStatus dtlsgo_core_connection_send (DtlsGoHandle conn, GOutputMessage *messages,
                                          guint num_messages, gint64 timeout_us,
                                          GCancellable *cancellable, gint *count, GError **error);
DtlsGoStatus dtlsgo_core_connection_receive (DtlsGoHandle conn, GInputMessage *messages,
                                             guint num_messages, gint64 timeout_us,
                                             GCancellable *cancellable, gint *count, GError **error);
GIOCondition dtlsgo_core_connection_condition (DtlsGoHandle conn, GIOCondition condition);
/* A readiness source watches the connection (on), or stops: while any
 * does, datagrams no receive takes are read at once. */
void dtlsgo_core_connection_watch (DtlsGoHandle conn, gboolean on);
gboolean dtlsgo_core_connection_condition_wait (DtlsGoHandle conn, GIOCondition condition,
                                                gint64 timeout_us, GCancellable *cancellable,
                                                GError **error);
gboolean dtlsgo_core_connection_shutdown (DtlsGoHandle conn, gboolean shutdown_read,
                                          gboolean shutdown_write, GError **error);
void dtlsgo_core_connection_set_require_close_notify (DtlsGoHandle conn, gboolean require);

/* What the handshake established; NULL / empty before it completed.
 * Strings are newly allocated (g_free). */
gchar *dtlsgo_core_connection_ciphersuite (DtlsGoHandle conn);
gchar *dtlsgo_core_connection_negotiated_protocol (DtlsGoHandle conn);
GPtrArray *dtlsgo_core_connection_accepted_cas (DtlsGoHandle conn); /* GBytes DER names */
gboolean dtlsgo_core_connection_channel_binding (DtlsGoHandle conn, GTlsChannelBindingType type,
                                                 GByteArray *data, GError **error);

/* Cancellation: cshim connects a GCancellable to a Go cancel function. */
gulong dtlsgo_shim_cancellable_connect (GCancellable *cancellable, DtlsGoHandle cancel);
void dtlsgo_shim_cancellable_disconnect (GCancellable *cancellable, gulong id);
void dtlsgo_core_cancel (DtlsGoHandle cancel);

/* A base GDatagramBased that is not a plain GSocket is pumped by two GLib
 * threads (cshim/dtlsgo-base-io.c), so its methods (perhaps Python) never
 * run on a Go thread. Datagrams read go up through deliver. */
typedef struct _DtlsGoBaseIO DtlsGoBaseIO;
DtlsGoBaseIO *dtlsgo_shim_base_io_start (GDatagramBased *base, DtlsGoHandle sink);
void dtlsgo_shim_base_io_send (DtlsGoBaseIO *io, const guint8 *data, gsize len);
void dtlsgo_shim_base_io_stop (DtlsGoBaseIO *io); /* joins both threads, frees */
/* data != NULL: one datagram of len bytes. data == NULL: the base refused a
 * datagram (error G_IO_ERROR_CONNECTION_REFUSED; from either thread, the
 * base stays usable), or the reader ended, at end of stream (error NULL) or
 * with error. */
void dtlsgo_core_base_io_deliver (DtlsGoHandle sink, guint8 *data, gssize len, GError *error);

/* ---- Stream TLS (export/stream.go, export/streamio.go) --------------------- */

/* A stream TLS connection over base: fd >= 0 is the descriptor of a plain
 * GSocketConnection's socket (read through a duplicate; see DtlsGoSocketWait),
 * fd < 0 drives base through GIO on GLib threads (cshim/dtlsgo-stream-base-io.c).
 * connection as for dtlsgo_core_connection_new; base must outlive the handle.
 * The handshake, its results and the handle's end go through the
 * connection rows above. */
DtlsGoHandle dtlsgo_core_stream_connection_new (gpointer connection, int fd, GIOStream *base,
                                                gboolean is_client, GError **error);
/* A blocking read or write over a socket waits on the thread that called
 * in from GLib, in the shim (as glib-networking's base does): the core
 * does what it can without waiting and answers DTLSGO_STATUS_WAIT with the
 * condition to wait for on the base socket; the shim polls the socket,
 * wake and the cancellable within the timeout, and calls again with what
 * ended the wait, until another status comes. While the shim waits, the
 * core signals wake (the thread's eventfd; the shim reads it) when the
 * wait must end for something else: a close, the read side shut. */
typedef enum {
  DTLSGO_WAITED_NOTHING,   /* the operation's first call */
  DTLSGO_WAITED_READY,     /* the socket, or wake */
  DTLSGO_WAITED_TIMED_OUT, /* the timeout passed */
  DTLSGO_WAITED_CANCELLED, /* the cancellable fired */
} DtlsGoWaited;
typedef struct {
  int wake;                /* in: the thread's eventfd; -1: the core waits itself */
  DtlsGoWaited waited;     /* in */
  GIOCondition condition;  /* out, with DTLSGO_STATUS_WAIT: G_IO_IN or G_IO_OUT */
} DtlsGoSocketWait;
/* *moved: bytes read (0 at the end of the stream) or written, with
 * DTLSGO_STATUS_OK; any other status but WAIT sets error.
 * timeout_us: 0 never blocks (G_IO_ERROR_WOULD_BLOCK), < 0 no bound.
 * wait: NULL, or a blocking operation over a socket the shim waits for
 * (the core may still wait itself on the first call: over a base that is
 * not a socket, or once the connection reads ahead for a readiness
 * source). */
DtlsGoStatus dtlsgo_core_stream_read (DtlsGoHandle conn, guint8 *buffer, gsize count,
                                      gint64 timeout_us, GCancellable *cancellable,
                                      DtlsGoSocketWait *wait, gssize *moved, GError **error);
DtlsGoStatus dtlsgo_core_stream_write (DtlsGoHandle conn, guint8 *buffer, gsize count,
                                       gint64 timeout_us, GCancellable *cancellable,
                                       DtlsGoSocketWait *wait, gssize *moved, GError **error);
/* Half-close: close_notify after what was written; writes then fail CLOSED.
 * timeout_us (< 0: none) bounds the wait for what was written to go. */
gboolean dtlsgo_core_stream_close_write (DtlsGoHandle conn, gint64 timeout_us,
                                         GCancellable *cancellable, GError **error);
/* Reads then fail CLOSED; nothing reads the base any more once it returns. */
void dtlsgo_core_stream_shutdown_read (DtlsGoHandle conn);
/* close_notify (after a completed handshake, if send_close_notify), then
 * the transport is closed and every waiter woken; the base stream is the
 * caller's to close, and nothing uses it any more once this returns.
 * timeout_us (< 0: none) bounds the wait for close_notify to go: past it,
 * G_IO_ERROR_TIMED_OUT, and the transport is closed all the same. */
gboolean dtlsgo_core_stream_close (DtlsGoHandle conn, gboolean send_close_notify, gint64 timeout_us,
                                   GCancellable *cancellable, GError **error);
/* G_TLS_PROTOCOL_VERSION_* of either kind of connection; UNKNOWN before
 * the handshake completed. */
GTlsProtocolVersion dtlsgo_core_connection_protocol_version (DtlsGoHandle conn);

/* Any other base GIOStream: two GLib threads read and write it. Chunks read
 * go up through deliver (n 0: end of stream; n < 0: error, the last one
 * unless G_IO_ERROR_TIMED_OUT), one at a time: deliver returns once Go took
 * it. Each write is answered by written.
 * stop returns at once; the threads end on their own and say stopped, after
 * which sink and io are never used again (Go frees io). */
typedef struct _DtlsGoStreamIO DtlsGoStreamIO;
DtlsGoStreamIO *dtlsgo_shim_stream_io_start (GIOStream *base, DtlsGoHandle sink);
void dtlsgo_shim_stream_io_write (DtlsGoStreamIO *io, const guint8 *data, gsize len);
void dtlsgo_shim_stream_io_stop (DtlsGoStreamIO *io);
/* Called on the application's (GLib) thread only: cancels the reader and
 * waits for it / cancels what the base is blocked in (after stop). */
void dtlsgo_shim_stream_io_stop_reading (DtlsGoStreamIO *io);
void dtlsgo_shim_stream_io_cancel (DtlsGoStreamIO *io);
/* Once stopped was said. */
void dtlsgo_shim_stream_io_free (DtlsGoStreamIO *io);
void dtlsgo_core_stream_io_deliver (DtlsGoHandle sink, guint8 *data, gssize n, GError *error);
void dtlsgo_core_stream_io_written (DtlsGoHandle sink, GError *error);
void dtlsgo_core_stream_io_stopped (DtlsGoHandle sink);

/* ---- Session resumption (export/session.go) -------------------------------- */

/* copy_session_state: conn (a stream client not yet handshaken) offers
 * source's session; nothing happens unless both are stream clients. */
void dtlsgo_core_stream_copy_session_state (DtlsGoHandle conn, DtlsGoHandle source);
/* Whether the completed handshake resumed a session (FALSE before). */
gboolean dtlsgo_core_connection_session_resumed (DtlsGoHandle conn);

/* ---- The DtlsGo namespace (export/namespace.go) ---------------------------- */

/* A server's question for the key of the PSK identity a client sent. */
gchar *dtlsgo_core_psk_identity (DtlsGoHandle request);
/* key: NULL for an unknown identity (borrowed). */
void dtlsgo_core_psk_reply (DtlsGoHandle request, GBytes *key, GError *error);

/* RFC 5705 keying material; context may be NULL. Before a completed
 * handshake: G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE. */
GBytes *dtlsgo_core_connection_export_keying_material (DtlsGoHandle conn, DtlsGoConstChar *label,
                                                       GBytes *context, gsize length,
                                                       GError **error);
/* The selected DTLS-SRTP profile (g_free), NULL when none. */
gchar *dtlsgo_core_connection_srtp_profile (DtlsGoHandle conn);
/* The SRTP master keys and salts, transfer full. */
gboolean dtlsgo_core_connection_srtp_keys (DtlsGoHandle conn, GBytes **local_key,
                                           GBytes **local_salt, GBytes **remote_key,
                                           GBytes **remote_salt, GError **error);
/* Static: never freed. */
gchar *dtlsgo_core_version (void);
/* NULL-terminated, g_strfreev. */
gchar **dtlsgo_core_cipher_suites (void);
gchar **dtlsgo_core_srtp_profiles (void);
/* Goroutines alive in the module's Go runtime (leak tests). */
guint dtlsgo_core_goroutine_count (void);
/* Bytes of live Go heap objects, after a full collection (leak tests). */
guint64 dtlsgo_core_live_heap (void);

/* ---- What a stream TLS handshake adds (export/streamextras.go) ----------- */

/* The IANA name of the key exchange group (g_free); NULL before the
 * handshake completed, for DTLS, and for a key exchange without one. */
gchar *dtlsgo_core_connection_key_exchange_group (DtlsGoHandle conn);
/* Whether the completed handshake used Encrypted Client Hello. */
gboolean dtlsgo_core_connection_ech_accepted (DtlsGoHandle conn);
/* A new ECH key for public_name: PEM keys for a server (returned) and the
 * ECHConfigList for clients (*config_list); transfer full.
 * G_IO_ERROR_INVALID_ARGUMENT for a public name that is no DNS name. */
GBytes *dtlsgo_core_generate_ech_keys (DtlsGoConstChar *public_name, GBytes **config_list,
                                       GError **error);

/* ---- Handshake trace (export/trace.go, cshim/dtlsgo-trace.c) ------------ */

/* Whether GLib's default writer would print a debug message of the
 * "dtlsgo" domain (G_MESSAGES_DEBUG, g_log_set_debug_enabled). */
gboolean dtlsgo_shim_trace_enabled (void);
/* Writes one debug line about connection id, on any thread. */
void dtlsgo_shim_trace (guint64 id, gboolean client, const char *line);

/* ---- DtlsGo.Listener (export/listener.go) --------------------------------- */

/* A listener over a duplicate of fd, a bound unconnected UDP socket
 * (else G_IO_ERROR_INVALID_ARGUMENT); it reads it from a goroutine. */
DtlsGoHandle dtlsgo_core_listener_new (gint fd, GError **error);
/* 0 for a limit: its default. cid_length > 0: give each client a
 * connection ID of that many bytes and route by it. */
void dtlsgo_core_listener_set_limits (DtlsGoHandle listener, guint max_pending,
                                      guint max_connections, guint handshake_timeout_ms,
                                      gint cid_length);
/* Blocks for the next client that returned a valid cookie: a peer handle.
 * G_IO_ERROR_CLOSED once closed, G_IO_ERROR_CANCELLED. */
DtlsGoHandle dtlsgo_core_listener_accept (DtlsGoHandle listener, GCancellable *cancellable,
                                          GError **error);
/* Stops accepting; accepted peers live on. */
void dtlsgo_core_listener_close (DtlsGoHandle listener);
guint dtlsgo_core_listener_peer_count (DtlsGoHandle listener, guint *pending);

/* A peer: one client's datagrams. The address is newly allocated (free). */
gchar *dtlsgo_core_peer_address (DtlsGoHandle peer, guint16 *port);
gboolean dtlsgo_core_peer_send (DtlsGoHandle peer, guint8 *data, gsize len, GError **error);
/* One datagram into buf (cut at size); its length, or -1 with error. */
gssize dtlsgo_core_peer_receive (DtlsGoHandle peer, guint8 *buf, gsize size, gint64 timeout_us,
                                 GCancellable *cancellable, GError **error);
gboolean dtlsgo_core_peer_readable (DtlsGoHandle peer);
/* Unroutes the peer (its address may connect anew) and frees the handle. */
void dtlsgo_core_peer_free (DtlsGoHandle peer);
/* C → Go: the peer handle of a DtlsGoPeerSocket, 0 for any other base. */
DtlsGoHandle dtlsgo_shim_peer_socket_handle (GDatagramBased *base);

G_END_DECLS
