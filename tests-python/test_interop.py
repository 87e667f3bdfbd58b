"""dtlsgo against the DTLS implementations everyone else runs (issue 6):
OpenSSL (s_server / s_client -dtls1_2), GnuTLS (gnutls-serv / gnutls-cli
--udp) and glib-networking's GnuTLS backend in a separate process through
plain Gio. Each peer in both directions, with ECDSA and RSA server
certificates, with and without a client certificate, always with ALPN:
handshake (both sides verify against the test root), a datagram each way,
graceful close (the closing side's close_notify seen by the other).

The peers are Debian packages (openssl, gnutls-bin, glib-networking) that
scripts/install-deps installs; a missing one fails the test, never skips it.
"""
import socket

import pytest
from gi.repository import Gio, GLib

import dgram
import netem
import peers

SECOND = 1_000_000
CB = GLib.quark_to_string(Gio.tls_channel_binding_error_quark())
PEERS = ["openssl", "gnutls", "glib-networking"]
CLIENT_ALPN = ["h2", "echo"]
SERVER_ALPN = ["echo", "coap"]


@pytest.fixture(scope="module", autouse=True)
def peers_installed():
    peers.assert_installed("openssl", "gnutls-serv", "gnutls-cli", "stdbuf")


def every_combination(test):
    """Each peer, with each kind of server key, without and with a client
    certificate."""
    return pytest.mark.parametrize("peer", PEERS)(peers.each_credential(test))


def gio_socket(port=0, peer_port=None):
    s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    s.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", port), False)
    if peer_port:
        s.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", peer_port))
    return s


def socket_connected_to_first_sender(port_holder):
    """For a peer that cannot choose its port (gnutls-cli): wait for its
    first datagram without consuming it, connect to its sender, and hand
    the socket to Gio, as a GLib server demultiplexing by peer would."""
    _, sender = port_holder.recvfrom(2048, socket.MSG_PEEK)
    port_holder.connect(sender)
    return Gio.Socket.new_from_fd(port_holder.detach())


def exporter_hex(conn):
    """RFC 9266's tls-exporter of a dtlsgo connection in hex, or "error", as
    gio_peer reports its own. glib-networking 2.74 negotiates no extended
    master secret over DTLS with dtlsgo (GnuTLS's choice), and both sides
    then refuse it: should it ever negotiate one, the values are compared."""
    try:
        ok, data = conn.get_channel_binding_data(Gio.TlsChannelBindingType.EXPORTER)
    except GLib.Error as e:
        assert (e.domain, e.code) == (CB, int(Gio.TlsChannelBindingError.NOT_SUPPORTED)), e.message
        return "error"
    assert ok
    return bytes(data).hex()


def assert_handshake(conn, peer_cred):
    assert conn.get_protocol_version() == Gio.TlsProtocolVersion.DTLS_1_2
    assert conn.get_ciphersuite_name().startswith("TLS_ECDHE_")
    assert conn.get_negotiated_protocol() == "echo"
    peers.assert_peer_certificate(conn, peer_cred)


# ---- dtlsgo is the client ---------------------------------------------------------


