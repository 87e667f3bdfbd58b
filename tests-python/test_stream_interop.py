"""Stream TLS against a peer nobody here wrote: Python's ssl module
(OpenSSL) as server and as client, TLS 1.2 and 1.3, with and without a
client certificate. Both sides verify against the test root, data crosses
both ways, and each side sees the other's close_notify."""
import socket
import ssl

import pytest
from gi.repository import Gio, GLib

from tlsstreams import Background, read_exactly, strict_eof, write_all

V = Gio.TlsProtocolVersion
VERSIONS = {"1.2": (ssl.TLSVersion.TLSv1_2, V.TLS_1_2), "1.3": (ssl.TLSVersion.TLSv1_3, V.TLS_1_3)}


def ssl_context(pki, purpose, version, cred=None, verify_peer=True):
    ctx = strict_eof(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose == "server"
                                    else ssl.PROTOCOL_TLS_CLIENT))
    ctx.minimum_version = ctx.maximum_version = version
    if cred is not None:
        ctx.load_cert_chain(str(cred.chain or cred.cert), str(cred.key))
    if verify_peer:
        ctx.load_verify_locations(str(pki.root.cert))
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def ssl_echo_server(ctx, listener):
    """Accepts one connection, echoes one message, sends close_notify, and
    returns what it learnt: (version, cipher, tls-unique, peer cert)."""
    raw, _ = listener.accept()
    with ctx.wrap_socket(raw, server_side=True) as tls:
        data = tls.recv(1024)
        tls.sendall(data.upper())
        facts = (tls.version(), tls.cipher()[0], tls.get_channel_binding("tls-unique"),
                 tls.getpeercert())
        tls.unwrap()  # close_notify, then waits for ours
        return facts


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("client_cert", [False, True])
def test_dtlsgo_client_against_python_ssl_server(pki, version, client_cert):
    ssl_version, gio_version = VERSIONS[version]
    ctx = ssl_context(pki, "server", ssl_version, pki.server_ecdsa, verify_peer=client_cert)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = Background(ssl_echo_server, ctx, listener)

    base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    client = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new("localhost", port))
    client.set_database(pki.file_database())
    if client_cert:
        client.set_certificate(pki.client.tls_certificate())
    client.set_advertised_protocols(["http/1.1"])
    write_all(client, b"hello")
    assert read_exactly(client, 5) == b"HELLO"
    assert client.get_protocol_version() == gio_version
    assert client.get_peer_certificate_errors() == 0
    # The server's close_notify: a clean end, with require-close-notify.
    assert client.get_input_stream().read_bytes(10, None).get_size() == 0
    client.close(None)
    got_version, cipher, unique, peer = server.result()
    listener.close()
    assert got_version == "TLSv" + version
    if version == "1.3":
        assert client.get_ciphersuite_name() == cipher  # OpenSSL names 1.3 suites as IANA does
    else:
        assert client.get_ciphersuite_name().startswith("TLS_ECDHE_ECDSA_WITH_")
        ok, ours = client.get_channel_binding_data(Gio.TlsChannelBindingType.UNIQUE)
        assert ok and bytes(ours) == unique
    assert bool(peer) == client_cert


def ssl_echo_client(ctx, port):
    """Connects, sends a message, reads the echo, then the server's
    close_notify (b""; an end without one raises, see strict_eof)."""
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"ping")
            echo = b""
            while len(echo) < 4:
                echo += tls.recv(4 - len(echo))
            end = tls.recv(10)
            return echo, end, tls.version(), tls.cipher()[0]


@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("client_cert", [False, True])
@pytest.mark.parametrize("server_cred", ["server_ecdsa", "server"])
def test_python_ssl_client_against_dtlsgo_server(pki, version, client_cert, server_cred):
    ssl_version, gio_version = VERSIONS[version]
    ctx = ssl_context(pki, "client", ssl_version, pki.client if client_cert else None)
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    client = Background(ssl_echo_client, ctx, port)

    base, _ = listener.accept(None)
    server = Gio.TlsServerConnection.new(base, getattr(pki, server_cred).tls_certificate())
    if client_cert:
        server.set_property("authentication-mode", Gio.TlsAuthenticationMode.REQUIRED)
        server.set_database(pki.file_database())
        server.connect("accept-certificate", lambda conn, cert, errors: errors == 0)
    assert read_exactly(server, 4) == b"ping"
    write_all(server, b"PONG")
    server.close(None)
    listener.close()
    echo, end, got_version, cipher = client.result()
    assert (echo, end) == (b"PONG", b"")
    assert got_version == "TLSv" + version
    assert server.get_protocol_version() == gio_version
    if version == "1.3":
        assert server.get_ciphersuite_name() == cipher
    if client_cert:
        assert server.get_peer_certificate().get_subject_name() == \
            pki.client.tls_certificate().get_subject_name()


def test_python_ssl_client_rejects_dtlsgo_server_with_unknown_ca(pki):
    ctx = ssl_context(pki, "client", ssl.TLSVersion.TLSv1_3)
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    client = Background(ssl_echo_client, ctx, port)
    base, _ = listener.accept(None)
    server = Gio.TlsServerConnection.new(base, pki.other_leaf.tls_certificate())
    with pytest.raises(GLib.Error) as exc:
        server.handshake(None)
    # OpenSSL's alert comes before its handshake keys are in use (plaintext,
    # where crypto/tls expects a protected record): the handshake fails
    # either way, promptly.
    assert exc.value.domain == GLib.quark_to_string(Gio.tls_error_quark())
    with pytest.raises(ssl.SSLCertVerificationError):
        client.result()
    server.close(None)
    listener.close()
