"""What the DtlsGo namespace adds to stream TLS: the key exchange group
(hybrid post-quantum by default), keying material export (RFC 5705 / RFC
8446), and Encrypted Client Hello, judged against dtlsgo itself, OpenSSL
(s_server / s_client), Python's ssl, and ECH keys made by Python's
cryptography."""
import socket
import ssl
import struct
import threading

import pytest
from gi.repository import DtlsGo, Gio, GLib

import conns
from peers import Peer
from tlsstreams import (CB, IO, TLS, Background, assert_error, handshake_both, read_exactly,
                        tcp_pair, tls12_server_without_ems, tls_pair, write_all)

LABEL = "EXPERIMENTAL-dtlsgo-test"


def free_tcp_port():
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    listener.close()
    return port


def export(conn, context=None, length=32, label=LABEL):
    return conn.export_keying_material(label, context, length).get_data()


def close_all(*conns_):
    for c in conns_:
        c.close(None)


# ---- key exchange group ------------------------------------------------------


def test_dtlsgo_peers_agree_on_x25519mlkem768(pki):
    client, server = tls_pair(pki)
    assert client.get_key_exchange_group() is None
    assert client.props.ech_accepted is False
    notified = []
    client.connect("notify::key-exchange-group", lambda c, p: notified.append(c.props.key_exchange_group))
    assert handshake_both(client, server) == (None, None)
    for conn in (client, server):
        assert conn.get_key_exchange_group() == "X25519MLKEM768"
        assert conn.props.key_exchange_group == "X25519MLKEM768"
        assert conn.get_protocol_version() == Gio.TlsProtocolVersion.TLS_1_3
    assert notified == ["X25519MLKEM768"]
    close_all(client, server)


def openssl_stream_server(port, cred, *extra):
    argv = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1",
            "-cert", cred.cert, "-key", cred.key, "-cert_chain", cred.chain, *extra]
    return Peer("openssl s_server", argv)


def dtlsgo_client(pki, port):
    base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    client = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new("localhost", port))
    client.set_database(pki.file_database())
    return client


# OpenSSL 3.0 knows no ML-KEM: a peer limited to one classic group.
@pytest.mark.parametrize("version,groups,expected", [
    ("-tls1_3", "X25519", "x25519"),
    ("-tls1_3", "P-384", "secp384r1"),
    ("-tls1_2", "P-256", "secp256r1"),
])
def test_dtlsgo_client_reports_the_group_openssl_allowed(pki, version, groups, expected):
    port = free_tcp_port()
    with openssl_stream_server(port, pki.server_ecdsa, version, "-groups", groups) as peer:
        peer.wait_for("ACCEPT")
        client = dtlsgo_client(pki, port)
        client.handshake(None)
        assert client.get_key_exchange_group() == expected
        client.close(None)


def stream_server(pki, cred=None):
    """A listener on a free port, and a function accepting one dtlsgo server
    connection from it."""
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)

    def accept():
        base, _ = listener.accept(None)
        listener.close()
        return Gio.TlsServerConnection.new(base, (cred or pki.server_ecdsa).tls_certificate())
    return port, accept


def openssl_stream_client(port, ca, *extra):
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca,
            "-verify_return_error", "-servername", "localhost", *extra]
    return Peer("openssl s_client", argv)


def test_dtlsgo_server_reports_x25519_to_an_x25519_only_client(pki):
    port, accept = stream_server(pki)
    with openssl_stream_client(port, pki.root.cert, "-tls1_3", "-groups", "X25519",
                               "-keymatexport", LABEL, "-keymatexportlen", "32") as peer:
        server = accept()
        server.handshake(None)
        assert server.get_key_exchange_group() == "x25519"
        peer.wait_for(r"Server Temp Key: X25519")
        # The client's exporter says the same as ours.
        exported = peer.wait_for(r"Keying material: ([0-9A-Fa-f]+)").group(1)
        assert export(server).hex().upper() == exported.upper()
        server.close(None)


def test_dtls_connections_have_no_group_and_no_ech(ecdsa_pair):
    client, server = ecdsa_pair
    assert conns.handshake_both(client, server) == (None, None)
    for conn in (client, server):
        assert conn.get_key_exchange_group() is None
        assert conn.get_ech_accepted() is False


# ---- keying material export --------------------------------------------------


