"""Pre-shared keys (RFC 4279) through gi.repository.DtlsGo (issue 8):
identity and key on the client, the psk-requested signal on the server,
handshakes with no certificate at all."""
import threading
import time

import pytest
from gi.repository import DtlsGo, Gio, GLib

import conns
import netem
import peers
from streams import assert_error

IO = GLib.quark_to_string(Gio.io_error_quark())
TLS = GLib.quark_to_string(Gio.tls_error_quark())
KEY = bytes(range(32))


def psk_pair(server_cert=None, sockets=None):
    cs, ss = sockets or conns.udp_pair()
    client = Gio.DtlsClientConnection.new(cs, None)
    server = Gio.DtlsServerConnection.new(ss, server_cert)
    return client, server


def key_table(table, calls=None):
    """A psk-requested handler answering from table, noting its calls."""
    def handler(conn, identity):
        if calls is not None:
            calls.append((identity, threading.get_ident()))
        key = table.get(identity)
        return GLib.Bytes.new(key) if key is not None else None
    return handler


def test_certificate_less_handshake_and_exchange():
    client, server = psk_pair()
    client.set_psk("alice", GLib.Bytes.new(KEY))
    calls = []
    server.connect("psk-requested", key_table({"alice": KEY}, calls))
    t, res = conns.in_thread(server.handshake, None)
    client.handshake(None)
    t.join(10)
    assert res.error is None
    # The handler ran on the thread running the server's handshake.
    assert calls == [("alice", res.thread)]
    suite = client.get_ciphersuite_name()
    assert "_PSK_" in suite and suite == server.get_ciphersuite_name()
    assert suite in DtlsGo.get_cipher_suites()
    assert client.get_peer_certificate() is None and server.get_peer_certificate() is None
    client.send_bytes(GLib.Bytes.new(b"over a PSK"), -1, None)
    assert server.receive_bytes(0, 5_000_000, None).get_data() == b"over a PSK"
    label = "EXPERIMENTAL-psk"
    assert (client.export_keying_material(label, None, 16).get_data()
            == server.export_keying_material(label, None, 16).get_data())


def test_properties_and_the_identity_hint_on_the_wire():
    """The hint goes out in the ServerKeyExchange; the identity in the
    ClientKeyExchange (both in the clear, as RFC 4279 says)."""
    with netem.Proxy(keep=True) as proxy:
        client, server = psk_pair(sockets=conns.udp_pair_via(proxy))
        client.props.psk_identity = "device-17"
        client.props.psk = GLib.Bytes.new(KEY)
        assert client.props.psk.get_data() == KEY
        server.props.psk_identity_hint = "dtlsgo-hint"
        assert server.props.psk_identity_hint == "dtlsgo-hint"
        server.connect("psk-requested", key_table({"device-17": KEY}))
        assert conns.handshake_both(client, server) == (None, None)
        assert any(b"dtlsgo-hint" in d for d in proxy.seen[netem.S2C])
        assert any(b"device-17" in d for d in proxy.seen[netem.C2S])


def test_async_handshakes_ask_in_the_callers_context():
    client, server = psk_pair()
    client.set_psk("bob", GLib.Bytes.new(KEY))
    calls, done = [], {}
    server.connect("psk-requested", key_table({"bob": KEY}, calls))
    for name, conn in (("client", client), ("server", server)):
        conn.handshake_async(GLib.PRIORITY_DEFAULT, None,
                             lambda c, r, n: done.__setitem__(n, c.handshake_finish(r)), name)
    conns.iterate_until(lambda: len(done) == 2)
    assert done == {"client": True, "server": True}
    assert calls == [("bob", threading.get_ident())]


# Far below the 60 s handshake timeout: the sides fail on each other's alert.
PROMPT = 10


def handshake_promptly(client, server):
    for conn in (client, server):
        conn.props.handshake_timeout = 60_000
    start = time.monotonic()
    cerr, serr = conns.handshake_both(client, server, timeout=PROMPT)
    assert time.monotonic() - start < PROMPT
    return cerr, serr


