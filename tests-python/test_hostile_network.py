"""dtlsgo over a hostile network (issue 6), through the netem proxy:
loss, duplication, reordering and delay; total loss; a peer that vanishes
mid-stream; a peer that restarts and handshakes again on the same address.

The long versions run under DTLSGO_LONG_TESTS=1 (see the README).
"""
import json
import subprocess
import sys
import time

import pytest
from gi.repository import Gio, GLib

import conns
import dgram
import netem
import peers
from longrun import scale
from streams import IO, SECOND, TLS, assert_error, stream


# ---- loss, duplication, reordering ---------------------------------------------------

IMPAIRED = dict(loss=0.20, duplicate=0.10, reorder=0.10, delay=(0.0, 0.005))


def test_handshakes_in_a_row_under_loss_duplication_and_reordering(pki):
    """20 % loss, 10 % duplication, 10 % reordering, 0-5 ms delay: 100
    handshakes all complete, and no application datagram arrives corrupted
    or twice. CI runs 10 lanes of 10 handshakes in a row, side by side;
    DTLSGO_LONG_TESTS=1 runs the 100 strictly one after the other and 40
    datagrams each way instead of 20. In a child process whose handshake
    bound is raised to 300 s (see lossy_handshakes.py: with RFC 6347's
    back-off the default 60 s is too short for such a link)."""
    lanes, per_lane = scale((10, 10), (1, 100))
    settings = dict(IMPAIRED, cert=str(pki.server_ecdsa.chain), key=str(pki.server_ecdsa.key),
                    lanes=lanes, per_lane=per_lane, datagrams=scale(20, 40), seed="lossy")
    proc = subprocess.run([sys.executable, str(peers.HERE / "lossy_handshakes.py"), json.dumps(settings)],
                          env=peers.gio_env("dtlsgo", {"DTLSGO_HANDSHAKE_TIMEOUT": "300"}),
                          capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    res = json.loads(lines[-1][len("RESULT "):])
    totals, seconds = res["totals"], sorted(res["totals"].pop("seconds"))
    print(f"\nimpaired network: {totals}; handshake seconds: median {seconds[len(seconds) // 2]}, "
          f"slowest {seconds[-3:]}")
    assert res["backend"] == "DtlsGoBackend"
    assert res["failures"] == []
    assert totals["handshakes"] == lanes * per_lane == 100
    # The impairments really happened, application datagrams were among
    # the duplicates, and DTLS's replay protection dropped each duplicate
    # (stream() saw none twice).
    assert totals["dropped"] > 0 and totals["reordered"] > 0
    assert totals["appdata_duplicated"] > 0
    assert 0.6 * totals["sent"] < totals["arrived"] < totals["sent"]


def test_duplicated_application_datagrams_arrive_once(server_cert):
    """Every datagram doubled (no loss): the application sees each once."""
    with netem.Proxy(seed="dup", duplicate=1.0) as proxy:
        cs, ss = conns.udp_pair_via(proxy)
        client, server = conns.client_for(cs), Gio.DtlsServerConnection.new(ss, server_cert)
        assert conns.handshake_both(client, server) == (None, None)
        assert sorted(stream(client, server, "dup", 50)) == list(range(50))
        assert proxy.stats[netem.C2S].appdata_duplicated >= 50
        client.close(None)
        server.close(None)


# ---- total loss ------------------------------------------------------------------------


def test_total_loss_times_out_within_the_operation_timeout(server_cert):
    with netem.Proxy(seed="void", loss=1.0) as proxy:
        cs, ss = conns.udp_pair_via(proxy)
        client, server = conns.client_for(cs), Gio.DtlsServerConnection.new(ss, server_cert)
        t, res = conns.in_thread(dgram.receive, server, 1, 65536, SECOND)
        start = time.monotonic()
        with pytest.raises(GLib.Error) as exc:
            dgram.send(client, [b"lost"], timeout=SECOND)
        elapsed = time.monotonic() - start
        assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
        assert 0.9 < elapsed < 3
        t.join(5)
        assert not t.is_alive()
        assert_error(res.error, IO, Gio.IOErrorEnum.TIMED_OUT)
        # The client retransmitted its ClientHello at least once; nothing got through.
        assert proxy.stats[netem.C2S].seen >= 1 and proxy.stats[netem.C2S].delivered == 0


def test_total_loss_ends_handshake_at_the_configured_bound(server_cert):
    """handshake() has no timeout of its own: DTLSGO_HANDSHAKE_TIMEOUT
    (read when the module loads) bounds it. The client runs in its own
    process with the variable set to 2 s."""
    with netem.Proxy(seed="void", loss=1.0) as proxy:
        port = netem.free_udp_port()
        silent_server = conns.udp_socket()
        proxy.connect(("127.0.0.1", port), conns.address_of(silent_server))
        client = peers.gio_peer("dtlsgo", dict(role="client", port=port, peer_port=proxy.front_address[1]),
                                extra_env={"DTLSGO_HANDSHAKE_TIMEOUT": "2"})
        client.wait_for("^BOUND")
        start = time.monotonic()
        res = client.result(timeout=20)
        elapsed = time.monotonic() - start
        assert res["backend"] == "DtlsGoBackend"
        assert res["error"][:2] == [TLS, int(Gio.TlsError.HANDSHAKE)], res
        assert "timed out after 2s" in res["error"][2], res
        assert 1.5 < elapsed < 6, elapsed
        assert proxy.stats[netem.C2S].seen >= 2  # it kept retransmitting until the bound


# ---- a peer that vanishes --------------------------------------------------------------


@pytest.mark.parametrize("backend", ["dtlsgo", "glib-networking"])
def test_peer_that_vanishes_mid_stream(pki, backend):
    """The server (another process) is killed while datagrams flow. DTLS
    has no keepalive: the client sees silence (its receives time out),
    its sends still succeed (UDP; the ICMP errors are ignored), and
    close() returns at once."""
    cred = pki.server_ecdsa
    cs = conns.udp_socket()
    port = netem.free_udp_port()
    cs.connect(conns.inet_address(("127.0.0.1", port)))
    server = peers.gio_peer(backend, dict(role="server", mode="echo", port=port,
                                          peer_port=conns.address_of(cs)[1],
                                          cert=cred.chain, key=cred.key))
    with server:
        server.wait_for("^BOUND")
        client = conns.client_for(cs)
        client.handshake(None)
        for i in range(20):
            dgram.send(client, [b"echo %d" % i])
            assert dgram.receive(client, timeout=5 * SECOND) == [b"echo %d" % i]
        server.kill()
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(client, timeout=500_000)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert time.monotonic() - start < 2
    for i in range(5):
        assert dgram.send(client, [b"into the void"], timeout=SECOND) == 1
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(client, timeout=300_000)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    start = time.monotonic()
    client.close(None)
    assert time.monotonic() - start < 1
    assert not cs.is_closed()


def test_link_cut_mid_stream_then_restored(server_cert):
    """The path goes dark for a while (100 % loss), then comes back: the
    connection carries on, with only the datagrams sent in the dark lost."""
    with netem.Proxy(seed="cut") as proxy:
        cs, ss = conns.udp_pair_via(proxy)
        client, server = conns.client_for(cs), Gio.DtlsServerConnection.new(ss, server_cert)
        assert conns.handshake_both(client, server) == (None, None)
        assert sorted(stream(client, server, "before", 10)) == list(range(10))
        proxy.set(loss=1.0)
        assert stream(client, server, "dark", 10) == []
        proxy.set(loss=0.0)
        assert sorted(stream(client, server, "after", 10)) == list(range(10))
        assert sorted(stream(server, client, "back", 10)) == list(range(10))
        client.close(None)
        server.close(None)


# ---- a peer that restarts ---------------------------------------------------------------


@pytest.mark.parametrize("backend", ["dtlsgo", "glib-networking"])
def test_client_restarts_and_handshakes_again_on_the_same_address(pki, backend):
    """A client process dies and a new one comes back from the same port.
    What a GLib server does, and what this proves works: its old
    connection (on the socket connected to that address) goes silent;
    the server closes it and makes a new GDtlsServerConnection on the same
    socket, which handshakes with the new client. Only one connection may
    read a socket at a time (each reads every datagram it can), so the old
    one is closed first. The new client's first ClientHello may be eaten by
    the old connection before it closes; the client retransmits it."""
    cred = pki.server_ecdsa
    ss = conns.udp_socket()
    server_port = conns.address_of(ss)[1]
    client_port = netem.free_udp_port()
    ss.connect(conns.inet_address(("127.0.0.1", client_port)))
    settings = dict(role="client", mode="exchange", port=client_port, peer_port=server_port)

    def serve_one():
        server = Gio.DtlsServerConnection.new(ss, cred.tls_certificate())
        server.handshake(None)
        got = dgram.receive(server, timeout=10 * SECOND)
        dgram.send(server, [b"pong"])
        return server, got

    first = peers.gio_peer(backend, dict(settings, mode="echo"))
    with first:
        server = Gio.DtlsServerConnection.new(ss, cred.tls_certificate())
        server.handshake(None)
        dgram.send(server, [b"to the first client"])
        assert dgram.receive(server, timeout=5 * SECOND) == [b"to the first client"]  # echoed
        first.kill()  # no close_notify
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(server, timeout=300_000)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)

    second = peers.gio_peer(backend, settings)
    with second:
        second.wait_for("^BOUND")
        # The old connection sees the new ClientHello as noise: nothing
        # reaches the application and it does not fail.
        with pytest.raises(GLib.Error) as exc:
            dgram.receive(server, timeout=300_000)
        assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
        server.close(None)
        assert not ss.is_closed()
        start = time.monotonic()
        new_server, got = serve_one()
        assert got == [f"ping from {backend}".encode()]
        res = second.result()
        assert res.get("received") == ["pong"], res
        assert dgram.receive(new_server, timeout=5 * SECOND) == []  # its close_notify
        new_server.close(None)
        print(f"\nre-handshake with the restarted client took {time.monotonic() - start:.2f} s")


