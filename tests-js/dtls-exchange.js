// A DTLS exchange from gjs through dtlsgo (issue 8): a client and a server
// in one main loop handshake with a pre-shared key (no certificates) and
// exchange a datagram each way with send_bytes_async/receive_bytes_async,
// the DtlsGo API, where GIO's send_messages cannot be filled from gjs.
// Run with GIO_MODULE_DIR and GI_TYPELIB_PATH naming a dtlsgo build (meson
// test does); exits non-zero on any failure.
imports.gi.versions.DtlsGo = '1.0';
const {DtlsGo, Gio, GLib} = imports.gi;

imports.searchPath.unshift(GLib.path_get_dirname(new Error().fileName.replace(/^file:\/\//, '')));
const {bytes, check, guarded, loop, run, text} = imports.harness;

function udpSocket() {
    const s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP);
    s.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), false);
    return s;
}

check(Gio.TlsBackend.get_default() instanceof DtlsGo.Backend, 'dtlsgo is the TLS backend');
check(DtlsGo.get_version().length > 0, 'DtlsGo.get_version()');

const [cs, ss] = [udpSocket(), udpSocket()];
cs.connect(ss.get_local_address(), null);
ss.connect(cs.get_local_address(), null);
const client = Gio.DtlsClientConnection.new(cs, null);
const server = Gio.DtlsServerConnection.new(ss, null);
check(client instanceof DtlsGo.ClientConnection && client instanceof Gio.DtlsConnection,
    'the client is a DtlsGo.ClientConnection and a Gio.DtlsConnection');
check(server instanceof DtlsGo.ServerConnection, 'the server is a DtlsGo.ServerConnection');
check(client.mtu === 1200 && client.retransmission_interval === 1000, 'DtlsGo properties read');

const key = bytes('a key shared by gjs');
client.set_psk('gjs-client', key);
let asked = null;
server.connect('psk-requested', (_conn, identity) => {
    asked = identity;
    return identity === 'gjs-client' ? key : null;
});

// The server echoes one datagram in upper case.
server.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, null, guarded((conn, res) => {
    const got = conn.receive_bytes_finish(res);
    check(text(got) === 'hello from gjs', `server received "${text(got)}"`);
    conn.send_bytes_async(bytes(text(got).toUpperCase()), GLib.PRIORITY_DEFAULT, null,
        guarded((c, r) => check(c.send_bytes_finish(r), 'server sent')));
}));

// The client's first send performs its handshake.
client.send_bytes_async(bytes('hello from gjs'), GLib.PRIORITY_DEFAULT, null, guarded((conn, res) => {
    check(conn.send_bytes_finish(res), 'client sent');
    conn.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, null, guarded((c, r) => {
        const reply = c.receive_bytes_finish(r);
        check(text(reply) === 'HELLO FROM GJS', `client received "${text(reply)}"`);
        check(asked === 'gjs-client', 'psk-requested saw the identity');
        check(client.get_ciphersuite_name().includes('_PSK_'), 'a PSK cipher suite');
        const label = 'EXPERIMENTAL-gjs';
        const mine = client.export_keying_material(label, null, 32).toArray();
        const theirs = server.export_keying_material(label, null, 32).toArray();
        check(mine.length === 32 && mine.every((v, i) => v === theirs[i]), 'exported keying material agrees');
        print(`ok: ${client.get_ciphersuite_name()}, "${text(reply)}"`);
        loop.quit();
    }));
}));

run(20000, () => {
    client.close(null);
    server.close(null);
});
