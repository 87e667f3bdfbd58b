"""DTLS connections through plain Gio: handshakes, datagrams, timeouts,
close, threads and main contexts (issue 4)."""
import threading
import time

import pytest
from gi.repository import Gio, GLib

import conns
import dgram

TLS = GLib.quark_to_string(Gio.tls_error_quark())
IO = GLib.quark_to_string(Gio.io_error_quark())


def assert_error(exc, domain, code):
    assert exc.domain == domain and exc.code == int(code), f"{exc.domain}:{exc.code} {exc.message}"


@pytest.fixture
def established(server_cert):
    client, server, cs, ss = conns.pair(server_cert)
    cerr, serr = conns.handshake_both(client, server)
    assert cerr is None and serr is None, (cerr, serr)
    yield client, server, cs, ss
    client.close(None)
    server.close(None)


# ---- handshakes -------------------------------------------------------------


def test_sync_handshake_in_two_threads_sets_properties(server_cert):
    client, server, _, _ = conns.pair(server_cert)
    notified = []
    client.connect("notify::ciphersuite-name", lambda *a: notified.append(threading.get_ident()))
    assert client.get_ciphersuite_name() is None
    assert client.get_protocol_version() == Gio.TlsProtocolVersion.UNKNOWN
    cerr, serr = conns.handshake_both(client, server)
    assert cerr is None and serr is None
    for conn in (client, server):
        assert conn.get_protocol_version() == Gio.TlsProtocolVersion.DTLS_1_2
        assert conn.get_ciphersuite_name().startswith("TLS_")
        assert conn.get_ciphersuite_name() == client.get_ciphersuite_name()
    assert client.get_peer_certificate().is_same(server_cert)
    assert server.get_peer_certificate() is None
    # notify ran on the thread that called handshake()
    assert notified == [threading.get_ident()]


def test_async_handshakes_share_one_main_context(server_cert):
    client, server, _, _ = conns.pair(server_cert, accept_all=False)
    main = threading.get_ident()
    done = {}

    def finished(conn, result, name):
        done[name] = (threading.get_ident(), conn.handshake_finish(result))

    accept_threads = []
    client.connect("accept-certificate", lambda *a: accept_threads.append(threading.get_ident()) or True)
    client.handshake_async(GLib.PRIORITY_DEFAULT, None, finished, "client")
    server.handshake_async(GLib.PRIORITY_DEFAULT, None, finished, "server")
    conns.iterate_until(lambda: len(done) == 2)
    assert done == {"client": (main, True), "server": (main, True)}
    assert accept_threads == [main]
    assert client.get_negotiated_protocol() is None


def test_async_handshake_in_a_thread_default_context(server_cert):
    """The server handshakes asynchronously on its own thread and context;
    its completion runs there, not on the caller of the client."""
    client, server, _, _ = conns.pair(server_cert)
    result = {}

    def server_thread():
        ctx = GLib.MainContext.new()
        ctx.push_thread_default()
        loop = GLib.MainLoop.new(ctx, False)

        def finished(conn, res):
            result["thread"] = threading.get_ident()
            result["ok"] = conn.handshake_finish(res)
            loop.quit()

        server.handshake_async(GLib.PRIORITY_DEFAULT, None, finished)
        loop.run()
        ctx.pop_thread_default()
        result["own"] = threading.get_ident()

    t = threading.Thread(target=server_thread)
    t.start()
    client.handshake(None)
    t.join(10)
    assert result["ok"] and result["thread"] == result["own"] != threading.get_ident()


def test_implicit_handshake_with_timeout_zero_while_iterating(server_cert):
    """The reference suite's pattern: non-blocking I/O retried while the
    caller iterates its main context."""
    client, server, _, _ = conns.pair(server_cert)
    got = []

    def poll_server():
        try:
            got.extend(dgram.receive(server, timeout=0))
        except GLib.Error as e:
            assert_error(e, IO, Gio.IOErrorEnum.WOULD_BLOCK)

    sent = False
    deadline = time.monotonic() + 10
    while not got:
        assert time.monotonic() < deadline
        if not sent:
            try:
                sent = dgram.send(client, [b"ping"], timeout=0) == 1
            except GLib.Error as e:
                assert_error(e, IO, Gio.IOErrorEnum.WOULD_BLOCK)
        poll_server()
        GLib.MainContext.default().iteration(False)
    assert got == [b"ping"]


def test_implicit_handshake_on_blocking_send(server_cert):
    client, server, _, _ = conns.pair(server_cert)
    t, res = conns.in_thread(dgram.receive, server, 1, 65536, 10_000_000)
    assert dgram.send(client, [b"first"], timeout=-1) == 1
    t.join(10)
    assert res.error is None and res.value == [b"first"]