def test_export_is_equal_on_both_dtlsgo_stream_peers(pki):
    client, server = tls_pair(pki)
    with pytest.raises(GLib.Error) as exc:
        export(client)
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.INVALID_STATE)
    assert handshake_both(client, server) == (None, None)
    context = GLib.Bytes.new(b"a context")
    for ctx in (None, GLib.Bytes.new(b""), context):
        assert export(client, ctx) == export(server, ctx)
    assert len(export(client, length=100)) == 100
    # TLS 1.3 (RFC 8446 7.5): no context is the empty one; a context counts.
    assert export(client) == export(client, GLib.Bytes.new(b""))
    assert export(client) != export(client, context)
    assert export(client) != export(client, label="EXPERIMENTAL-other")
    for label, length in (("master secret", 32), ("key expansion", 32), (LABEL, 0), (LABEL, 65536)):
        with pytest.raises(GLib.Error) as exc:
            export(client, label=label, length=length)
        assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    before_close = export(client)
    close_all(client, server)
    assert export(client) == before_close  # still there after close


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_export_matches_openssl_s_server(pki, version):
    port = free_tcp_port()
    with openssl_stream_server(port, pki.server_ecdsa, version,
                               "-keymatexport", LABEL, "-keymatexportlen", "48") as peer:
        peer.wait_for("ACCEPT")
        client = dtlsgo_client(pki, port)
        client.handshake(None)
        write_all(client, b"hi\n")
        exported = peer.wait_for(r"Keying material: ([0-9A-Fa-f]+)").group(1)
        assert export(client, length=48).hex().upper() == exported.upper()
        if version == "-tls1_2":
            # RFC 5705: an empty context is not no context on TLS 1.2.
            assert export(client, GLib.Bytes.new(b"")) != export(client)
        client.close(None)


def test_tls12_without_extended_master_secret_exports_nothing(pki):
    port, server, listener = tls12_server_without_ems(pki, lambda tls: tls.recv(10))
    client = dtlsgo_client(pki, port)
    client.handshake(None)
    assert client.get_protocol_version() == Gio.TlsProtocolVersion.TLS_1_2
    with pytest.raises(GLib.Error) as exc:
        export(client)
    # As the tls-exporter channel binding on the same connection.
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.NOT_AVAILABLE)
    assert "extended master secret" in exc.value.message
    with pytest.raises(GLib.Error) as exc:
        client.get_channel_binding_data(Gio.TlsChannelBindingType.EXPORTER)
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.NOT_AVAILABLE)
    client.close(None)
    server.result()
    listener.close()


# ---- Encrypted Client Hello ----------------------------------------------------


class RecordingProxy:
    """A TCP relay on loopback for one connection: what the client sent
    the server crosses it, and is kept."""

    def __init__(self, target_port):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.from_client = b""
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, args=(target_port,), daemon=True)
        self.thread.start()

    def _pump(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record:
                    with self._lock:
                        self.from_client += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _run(self, target_port):
        a, _ = self.listener.accept()
        self.listener.close()
        b = socket.create_connection(("127.0.0.1", target_port))
        back = threading.Thread(target=self._pump, args=(b, a, False), daemon=True)
        back.start()
        self._pump(a, b, True)
        back.join(30)
        a.close()
        b.close()

    def sent(self):
        with self._lock:
            return self.from_client


def ech_pair(pki, keys, config_list, identity="localhost", proxy=False):
    """A dtlsgo client with config_list (None: no ECH) and a server with
    keys (None: none); with proxy, what the client sends is recorded."""
    port, accept = stream_server(pki)
    relay = RecordingProxy(port) if proxy else None
    base = Gio.SocketClient().connect_to_host("127.0.0.1", relay.port if relay else port, None)
    client = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new(identity, 443))
    client.set_database(pki.file_database())
    if config_list is not None:
        client.set_ech_config_list(config_list)
    server = accept()
    if keys is not None:
        server.set_ech_keys(keys)
    return client, server, relay


def test_ech_accepted_hides_the_server_name(pki):
    keys, config_list = DtlsGo.generate_ech_keys("public.example")
    assert keys.get_data().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert b"-----BEGIN ECHCONFIG-----" in keys.get_data()
    client, server, relay = ech_pair(pki, keys, config_list, proxy=True)
    assert client.props.ech_config_list.get_data() == config_list.get_data()
    assert server.props.ech_keys.get_data() == keys.get_data()
    seen = []
    client.connect("accept-certificate", lambda *a: seen.append(a) or False)
    assert handshake_both(client, server) == (None, None)
    for conn in (client, server):
        assert conn.get_ech_accepted() and conn.props.ech_accepted
        assert conn.get_protocol_version() == Gio.TlsProtocolVersion.TLS_1_3
    # The inner server-identity was verified: the certificate is for
    # localhost, not for the public name, and nothing needed accepting.
    assert client.get_peer_certificate_errors() == 0 and seen == []
    write_all(client, b"ping")
    assert read_exactly(server, 4) == b"ping"
    # On the wire the client named only the public name.
    wire = relay.sent()
    assert b"public.example" in wire
    assert b"localhost" not in wire
    close_all(client, server)


def test_ech_still_verifies_the_inner_identity(pki):
    keys, config_list = DtlsGo.generate_ech_keys("public.example")
    client, server, _ = ech_pair(pki, keys, config_list, identity="elsewhere.test")
    cerr, _ = handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert client.get_peer_certificate_errors() & Gio.TlsCertificateFlags.BAD_IDENTITY
    close_all(client, server)


def test_ech_rejected_by_a_server_without_ech_keys(pki):
    _, config_list = DtlsGo.generate_ech_keys("public.example")
    client, server, _ = ech_pair(pki, None, config_list)
    cerr, serr = handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.HANDSHAKE)
    assert "rejected Encrypted Client Hello" in cerr.message
    assert "does not support ECH" in cerr.message
    # A TLS 1.3 server's handshake ends before the client's verdict: the
    # client's ech_required alert comes to its first read.
    assert serr is None
    with pytest.raises(GLib.Error) as exc:
        read_exactly(server, 1)
    assert_error(exc.value, TLS, Gio.TlsError.MISC)
    assert "encrypted client hello required" in exc.value.message
    assert client.get_ech_accepted() is False
    close_all(client, server)


