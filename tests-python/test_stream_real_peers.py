"""Stream TLS through dtlsgo against the TLS programs everyone else runs
(issue 13): OpenSSL (s_server / s_client), GnuTLS (gnutls-serv /
gnutls-cli) and glib-networking's GnuTLS backend in another process through
plain Gio (helpers/gio_peer.py over TCP). Each peer as server and as
client; TLS 1.2 and 1.3 (the peer is held to one); an ECDSA P-256 and an
RSA 2048 server certificate; without and with an (ECDSA) client
certificate; ALPN, the client offering h2 and http/1.1 and the server
knowing one of them. dtlsgo's client is a Gio.SocketClient with tls=True.

Each test checks both views: dtlsgo's (version, suite, ALPN, the peer's
certificate, no errors) and the peer's own report of the same handshake,
then a line crosses each way and the closing side's close_notify reaches
the other (as the peer says, except gnutls-serv, which says nothing of
it). Then session resumption, as the peers report it.

The peers are Debian packages (openssl, gnutls-bin, glib-networking) that
scripts/install-deps installs; a missing one fails the test, never skips it.
"""
import pytest
from gi.repository import Gio, GLib, GObject

import peers
import tls_peers
from tlsstreams import IO, accept, assert_error, loopback_listener, read_line, write_all

PEERS = ["openssl", "gnutls", "glib-networking"]
CLIENT_ALPN = ["h2", "http/1.1"]
UNIQUE = Gio.TlsChannelBindingType.UNIQUE
EXPORTER = Gio.TlsChannelBindingType.EXPORTER


@pytest.fixture(scope="module", autouse=True)
def peers_installed():
    peers.assert_installed("openssl", "gnutls-serv", "gnutls-cli", "stdbuf")


def every_combination(test):
    """Each peer, each version, each kind of server key, without and with a
    client certificate, each protocol the server knows."""
    test = pytest.mark.parametrize("peer", PEERS)(tls_peers.each_version(peers.each_credential(test)))
    return pytest.mark.parametrize("alpn", ["h2", "http/1.1"])(test)


def binding(conn, kind):
    ok, data = conn.get_channel_binding_data(kind)
    assert ok
    return bytes(data)


def assert_handshake(conn, version, alpn, kind, peer_cred):
    """dtlsgo's view of a handshake: peer_cred is the certificate the peer
    showed (None: none)."""
    assert conn.get_protocol_version() == tls_peers.VERSIONS[version].gio
    suite = conn.get_ciphersuite_name()
    if version == "1.2":
        assert suite.startswith(f"TLS_ECDHE_{kind.upper()}_WITH_"), suite
    else:
        assert suite.startswith("TLS_") and "_WITH_" not in suite, suite
    assert conn.get_negotiated_protocol() == alpn
    peers.assert_peer_certificate(conn, peer_cred)


def socket_client(pki, port, client_cert, *, session_from=None):
    """A Gio.SocketClient with tls=True connected to 127.0.0.1:port, the
    server verified as localhost against the test root; returns (its
    GTcpWrapperConnection, the TLS connection under it).

    The server identity is set where GIO lets an application configure the
    TLS connection, its tls-handshaking event: the peers listen on
    127.0.0.1 alone, and GLib resolves "localhost" to ::1 too."""
    database = pki.file_database()

    def configure(_client, event, _connectable, conn):
        if event == Gio.SocketClientEvent.TLS_HANDSHAKING:
            conn.set_server_identity(Gio.NetworkAddress.new("localhost", port))
            conn.set_database(database)
            conn.set_advertised_protocols(CLIENT_ALPN)
            if client_cert:
                conn.set_certificate(pki.client.tls_certificate())
            if session_from is not None:
                conn.copy_session_state(session_from)
    client = Gio.SocketClient(tls=True)
    GObject.Object.connect(client, "event", configure)  # SocketClient.connect is connecting
    wrapper = client.connect_to_host("127.0.0.1", port, None)
    wrapper.get_socket().set_timeout(60)  # a silent peer fails the test instead of hanging it
    tls = wrapper.get_base_io_stream()
    assert isinstance(tls, Gio.TlsClientConnection)
    return wrapper, tls


