"""Channel binding on stream TLS: tls-server-end-point, tls-exporter and
tls-unique, equal on both dtlsgo peers and to what OpenSSL's s_server
exports and Python computes, with GLib's error codes where a type does not
exist."""
import hashlib

import pytest
from gi.repository import Gio, GLib

from peers import Peer
from tlsstreams import CB, assert_error, handshake_both, tls12_server_without_ems, tls_pair, write_all

T = Gio.TlsChannelBindingType


def binding(conn, kind):
    ok, data = conn.get_channel_binding_data(kind)
    assert ok
    return bytes(data)


def test_tls13_bindings_equal_on_both_dtlsgo_peers(pki):
    client, server = tls_pair(pki)
    assert handshake_both(client, server) == (None, None)
    for kind in (T.SERVER_END_POINT, T.EXPORTER):
        assert binding(client, kind) == binding(server, kind)
        assert len(binding(client, kind)) == 32
    # RFC 5929 over the server's DER, hashed as its signature (ECDSA-SHA256).
    assert binding(client, T.SERVER_END_POINT) == hashlib.sha256(pki.server_ecdsa.cert_der()).digest()
    for conn in (client, server):
        with pytest.raises(GLib.Error) as exc:
            conn.get_channel_binding_data(T.UNIQUE)
        assert_error(exc.value, CB, Gio.TlsChannelBindingError.NOT_AVAILABLE)
    client.close(None)
    server.close(None)


def free_tcp_port():
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    listener.close()
    return port


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_exporter_matches_openssl(pki, version):
    port = free_tcp_port()
    cred = pki.server_ecdsa
    argv = ["openssl", "s_server", version, "-accept", f"127.0.0.1:{port}", "-naccept", "1",
            "-cert", cred.cert, "-key", cred.key, "-cert_chain", cred.chain,
            "-keymatexport", "EXPORTER-Channel-Binding", "-keymatexportlen", "32"]
    with Peer("openssl s_server", argv) as peer:
        peer.wait_for("ACCEPT")
        base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
        client = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new("localhost", port))
        client.set_database(pki.file_database())
        client.handshake(None)
        write_all(client, b"hi\n")
        exported = peer.wait_for(r"Keying material: ([0-9A-Fa-f]+)").group(1)
        if version == "-tls1_3":
            assert binding(client, T.EXPORTER).hex().upper() == exported.upper()
        else:
            # s_server exports without a context, RFC 9266 with an empty
            # one, and on TLS 1.2 the two differ (the seed carries the
            # context's length): GnuTLS's tls-exporter is the reference
            # (test_stream_real_peers).
            assert binding(client, T.EXPORTER).hex().upper() != exported.upper()
        assert binding(client, T.SERVER_END_POINT) == hashlib.sha256(cred.cert_der()).digest()
        if version == "-tls1_2":
            assert len(binding(client, T.UNIQUE)) == 12
        client.close(None)


def test_tls12_without_extended_master_secret_has_no_exporter(pki):
    def serve(tls):
        unique = tls.get_channel_binding("tls-unique")
        tls.recv(10)
        return unique
    port, server, listener = tls12_server_without_ems(pki, serve)
    base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    client = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new("localhost", port))
    client.set_database(pki.file_database())
    client.handshake(None)
    assert client.get_protocol_version() == Gio.TlsProtocolVersion.TLS_1_2
    with pytest.raises(GLib.Error) as exc:
        client.get_channel_binding_data(T.EXPORTER)
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.NOT_AVAILABLE)
    ours = binding(client, T.UNIQUE)
    client.close(None)
    assert server.result() == ours
    listener.close()