@pytest.mark.parametrize("with_cert", [False, True])
def test_wrong_key_fails_both_sides_at_once(pki, with_cert):
    """The server cannot open the client's Finished: it answers decrypt_error
    (RFC 4279 2) and both sides say the keys differ."""
    cert = pki.server_ecdsa.tls_certificate() if with_cert else None
    client, server = psk_pair(cert)
    client.set_psk("alice", GLib.Bytes.new(b"not the key"))
    server.connect("psk-requested", key_table({"alice": KEY}))
    cerr, serr = handshake_promptly(client, server)
    for err in (cerr, serr):
        assert_error(err, TLS, Gio.TlsError.HANDSHAKE)
        assert "alice" in err.message and "differ" in err.message, err.message
    assert "decrypt_error" in serr.message and "DecryptError" in cerr.message
    assert not client.get_ciphersuite_name()


def test_unknown_identity_fails_both_sides_at_once_and_names_it():
    client, server = psk_pair()
    client.set_psk("mallory", GLib.Bytes.new(KEY))
    calls = []
    server.connect("psk-requested", key_table({"alice": KEY}, calls))
    cerr, serr = handshake_promptly(client, server)
    for err in (cerr, serr):
        assert_error(err, TLS, Gio.TlsError.HANDSHAKE)
        assert "mallory" in err.message and "unknown_psk_identity" in err.message, err.message
    assert "does not know" in cerr.message
    assert [c[0] for c in calls] == ["mallory"]


def test_first_handler_with_a_key_wins():
    client, server = psk_pair()
    client.set_psk("carol", GLib.Bytes.new(KEY))
    order = []
    server.connect("psk-requested", lambda c, i: order.append("first") or None)
    server.connect("psk-requested", lambda c, i: order.append("second") or GLib.Bytes.new(KEY))
    server.connect("psk-requested", lambda c, i: order.append("third") or GLib.Bytes.new(b"other"))
    assert conns.handshake_both(client, server) == (None, None)
    assert order == ["first", "second"]


def test_server_without_handler_offers_no_psk(pki):
    client, server = psk_pair(pki.server_ecdsa.tls_certificate())
    client.set_psk("alice", GLib.Bytes.new(KEY))
    cerr, serr = conns.handshake_both(client, server)
    assert cerr is not None and serr is not None


def test_server_with_certificate_and_psk_serves_both_kinds_of_client(pki):
    cert = pki.server_ecdsa.tls_certificate()
    client, server = psk_pair(cert)
    client.set_psk("alice", GLib.Bytes.new(KEY))
    server.connect("psk-requested", key_table({"alice": KEY}))
    assert conns.handshake_both(client, server) == (None, None)
    assert "_PSK_" in client.get_ciphersuite_name()

    client, server = psk_pair(cert)
    client.connect("accept-certificate", lambda *a: True)
    server.connect("psk-requested", key_table({"alice": KEY}))
    assert conns.handshake_both(client, server) == (None, None)
    assert "_PSK_" not in client.get_ciphersuite_name()
    assert client.get_peer_certificate().is_same(cert)


@pytest.mark.parametrize("identity,key", [(None, KEY), ("", KEY), ("alice", b"")])
def test_incomplete_psk_is_invalid_argument(identity, key):
    client, _ = psk_pair()
    client.set_psk(identity, GLib.Bytes.new(key))
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert exc.value.domain == IO and exc.value.code == Gio.IOErrorEnum.INVALID_ARGUMENT


@pytest.mark.parametrize("identity,key,theirs,ours", [
    ("alice", b"\x01" * 32, "alert decrypt error", "differs"),
    ("mallory", KEY, "alert unknown psk identity", "Unknown PSK identity"),
])
def test_openssl_client_hears_the_servers_alert(pki, identity, key, theirs, ours):
    """OpenSSL's s_client reads the alert the server sends itself (RFC 4279 2)."""
    port, peer_port = netem.free_udp_ports(2)
    # Bound first: s_client gives up if its ClientHello is refused.
    sock = conns.udp_socket(port)
    sock.connect(conns.inet_address(("127.0.0.1", peer_port)))
    extra = ["-psk", key.hex(), "-psk_identity", identity, "-cipher", "PSK"]
    with peers.openssl_client(port, peer_port, ca=str(pki.root.cert), extra=extra) as client:
        server = Gio.DtlsServerConnection.new(sock, None)
        server.connect("psk-requested", key_table({"alice": KEY}))
        server.props.handshake_timeout = 60_000
        with pytest.raises(GLib.Error) as exc:
            server.handshake(None)
        assert_error(exc.value, TLS, Gio.TlsError.HANDSHAKE)
        assert ours in exc.value.message
        client.wait_for(theirs)
        server.close(None)