@pytest.mark.parametrize("backend", ["dtlsgo", "glib-networking"])
def test_server_restarts_and_client_handshakes_again(pki, backend):
    """The server process dies and a new one listens on the same port. The
    client's old connection talks into the void (the new server drops
    records of a session it never had); the client closes it and makes a
    new GDtlsClientConnection on the same socket."""
    cred = pki.server_ecdsa
    cs = conns.udp_socket()
    port = netem.free_udp_port()
    cs.connect(conns.inet_address(("127.0.0.1", port)))
    settings = dict(role="server", mode="echo", port=port, peer_port=conns.address_of(cs)[1],
                    cert=cred.chain, key=cred.key)
    first = peers.gio_peer(backend, settings)
    with first:
        first.wait_for("^BOUND")
        client = conns.client_for(cs)
        client.handshake(None)
        dgram.send(client, [b"one"])
        assert dgram.receive(client, timeout=5 * SECOND) == [b"one"]
        first.kill()
    second = peers.gio_peer(backend, settings)
    with second:
        second.wait_for("^BOUND")
        dgram.send(client, [b"old session"])
        with pytest.raises(GLib.Error) as exc:
            dgram.receive(client, timeout=500_000)
        assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
        client.close(None)
        client = conns.client_for(cs)
        client.handshake(None)
        dgram.send(client, [b"new session"])
        assert dgram.receive(client, timeout=5 * SECOND) == [b"new session"]
        client.close(None)
        second.wait_for("^CLOSE_NOTIFY")
        assert second.result()["received"] == ["new session"]
