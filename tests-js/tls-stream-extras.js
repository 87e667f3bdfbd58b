// The DtlsGo namespace's stream TLS extras from gjs: a Gio.SocketService
// with ECH keys made by DtlsGo.generate_ech_keys() and a Gio.SocketClient
// given the matching ECH config list in its tls-handshaking event, async
// calls in one main loop. Both sides must report ECH accepted and the
// hybrid post-quantum group X25519MLKEM768, and the keying material the
// server exports (sent over the connection) must equal the client's. Run
// with GIO_MODULE_DIR and GI_TYPELIB_PATH naming a dtlsgo build (meson
// test does); exits non-zero on any failure.
imports.gi.versions.DtlsGo = '1.0';
const {DtlsGo, Gio, GLib, GObject} = imports.gi;

imports.searchPath.unshift(GLib.path_get_dirname(new Error().fileName.replace(/^file:\/\//, '')));
const {bytes, check, guarded, localhostCertificate, loop, run, text} = imports.harness;

const LABEL = 'EXPERIMENTAL-dtlsgo-gjs';

const certificate = localhostCertificate();

const [echKeys, echConfigList] = DtlsGo.generate_ech_keys('public.example');
check(text(echKeys).includes('-----BEGIN ECHCONFIG-----'), 'ECH keys are PEM');

const bytesEqual = (a, b) => a.get_size() === b.get_size() && a.compare(b) === 0;

// The loop ends once both the server's close and the client are done.
let finished = 0;
const done = () => {
    if (++finished === 2)
        loop.quit();
};

const service = new Gio.SocketService();
const port = service.add_any_inet_port(null);
let served = false;
service.connect('incoming', (svc, connection) => {
    const tls = Gio.TlsServerConnection.new(connection, certificate);
    tls.set_ech_keys(echKeys);
    tls.handshake_async(GLib.PRIORITY_DEFAULT, null, guarded((conn, result) => {
        conn.handshake_finish(result);
        check(conn.get_ech_accepted() && conn.ech_accepted, 'the server accepted ECH');
        check(conn.key_exchange_group === 'X25519MLKEM768', `server group ${conn.key_exchange_group}`);
        conn.get_input_stream().read_bytes_async(4, GLib.PRIORITY_DEFAULT, null, guarded((input, res) => {
            check(text(input.read_bytes_finish(res)) === 'ping', 'the server got ping');
            const exported = conn.export_keying_material(LABEL, null, 32);
            conn.get_output_stream().write_bytes_async(exported, GLib.PRIORITY_DEFAULT, null,
                guarded((output, res2) => {
                    output.write_bytes_finish(res2);
                    conn.close_async(GLib.PRIORITY_DEFAULT, null, guarded((c, res3) => {
                        c.close_finish(res3);
                        served = true;
                        done();
                    }));
                }));
        }));
    }));
    return true;
});
service.start();

const client = new Gio.SocketClient({tls: true});
GObject.Object.prototype.connect.call(client, 'event', (c, event, connectable, connection) => {
    if (event === Gio.SocketClientEvent.TLS_HANDSHAKING) {
        check(connection instanceof DtlsGo.ClientConnection, 'the client is dtlsgo\'s');
        connection.set_ech_config_list(echConfigList);
        connection.connect('accept-certificate', (conn, peer) => peer.is_same(certificate));
    }
});
client.connect_to_host_async(`localhost:${port}`, 0, null, guarded((c, result) => {
    const conn = c.connect_to_host_finish(result);
    const tls = conn.get_base_io_stream();
    check(tls.get_ech_accepted(), 'the client\'s ECH was accepted');
    check(tls.get_key_exchange_group() === 'X25519MLKEM768', `client group ${tls.get_key_exchange_group()}`);
    conn.get_output_stream().write_bytes_async(bytes('ping'), GLib.PRIORITY_DEFAULT, null,
        guarded((output, res) => {
            output.write_bytes_finish(res);
            conn.get_input_stream().read_bytes_async(32, GLib.PRIORITY_DEFAULT, null, guarded((input, res2) => {
                const theirs = input.read_bytes_finish(res2);
                check(bytesEqual(theirs, tls.export_keying_material(LABEL, null, 32)),
                    'the server exported what the client exports');
                tls.close(null);
                done();
            }));
        }));
}));

run(30000, () => service.stop());
check(served, 'the server closed');
print('ok: ECH, X25519MLKEM768 and keying material export through dtlsgo from gjs');
