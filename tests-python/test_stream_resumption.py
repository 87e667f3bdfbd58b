"""Session resumption on stream TLS: a dtlsgo client resumes on its own a
session it learnt from the same server (keyed as glib-networking keys it:
address, port, server identity, our certificate, and the database), or the
one copy_session_state gave it; a dtlsgo server resumes its own tickets
(dtlsgo's and foreign clients'). Each side's DtlsGo session-resumed, and the
foreign peer's own report, say what happened; peer certificates,
accept-certificate and channel bindings stay what a full handshake gives.
TLS 1.2 between two dtlsgo peers is in internal/tlsstream's Go tests (GIO
has no knob for the version)."""
import socket
import ssl
import sys

import peers
import pytest
from gi.repository import Gio, GLib, GObject

from tlsstreams import TLS, Background, assert_error, read_exactly, strict_eof, write_all

T = Gio.TlsChannelBindingType
F = Gio.TlsCertificateFlags
VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def bindings(conn):
    """The connection's channel bindings by type; None where there is none."""
    got = {}
    for kind in (T.UNIQUE, T.SERVER_END_POINT, T.EXPORTER):
        try:
            ok, data = conn.get_channel_binding_data(kind)
            got[kind] = bytes(data) if ok else None
        except GLib.Error:
            got[kind] = None
    return got


def facts(conn):
    return {"resumed": conn.props.session_resumed, "bindings": bindings(conn),
            "peer": conn.get_peer_certificate(), "errors": conn.get_peer_certificate_errors()}


class DtlsgoServer:
    """dtlsgo servers on one loopback port: each connection accepted
    handshakes, echoes 5 bytes in upper case and records its facts.
    setup(conn), when given, configures each connection first."""

    def __init__(self, cred, setup=None):
        self.listener = Gio.SocketListener()
        self.port = self.listener.add_any_inet_port(None)
        self.cred, self.setup = cred, setup

    def serve(self, n=1):
        return Background(self._serve, n)

    def _serve(self, n):
        got = []
        for _ in range(n):
            base, _ = self.listener.accept(None)
            try:
                conn = Gio.TlsServerConnection.new(base, self.cred.tls_certificate())
                if self.setup:
                    self.setup(conn)
                conn.handshake(None)
                write_all(conn, read_exactly(conn, 5).upper())
                got.append(facts(conn))
                conn.close(None)
            except GLib.Error as e:
                got.append(e)
            finally:
                base.close(None)  # the client never waits for a server that failed
        return got

    def close(self):
        self.listener.close()


def dtlsgo_client(port, database, identity="localhost", base=None, setup=None):
    """A dtlsgo client's exchange with an echo server at port: its facts,
    and the connection (closed)."""
    if base is None:
        base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    conn = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new(identity, port))
    conn.set_database(database)
    if setup:
        setup(conn)
    conn.handshake(None)
    write_all(conn, b"hello")
    assert read_exactly(conn, 5) == b"HELLO"  # a TLS 1.3 ticket came before it
    got = facts(conn)
    conn.close(None)
    return got, conn


def test_dtlsgo_client_resumes_a_dtlsgo_server_and_everything_stays_right(pki):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(3)
    db = pki.file_database()
    clients = [dtlsgo_client(server.port, db)[0] for _ in range(3)]
    servers = served.result()
    server.close()
    assert [c["resumed"] for c in clients] == [False, True, True]
    assert [s["resumed"] for s in servers] == [False, True, True]
    for c, s in zip(clients, servers):
        # The resumed session keeps the verified server's certificate.
        assert c["peer"].is_same(pki.server_ecdsa.tls_certificate())
        assert c["errors"] == 0
        assert s["peer"] is None
        assert c["bindings"] == s["bindings"]
        assert len(c["bindings"][T.SERVER_END_POINT]) == 32
        assert len(c["bindings"][T.EXPORTER]) == 32
        assert c["bindings"][T.UNIQUE] is None  # TLS 1.3
    # Each connection has keys of its own.
    assert len({c["bindings"][T.EXPORTER] for c in clients}) == 3


def test_gio_socket_client_resumes_without_any_dtlsgo_call(pki):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(2)
    db = pki.file_database()

    def on_event(_client, event, _connectable, conn):
        if event == Gio.SocketClientEvent.TLS_HANDSHAKING:
            conn.set_database(db)

    resumed = []
    for _ in range(2):
        sc = Gio.SocketClient(tls=True)
        GObject.Object.connect(sc, "event", on_event)  # SocketClient.connect is another method
        wrapper = sc.connect_to_host("localhost", server.port, None)
        tls = wrapper.get_base_io_stream()
        write_all(tls, b"hello")
        assert read_exactly(tls, 5) == b"HELLO"
        resumed.append(tls.props.session_resumed)
        tls.close(None)
    assert [s["resumed"] for s in served.result()] == resumed == [False, True]
    server.close()


