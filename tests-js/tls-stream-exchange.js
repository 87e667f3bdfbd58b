// A stream TLS exchange from gjs through dtlsgo: a Gio.SocketService serves
// TLS with a certificate made by openssl for this run, and a
// Gio.SocketClient with tls=true connects to it, all in one main loop with
// async calls only: "ping" one way, "pong" the other, then the server's
// close_notify ends the client's stream. Run with GIO_MODULE_DIR and
// GI_TYPELIB_PATH naming a dtlsgo build (meson test does); exits non-zero
// on any failure.
imports.gi.versions.DtlsGo = '1.0';
const {DtlsGo, Gio, GLib, GObject} = imports.gi;

imports.searchPath.unshift(GLib.path_get_dirname(new Error().fileName.replace(/^file:\/\//, '')));
const {bytes, check, guarded, localhostCertificate, loop, run, text} = imports.harness;

check(Gio.TlsBackend.get_default() instanceof DtlsGo.Backend, 'dtlsgo is the TLS backend');
check(Gio.TlsBackend.get_default().supports_tls(), 'supports_tls()');

const certificate = localhostCertificate();

const service = new Gio.SocketService();
const port = service.add_any_inet_port(null);
let served = false;
service.connect('incoming', (svc, connection) => {
    const tls = Gio.TlsServerConnection.new(connection, certificate);
    tls.handshake_async(GLib.PRIORITY_DEFAULT, null, guarded((conn, result) => {
        conn.handshake_finish(result);
        conn.get_input_stream().read_bytes_async(4, GLib.PRIORITY_DEFAULT, null, guarded((input, res) => {
            check(text(input.read_bytes_finish(res)) === 'ping', 'the server got ping');
            conn.get_output_stream().write_bytes_async(bytes('pong'), GLib.PRIORITY_DEFAULT, null,
                guarded((output, res2) => {
                    output.write_bytes_finish(res2);
                    conn.close_async(GLib.PRIORITY_DEFAULT, null, guarded((c, res3) => {
                        c.close_finish(res3);
                        served = true;
                    }));
                }));
        }));
    }));
    return true;
});
service.start();

const client = new Gio.SocketClient({tls: true});
let handshaking = false;
// Gio.SocketClient.connect() is the connecting method: the signal's
// connect is GObject's.
GObject.Object.prototype.connect.call(client, 'event', (c, event, connectable, connection) => {
    if (event === Gio.SocketClientEvent.TLS_HANDSHAKING) {
        handshaking = true;
        // The certificate is this run's own: accept it by its bytes.
        connection.connect('accept-certificate', (conn, peer) => peer.is_same(certificate));
    }
});
client.connect_to_host_async(`localhost:${port}`, 0, null, guarded((c, result) => {
    const conn = c.connect_to_host_finish(result);
    const tls = conn.get_base_io_stream();
    check(handshaking, 'the tls-handshaking event came');
    check(tls.get_protocol_version() === Gio.TlsProtocolVersion.TLS_1_3, 'TLS 1.3');
    conn.get_output_stream().write_bytes_async(bytes('ping'), GLib.PRIORITY_DEFAULT, null,
        guarded((output, res) => {
            output.write_bytes_finish(res);
            conn.get_input_stream().read_bytes_async(4, GLib.PRIORITY_DEFAULT, null, guarded((input, res2) => {
                check(text(input.read_bytes_finish(res2)) === 'pong', 'the client got pong');
                input.read_bytes_async(4, GLib.PRIORITY_DEFAULT, null, guarded((input2, res3) => {
                    check(input2.read_bytes_finish(res3).get_size() === 0, 'close_notify ends the stream');
                    tls.close(null);
                    loop.quit();
                }));
            }));
        }));
}));

run(30000, () => service.stop());
check(served, 'the server closed');
print('ok: stream TLS exchange through dtlsgo from gjs');
