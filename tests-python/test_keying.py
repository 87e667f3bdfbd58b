"""Keying material export (RFC 5705) and DTLS-SRTP (RFC 5764) through
gi.repository.DtlsGo (issue 8), between two dtlsgo peers and against
OpenSSL's s_server / s_client -use_srtp, whose own exporter output the keys
must match."""
import time

import pytest
from gi.repository import Gio, GLib

import conns
import netem
import peers
from streams import assert_error

SECOND = 1_000_000
CB = GLib.quark_to_string(Gio.tls_channel_binding_error_quark())
IO = GLib.quark_to_string(Gio.io_error_quark())
TLS = GLib.quark_to_string(Gio.tls_error_quark())

# RFC 5764 4.1.2 / RFC 7714 14.2: master key and salt lengths.
KEY_SALT = {
    "SRTP_AES128_CM_HMAC_SHA1_80": (16, 14),
    "SRTP_AES128_CM_HMAC_SHA1_32": (16, 14),
    "SRTP_AEAD_AES_128_GCM": (16, 12),
    "SRTP_AEAD_AES_256_GCM": (32, 12),
}
OPENSSL_NAMES = {
    "SRTP_AES128_CM_HMAC_SHA1_80": "SRTP_AES128_CM_SHA1_80",
    "SRTP_AES128_CM_HMAC_SHA1_32": "SRTP_AES128_CM_SHA1_32",
    "SRTP_AEAD_AES_128_GCM": "SRTP_AEAD_AES_128_GCM",
    "SRTP_AEAD_AES_256_GCM": "SRTP_AEAD_AES_256_GCM",
}


def assert_error(exc, domain, code):
    assert exc.domain == domain and exc.code == int(code), f"{exc.domain}:{exc.code} {exc.message}"


def export(conn, label="EXPERIMENTAL-dtlsgo-test", length=32, context=None):
    return conn.export_keying_material(label, context, length).get_data()


def keys(conn):
    return [k.get_data() for k in conn.get_srtp_keys()]


def handshake(client, server):
    cerr, serr = conns.handshake_both(client, server)
    assert (cerr, serr) == (None, None)


# ---- keying material export ------------------------------------------------------


def test_export_is_identical_on_both_peers(ecdsa_pair):
    client, server = ecdsa_pair
    handshake(client, server)
    a = export(client)
    assert len(a) == 32 and a == export(server)
    longer = export(client, length=100)
    assert longer == export(server, length=100) and longer[:32] == a  # the PRF is a stream
    assert export(client, label="EXPERIMENTAL-other") != a
    assert export(client, length=1) == export(server, length=1)
    # RFC 5705: no context, an empty one and a context each give their own
    # bytes, the same on both peers.
    with_context = [export(client, context=GLib.Bytes.new(c)) for c in (b"", b"ctx")]
    assert with_context == [export(server, context=GLib.Bytes.new(c)) for c in (b"", b"ctx")]
    assert len({a, *with_context}) == 3


def test_export_differs_per_session(pki):
    results = []
    for _ in range(2):
        client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate())
        handshake(client, server)
        results.append(export(client))
    assert results[0] != results[1]


def test_export_before_the_handshake_is_invalid_state(ecdsa_pair):
    client, server = ecdsa_pair
    for conn in (client, server):
        with pytest.raises(GLib.Error) as exc:
            export(conn)
        assert_error(exc.value, CB, Gio.TlsChannelBindingError.INVALID_STATE)


def test_export_after_a_failed_handshake_is_invalid_state(pki):
    client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate(), accept_all=False)
    cerr, _ = conns.handshake_both(client, server)
    assert cerr is not None
    with pytest.raises(GLib.Error) as exc:
        export(client)
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.INVALID_STATE)


def test_export_bad_arguments(ecdsa_pair):
    client, server = ecdsa_pair
    handshake(client, server)
    with pytest.raises(GLib.Error) as exc:
        export(client, context=GLib.Bytes.new(bytes(65536)))
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert "context" in exc.value.message
    for label in ("master secret", "key expansion", "client finished", "server finished",
                  "extended master secret"):
        with pytest.raises(GLib.Error) as exc:
            export(client, label=label)
        assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    for length in (0, 65536, 1 << 40):
        with pytest.raises(GLib.Error) as exc:
            export(client, length=length)
        assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)


def test_export_still_works_after_close(ecdsa_pair):
    client, server = ecdsa_pair
    handshake(client, server)
    before = export(client)
    client.close(None)
    assert export(client) == before == export(server)


# ---- DTLS-SRTP ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(KEY_SALT))
def test_srtp_keys_mirror_each_other_and_follow_rfc5764(ecdsa_pair, profile):
    client, server = ecdsa_pair
    client.set_srtp_profiles([profile])
    server.props.srtp_profiles = [profile]
    notified = []
    client.connect("notify::srtp-profile", lambda *a: notified.append(client.get_srtp_profile()))
    handshake(client, server)
    assert client.get_srtp_profile() == server.props.srtp_profile == profile
    assert notified == [profile]
    ck, cs, sk, ss = keys(client)
    key_len, salt_len = KEY_SALT[profile]
    assert (len(ck), len(cs), len(sk), len(ss)) == (key_len, salt_len, key_len, salt_len)
    # The server's local keys are the client's remote ones.
    assert keys(server) == [sk, ss, ck, cs]
    # RFC 5764 4.2: client key, server key, client salt, server salt.
    material = export(client, "EXTRACTOR-dtls_srtp", 2 * (key_len + salt_len))
    assert material == ck + sk + cs + ss
    assert len({ck, sk}) == 2