@every_combination
def test_dtlsgo_client_with_real_server(pki, peer, kind, client_cert):
    cred = peers.server_credential(pki, kind)
    ca = str(pki.root.cert)
    port, own_port = netem.free_udp_ports(2)
    client_ca = ca if client_cert else None
    if peer == "openssl":
        server = peers.openssl_server(port, cred, alpn=SERVER_ALPN, client_ca=client_ca)
        server.wait_for("^ACCEPT")
    elif peer == "gnutls":
        server = peers.gnutls_server(port, cred, alpn=SERVER_ALPN, client_ca=client_ca)
        server.wait_for("Waiting for connection")
    else:
        server = peers.gio_peer(peer, dict(role="server", port=port, peer_port=own_port,
                                           cert=cred.chain, key=cred.key, alpn=SERVER_ALPN,
                                           ca=client_ca, require_client_cert=client_cert))
        server.wait_for("^BOUND")
    with server:
        client = Gio.DtlsClientConnection.new(gio_socket(own_port, port), Gio.NetworkAddress.new("localhost", 0))
        client.set_database(pki.file_database())
        client.set_advertised_protocols(CLIENT_ALPN)
        rejected = []
        client.connect("accept-certificate", lambda *a: rejected.append(a) and False)
        if client_cert:
            client.set_certificate(pki.client.tls_certificate())
        client.handshake(None)
        assert_handshake(client, cred)
        assert rejected == []

        dgram.send(client, [b"hello from dtlsgo\n"])
        if peer == "openssl":
            server.wait_for("^hello from dtlsgo$")
            server.write("hello from openssl\n")
            assert dgram.receive(client, timeout=10 * SECOND) == [b"hello from openssl\n"]
        elif peer == "gnutls":  # an echo server
            assert dgram.receive(client, timeout=10 * SECOND) == [b"hello from dtlsgo\n"]
        else:
            assert dgram.receive(client, timeout=10 * SECOND) == [b"pong from glib-networking"]

        client.close(None)
        if peer == "openssl":
            server.wait_for("^DONE$")  # s_server read our close_notify
            assert server.finish() == 0
            assert server.has("^ALPN protocols selected: echo$")
            if client_cert:
                assert server.has(r"^depth=0 .*CN = dtlsgo test client")
                assert not server.has("verify error")
        elif peer == "gnutls":
            server.wait_for("^EOF$")  # gnutls-serv read our close_notify
            if client_cert:
                assert server.has("The certificate is trusted")
        else:
            res = server.result()
            assert res["backend"] == "GTlsBackendGnutls", res
            assert res["received"] == ["hello from dtlsgo\n"]
            assert res["close_notify"] is True
            assert res["negotiated"] == "echo" and res["version"] == "dtls-1-2"
            assert res["tls_exporter"] == exporter_hex(client)
            if client_cert:
                assert res["peer_subject"] == pki.client.subject
                assert res["accept_certificate"] == [0]
            else:
                assert res["peer_subject"] is None


# ---- dtlsgo is the server ---------------------------------------------------------


@every_combination
def test_real_client_with_dtlsgo_server(pki, peer, kind, client_cert):
    cred = peers.server_credential(pki, kind)
    ca = str(pki.root.cert)
    peer_cred = pki.client if client_cert else None
    port, peer_port = netem.free_udp_ports(2)

    holder = None
    if peer == "gnutls":
        holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        client = peers.gnutls_client(port, ca=ca, alpn=CLIENT_ALPN, cred=peer_cred)
        sock = socket_connected_to_first_sender(holder)
    else:
        sock = gio_socket(port, peer_port)
        if peer == "openssl":
            client = peers.openssl_client(port, peer_port, ca=ca, alpn=CLIENT_ALPN, cred=peer_cred)
        else:
            client = peers.gio_peer(peer, dict(role="client", port=peer_port, peer_port=port, ca=ca,
                                               alpn=CLIENT_ALPN, cert=peer_cred and peer_cred.chain,
                                               key=peer_cred and peer_cred.key))
    with client:
        server = Gio.DtlsServerConnection.new(sock, cred.tls_certificate())
        server.set_advertised_protocols(SERVER_ALPN)
        judged = []
        if client_cert:
            peers.require_client_certificate(server, pki, judged)
        server.handshake(None)
        assert_handshake(server, peer_cred)
        assert judged == ([(pki.client.subject, 0)] if client_cert else [])

        if peer == "glib-networking":
            assert dgram.receive(server, timeout=10 * SECOND) == [b"ping from glib-networking"]
        else:
            client.write(f"hello from {peer}\n")
            assert dgram.receive(server, timeout=10 * SECOND) == [f"hello from {peer}\n".encode()]
        dgram.send(server, [b"hello from dtlsgo\n"])
        if peer != "glib-networking":
            client.wait_for("^hello from dtlsgo$")
            client.close_stdin()  # the client closes: it sends close_notify
        # The client's close_notify: 0 messages and no error.
        assert dgram.receive(server, timeout=10 * SECOND) == []
        server.close(None)

        if peer == "openssl":
            assert client.finish() == 0
            assert client.has(r"^\s*Verify return code: 0 \(ok\)")
            assert client.has("^ALPN protocol: echo$")
            assert client.has(r"^\s*Protocol\s*: DTLSv1.2$")
        elif peer == "gnutls":
            assert client.finish() == 0
            assert client.has("The certificate is trusted")
            assert client.has("^- Application protocol: echo$")
            if client_cert:
                assert client.has("Successfully sent 2 certificate")
        else:
            res = client.result()
            assert res["backend"] == "GTlsBackendGnutls", res
            assert res["received"] == ["hello from dtlsgo\n"]
            assert res["negotiated"] == "echo" and res["version"] == "dtls-1-2"
            assert res["peer_subject"] == cred.subject and res["peer_errors"] == 0
            assert res["tls_exporter"] == exporter_hex(server)