def python_ssl_server(pki, version, n):
    """An OpenSSL (Python ssl) echo server for n connections, one context:
    returns its port and the Background giving, per connection, whether
    OpenSSL resumed and its tls-unique."""
    ctx = strict_eof(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    ctx.minimum_version = ctx.maximum_version = version
    ctx.load_cert_chain(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.key))
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        got = []
        with listener:
            for _ in range(n):
                raw, _ = listener.accept()
                with ctx.wrap_socket(raw, server_side=True) as tls:
                    tls.sendall(read_ssl(tls, 5).upper())
                    got.append((tls.session_reused, tls.get_channel_binding("tls-unique")))
                    tls.unwrap()
        return got

    return listener.getsockname()[1], Background(serve)


def read_ssl(tls, n):
    got = b""
    while len(got) < n:
        chunk = tls.recv(n - len(got))
        assert chunk
        got += chunk
    return got


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_openssl_server_reports_that_a_dtlsgo_client_resumed(pki, version):
    port, served = python_ssl_server(pki, VERSIONS[version], 2)
    db = pki.file_database()
    clients = [dtlsgo_client(port, db)[0] for _ in range(2)]
    reports = served.result()
    assert [r[0] for r in reports] == [c["resumed"] for c in clients] == [False, True]
    resumed = clients[1]
    assert resumed["peer"].is_same(pki.server_ecdsa.tls_certificate()) and resumed["errors"] == 0
    if version == "1.2":
        # tls-unique of the abbreviated handshake: the server's Finished.
        assert resumed["bindings"][T.UNIQUE] == reports[1][1]
        assert resumed["bindings"][T.UNIQUE] != clients[0]["bindings"][T.UNIQUE]


def python_ssl_context(pki, version):
    ctx = ssl.create_default_context(cafile=str(pki.root.cert))
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def python_ssl_client(ctx, port, session=None):
    """An OpenSSL (Python ssl) client's echo: (session to resume next,
    whether this one resumed, its tls-unique)."""
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(b"hello")
            assert read_ssl(tls, 5) == b"HELLO"  # TLS 1.3: the ticket came first
            return tls.session, tls.session_reused, tls.get_channel_binding("tls-unique")


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_an_openssl_client_resumes_a_dtlsgo_servers_session(pki, version):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(3)
    ctx = python_ssl_context(pki, VERSIONS[version])
    session, reused, _ = python_ssl_client(ctx, server.port)
    assert not reused and session.has_ticket
    _, reused2, unique2 = python_ssl_client(ctx, server.port, session)
    # Each server connection of the process opens the ticket.
    _, reused3, _ = python_ssl_client(ctx, server.port, session)
    servers = served.result()
    server.close()
    assert [reused, reused2, reused3] == [s["resumed"] for s in servers] == [False, True, True]
    if version == "1.2":
        assert servers[1]["bindings"][T.UNIQUE] == unique2


@pytest.mark.skipif(not peers.glib_networking_available(), reason="glib-networking is not installed")
@pytest.mark.parametrize("version,copy,expected", [
    ("1.3", False, [False, True, True]),
    # glib-networking resumes TLS 1.2 only through copy_session_state.
    ("1.2", False, [False, False, False]),
    ("1.2", True, [False, True, True]),
])
def test_glib_networking_client_resumes_a_dtlsgo_server(pki, version, copy, expected):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(3)
    env = {"G_TLS_GNUTLS_PRIORITY": "NORMAL:-VERS-TLS1.3"} if version == "1.2" else {}
    argv = [sys.executable, peers.HERE / "gio_stream_client.py", server.port, pki.root.cert, 3]
    with peers.Peer("glib-networking client", argv + (["copy"] if copy else []),
                    env=peers.gio_env("glib-networking", env)) as client:
        assert client.finish() == 0
        assert client.has("^DONE$"), client.output
        assert client.has(f"^CONNECTED 2 tls-{version.replace('.', '-')}$"), client.output
    results = served.result()
    server.close()
    assert [s["resumed"] for s in results] == expected


def wrapped(port):
    """A base stream that is not a socket connection: the client has no key
    in the session cache, so only copy_session_state makes it resume."""
    base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    return Gio.SimpleIOStream.new(base.get_input_stream(), base.get_output_stream()), base


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_copy_session_state_resumes_the_sources_session(pki, version):
    port, served = python_ssl_server(pki, VERSIONS[version], 4)
    db = pki.file_database()
    _, source = dtlsgo_client(port, db)
    results = []
    for copy in (False, True, True):
        stream, keep = wrapped(port)
        setup = (lambda conn: conn.copy_session_state(source)) if copy else None
        got, _ = dtlsgo_client(port, db, base=stream, setup=setup)
        results.append(got["resumed"])
        keep.close(None)
    reports = served.result()
    assert results == [r[0] for r in reports[1:]] == [False, True, True]


def test_copy_session_state_from_nothing_copies_nothing(pki):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(1)
    never = Gio.TlsClientConnection.new(Gio.SimpleIOStream.new(
        Gio.MemoryInputStream.new(), Gio.MemoryOutputStream.new_resizable()), None)
    stream, keep = wrapped(server.port)
    got, _ = dtlsgo_client(server.port, pki.file_database(), base=stream,
                           setup=lambda conn: conn.copy_session_state(never))
    keep.close(None)
    assert not got["resumed"] and not served.result()[0]["resumed"]
    server.close()


