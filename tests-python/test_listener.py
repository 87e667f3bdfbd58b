"""DtlsGo.Listener: one UDP port, many DTLS clients (dtlsgo, OpenSSL,
GnuTLS), a stateless cookie exchange, routing by source address."""
import threading

import pytest
from gi.repository import DtlsGo, Gio, GLib

import conns
import netem
import peers

SECOND = 1_000_000


def listener_on(family, cred):
    host = "::1" if family == Gio.SocketFamily.IPV6 else "127.0.0.1"
    sock = Gio.Socket.new(family, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    sock.bind(Gio.InetSocketAddress.new_from_string(host, 0), False)
    return DtlsGo.Listener.new(sock, cred.tls_certificate()), sock


def client_to(port, host="127.0.0.1", family=Gio.SocketFamily.IPV4):
    sock = Gio.Socket.new(family, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    sock.bind(Gio.InetSocketAddress.new_from_string(host, 0), False)
    sock.connect(Gio.InetSocketAddress.new_from_string(host, port))
    return conns.client_for(sock), sock


class Echo:
    """Accepts n clients; each connection echoes what it gets, prefixed
    with the client's address as its peer socket reports it."""

    def __init__(self, listener, n):
        self.listener, self.n = listener, n
        self.errors, self.conns = [], []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        workers = []
        for _ in range(self.n):
            conn = self.listener.accept(None)
            self.conns.append(conn)
            t = threading.Thread(target=self.serve, args=(conn,), daemon=True)
            t.start()
            workers.append(t)
        for t in workers:
            t.join(30)

    def serve(self, conn):
        try:
            base = conn.props.base_socket
            addr = base.props.remote_address
            who = f"{addr.get_address().to_string()}:{addr.get_port()}"
            while True:
                data = conn.receive_bytes(0, 10 * SECOND, None)
                if data is None:  # the client's close_notify
                    break
                # A line stays a line (the command-line clients print it).
                text = data.get_data()
                eol = b"\n" if text.endswith(b"\n") else b""
                reply = text.removesuffix(b"\n") + f" from {who}".encode() + eol
                conn.send_bytes(GLib.Bytes.new(reply), 5 * SECOND, None)
            conn.close(None)
        except GLib.Error as e:  # noqa: PERF203 - reported by the test
            self.errors.append(e)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(e)


@pytest.mark.parametrize("family", [Gio.SocketFamily.IPV4, Gio.SocketFamily.IPV6])
def test_dtlsgo_clients_share_one_listener(pki, family):
    listener, sock = listener_on(family, pki.server_ecdsa)
    host = "::1" if family == Gio.SocketFamily.IPV6 else "127.0.0.1"
    port = sock.get_local_address().get_port()
    n, messages = 6, 15
    echo = Echo(listener, n)
    clients = [client_to(port, host, family) for _ in range(n)]
    errors = []

    def run(i, client, csock):
        try:
            me = csock.get_local_address()
            who = f"{me.get_address().to_string()}:{me.get_port()}"
            for m in range(messages):
                msg = f"client {i} datagram {m}".encode()
                client.send_bytes(GLib.Bytes.new(msg), 10 * SECOND, None)
                got = client.receive_bytes(0, 10 * SECOND, None).get_data()
                assert got == msg + f" from {who}".encode()
            client.close(None)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, e))

    threads = [threading.Thread(target=run, args=(i, c, s)) for i, (c, s) in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    echo.thread.join(30)
    assert errors == [] and echo.errors == []
    assert all(isinstance(c, DtlsGo.ServerConnection) for c in echo.conns)
    assert listener.get_peer_count() == (0, 0)
    listener.close()
    with pytest.raises(GLib.Error) as e:
        listener.accept(None)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED)


def test_first_hello_starts_the_handshake(pki):
    """The client sends its hello twice (the second with the cookie) and
    then its key exchange: three datagrams, no retransmission, however
    long the application takes to accept."""
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    proxy = netem.Proxy(seed=1)
    with proxy:
        csock = conns.udp_socket()
        csock.connect(conns.inet_address(proxy.front_address))
        proxy.connect(conns.address_of(csock), ("127.0.0.1", port))
        client = conns.client_for(csock)
        t, res = conns.in_thread(client.handshake, None)
        conn = listener.accept(None)
        conn.handshake(None)
        t.join(10)
        assert res.error is None
        assert proxy.stats[netem.C2S].seen == 3, proxy.stats


def test_accept_async_runs_in_the_callers_context(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    ctx = GLib.MainContext.new()
    ctx.push_thread_default()
    got = []
    try:
        listener.accept_async(None, lambda l, r: got.append((threading.get_ident(), l.accept_finish(r))))
        client, _ = client_to(port)
        t, res = conns.in_thread(client.handshake, None)
        conns.iterate_until(lambda: got, context=ctx)
    finally:
        ctx.pop_thread_default()
    assert got[0][0] == threading.get_ident()
    server = got[0][1]
    server.handshake(None)
    t.join(10)
    assert res.error is None and server.get_ciphersuite_name() is not None


def test_accept_is_cancellable(pki):
    listener, _ = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    cancellable = Gio.Cancellable()
    GLib.timeout_add(50, lambda: cancellable.cancel() and False)
    t, res = conns.in_thread(listener.accept, cancellable)
    cancellable.cancel()
    t.join(5)
    assert isinstance(res.error, GLib.Error)
    assert res.error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


def test_new_for_address_and_bad_sockets(pki):
    listener = DtlsGo.Listener.new_for_address(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0),
                                               pki.server_ecdsa.tls_certificate())
    assert listener.get_socket().get_local_address().get_port() != 0
    tcp = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP)
    with pytest.raises(GLib.Error) as e:
        DtlsGo.Listener.new(tcp, None)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT)
    a, _ = conns.udp_pair()
    with pytest.raises(GLib.Error) as e:
        DtlsGo.Listener.new(a, None)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT)


def test_openssl_gnutls_and_dtlsgo_clients_at_once(pki):
    cred = pki.server_ecdsa
    ca = str(pki.root.cert)
    listener, sock = listener_on(Gio.SocketFamily.IPV4, cred)
    port = sock.get_local_address().get_port()
    (openssl_port,) = netem.free_udp_ports(1)
    echo = Echo(listener, 3)
    with peers.openssl_client(port, openssl_port, ca=ca) as ossl, \
            peers.gnutls_client(str(port), ca=ca) as gnutls:
        client, _ = client_to(port)
        client.send_bytes(GLib.Bytes.new(b"hello from dtlsgo"), 10 * SECOND, None)
        assert client.receive_bytes(0, 10 * SECOND, None).get_data().startswith(b"hello from dtlsgo from ")
        ossl.wait_for("^---$")  # the handshake's summary
        ossl.write("hello from openssl\n")
        ossl.wait_for(f"^hello from openssl from 127.0.0.1:{openssl_port}$")
        gnutls.wait_for("Handshake was completed")
        gnutls.write("hello from gnutls\n")
        gnutls.wait_for("^hello from gnutls from 127.0.0.1:[0-9]+$")
        client.close(None)
        ossl.close_stdin()
        gnutls.close_stdin()
        assert ossl.finish() == 0 and gnutls.finish() == 0
    echo.thread.join(30)
    assert echo.errors == []
