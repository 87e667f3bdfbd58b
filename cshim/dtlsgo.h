/* dtlsgo.h: the public C API of dtlsgo, the DtlsGo namespace.
 *
 * GIO's API reaches every DTLS feature it knows through plain
 * GDtlsConnection; this header (and its introspection data, typelib
 * DtlsGo-1.0) adds what GIO cannot express: datagram I/O every language can
 * call, keying material export, DTLS-SRTP, pre-shared keys, connection IDs
 * and the handshake's timing; on stream TLS, the key exchange group and
 * Encrypted Client Hello.
 *
 * The header lives beside the C shim that implements it because the Go
 * build tracks only the headers of its own package directories. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * DtlsGoBackend:
 *
 * The [iface@Gio.TlsBackend] of dtlsgo, registered as the `dtlsgo`
 * extension of the `gio-tls-backend` extension point when GIO loads the
 * module. It serves DTLS and stream TLS alike: the same connection types
 * are [iface@Gio.DtlsClientConnection] and [iface@Gio.TlsClientConnection]
 * (and the server pair), made over a datagram or a stream base.
 *
 * [func@Gio.TlsBackend.get_default] returns it while dtlsgo is GIO's TLS
 * backend (`GIO_USE_TLS=dtlsgo`, or the only module in `GIO_MODULE_DIR`).
 */
#define DTLS_GO_TYPE_BACKEND (dtls_go_backend_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoBackend, dtls_go_backend, DTLS_GO, BACKEND, GObject)

/**
 * DtlsGoCertificate:
 *
 * The [class@Gio.TlsCertificate] of dtlsgo: an X.509 certificate, its
 * private key when it has one, and its issuer. Create it through
 * [class@Gio.TlsCertificate]'s constructors while dtlsgo is the default
 * backend, or else with g_object_new() and its properties
 * ([property@Gio.TlsCertificate:certificate-pem] holds one certificate;
 * link [property@Gio.TlsCertificate:issuer] yourself); dtlsgo's connections
 * take the certificates of any backend, though. Data that holds no
 * certificate, or one that cannot be parsed, fails with
 * %G_TLS_ERROR_BAD_CERTIFICATE.
 *
 * ```python
 * cert = Gio.TlsCertificate.new_from_files("server.pem", "server-key.pem")
 * assert isinstance(cert, DtlsGo.Certificate)
 * ```
 */
#define DTLS_GO_TYPE_CERTIFICATE (dtls_go_certificate_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoCertificate, dtls_go_certificate, DTLS_GO, CERTIFICATE, GTlsCertificate)

/**
 * DtlsGoDatabase:
 *
 * The [class@Gio.TlsDatabase] of dtlsgo: a set of trust anchors that
 * verifies certificate chains. The backend's default database
 * ([method@Gio.TlsBackend.get_default_database]) is the system's CA store.
 */
#define DTLS_GO_TYPE_DATABASE (dtls_go_database_get_type ())
G_DECLARE_DERIVABLE_TYPE (DtlsGoDatabase, dtls_go_database, DTLS_GO, DATABASE, GTlsDatabase)

struct _DtlsGoDatabaseClass
{
  GTlsDatabaseClass parent_class;
};

/**
 * DtlsGoFileDatabase:
 *
 * The [iface@Gio.TlsFileDatabase] of dtlsgo: a [class@DtlsGo.Database]
 * trusting the certificates of one PEM file. A relative path, or a file holding no
 * certificate, fails with %G_TLS_ERROR_MISC.
 *
 * ```python
 * client.set_database(Gio.TlsFileDatabase.new("/etc/my-service/ca.pem"))
 * ```
 */
#define DTLS_GO_TYPE_FILE_DATABASE (dtls_go_file_database_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoFileDatabase, dtls_go_file_database, DTLS_GO, FILE_DATABASE, DtlsGoDatabase)

/**
 * DtlsGoConnection:
 *
 * The base of dtlsgo's DTLS connections. It is a [iface@Gio.DtlsConnection]
 * and a [iface@Gio.DatagramBased] (and, as in glib-networking, a
 * [class@Gio.TlsConnection]), so everything GIO documents works on it
 * unchanged; this type adds what GIO has no API for.
 *
 * The settings here are read when the handshake starts, like GIO's own
 * connection properties.
 *
 * GIO's constructors return one only while dtlsgo is GIO's default TLS
 * backend (dtls_go_is_default_backend()); otherwise they return another
 * backend's connection, on which this type's methods cannot work (the
 * DtlsGo constructors, such as dtls_go_client_connection_new(), work
 * whatever the default backend). Check before using them:
 * `conn instanceof DtlsGo.Connection` in JavaScript,
 * `DTLS_GO_IS_CONNECTION (conn)` in C, and in Python:
 *
 * ```python
 * conn = Gio.DtlsClientConnection.new(sock, None)
 * if not isinstance(conn, DtlsGo.Connection):
 *     raise RuntimeError("dtlsgo is not GIO's TLS backend")
 * conn.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
 * conn.send_bytes(GLib.Bytes.new(b"hello"), 5_000_000, None)
 * ```
 */