def test_a_ticket_resumes_only_with_the_certificate_it_was_issued_with(pki):
    first = DtlsgoServer(pki.server_ecdsa)
    served = first.serve(1)
    db = pki.file_database()
    _, source = dtlsgo_client(first.port, db)
    served.result()
    first.close()
    other = DtlsgoServer(pki.server)  # RSA, the same name
    served = other.serve(1)
    stream, keep = wrapped(other.port)
    got, _ = dtlsgo_client(other.port, db, base=stream, setup=lambda conn: conn.copy_session_state(source))
    keep.close(None)
    assert not got["resumed"] and not served.result()[0]["resumed"]
    assert got["peer"].is_same(pki.server.tls_certificate())
    other.close()


def test_a_session_of_one_identity_or_database_is_not_offered_to_another(pki):
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(5)
    db = pki.file_database()
    ignore_identity = F(int(F.VALIDATE_ALL) & ~int(F.BAD_IDENTITY))
    first, _ = dtlsgo_client(server.port, db)
    # Identity B, whose errors the client ignores: a full handshake.
    other_identity, _ = dtlsgo_client(server.port, db, identity="elsewhere.test",
                                      setup=lambda c: c.set_validation_flags(ignore_identity))
    # Another trust store: a full handshake, judged by it.
    other_db, _ = dtlsgo_client(server.port, pki.file_database(pki.root, pki.other_root))
    # Identity B, its mismatch refused: never resumed past accept-certificate.
    seen = []

    def refuse(conn):
        conn.connect("accept-certificate", lambda _c, _cert, errors: seen.append(errors) or False)

    with pytest.raises(GLib.Error) as exc:
        dtlsgo_client(server.port, db, identity="elsewhere.test", setup=refuse)
    assert_error(exc.value, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert seen == [F.BAD_IDENTITY]
    # Identity A still resumes its own session.
    again, _ = dtlsgo_client(server.port, db)
    servers = served.result()
    server.close()
    assert [first["resumed"], other_identity["resumed"], other_db["resumed"], again["resumed"]] == \
        [False, False, False, True]
    assert other_identity["errors"] == F.BAD_IDENTITY
    assert isinstance(servers[3], GLib.Error)
    assert [s["resumed"] for i, s in enumerate(servers) if i != 3] == [False, False, False, True]


def test_accept_certificate_judges_a_resumed_session_as_a_full_handshake(pki):
    """A client trusting nothing accepts the server in accept-certificate:
    the handler is asked again when the session resumes (glib-networking
    accepts a resumed session silently), and can refuse it."""
    server = DtlsgoServer(pki.server_ecdsa)
    served = server.serve(3)
    untrusting = pki.file_database(pki.other_root)
    verdicts = [True, True, False]
    seen = []

    def handler(conn):
        def accept(_conn, cert, errors):
            seen.append((errors, cert.is_same(pki.server_ecdsa.tls_certificate())))
            return verdicts[len(seen) - 1]
        conn.connect("accept-certificate", accept)

    first, _ = dtlsgo_client(server.port, untrusting, setup=handler)
    second, _ = dtlsgo_client(server.port, untrusting, setup=handler)
    with pytest.raises(GLib.Error) as exc:
        dtlsgo_client(server.port, untrusting, setup=handler)
    assert_error(exc.value, TLS, Gio.TlsError.BAD_CERTIFICATE)
    servers = served.result()
    server.close()
    assert seen == [(F.UNKNOWN_CA, True)] * 3
    assert (first["resumed"], second["resumed"]) == (False, True)
    assert second["errors"] == F.UNKNOWN_CA and second["peer"].is_same(pki.server_ecdsa.tls_certificate())
    assert servers[1]["resumed"]


def test_a_server_asks_accept_certificate_about_a_resumed_client_certificate(pki):
    seen = []

    def setup(conn):
        conn.props.authentication_mode = Gio.TlsAuthenticationMode.REQUIRED
        conn.set_database(pki.file_database())
        conn.connect("accept-certificate", lambda _c, cert, errors: seen.append((cert, errors)) or True)

    server = DtlsgoServer(pki.server_ecdsa, setup)
    served = server.serve(2)
    db = pki.file_database()
    client_cert = pki.client.tls_certificate()
    clients = [dtlsgo_client(server.port, db, setup=lambda c: c.set_certificate(client_cert))[0]
               for _ in range(2)]
    servers = served.result()
    server.close()
    assert [c["resumed"] for c in clients] == [s["resumed"] for s in servers] == [False, True]
    assert [(cert.is_same(client_cert), errors) for cert, errors in seen] == [(True, 0)] * 2
    assert servers[1]["peer"].is_same(client_cert) and servers[1]["errors"] == 0
    assert clients[1]["bindings"] == servers[1]["bindings"]


def test_dtls_connections_never_say_resumed(pki):
    sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    conn = Gio.DtlsClientConnection.new(sock, None)
    assert conn.props.session_resumed is False
