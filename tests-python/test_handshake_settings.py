"""The handshake's timing and size as DtlsGo properties, and SSLKEYLOGFILE
(issue 8): handshake-timeout, retransmission-interval, mtu, and the NSS
key log Wireshark reads."""
import os
import socket
import threading
import time

import pytest
from gi.repository import Gio, GLib

import conns
import netem
import peers
from streams import IO, SECOND


def test_handshake_timeout_bounds_the_handshake():
    silent, client = conns.silent_peer_and_client()
    client.props.handshake_timeout = 500
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    elapsed = time.monotonic() - start
    # The handshake's own bound, not a caller's timeout (GLib keeps
    # TIMED_OUT for those).
    assert exc.value.matches(Gio.tls_error_quark(), Gio.TlsError.HANDSHAKE), exc.value.message
    assert "timed out after 0.5s" in exc.value.message
    assert 0.4 < elapsed < 2.0
    silent.close()


def count_client_hellos(interval, window):
    """ClientHellos a silent server receives within window seconds."""
    silent, client = conns.silent_peer_and_client()
    if interval:
        client.props.retransmission_interval = interval
    client.props.handshake_timeout = int(window * 1000)
    t, _ = conns.in_thread(client.handshake, None)
    seen = []
    silent.settimeout(0.05)
    deadline = time.monotonic() + window - 0.1
    while time.monotonic() < deadline:
        try:
            seen.append(silent.recv(4096))
        except socket.timeout:
            pass
    t.join(5)
    silent.close()
    return seen


def test_retransmission_interval():
    """The first flight goes out at 0, then after interval, 2x, 4x...: with
    100 ms, at 0, 0.1, 0.3, 0.7 s; with the default 1 s, once in 0.9 s."""
    fast = count_client_hellos(100, 1.0)
    default = count_client_hellos(None, 1.0)
    assert len(fast) >= 3, len(fast)
    assert len(default) == 1, len(default)
    assert all(d[0] == netem.HANDSHAKE for d in fast + default)


def largest_server_datagram(pki, mtu):
    with netem.Proxy(keep=True) as proxy:
        cs, ss = conns.udp_pair_via(proxy)
        client = conns.client_for(cs)
        server = Gio.DtlsServerConnection.new(ss, pki.server.tls_certificate())  # RSA chain
        if mtu:
            server.props.mtu = mtu
        assert conns.handshake_both(client, server) == (None, None)
        client.send_bytes(GLib.Bytes.new(bytes(1000)), -1, None)
        assert len(server.receive_bytes(0, 5 * SECOND, None).get_data()) == 1000
        return max(len(d) for d in proxy.seen[netem.S2C])


def test_mtu_bounds_handshake_datagrams(pki):
    assert largest_server_datagram(pki, 400) <= 400
    assert 400 < largest_server_datagram(pki, None) <= 1200


# ---- SSLKEYLOGFILE ------------------------------------------------------------------


@pytest.fixture
def keylog(tmp_path, monkeypatch):
    """SSLKEYLOGFILE for this test; GLib reads it at each handshake."""
    path = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(path))
    return path


def client_random(client_hello):
    # record header (13), handshake header (12), client_version (2)
    return client_hello[27:59].hex()


def test_key_log_has_the_sessions_client_random(pki, keylog):
    keylog.write_text("# kept\n")
    with netem.Proxy(keep=True) as proxy:
        client, server, = None, None
        cs, ss = conns.udp_pair_via(proxy)
        client = conns.client_for(cs)
        server = Gio.DtlsServerConnection.new(ss, pki.server_ecdsa.tls_certificate())
        assert conns.handshake_both(client, server) == (None, None)
        hellos = [d for d in proxy.seen[netem.C2S] if d[0] == netem.HANDSHAKE and d[13] == 1]
    lines = keylog.read_text().splitlines()
    assert lines[0] == "# kept"  # appended, not truncated
    randoms = {client_random(h) for h in hellos}
    assert len(randoms) == 1
    # Both peers log the session (one line each), in NSS's format.
    logged = [line.split() for line in lines[1:]]
    assert len(logged) == 2 and logged[0] == logged[1]
    label, random, secret = logged[0]
    assert label == "CLIENT_RANDOM" and random in randoms and len(secret) == 96


def test_key_log_matches_openssls(pki, keylog, tmp_path):
    theirs = tmp_path / "openssl.log"
    port, own = netem.free_udp_ports(2)
    with peers.openssl_server(port, pki.server_ecdsa, extra=["-keylogfile", theirs]) as server:
        server.wait_for("^ACCEPT")
        sock = conns.udp_socket(own)
        sock.connect(conns.inet_address(("127.0.0.1", port)))
        client = conns.client_for(sock)
        client.handshake(None)
        client.send_bytes(GLib.Bytes.new(b"logged\n"), -1, None)
        server.wait_for("^logged$")
        client.close(None)
        server.wait_for("^DONE$")
    ours = [line for line in keylog.read_text().splitlines() if not line.startswith("#")]
    assert ours == [line for line in theirs.read_text().splitlines() if not line.startswith("#")]


def test_unwritable_key_log_is_ignored(pki, monkeypatch, tmp_path):
    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "no" / "such" / "dir" / "keys.log"))
    client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate())
    assert conns.handshake_both(client, server) == (None, None)


def test_no_key_log_without_the_variable(pki, tmp_path, monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    monkeypatch.chdir(tmp_path)
    client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate())
    assert conns.handshake_both(client, server) == (None, None)
    assert list(tmp_path.iterdir()) == []


def test_concurrent_handshakes_share_the_log(pki, keylog):
    def one():
        client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate())
        assert conns.handshake_both(client, server) == (None, None)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    lines = keylog.read_text().splitlines()
    assert len(lines) == 8 and all(len(line.split()) == 3 for line in lines)
    assert len({line.split()[1] for line in lines}) == 4
    assert os.stat(keylog).st_mode & 0o077 == 0  # secrets: owner only