/* The class structures of the connection types are private (their
 * instances come from GIO's constructors and the roles are final), so the
 * roles are declared as G_DECLARE_FINAL_TYPE would, without the class. */
#define DTLS_GO_TYPE_CONNECTION (dtls_go_connection_get_type ())
G_DECLARE_DERIVABLE_TYPE (DtlsGoConnection, dtls_go_connection, DTLS_GO, CONNECTION, GTlsConnection)

/**
 * DtlsGoClientConnection:
 *
 * A dtlsgo DTLS client connection, what
 * [func@Gio.DtlsClientConnection.new] returns while dtlsgo is the default
 * backend. Besides certificates it can authenticate with a pre-shared key
 * (RFC 4279):
 *
 * ```python
 * client = Gio.DtlsClientConnection.new(sock, None)
 * client.set_psk("sensor-17", GLib.Bytes.new(key))
 * client.send_bytes(GLib.Bytes.new(b"hello"), 5_000_000, None)
 * ```
 */
#define DTLS_GO_TYPE_CLIENT_CONNECTION (dtls_go_client_connection_get_type ())
typedef struct _DtlsGoClientConnection DtlsGoClientConnection;
typedef struct _DtlsGoClientConnectionClass DtlsGoClientConnectionClass;
GType dtls_go_client_connection_get_type (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DtlsGoClientConnection, g_object_unref)
static inline DtlsGoClientConnection *
DTLS_GO_CLIENT_CONNECTION (gpointer ptr)
{
  return G_TYPE_CHECK_INSTANCE_CAST (ptr, dtls_go_client_connection_get_type (), DtlsGoClientConnection);
}
static inline gboolean
DTLS_GO_IS_CLIENT_CONNECTION (gpointer ptr)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (ptr, dtls_go_client_connection_get_type ());
}

/**
 * DtlsGoServerConnection:
 *
 * A dtlsgo DTLS server connection, what
 * [func@Gio.DtlsServerConnection.new] returns while dtlsgo is the default
 * backend. Besides a certificate it can accept clients by pre-shared key
 * (RFC 4279), looked up through the
 * [signal@DtlsGo.ServerConnection::psk-requested] signal:
 *
 * ```python
 * keys = {"sensor-17": GLib.Bytes.new(key)}  # identity: key
 * server = Gio.DtlsServerConnection.new(sock, None)  # no certificate
 * server.connect("psk-requested", lambda conn, identity: keys.get(identity))
 * data = server.receive_bytes(0, 5_000_000, None)
 * ```
 */
#define DTLS_GO_TYPE_SERVER_CONNECTION (dtls_go_server_connection_get_type ())
typedef struct _DtlsGoServerConnection DtlsGoServerConnection;
typedef struct _DtlsGoServerConnectionClass DtlsGoServerConnectionClass;
GType dtls_go_server_connection_get_type (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DtlsGoServerConnection, g_object_unref)
static inline DtlsGoServerConnection *
DTLS_GO_SERVER_CONNECTION (gpointer ptr)
{
  return G_TYPE_CHECK_INSTANCE_CAST (ptr, dtls_go_server_connection_get_type (), DtlsGoServerConnection);
}
static inline gboolean
DTLS_GO_IS_SERVER_CONNECTION (gpointer ptr)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (ptr, dtls_go_server_connection_get_type ());
}

/**
 * DtlsGoListener:
 *
 * One UDP socket serving many DTLS clients: a #GObject that answers each
 * new client's ClientHello statelessly with a cookie (RFC 6347 4.2.1),
 * keeps state only for clients that return it, and hands each of them to
 * the application as a #DtlsGoServerConnection before its handshake. GIO
 * has no such type: a GIO DTLS server serves one peer per socket.
 */
#define DTLS_GO_TYPE_LISTENER (dtls_go_listener_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoListener, dtls_go_listener, DTLS_GO, LISTENER, GObject)

/**
 * DtlsGoPeerSocket:
 *
 * One client of a #DtlsGoListener as a #GDatagramBased: it receives only
 * that client's datagrams and sends through the listener's socket. It is
 * the #GDtlsConnection:base-socket of a connection the listener accepted;
 * closing that connection frees the client's place at the listener.
 */
#define DTLS_GO_TYPE_PEER_SOCKET (dtls_go_peer_socket_get_type ())
G_DECLARE_FINAL_TYPE (DtlsGoPeerSocket, dtls_go_peer_socket, DTLS_GO, PEER_SOCKET, GObject)

