"""dtlsgo's one record path against OpenSSL for each cipher suite OpenSSL
will negotiate with it: s_server is held to one suite, so the handshake
ends on it, and the records that follow (a datagram each way, dtlsgo's
half-close, OpenSSL's close_notify) are sealed and opened by dtlsgo's own
record layer. ChaCha20-Poly1305, AES-CCM, CCM_8 and CBC have record formats
of their own (nonces, tags, MAC-then-encrypt), so each is tried, with a
certificate and with a pre-shared key.
"""
import shutil

import pytest
from gi.repository import Gio, GLib

import dgram
import netem
import peers

SECOND = 1_000_000
KEY = bytes(range(32))

# (OpenSSL's name, IANA name, PSK)
SUITES = [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", False),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", False),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", False),
    ("ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", False),
    ("PSK-AES128-GCM-SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256", True),
    ("PSK-CHACHA20-POLY1305", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", True),
    ("ECDHE-PSK-CHACHA20-POLY1305", "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", True),
    ("PSK-AES128-CCM", "TLS_PSK_WITH_AES_128_CCM", True),
    ("PSK-AES128-CCM8", "TLS_PSK_WITH_AES_128_CCM_8", True),
    ("PSK-AES256-CCM8", "TLS_PSK_WITH_AES_256_CCM_8", True),
    ("PSK-AES128-CBC-SHA256", "TLS_PSK_WITH_AES_128_CBC_SHA256", True),
    ("ECDHE-PSK-AES128-CBC-SHA256", "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", True),
]


@pytest.fixture(scope="module", autouse=True)
def openssl_installed():
    assert shutil.which("openssl"), "missing openssl: run scripts/install-deps"


def gio_socket(port, peer_port):
    s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    s.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", port), False)
    s.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", peer_port))
    return s


@pytest.mark.parametrize("openssl_name,iana,psk", SUITES, ids=[s[1] for s in SUITES])
def test_dtlsgo_client_with_openssl_on_one_suite(pki, openssl_name, iana, psk):
    port, own_port = netem.free_udp_ports(2)
    extra = ["-cipher", openssl_name]
    if psk:
        extra += ["-psk", KEY.hex(), "-psk_identity", "alice", "-nocert"]
    server = peers.openssl_server(port, pki.server_ecdsa, extra=extra)
    server.wait_for("^ACCEPT")
    with server:
        client = Gio.DtlsClientConnection.new(gio_socket(own_port, port), Gio.NetworkAddress.new("localhost", 0))
        if psk:
            client.set_psk("alice", GLib.Bytes.new(KEY))
        else:
            client.set_database(pki.file_database())
        client.handshake(None)
        assert client.get_ciphersuite_name() == iana

        dgram.send(client, [b"hello from dtlsgo\n"])
        server.wait_for("^hello from dtlsgo$")
        server.write("hello from openssl\n")
        assert dgram.receive(client, timeout=10 * SECOND) == [b"hello from openssl\n"]

        # Half-close: s_server reads our close_notify and answers with its
        # own, which ends our receives with 0 messages and no error.
        assert client.shutdown(False, True, None)
        server.wait_for("^DONE$")
        assert dgram.receive(client, timeout=10 * SECOND) == []
        client.close(None)
        assert server.finish() == 0