# ---- dtlsgo is the client ---------------------------------------------------------


def start_server(pki, peer, version, cred, alpn, client_cert):
    """(server peer, port), the server listening."""
    client_ca = str(pki.root.cert) if client_cert else None
    if peer == "openssl":
        return tls_peers.openssl_server(cred, version, alpn=[alpn], client_ca=client_ca)
    if peer == "gnutls":
        return tls_peers.gnutls_server(cred, version, alpn=[alpn], client_ca=client_ca)
    server = peers.gio_peer(peer, dict(transport="tcp", role="server", cert=cred.chain, key=cred.key,
                                       alpn=[alpn], ca=client_ca, require_client_cert=client_cert),
                            extra_env=tls_peers.glib_networking_env(version))
    return server, int(server.wait_for(r"^LISTENING (\d+)$").group(1))


@every_combination
def test_socket_client_with_real_server(pki, peer, version, kind, client_cert, alpn):
    cred = peers.server_credential(pki, kind)
    server, port = start_server(pki, peer, version, cred, alpn, client_cert)
    with server:
        wrapper, client = socket_client(pki, port, client_cert)
        assert_handshake(client, version, alpn, kind, cred)

        write_all(client, b"hello from dtlsgo\n")
        if peer == "openssl":
            # Unanchored here and below: s_server writes what it receives
            # straight to its stdout, its own reports through a stdio buffer,
            # so a line of one may land inside a line of the other.
            server.wait_for("hello from dtlsgo$")
            server.write("hello from openssl\n")
            assert read_line(client) == b"hello from openssl\n"
        elif peer == "gnutls":  # an echo server
            assert read_line(client) == b"hello from dtlsgo\n"
        else:
            assert read_line(client) == b"pong from glib-networking\n"
        client.close(None)  # close_notify, then the socket
        wrapper.close(None)

        suite = client.get_ciphersuite_name()
        if peer == "openssl":
            server.wait_for("DONE$")  # s_server read our close_notify
            assert server.finish() == 0
            assert server.has(f"^ALPN protocols selected: {alpn}$")
            assert tls_peers.iana_suite(server.wait_for(r"^CIPHER is (\S+)$").group(1)) == suite
            if client_cert:
                assert server.has(r"^depth=0 .*CN = dtlsgo test client")
                assert not server.has("verify error")
        elif peer == "gnutls":
            # gnutls-serv's log of the connection: the certificate it got,
            # the version, ALPN, the channel bindings, in that order.
            server.wait_for("^- Version: TLS" + version + "$")
            server.wait_for(f"^- Application protocol: {alpn}$")
            # Its channel bindings are ours: the same handshake on both ends.
            for name, binding_type in (("tls-server-end-point", Gio.TlsChannelBindingType.SERVER_END_POINT),
                                       ("tls-exporter", EXPORTER)):
                theirs = server.wait_for(rf"^ - '{name}': ([0-9a-f]+)$").group(1)
                assert binding(client, binding_type).hex() == theirs
            if version == "1.2":
                assert server.wait_for(r"^ - 'tls-unique': ([0-9a-f]+)$").group(1) == \
                    binding(client, UNIQUE).hex()
            if client_cert:
                assert server.has("^- Status: The certificate is trusted")
                assert server.has(r"^\s*Subject: CN=dtlsgo test client,")
        else:
            res = server.result()
            assert res["backend"] == "GTlsBackendGnutls", res
            assert res["received"] == ["hello from dtlsgo\n"]
            assert res["close_notify"] is True
            assert res["negotiated"] == alpn
            assert res["version"] == f"tls-{version.replace('.', '-')}"
            assert res["ciphersuite"] == suite
            assert res["tls_exporter"] == binding(client, EXPORTER).hex()
            if version == "1.2":
                assert res["tls_unique"] == binding(client, UNIQUE).hex()
            if client_cert:
                assert res["peer_subject"] == pki.client.subject
                assert res["accept_certificate"] == [0]
            else:
                assert res["peer_subject"] is None