def test_silent_server_gives_timed_out_within_the_read_timeout():
    client_sock, _silent = conns.udp_pair()
    client = conns.client_for(client_sock)
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(client, timeout=500_000)
    elapsed = time.monotonic() - start
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert 0.45 < elapsed < 2.0
    # The failed handshake is sticky, as a handshake error: the timeout
    # that ended it was not this call's.
    with pytest.raises(GLib.Error) as again:
        dgram.send(client, [b"x"], timeout=100_000)
    assert_error(again.value, TLS, Gio.TlsError.HANDSHAKE)


def test_cancelling_a_handshake_gives_cancelled():
    client_sock, _silent = conns.udp_pair()
    client = conns.client_for(client_sock)
    cancellable = Gio.Cancellable()
    GLib.timeout_add(200, lambda: cancellable.cancel() and False)
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        t, res = conns.in_thread(client.handshake, cancellable)
        conns.iterate_until(lambda: not t.is_alive())
        raise res.error
    assert_error(exc.value, IO, Gio.IOErrorEnum.CANCELLED)
    assert time.monotonic() - start < 3


def test_peer_that_is_not_dtls_gives_not_tls():
    client_sock, garbage = conns.udp_pair()
    client = conns.client_for(client_sock)
    stop = threading.Event()

    def babble():
        while not stop.is_set():
            try:
                garbage.send(b"HTTP/1.1 400 Bad Request\r\n\r\n", None)
            except GLib.Error:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=babble, daemon=True)
    t.start()
    try:
        with pytest.raises(GLib.Error) as exc:
            dgram.receive(client, timeout=600_000)
    finally:
        stop.set()
    assert_error(exc.value, TLS, Gio.TlsError.NOT_TLS)


# ---- datagrams ----------------------------------------------------------------


@pytest.mark.parametrize("timeout", [-1, 1_000_000_000, 0])
def test_send_timeouts(established, timeout):
    client, server, _, _ = established
    payloads = [b"a" * 10, b"b" * 1200, b""]
    sent = 0
    deadline = time.monotonic() + 5
    while sent < len(payloads):
        assert time.monotonic() < deadline
        try:
            sent += dgram.send(server, payloads[sent:], timeout=timeout)
        except GLib.Error as e:
            assert timeout == 0
            assert_error(e, IO, Gio.IOErrorEnum.WOULD_BLOCK)
    assert dgram.receive(client, count=3, timeout=5_000_000) == payloads


def test_scatter_gather_vectors(established):
    client, server, _, _ = established
    payload = bytes(range(256)) * 4
    assert dgram.send(client, [payload], vectors_per_message=3) == 1
    got = dgram.receive(server, timeout=5_000_000, vector_sizes=[100, 24, 1000])
    assert got == [payload]


def test_receive_waits_for_all_messages_when_blocking(established):
    client, server, _, _ = established
    t, res = conns.in_thread(dgram.receive, server, 3, 65536, -1)
    for i in range(3):
        time.sleep(0.05)
        dgram.send(client, [b"%d" % i])
    t.join(5)
    assert res.value == [b"0", b"1", b"2"]


def test_receive_with_positive_timeout_returns_what_arrived(established):
    client, server, _, _ = established
    dgram.send(client, [b"only one"])
    start = time.monotonic()
    got = dgram.receive(server, count=5, timeout=300_000)
    assert got == [b"only one"]
    assert time.monotonic() - start >= 0.25
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(server, count=1, timeout=100_000)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(server, count=1, timeout=0)
    assert_error(exc.value, IO, Gio.IOErrorEnum.WOULD_BLOCK)


def test_two_thousand_datagrams_arrive_intact_and_in_order(established):
    client, server, _, _ = established
    total, window = 2000, 20
    payloads = [(i.to_bytes(4, "big") * 250) for i in range(total)]
    received = []

    def receiver():
        while len(received) < total:
            got = dgram.receive(server, count=window, timeout=10_000_000)
            received.extend(got)
            if len(received) % window == 0:
                dgram.send(server, [b"ack"])

    t, res = conns.in_thread(receiver)
    for start in range(0, total, window):
        assert dgram.send(client, payloads[start:start + window]) == window
        assert dgram.receive(client, timeout=10_000_000) == [b"ack"]
    t.join(20)
    assert res.error is None
    assert len(received) == total
    assert received == payloads


def test_flags_are_invalid_argument(established):
    client, _, _, _ = established
    with pytest.raises(GLib.Error) as exc:
        dgram.send(client, [b"x"], flags=1)
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(client, timeout=0, flags=2)
    assert_error(exc.value, IO, Gio.IOErrorEnum.INVALID_ARGUMENT)


def test_oversized_payload_is_message_too_large_and_nothing_is_sent(established):
    client, server, _, _ = established
    with pytest.raises(GLib.Error) as exc:
        dgram.send(client, [b"x" * 20000])
    assert_error(exc.value, IO, Gio.IOErrorEnum.MESSAGE_TOO_LARGE)
    # A batch stops before the oversized message; the next call reports it.
    assert dgram.send(client, [b"fits", b"y" * 20000]) == 1
    assert dgram.receive(server, count=2, timeout=300_000) == [b"fits"]


