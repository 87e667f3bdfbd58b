#!/usr/bin/python3
"""dtlsgo demo: a DTLS echo over loopback UDP through plain Gio, with the
dtlsgo module loaded (scripts/demo sets GIO_MODULE_DIR, and GI_TYPELIB_PATH
for the DtlsGo namespace, whose send_bytes/receive_bytes carry the
datagrams). Client and server run in two threads; each prints what its
handshake established."""
import os
import subprocess
import sys
import tempfile
import threading

import gi

gi.require_version("DtlsGo", "1.0")
from gi.repository import DtlsGo, Gio, GLib  # noqa: E402

SECOND = 1_000_000  # GIO timeouts are in microseconds
_print_lock = threading.Lock()


def say(*args):
    """print, one whole line at a time from either thread."""
    with _print_lock:
        print(*args, flush=True)


def make_certificate(workdir):
    key, cert = os.path.join(workdir, "key.pem"), os.path.join(workdir, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return Gio.TlsCertificate.new_from_files(cert, key)


def udp_pair():
    socks = []
    for _ in range(2):
        s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
        s.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), False)
        socks.append(s)
    socks[0].connect(socks[1].get_local_address())
    socks[1].connect(socks[0].get_local_address())
    return socks


def describe(role, conn):
    peer = conn.get_peer_certificate()
    say(f"{role}: protocol {conn.get_protocol_version().value_nick}, "
          f"cipher suite {conn.get_ciphersuite_name()}, ALPN {conn.get_negotiated_protocol()}, "
          f"peer certificate {peer.get_subject_name() if peer else None}")


def main():
    backend = Gio.TlsBackend.get_default()
    say(f"TLS backend: {type(backend).__gtype__.name} (supports DTLS: {backend.supports_dtls()}), "
          f"dtlsgo {DtlsGo.get_version()}")
    with tempfile.TemporaryDirectory() as workdir:
        cert = make_certificate(workdir)
    client_sock, server_sock = udp_pair()
    server = Gio.DtlsServerConnection.new(server_sock, cert)
    server.set_advertised_protocols(["echo/1"])
    client = Gio.DtlsClientConnection.new(client_sock, Gio.NetworkAddress.new("localhost", 0))
    client.set_advertised_protocols(["echo/1"])
    # A self-signed demo certificate: accept it, saying why.
    client.connect("accept-certificate",
                   lambda conn, peer, errors: say(f"client: accepting self-signed server "
                                                    f"certificate (errors: {[n for n in errors.value_nicks if n != 'no-flags']})") or True)

    def serve():
        server.handshake(None)
        describe("server", server)
        for _ in range(3):
            payload = server.receive_bytes(0, 5 * SECOND, None).get_data()
            server.send_bytes(GLib.Bytes.new(payload.upper()), -1, None)
        server.close(None)

    thread = threading.Thread(target=serve)
    thread.start()
    client.handshake(None)
    describe("client", client)
    lines = [b"hello over dtls", b"through gio", b"with dtlsgo"]
    for line in lines:
        client.send_bytes(GLib.Bytes.new(line), -1, None)
    for line in lines:
        reply = client.receive_bytes(0, 5 * SECOND, None).get_data()
        say(f"client: sent {line!r}, echoed {reply!r}")
        assert reply == line.upper()
    thread.join()
    # None: the server's close_notify ended the stream.
    say("client: server closed:", client.receive_bytes(0, 5 * SECOND, None) is None)
    label = "EXPERIMENTAL-dtlsgo-demo"
    say("client: keying material (RFC 5705) agrees with the server's:",
        client.export_keying_material(label, None, 32).get_data()
        == server.export_keying_material(label, None, 32).get_data())
    client.close(None)
    several_clients(cert)


def several_clients(cert, n=3):
    """DtlsGo.Listener: n clients at once on one UDP port, each echoed by
    its own accepted connection."""
    listener = DtlsGo.Listener.new_for_address(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), cert)
    port = listener.get_socket().get_local_address().get_port()

    def serve(conn):  # the first receive handshakes
        data = conn.receive_bytes(0, 5 * SECOND, None)
        conn.send_bytes(GLib.Bytes.new(data.get_data().upper()), -1, None)
        conn.receive_bytes(0, 5 * SECOND, None)  # the client's close_notify
        conn.close(None)

    def accept_all():
        for _ in range(n):
            threading.Thread(target=serve, args=(listener.accept(None),)).start()

    acceptor = threading.Thread(target=accept_all)
    acceptor.start()
    clients = []
    for i in range(n):
        s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
        s.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", port), None)
        c = Gio.DtlsClientConnection.new(s, Gio.NetworkAddress.new("localhost", 0))
        c.connect("accept-certificate", lambda *_: True)  # the self-signed demo certificate
        c.send_bytes(GLib.Bytes.new(b"client %d" % i), 5 * SECOND, None)
        clients.append(c)
    replies = [c.receive_bytes(0, 5 * SECOND, None).get_data() for c in clients]
    for c in clients:
        c.close(None)
    acceptor.join()
    say(f"listener: {n} clients on port {port} at once, each echoed by its own connection: "
        f"{replies == [b'CLIENT %d' % i for i in range(n)]}")
    listener.close()


if __name__ == "__main__":
    try:
        main()
    except GLib.Error as e:
        sys.exit(f"demo failed: {e.domain}:{e.code}: {e.message}")