# ---- dtlsgo is the server ---------------------------------------------------------


def start_client(pki, peer, version, port, peer_cred):
    ca = str(pki.root.cert)
    if peer == "openssl":
        return tls_peers.openssl_client(port, version, ca=ca, alpn=CLIENT_ALPN, cred=peer_cred)
    if peer == "gnutls":
        return tls_peers.gnutls_client(port, version, ca=ca, alpn=CLIENT_ALPN, cred=peer_cred)
    return peers.gio_peer(peer, dict(transport="tcp", role="client", peer_port=port, ca=ca,
                                     alpn=CLIENT_ALPN, cert=peer_cred and peer_cred.chain,
                                     key=peer_cred and peer_cred.key),
                          extra_env=tls_peers.glib_networking_env(version))


def dtlsgo_server(pki, base, cred, alpn, client_cert, judged):
    """A dtlsgo server connection on base; the client certificates it is
    asked to judge land in judged."""
    server = Gio.TlsServerConnection.new(base, cred.tls_certificate())
    server.set_advertised_protocols([alpn])
    if client_cert:
        peers.require_client_certificate(server, pki, judged)
    return server


@every_combination
def test_real_client_with_dtlsgo_server(pki, peer, version, kind, client_cert, alpn):
    cred = peers.server_credential(pki, kind)
    peer_cred = pki.client if client_cert else None
    listener, port = loopback_listener()
    with start_client(pki, peer, version, port, peer_cred) as client:
        judged = []
        server = dtlsgo_server(pki, accept(listener), cred, alpn, client_cert, judged)
        listener.close()
        server.handshake(None)
        assert_handshake(server, version, alpn, kind, peer_cred)
        assert judged == ([(pki.client.subject, 0)] if client_cert else [])

        if peer == "glib-networking":
            assert read_line(server) == b"ping from glib-networking\n"
        else:
            client.write(f"hello from {peer}\n")
            assert read_line(server) == f"hello from {peer}\n".encode()
        write_all(server, b"hello from dtlsgo\n")
        if peer != "glib-networking":
            # Not anchored: s_client's report of a TLS 1.3 ticket, printed
            # through another buffer, may surround the line.
            client.wait_for("hello from dtlsgo$")
            client.close_stdin()  # the client closes: it sends close_notify
        # The client's close_notify: a clean end of the stream.
        assert read_line(server) == b""
        server.close(None)

        suite = server.get_ciphersuite_name()
        if peer == "openssl":
            assert client.finish() == 0
            assert client.has(r"^\s*Verify return code: 0 \(ok\)")
            assert client.has(f"^ALPN protocol: {alpn}$")
            m = client.wait_for(r"^New, (\S+), Cipher is (\S+)$")
            assert m.group(1) == tls_peers.VERSIONS[version].name
            assert tls_peers.iana_suite(m.group(2)) == suite
        elif peer == "gnutls":
            assert client.finish() == 0
            assert client.has("The certificate is trusted")
            assert client.has(f"^- Application protocol: {alpn}$")
            assert client.has(rf"^- Description: \(TLS{version}-X\.509\)")
            if client_cert:
                assert client.has("Successfully sent 2 certificate")
        else:
            res = client.result()
            assert res["backend"] == "GTlsBackendGnutls", res
            assert res["received"] == ["hello from dtlsgo\n"]
            assert res["negotiated"] == alpn
            assert res["version"] == f"tls-{version.replace('.', '-')}"
            assert res["ciphersuite"] == suite
            assert res["peer_subject"] == cred.subject and res["peer_errors"] == 0
            assert res["tls_exporter"] == binding(server, EXPORTER).hex()
            if version == "1.2":
                assert res["tls_unique"] == binding(server, UNIQUE).hex()


# ---- session resumption, as the peer reports it -----------------------------------