def test_condition_check_and_source_follow_dtls_readiness(established):
    client, server, _, _ = established
    assert server.condition_check(GLib.IOCondition.IN) == 0
    assert server.condition_check(GLib.IOCondition.OUT) == GLib.IOCondition.OUT
    fired = []
    dgram.add_watch(server, GLib.IOCondition.IN, lambda cond: fired.append(cond) or False)
    GLib.MainContext.default().iteration(False)
    assert fired == []
    dgram.send(client, [b"wake up"])
    conns.iterate_until(lambda: fired)
    assert fired == [GLib.IOCondition.IN]
    assert server.condition_check(GLib.IOCondition.IN) == GLib.IOCondition.IN
    assert server.condition_wait(GLib.IOCondition.IN, 0, None)
    assert dgram.receive(server, timeout=0) == [b"wake up"]
    with pytest.raises(GLib.Error) as exc:
        server.condition_wait(GLib.IOCondition.IN, 50_000, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)


# ---- close --------------------------------------------------------------------


def test_close_sends_close_notify_and_leaves_the_base_socket_open(established):
    client, server, cs, _ = established
    client.close(None)
    client.close(None)  # twice is fine
    assert not cs.is_closed()
    for _ in range(3):
        assert dgram.receive(server, timeout=5_000_000) == []
    for op in (lambda: dgram.send(client, [b"x"]), lambda: dgram.receive(client, timeout=0)):
        with pytest.raises(GLib.Error) as exc:
            op()
        assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)


def test_close_from_another_thread_wakes_a_blocked_receive(established):
    client, _, _, _ = established
    t, res = conns.in_thread(dgram.receive, client, 1, 65536, -1)
    time.sleep(0.2)
    assert t.is_alive()
    start = time.monotonic()
    client.close(None)
    t.join(2)
    assert not t.is_alive() and time.monotonic() - start < 1
    assert_error(res.error, IO, Gio.IOErrorEnum.CLOSED)


def test_shutdown_write_only_refuses_sends(established):
    client, _, _, _ = established
    client.shutdown(False, True, None)
    with pytest.raises(GLib.Error) as exc:
        dgram.send(client, [b"x"])
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)


def test_close_async_completes_in_the_callers_context(established):
    client, server, _, _ = established
    done = []
    client.close_async(GLib.PRIORITY_DEFAULT, None,
                       lambda c, r: done.append((threading.get_ident(), c.close_finish(r))))
    conns.iterate_until(lambda: done)
    assert done == [(threading.get_ident(), True)]
    assert dgram.receive(server, timeout=5_000_000) == []


def test_closing_before_any_handshake(server_cert):
    client, _, cs, _ = conns.pair(server_cert)
    client.close(None)
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    assert not cs.is_closed()


# ---- ALPN ---------------------------------------------------------------------


def test_alpn_server_choice_on_both_peers(server_cert):
    client, server, _, _ = conns.pair(server_cert)
    client.set_advertised_protocols(["h2", "coap", "echo"])
    server.set_advertised_protocols(["echo", "coap"])
    assert conns.handshake_both(client, server) == (None, None)
    assert client.get_negotiated_protocol() == "echo"
    assert server.get_negotiated_protocol() == "echo"
    assert client.props.negotiated_protocol == "echo"
    assert list(client.props.advertised_protocols) == ["h2", "coap", "echo"]


def test_alpn_without_overlap_fails_both_sides(server_cert):
    client, server, _, _ = conns.pair(server_cert)
    client.set_advertised_protocols(["h2"])
    server.set_advertised_protocols(["coap"])
    cerr, serr = conns.handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.MISC)
    assert "no application protocol" in cerr.message.lower() or "NoApplicationProtocol" in cerr.message
    assert_error(serr, TLS, Gio.TlsError.HANDSHAKE)


def test_alpn_disabled_with_none(server_cert):
    client, server, _, _ = conns.pair(server_cert)
    client.set_advertised_protocols(None)
    server.set_advertised_protocols(["coap"])
    assert conns.handshake_both(client, server) == (None, None)
    assert client.get_negotiated_protocol() is None and server.get_negotiated_protocol() is None


# ---- lifetime -----------------------------------------------------------------


def test_no_reference_is_leaked(server_cert):
    client, server, cs, ss = conns.pair(server_cert)
    assert conns.handshake_both(client, server) == (None, None)
    dgram.send(client, [b"x"])
    assert dgram.receive(server, timeout=5_000_000) == [b"x"]
    client.close(None)
    server.close(None)
    for _ in range(5):
        GLib.MainContext.default().iteration(False)
    assert client.__grefcount__ == 1
    assert server.__grefcount__ == 1
    assert cs.__grefcount__ == 2 and ss.__grefcount__ == 2  # ours + the connection's
    del client, server
    assert cs.__grefcount__ == 1 and ss.__grefcount__ == 1