def test_server_preference_wins(ecdsa_pair):
    client, server = ecdsa_pair
    client.set_srtp_profiles(["SRTP_AES128_CM_HMAC_SHA1_80", "SRTP_AEAD_AES_128_GCM"])
    server.set_srtp_profiles(["SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM",
                              "SRTP_AES128_CM_HMAC_SHA1_80"])
    handshake(client, server)
    assert client.get_srtp_profile() == server.get_srtp_profile() == "SRTP_AEAD_AES_128_GCM"


def test_no_common_profile_fails_both_sides_at_once(ecdsa_pair):
    """The server that rejects the offer alerts the client, which fails at
    once too (issue 11), well before the 60 s handshake timeout."""
    client, server = ecdsa_pair
    client.set_srtp_profiles(["SRTP_AES128_CM_HMAC_SHA1_80"])
    server.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
    for conn in (client, server):
        conn.props.handshake_timeout = 60_000
    start = time.monotonic()
    cerr, serr = conns.handshake_both(client, server)
    assert time.monotonic() - start < 10
    assert_error(serr, TLS, Gio.TlsError.HANDSHAKE)
    assert "SRTP" in serr.message
    assert_error(cerr, TLS, Gio.TlsError.MISC)
    assert "Peer sent fatal DTLS alert: InsufficientSecurity" in cerr.message
    assert client.get_srtp_profile() is None


def test_without_srtp_there_are_no_keys(ecdsa_pair):
    """A server accepting profiles serves a client offering none."""
    client, server = ecdsa_pair
    server.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
    handshake(client, server)
    assert server.get_srtp_profile() is None
    assert client.get_srtp_profile() is None
    with pytest.raises(GLib.Error) as exc:
        client.get_srtp_keys()
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.NOT_AVAILABLE)


def test_srtp_keys_before_the_handshake_are_invalid_state(ecdsa_pair):
    client, _ = ecdsa_pair
    client.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
    with pytest.raises(GLib.Error) as exc:
        client.get_srtp_keys()
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.INVALID_STATE)


def test_unknown_profile_name_fails_the_handshake_with_invalid_argument(ecdsa_pair):
    client, _ = ecdsa_pair
    client.set_srtp_profiles(["SRTP_AES128_CM_SHA1_80"])  # OpenSSL's spelling, not IANA's
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert "SRTP_AES128_CM_SHA1_80" in exc.value.message and "SRTP_AES128_CM_HMAC_SHA1_80" in exc.value.message


# ---- against OpenSSL ---------------------------------------------------------------


def openssl_keying_material(peer, length):
    return bytes.fromhex(peer.wait_for(r"Keying material: ([0-9A-F]+)$").group(1))


def gio_socket(port, peer_port):
    s = conns.udp_socket(port)
    s.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", peer_port))
    return s


@pytest.mark.parametrize("profile", list(KEY_SALT))
def test_dtlsgo_client_with_openssl_server(pki, profile):
    key_len, salt_len = KEY_SALT[profile]
    length = 2 * (key_len + salt_len)
    port, own = netem.free_udp_ports(2)
    offered = [p for p in KEY_SALT if p != profile] + [profile]
    extra = ["-use_srtp", OPENSSL_NAMES[profile], "-keymatexport", "EXTRACTOR-dtls_srtp",
             "-keymatexportlen", str(length)]
    with peers.openssl_server(port, pki.server_ecdsa, extra=extra) as server:
        server.wait_for("^ACCEPT")
        client = Gio.DtlsClientConnection.new(gio_socket(own, port), Gio.NetworkAddress.new("localhost", 0))
        client.set_database(pki.file_database())
        client.set_srtp_profiles(offered)
        client.handshake(None)
        server.wait_for(f"^SRTP Extension negotiated, profile={OPENSSL_NAMES[profile]}$")
        assert client.get_srtp_profile() == profile
        theirs = openssl_keying_material(server, length)
        ck, cs, sk, ss = keys(client)
        assert theirs == ck + sk + cs + ss
        assert export(client, "EXTRACTOR-dtls_srtp", length) == theirs
        client.close(None)
        server.wait_for("^DONE$")


def test_openssl_client_with_dtlsgo_server(pki):
    profile, length = "SRTP_AES128_CM_HMAC_SHA1_80", 60
    port, peer_port = netem.free_udp_ports(2)
    extra = ["-use_srtp", "SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80",
             "-keymatexport", "EXPERIMENTAL-dtlsgo", "-keymatexportlen", str(length)]
    sock = gio_socket(port, peer_port)  # bound first: s_client gives up if refused
    with peers.openssl_client(port, peer_port, ca=str(pki.root.cert), extra=extra) as client:
        server = Gio.DtlsServerConnection.new(sock, pki.server_ecdsa.tls_certificate())
        server.set_srtp_profiles([profile, "SRTP_AEAD_AES_128_GCM"])
        server.handshake(None)
        assert server.get_srtp_profile() == profile
        client.wait_for(f"^SRTP Extension negotiated, profile={OPENSSL_NAMES[profile]}$")
        assert openssl_keying_material(client, length) == export(server, "EXPERIMENTAL-dtlsgo", length)
        client.close_stdin()
        assert server.receive_bytes(0, 10 * SECOND, None) is None
        server.close(None)
        assert client.finish() == 0


def test_server_without_profiles_refuses_a_client_offering_srtp(ecdsa_pair):
    """pion/dtls answers an offer it cannot serve with insufficient_security
    instead of ignoring the extension (documented on srtp-profiles)."""
    client, server = ecdsa_pair
    client.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
    cerr, serr = conns.handshake_both(client, server)
    assert cerr is not None and serr is not None
    assert "InsufficientSecurity" in cerr.message and "SRTP" in serr.message
