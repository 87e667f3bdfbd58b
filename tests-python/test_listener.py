"""DtlsGo.Listener: one UDP port, many DTLS clients (dtlsgo, OpenSSL,
GnuTLS), a stateless cookie exchange, routing by source address."""
import re
import threading

import pytest
from gi.repository import DtlsGo, Gio, GLib

import conns
import netem
import peers
from test_flood import client_hello  # noqa: F401 - a fixture

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
    t, res = conns.in_thread(listener.accept, cancellable)
    threading.Timer(0.05, cancellable.cancel).start()
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


def echo(client, server, payload):
    client.send_bytes(GLib.Bytes.new(payload), 5 * SECOND, None)
    assert server.receive_bytes(0, 5 * SECOND, None).get_data() == payload
    server.send_bytes(GLib.Bytes.new(payload), 5 * SECOND, None)
    assert client.receive_bytes(0, 5 * SECOND, None).get_data() == payload


def handshake_one(listener, port):
    """A dtlsgo client and its accepted connection, both handshaken."""
    client, csock = client_to(port)
    t, res = conns.in_thread(client.handshake, None)
    server = listener.accept(None)
    server.handshake(None)
    t.join(10)
    assert res.error is None
    return client, server, csock


def test_accepted_connections_start_with_the_listeners_settings(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    db = pki.file_database()
    interaction = Gio.TlsInteraction()
    listener.props.database = db
    listener.props.interaction = interaction
    listener.props.authentication_mode = Gio.TlsAuthenticationMode.REQUESTED
    listener.props.advertised_protocols = ["coap", "echo"]
    listener.props.srtp_profiles = ["SRTP_AEAD_AES_128_GCM"]
    listener.props.connection_id_length = 4
    listener.props.mtu = 900
    listener.props.handshake_timeout = 7000
    client, _ = client_to(port)
    client.set_advertised_protocols(["echo"])
    client.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
    client.props.connection_id_length = -1
    t, res = conns.in_thread(client.handshake, None)
    server = listener.accept(None)
    assert server.get_certificate() is not None
    assert server.get_database() is db and server.get_interaction() is interaction
    assert server.props.authentication_mode == Gio.TlsAuthenticationMode.REQUESTED
    assert list(server.props.advertised_protocols) == ["coap", "echo"]
    assert list(server.props.srtp_profiles) == ["SRTP_AEAD_AES_128_GCM"]
    assert server.props.connection_id_length == 4
    assert server.props.mtu == 900 and server.props.handshake_timeout == 7000
    server.handshake(None)
    t.join(10)
    assert res.error is None
    assert server.get_negotiated_protocol() == "echo" == client.get_negotiated_protocol()
    assert server.get_srtp_profile() == "SRTP_AEAD_AES_128_GCM"
    echo(client, server, b"with connection IDs")


def test_channel_bindings_agree_through_the_listener(pki):
    """The handshake the listener started from a verified hello has one
    transcript on both sides: tls-unique (the client's Finished) and
    tls-exporter agree."""
    from test_trust import EXPORTER, UNIQUE, binding
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    client, server, _ = handshake_one(listener, sock.get_local_address().get_port())
    for kind in (UNIQUE, EXPORTER):
        assert binding(client, kind) == binding(server, kind)


def test_psk_requested_on_the_listener(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    key = bytes(range(32))
    asked = []

    def lookup(_listener, conn, identity):
        asked.append((type(conn).__name__, identity, threading.get_ident()))
        return GLib.Bytes.new(key) if identity == "device-17" else None

    listener.connect("psk-requested", lookup)
    client, _ = client_to(port)
    client.set_psk("device-17", GLib.Bytes.new(key))
    t, res = conns.in_thread(client.handshake, None)
    server = listener.accept(None)
    server.handshake(None)
    t.join(10)
    assert res.error is None
    assert asked == [("ServerConnection", "device-17", threading.get_ident())]
    assert "PSK" in server.get_ciphersuite_name()
    echo(client, server, b"by pre-shared key")


def test_close_stops_accepting_but_connections_live_on(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    client, server, _ = handshake_one(listener, port)
    listener.close()
    echo(client, server, b"after the listener closed")
    late, _ = client_to(port)
    with pytest.raises(GLib.Error) as e:
        late.handshake_async(GLib.PRIORITY_DEFAULT, None, None)
        late.send_bytes(GLib.Bytes.new(b"x"), SECOND, None)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    client.close(None)
    assert server.receive_bytes(0, 5 * SECOND, None) is None
    server.close(None)
    assert listener.get_peer_count() == (0, 0)


def wait_for(cond, timeout=10):
    import time
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_limits_leave_no_state_beyond_them(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    listener.props.max_pending = 1
    first, _ = client_to(port)
    t1, r1 = conns.in_thread(first.handshake, None)
    wait_for(lambda: listener.get_peer_count() == (1, 1))
    second, _ = client_to(port)
    t2, r2 = conns.in_thread(second.handshake, None)
    import time
    time.sleep(0.5)  # the second's verified hello came and went
    assert listener.get_peer_count() == (1, 1)
    a = listener.accept(None)
    a.handshake(None)
    t1.join(10)
    assert r1.error is None and listener.get_peer_count() == (1, 0)
    # The second's retransmitted hello finds room now.
    b = listener.accept(None)
    b.handshake(None)
    t2.join(10)
    assert r2.error is None and listener.get_peer_count() == (2, 0)

    listener.props.max_connections = 2
    third, _ = client_to(port)
    t3, r3 = conns.in_thread(third.handshake, None)
    time.sleep(0.5)
    assert listener.get_peer_count() == (2, 0)
    first.close(None)
    a.close(None)
    c = listener.accept(None)
    c.handshake(None)
    t3.join(10)
    assert r3.error is None and listener.get_peer_count() == (2, 0)


def test_a_client_never_accepted_is_forgotten(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    listener.props.handshake_timeout = 300
    client, _ = client_to(port)
    client.props.handshake_timeout = 1500
    t, res = conns.in_thread(client.handshake, None)
    wait_for(lambda: listener.get_peer_count() == (1, 1))
    wait_for(lambda: listener.get_peer_count() == (0, 0), timeout=2)
    t.join(5)
    assert res.error is not None


def test_a_restarted_client_is_offered_after_the_old_connection_closed(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    old_client, old_server, csock = handshake_one(listener, port)
    echo(old_client, old_server, b"before the restart")
    # The client restarts: a new connection on the same socket and address
    # (the old one closed: two connections reading one socket would split
    # its datagrams).
    old_client.close(None)
    new_client = conns.client_for(csock)
    t, res = conns.in_thread(new_client.handshake, None)
    cancellable = Gio.Cancellable()
    threading.Timer(1.5, cancellable.cancel).start()  # past the first retransmission
    with pytest.raises(GLib.Error) as e:
        listener.accept(cancellable)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    old_server.close(None)
    new_server = listener.accept(None)
    new_server.handshake(None)
    t.join(10)
    assert res.error is None
    echo(new_client, new_server, b"after the restart")


def test_connection_ids_follow_a_rebinding_client(pki):
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    listener.props.connection_id_length = 8
    with netem.Proxy(keep=True) as proxy:
        csock = conns.udp_socket()
        csock.connect(conns.inet_address(proxy.front_address))
        proxy.connect(conns.address_of(csock), ("127.0.0.1", port))
        client = conns.client_for(csock)
        client.props.connection_id_length = -1
        t, res = conns.in_thread(client.handshake, None)
        server = listener.accept(None)
        server.handshake(None)
        t.join(10)
        assert res.error is None
        before = server.props.base_socket.props.remote_address.get_port()
        echo(client, server, b"before the move")
        assert proxy.seen[netem.C2S][-1][0] == 25  # tls12_cid
        proxy.rebind()
        echo(client, server, b"after the move")
        echo(client, server, b"and again")
        after = server.props.base_socket.props.remote_address
        assert listener.get_peer_count() == (1, 0)
        assert after.get_port() != before
        # A second client is served beside it, by address.
        other, other_server, _ = handshake_one(listener, port)
        echo(other, other_server, b"a neighbour")
        echo(client, server, b"still mine")


def test_a_slow_or_failed_connection_does_not_hold_up_others(pki):
    """One application never reads its connection while its client floods
    it, another's client sends garbage: a third connection's datagrams
    still cross at once, every one of them."""
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    slow_client, slow_server, _ = handshake_one(listener, port)
    bad_client, bad_server, bad_sock = handshake_one(listener, port)
    client, server, _ = handshake_one(listener, port)
    for i in range(3000):  # far beyond what a connection queues
        slow_client.send_bytes(GLib.Bytes.new(b"flood %d" % i), SECOND, None)
    for size in (0, 1, 13, 100, 1500):
        bad_sock.send(b"\x17\xfe\xfd" + bytes(size), None)
    for i in range(50):
        echo(client, server, b"numbered %d" % i)
    # The slow one kept the start of its flood, in order.
    first = [slow_server.receive_bytes(0, SECOND, None).get_data() for _ in range(10)]
    assert first == [b"flood %d" % i for i in range(10)]
    echo(bad_client, bad_server, b"still fine")


def test_the_peer_socket_is_a_datagram_based(pki, client_hello):  # noqa: F811 - the fixture
    """An accepted client's peer socket through GDatagramBased alone, with
    a raw UDP client that made the cookie exchange by hand: only that
    client's datagrams come in, sends go to it, and the GIO contract holds
    (WOULD_BLOCK at timeout 0, TIMED_OUT, readiness, a source)."""
    import socket
    import dgram
    from test_listener_flood import with_cookie
    listener, sock = listener_on(Gio.SocketFamily.IPV4, pki.server_ecdsa)
    port = sock.get_local_address().get_port()
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    raw.settimeout(5)
    hello = client_hello
    raw.sendto(hello, ("127.0.0.1", port))
    hvr = raw.recv(65536)
    raw.sendto(with_cookie(hello, hvr[13 + 12 + 3:]), ("127.0.0.1", port))
    conn = listener.accept(None)
    peer = conn.props.base_socket
    assert isinstance(peer, DtlsGo.PeerSocket) and isinstance(peer, Gio.DatagramBased)
    addr = peer.props.remote_address
    assert (addr.get_address().to_string(), addr.get_port()) == raw.getsockname()
    with pytest.raises(GLib.Error) as e:
        dgram.receive(peer, timeout=0)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK)
    with pytest.raises(GLib.Error) as e:
        dgram.receive(peer, timeout=100_000)
    assert e.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT)
    assert peer.condition_check(GLib.IOCondition.IN | GLib.IOCondition.OUT) == GLib.IOCondition.OUT
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.sendto(b"\x17\xfe\xfd" + bytes(20), ("127.0.0.1", port))
    raw.sendto(b"one", ("127.0.0.1", port))
    raw.sendto(b"two", ("127.0.0.1", port))
    fired = []
    dgram.add_watch(peer, GLib.IOCondition.IN, lambda cond: fired.append(cond) and False)
    conns.iterate_until(lambda: fired)
    assert fired == [GLib.IOCondition.IN]
    assert dgram.receive(peer, count=4, timeout=SECOND) == [b"one", b"two"]
    assert dgram.send(peer, [b"three", b"four"]) == 2
    assert [raw.recv(100), raw.recv(100)] == [b"three", b"four"]

