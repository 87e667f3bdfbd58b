"""DtlsGo.Connection.send_bytes / receive_bytes and their async forms
(issue 8): datagram I/O from Python with no ctypes, with the timeout,
error, close and threading behaviour of GIO's send_messages and
receive_messages."""
import threading
import time

import pytest
from gi.repository import DtlsGo, Gio, GLib

import conns
import dgram
from streams import b

IO = GLib.quark_to_string(Gio.io_error_quark())


def assert_io_error(exc, code):
    assert exc.domain == IO and exc.code == int(code), f"{exc.domain}:{exc.code} {exc.message}"


@pytest.fixture
def established(ecdsa_pair):
    client, server = ecdsa_pair
    assert conns.handshake_both(client, server) == (None, None)
    return ecdsa_pair


# ---- sync --------------------------------------------------------------------


def test_exchange_with_implicit_handshake(ecdsa_pair):
    """The first send_bytes performs the handshake, as send_messages does;
    the server's blocking receive_bytes runs beside it in a thread (the
    call drops the GIL)."""
    client, server = ecdsa_pair
    t, res = conns.in_thread(server.receive_bytes, 0, 10_000_000, None)
    assert client.send_bytes(b(b"hello"), 10_000_000, None)
    t.join(10)
    assert res.error is None and res.value.get_data() == b"hello"
    assert server.send_bytes(b(b"world"), -1, None)
    assert client.receive_bytes(0, 5_000_000, None).get_data() == b"world"
    assert client.get_protocol_version() == Gio.TlsProtocolVersion.DTLS_1_2


def test_bytes_and_messages_are_the_same_records(established):
    client, server = established
    dgram.send(client, [b"via send_messages"])
    assert server.receive_bytes(0, 5_000_000, None).get_data() == b"via send_messages"
    server.send_bytes(b(b"via send_bytes"), -1, None)
    assert dgram.receive(client, timeout=5_000_000) == [b"via send_bytes"]


def test_empty_and_largest_records(established):
    client, server = established
    client.send_bytes(b(b""), -1, None)
    got = server.receive_bytes(0, 5_000_000, None)
    assert got is not None and got.get_size() == 0
    big = bytes(range(256)) * 31 + bytes(128)  # 8064 bytes, the largest payload
    client.send_bytes(b(big), -1, None)
    assert server.receive_bytes(0, 5_000_000, None).get_data() == big


def test_too_large_is_refused_and_nothing_is_sent(established):
    client, server = established
    with pytest.raises(GLib.Error) as exc:
        client.send_bytes(b(bytes(8065)), -1, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.MESSAGE_TOO_LARGE)
    with pytest.raises(GLib.Error) as exc:
        server.receive_bytes(0, 300_000, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.TIMED_OUT)


def test_max_size_cuts_a_record_as_a_datagram_socket_does(established):
    client, server = established
    client.send_bytes(b(b"0123456789"), -1, None)
    client.send_bytes(b(b"next"), -1, None)
    assert server.receive_bytes(4, 5_000_000, None).get_data() == b"0123"
    # The rest of the cut record is gone; the next record is whole.
    assert server.receive_bytes(4096, 5_000_000, None).get_data() == b"next"


def test_timeouts(established):
    client, _ = established
    with pytest.raises(GLib.Error) as exc:
        client.receive_bytes(0, 0, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.WOULD_BLOCK)
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        client.receive_bytes(0, 500_000, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.TIMED_OUT)
    assert 0.45 < time.monotonic() - start < 2.0


def test_timeout_zero_starts_the_handshake_in_the_background(ecdsa_pair):
    client, server = ecdsa_pair
    server.handshake_async(GLib.PRIORITY_DEFAULT, None, lambda *a: None)
    with pytest.raises(GLib.Error) as exc:
        client.send_bytes(b(b"x"), 0, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.WOULD_BLOCK)
    sent = []

    def retry():
        try:
            sent.append(client.send_bytes(b(b"x"), 0, None))
        except GLib.Error as e:
            assert_io_error(e, Gio.IOErrorEnum.WOULD_BLOCK)
        return bool(sent)

    conns.iterate_until(retry)
    assert server.receive_bytes(0, 5_000_000, None).get_data() == b"x"


def test_cancelled_receive(established):
    client, _ = established
    cancellable = Gio.Cancellable()
    threading.Timer(0.2, cancellable.cancel).start()
    with pytest.raises(GLib.Error) as exc:
        client.receive_bytes(0, -1, cancellable)
    assert_io_error(exc.value, Gio.IOErrorEnum.CANCELLED)


def test_close_wakes_a_blocked_receive_and_later_calls_fail_closed(established):
    client, _ = established
    t, res = conns.in_thread(client.receive_bytes, 0, -1, None)
    time.sleep(0.2)
    client.close(None)
    t.join(5)
    assert not t.is_alive()
    assert_io_error(res.error, Gio.IOErrorEnum.CLOSED)
    with pytest.raises(GLib.Error) as exc:
        client.send_bytes(b(b"x"), -1, None)
    assert_io_error(exc.value, Gio.IOErrorEnum.CLOSED)