def test_ech_rejected_for_a_stale_config(pki):
    keys, _ = DtlsGo.generate_ech_keys("public.example")
    _, stale = DtlsGo.generate_ech_keys("public.example")
    client, server, _ = ech_pair(pki, keys, stale)
    cerr, serr = handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.HANDSHAKE)
    assert "rejected Encrypted Client Hello" in cerr.message and "retry" in cerr.message
    assert serr is None and not server.get_ech_accepted()
    with pytest.raises(GLib.Error):  # the rejection is sticky
        read_exactly(client, 1)
    close_all(client, server)


def test_outer_sni_is_the_public_name_for_any_server(pki):
    """Python's ssl knows no ECH: it sees the outer ClientHello only."""
    _, config_list = DtlsGo.generate_ech_keys("cover.example")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.key))
    names = []
    ctx.sni_callback = lambda sock, name, c: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        raw, _ = listener.accept()
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                tls.recv(10)
        except (ssl.SSLError, OSError) as e:
            return e
    server = Background(serve)
    client = dtlsgo_client(pki, listener.getsockname()[1])
    client.set_ech_config_list(config_list)
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, TLS, Gio.TlsError.HANDSHAKE)
    assert "rejected Encrypted Client Hello" in exc.value.message
    client.close(None)
    server.result()
    listener.close()
    assert names == ["cover.example"]


def test_a_server_with_ech_keys_serves_clients_without_ech(pki):
    keys, _ = DtlsGo.generate_ech_keys("public.example")
    client, server, _ = ech_pair(pki, keys, None)
    assert handshake_both(client, server) == (None, None)
    assert not client.get_ech_accepted() and not server.get_ech_accepted()
    close_all(client, server)

    # A TLS 1.2 client too (ECH is TLS 1.3's).
    port, accept = stream_server(pki)
    ctx = ssl.create_default_context(cafile=str(pki.root.cert))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    def connect():
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"ok")
                return tls.version()
    peer = Background(connect)
    server = accept()
    server.set_ech_keys(keys)
    assert read_exactly(server, 2) == b"ok"
    assert server.get_protocol_version() == Gio.TlsProtocolVersion.TLS_1_2
    assert not server.get_ech_accepted()
    assert peer.result() == "TLSv1.2"
    server.close(None)


def test_unusable_ech_settings_fail_the_handshake_with_invalid_argument(pki):
    keys, config_list = DtlsGo.generate_ech_keys("public.example")
    client, server = tls_pair(pki)
    client.set_ech_config_list(GLib.Bytes.new(b"\x00\x03abc"))
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert "ech-config-list" in exc.value.message
    server.set_ech_keys(config_list)  # the list, not the keys
    with pytest.raises(GLib.Error) as exc:
        server.handshake(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert "ech-keys" in exc.value.message and "not PEM" in exc.value.message
    close_all(client, server)
    for name in ("127.0.0.1", "", "not a name"):
        with pytest.raises(GLib.Error) as exc:
            DtlsGo.generate_ech_keys(name)
        assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)


def ech_pem_by_cryptography(public_name):
    """An ECH key file as draft-farrell-tls-pemesni writes one, made without
    dtlsgo: a PKCS #8 X25519 key and an ECHConfigList (RFC 9849 section 4)
    for it, HPKE DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = public_name.encode()
    contents = (struct.pack("!BHH", 42, 0x0020, len(public)) + public
                + struct.pack("!HHH", 4, 0x0001, 0x0001)
                + struct.pack("!BB", 0, len(name)) + name + struct.pack("!H", 0))
    config = struct.pack("!HH", 0xfe0d, len(contents)) + contents
    config_list = struct.pack("!H", len(config)) + config
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    b64 = base64.b64encode(config_list).decode()
    pem += ("-----BEGIN ECHCONFIG-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
            + "\n-----END ECHCONFIG-----\n").encode()
    return pem, config_list


def test_ech_keys_made_by_another_tool_work(pki):
    pem, config_list = ech_pem_by_cryptography("public.example")
    client, server, _ = ech_pair(pki, GLib.Bytes.new(pem), GLib.Bytes.new(config_list))
    assert handshake_both(client, server) == (None, None)
    assert client.get_ech_accepted() and server.get_ech_accepted()
    close_all(client, server)


def test_ech_over_a_generic_base_stream(pki):
    """ECH through a base that is not a plain socket (GIO's threads)."""
    keys, config_list = DtlsGo.generate_ech_keys("public.example")
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=Gio.TcpWrapperConnection.new(cbase, cbase.get_socket()),
                              server_base=sbase)
    client.set_ech_config_list(config_list)
    server.set_ech_keys(keys)
    assert handshake_both(client, server) == (None, None)
    assert client.get_ech_accepted() and server.get_ech_accepted()
    close_all(client, server)