# ---- tls-unique: the first Finished's verify_data, as the peer saw it ------------


@pytest.mark.parametrize("peer", ["openssl", "glib-networking"])
@pytest.mark.parametrize("role", ["client", "server"], ids=["dtlsgo-client", "dtlsgo-server"])
def test_tls_unique_is_the_first_finished_the_peer_saw(pki, peer, role):
    """RFC 5929: the client's Finished in a full handshake. OpenSSL prints
    both Finished messages in its -msg trace; glib-networking's GnuTLS
    backend reports its own tls-unique."""
    cred = pki.server_ecdsa
    ca = str(pki.root.cert)
    port, peer_port = netem.free_udp_ports(2)
    sock = gio_socket(port, peer_port)
    if role == "client":
        if peer == "openssl":
            other = peers.openssl_server(peer_port, cred, extra=["-msg"])
            other.wait_for("^ACCEPT")
        else:
            other = peers.gio_peer(peer, dict(role="server", port=peer_port, peer_port=port,
                                              cert=cred.chain, key=cred.key))
            other.wait_for("^BOUND")
    elif peer == "openssl":
        other = peers.openssl_client(port, peer_port, ca=ca, extra=["-msg"])
    else:
        other = peers.gio_peer(peer, dict(role="client", port=peer_port, peer_port=port, ca=ca))
    with other:
        if role == "client":
            conn = Gio.DtlsClientConnection.new(sock, Gio.NetworkAddress.new("localhost", 0))
            conn.set_database(pki.file_database())
        else:
            conn = Gio.DtlsServerConnection.new(sock, cred.tls_certificate())
        conn.handshake(None)
        ok, data = conn.get_channel_binding_data(Gio.TlsChannelBindingType.UNIQUE)
        unique = bytes(data)
        assert ok and len(unique) == 12

        if role == "client":
            dgram.send(conn, [b"hello\n"])
            if peer == "glib-networking":
                assert dgram.receive(conn, timeout=10 * SECOND) == [b"pong from glib-networking"]
            else:
                other.wait_for("^hello$")
            conn.close(None)
        else:
            if peer == "openssl":
                other.write("hello\n")
                other.close_stdin()  # then its close_notify
            assert dgram.receive(conn, timeout=10 * SECOND)[0].startswith((b"hello", b"ping"))
            if peer == "glib-networking":
                dgram.send(conn, [b"pong"])
            assert dgram.receive(conn, timeout=10 * SECOND) == []
            conn.close(None)

        if peer == "openssl":
            assert other.finish() == 0
            finished = peers.openssl_finished(other)
            # Its own Finished, then ours (client) or ours, then its own.
            assert [d for d, _ in finished] == ([">>>", "<<<"] if role == "server" else ["<<<", ">>>"])
            assert finished[0][1] == unique and finished[1][1] != unique
        else:
            res = other.result()
            assert res["backend"] == "GTlsBackendGnutls", res
            assert res["tls_unique"] == unique.hex()