def test_peer_close_is_none_every_time(established):
    client, server = established
    client.send_bytes(b(b"last"), -1, None)
    client.close(None)
    assert server.receive_bytes(0, 5_000_000, None).get_data() == b"last"
    assert server.receive_bytes(0, 5_000_000, None) is None
    assert server.receive_bytes(0, 0, None) is None


def test_handshake_errors_are_reported_and_sticky(pki):
    client, server, _, _ = conns.pair(pki.server_ecdsa.tls_certificate(), accept_all=False)
    # No handler and an unknown CA: the client rejects the server.
    t, _ = conns.in_thread(server.handshake, None)
    with pytest.raises(GLib.Error) as exc:
        client.send_bytes(b(b"x"), 5_000_000, None)
    assert exc.value.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)
    with pytest.raises(GLib.Error) as again:
        client.receive_bytes(0, 5_000_000, None)
    assert again.value.matches(Gio.tls_error_quark(), Gio.TlsError.BAD_CERTIFICATE)
    t.join(10)


# ---- async ----------------------------------------------------------------------


def run_until(results, count, timeout=10):
    conns.iterate_until(lambda: len(results) >= count, timeout)


def test_async_exchange_in_one_main_context(ecdsa_pair):
    """Both handshakes start implicitly from the async calls; every callback
    runs on the thread iterating the context."""
    client, server = ecdsa_pair
    main = threading.get_ident()
    results = {}

    def received(conn, res, name):
        results[name] = (threading.get_ident(), conn.receive_bytes_finish(res).get_data())

    def sent(conn, res, name):
        results[name] = (threading.get_ident(), conn.send_bytes_finish(res))

    server.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received, "server got")
    client.send_bytes_async(b(b"ping"), GLib.PRIORITY_DEFAULT, None, sent, "client sent")
    run_until(results, 2)
    assert results == {"server got": (main, b"ping"), "client sent": (main, True)}
    client.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received, "client got")
    server.send_bytes_async(b(b"pong"), GLib.PRIORITY_DEFAULT, None, sent, "server sent")
    run_until(results, 4)
    assert results["client got"] == (main, b"pong")


def test_async_in_a_thread_default_context(established):
    """The callback runs in the context that was thread-default at the call,
    on the thread iterating it."""
    client, server = established
    result = {}

    def server_thread():
        ctx = GLib.MainContext.new()
        ctx.push_thread_default()
        loop = GLib.MainLoop.new(ctx, False)

        def received(conn, res):
            result["thread"] = threading.get_ident()
            result["data"] = conn.receive_bytes_finish(res).get_data()
            loop.quit()

        server.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received)
        result["ready"] = True
        loop.run()
        ctx.pop_thread_default()
        result["own"] = threading.get_ident()

    t = threading.Thread(target=server_thread)
    t.start()
    conns.iterate_until(lambda: result.get("ready"))
    client.send_bytes(b(b"to the thread"), -1, None)
    t.join(10)
    assert result["data"] == b"to the thread"
    assert result["thread"] == result["own"] != threading.get_ident()


def test_async_cancel_and_errors(established):
    client, server = established
    results = []

    def received(conn, res):
        try:
            results.append(conn.receive_bytes_finish(res))
        except GLib.Error as e:
            results.append(e)

    cancellable = Gio.Cancellable()
    client.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, cancellable, received)
    GLib.timeout_add(100, lambda: cancellable.cancel() or False)
    run_until(results, 1)
    assert_io_error(results[0], Gio.IOErrorEnum.CANCELLED)

    # A pending receive ends with CLOSED when the connection closes.
    client.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received)
    GLib.timeout_add(100, lambda: client.close(None) and False)
    run_until(results, 2)
    assert_io_error(results[1], Gio.IOErrorEnum.CLOSED)

    # The server sees the client's close_notify: None, not an error.
    server.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None, received)
    run_until(results, 3)
    assert results[2] is None

    def sent(conn, res):
        try:
            results.append(conn.send_bytes_finish(res))
        except GLib.Error as e:
            results.append(e)

    server.send_bytes_async(b(bytes(9000)), GLib.PRIORITY_DEFAULT, None, sent)
    run_until(results, 4)
    assert_io_error(results[3], Gio.IOErrorEnum.MESSAGE_TOO_LARGE)


def test_many_pending_receives_each_get_one_record(established):
    client, server = established
    got = []
    for _ in range(5):
        server.receive_bytes_async(0, GLib.PRIORITY_DEFAULT, None,
                                   lambda conn, res: got.append(conn.receive_bytes_finish(res).get_data()))
    for i in range(5):
        client.send_bytes(b(b"r%d" % i), -1, None)
    run_until(got, 5)
    assert sorted(got) == [b"r0", b"r1", b"r2", b"r3", b"r4"]