/* Constructors that work whatever GIO's default TLS backend is */

DtlsGoClientConnection *dtls_go_client_connection_new (GDatagramBased     *base_socket,
                                                       GSocketConnectable *server_identity,
                                                       GError            **error);
DtlsGoServerConnection *dtls_go_server_connection_new (GDatagramBased     *base_socket,
                                                       GTlsCertificate    *certificate,
                                                       GError            **error);
DtlsGoFileDatabase     *dtls_go_file_database_new     (const gchar        *anchors,
                                                       GError            **error);

/* One port, many clients */

DtlsGoListener         *dtls_go_listener_new              (GSocket             *socket,
                                                           GTlsCertificate     *certificate,
                                                           GError             **error);
DtlsGoListener         *dtls_go_listener_new_for_address  (GSocketAddress      *address,
                                                           GTlsCertificate     *certificate,
                                                           GError             **error);
GSocket                *dtls_go_listener_get_socket       (DtlsGoListener      *self);
DtlsGoServerConnection *dtls_go_listener_accept           (DtlsGoListener      *self,
                                                           GCancellable        *cancellable,
                                                           GError             **error);
void                    dtls_go_listener_accept_async     (DtlsGoListener      *self,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
DtlsGoServerConnection *dtls_go_listener_accept_finish    (DtlsGoListener      *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
void                    dtls_go_listener_close            (DtlsGoListener      *self);
guint                   dtls_go_listener_get_peer_count   (DtlsGoListener      *self,
                                                           guint               *pending);
GSocketAddress         *dtls_go_peer_socket_get_remote_address (DtlsGoPeerSocket *self);

/* Library */

const gchar  *dtls_go_get_version          (void);
gboolean      dtls_go_is_default_backend   (void);
gchar       **dtls_go_get_cipher_suites    (void);
gchar       **dtls_go_get_srtp_profiles    (void);
guint         dtls_go_debug_goroutine_count (void);
guint64       dtls_go_debug_live_heap       (void);

/* Datagram I/O with GBytes */

gboolean      dtls_go_connection_send_bytes              (DtlsGoConnection     *self,
                                                          GBytes               *bytes,
                                                          gint64                timeout,
                                                          GCancellable         *cancellable,
                                                          GError              **error);
void          dtls_go_connection_send_bytes_async        (DtlsGoConnection     *self,
                                                          GBytes               *bytes,
                                                          int                   io_priority,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean      dtls_go_connection_send_bytes_finish       (DtlsGoConnection     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
GBytes       *dtls_go_connection_receive_bytes           (DtlsGoConnection     *self,
                                                          gsize                 max_size,
                                                          gint64                timeout,
                                                          GCancellable         *cancellable,
                                                          GError              **error);
void          dtls_go_connection_receive_bytes_async     (DtlsGoConnection     *self,
                                                          gsize                 max_size,
                                                          int                   io_priority,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
GBytes       *dtls_go_connection_receive_bytes_finish    (DtlsGoConnection     *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

/* Keying material and DTLS-SRTP */

GBytes       *dtls_go_connection_export_keying_material  (DtlsGoConnection     *self,
                                                          const gchar          *label,
                                                          GBytes               *context,
                                                          gsize                 length,
                                                          GError              **error);
void          dtls_go_connection_set_srtp_profiles       (DtlsGoConnection     *self,
                                                          const gchar * const  *profiles);
const gchar  *dtls_go_connection_get_srtp_profile        (DtlsGoConnection     *self);
gboolean      dtls_go_connection_get_srtp_keys           (DtlsGoConnection     *self,
                                                          GBytes              **local_key,
                                                          GBytes              **local_salt,
                                                          GBytes              **remote_key,
                                                          GBytes              **remote_salt,
                                                          GError              **error);

/* What a stream TLS handshake adds: key exchange group, Encrypted Client Hello */

const gchar  *dtls_go_connection_get_key_exchange_group  (DtlsGoConnection       *self);
gboolean      dtls_go_connection_get_ech_accepted        (DtlsGoConnection       *self);
void          dtls_go_client_connection_set_ech_config_list (DtlsGoClientConnection *self,
                                                          GBytes                 *config_list);
void          dtls_go_server_connection_set_ech_keys     (DtlsGoServerConnection *self,
                                                          GBytes                 *keys);
GBytes       *dtls_go_generate_ech_keys                  (const gchar            *public_name,
                                                          GBytes                **config_list,
                                                          GError                **error);

/* Pre-shared keys */

void          dtls_go_client_connection_set_psk          (DtlsGoClientConnection *self,
                                                          const gchar            *identity,
                                                          GBytes                 *key);

G_END_DECLS
