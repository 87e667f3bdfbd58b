// DtlsGo.Listener from gjs: a listener accepts two PSK clients with
// accept_async in one main loop (its psk-requested handler answering for
// both), each connection echoes its client's datagram with the address
// its peer socket names. Run like dtls-exchange.js; exits non-zero on
// any failure.
imports.gi.versions.DtlsGo = '1.0';
const {DtlsGo, Gio, GLib} = imports.gi;

imports.searchPath.unshift(GLib.path_get_dirname(new Error().fileName.replace(/^file:\/\//, '')));
const {bytes, check, guarded, loop, run, text} = imports.harness;
const CLIENTS = 2;

const listener = DtlsGo.Listener.new_for_address(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), null);
const port = listener.get_socket().get_local_address().get_port();
const key = bytes('a key shared by gjs');
listener.connect('psk-requested', (_l, conn, identity) => {
    check(conn instanceof DtlsGo.ServerConnection, 'psk-requested names the connection');
    return identity.startsWith('gjs-') ? key : null;
});

const servers = [];
function acceptNext() {
    listener.accept_async(null, guarded((l, res) => {
        const conn = l.accept_finish(res);
        servers.push(conn);
        const addr = conn.base_socket.remote_address;
        conn.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, null, guarded((c, r) => {
            const got = text(c.receive_bytes_finish(r));
            c.send_bytes_async(bytes(`${got} from ${addr.get_port()}`), GLib.PRIORITY_DEFAULT, null,
                guarded((c2, r2) => check(c2.send_bytes_finish(r2), 'server sent')));
        }));
        if (servers.length < CLIENTS)
            acceptNext();
    }));
}
acceptNext();

let done = 0;
const clients = [];
for (let i = 0; i < CLIENTS; i++) {
    const s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP);
    s.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), false);
    s.connect(Gio.InetSocketAddress.new_from_string('127.0.0.1', port), null);
    const client = DtlsGo.ClientConnection.new(s, null);
    client.set_psk(`gjs-${i}`, key);
    clients.push(client);
    const me = s.get_local_address().get_port();
    client.send_bytes_async(bytes(`client ${i}`), GLib.PRIORITY_DEFAULT, null, guarded((conn, res) => {
        check(conn.send_bytes_finish(res), 'client sent');
        conn.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, null, guarded((c, r) => {
            const reply = text(c.receive_bytes_finish(r));
            check(reply === `client ${i} from ${me}`, `client ${i} received "${reply}"`);
            if (++done === CLIENTS) {
                print(`ok: ${CLIENTS} clients on port ${port}`);
                loop.quit();
            }
        }));
    }));
}

run(20000, () => {
    for (const c of clients.concat(servers))
        c.close(null);
    listener.close();
});