def serve_one_line(base, cert, client):
    """A dtlsgo server connection on base: a line from the client (a
    peers.Peer typing on its stdin), a line back, then the client's
    close_notify."""
    server = Gio.TlsServerConnection.new(base, cert)
    client.write("hello from the client\n")
    assert read_line(server) == b"hello from the client\n"
    write_all(server, b"hello from dtlsgo\n")
    client.wait_for("hello from dtlsgo$")
    client.close_stdin()
    assert read_line(server) == b""
    server.close(None)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_dtlsgo_server_resumes_openssl_client(pki, tmp_path, version):
    """s_client saves its session (-sess_out), then offers it (-sess_in) to a
    second connection of the same server; it says which it got."""
    cert = pki.server_ecdsa.tls_certificate()
    session = tmp_path / "session.pem"
    listener, port = loopback_listener()
    reports = []
    for option in ("-sess_out", "-sess_in"):
        with tls_peers.openssl_client(port, version, ca=str(pki.root.cert),
                                      extra=[option, session]) as client:
            serve_one_line(accept(listener), cert, client)
            assert client.finish() == 0
            reports.append(client.wait_for(r"^(New|Reused), (\S+), Cipher").groups())
    listener.close()
    name = tls_peers.VERSIONS[version].name
    assert reports == [("New", name), ("Reused", name)]


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_dtlsgo_server_resumes_gnutls_client(pki, version):
    """gnutls-cli --resume connects, takes the session (on TLS 1.3 it waits
    for the ticket), disconnects and connects again offering it."""
    cert = pki.server_ecdsa.tls_certificate()
    listener, port = loopback_listener()
    with tls_peers.gnutls_client(port, version, ca=str(pki.root.cert),
                                 extra=["--resume", "--waitresumption"]) as client:
        first = Gio.TlsServerConnection.new(accept(listener), cert)
        first.handshake(None)
        # gnutls-cli sends close_notify and closes the socket at once: our
        # own close_notify may find it gone (BROKEN_PIPE), as with
        # glib-networking.
        assert read_line(first) == b""
        try:
            first.close(None)
        except GLib.Error as e:
            assert_error(e, IO, Gio.IOErrorEnum.BROKEN_PIPE)
        serve_one_line(accept(listener), cert, client)
        assert client.finish() == 0
    listener.close()
    assert client.has(r"^\*\*\* This is a resumed session")


def exchange_as_client(pki, server, port, peer, n, session_from=None):
    """Connection n of a dtlsgo client (socket_client) to s_server or
    gnutls-serv: a line each way, then close_notify. Returns the closed
    connection, for copy_session_state."""
    wrapper, client = socket_client(pki, port, False, session_from=session_from)
    line = f"hello {n} from dtlsgo"
    write_all(client, f"{line}\n".encode())
    if peer == "openssl":
        server.wait_for(f"{line}$")
        server.write(f"hello {n} from openssl\n")
        assert read_line(client) == f"hello {n} from openssl\n".encode()
    else:
        assert read_line(client) == f"{line}\n".encode()
    client.close(None)
    wrapper.close(None)
    return client


@pytest.mark.parametrize("peer", ["openssl", "gnutls"])
@pytest.mark.parametrize("version,how", [("1.2", "copy_session_state"), ("1.3", "copy_session_state"),
                                         ("1.3", "reconnecting")])
def test_dtlsgo_client_resumes(pki, peer, version, how):
    """A second dtlsgo connection to the same server resumes the first's
    session, given with copy_session_state or, on TLS 1.3, by reconnecting
    to the same server identity (as glib-networking does); the server
    reports the resumption."""
    cred = pki.server_ecdsa
    if peer == "openssl":
        server, port = tls_peers.openssl_server(cred, version, naccept=2)
    else:
        server, port = tls_peers.gnutls_server(cred, version)
    with server:
        first = exchange_as_client(pki, server, port, peer, 1)
        exchange_as_client(pki, server, port, peer, 2,
                           session_from=first if how == "copy_session_state" else None)
        if peer == "openssl":
            assert server.finish() == 0
            resumed = [line for line in server.lines if line == "Reused session-id"]
        else:
            server.wait_for("hello 2 from dtlsgo")
            resumed = [line for line in server.lines if line.startswith("*** This is a resumed session")]
    assert len(resumed) == 1, server.output
