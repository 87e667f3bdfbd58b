"""GLib's postconditions on every operation's error paths (issue 11).

- A handshake that fails under an operation whose timeout is -1 or 0, or
  under an async form, ends that operation with an error GLib allows for
  its timeout: the handshake's own bound is G_TLS_ERROR_HANDSHAKE naming
  it; G_IO_ERROR_TIMED_OUT only ever means the caller's own timeout > 0
  expired. The failure is sticky: every later operation reports it again.
- An already-cancelled GCancellable makes every operation fail with
  G_IO_ERROR_CANCELLED and send nothing, as GSocket does.
- Once closed, handshake() and handshake_async() return G_IO_ERROR_CLOSED.

GLib itself checks the first point (a CRITICAL, fatal in this suite, and
the error dropped); each test also asserts the outcome a caller sees.
"""
import time

import pytest
from gi.repository import Gio, GLib

import conns
import dgram
from streams import IO, SECOND, TLS, assert_error, b

HANDSHAKE_TIMEOUT_MS = 300


def assert_handshake_timed_out(exc, after="0.3s"):
    assert_error(exc, TLS, Gio.TlsError.HANDSHAKE)
    assert f"timed out after {after}" in exc.message, exc.message


def silent_client():
    """A client whose server never answers; its handshake gives up after
    HANDSHAKE_TIMEOUT_MS."""
    silent, client = conns.silent_peer_and_client()
    client.props.handshake_timeout = HANDSHAKE_TIMEOUT_MS
    return silent, client


def poll(op, timeout=10):
    """Calls op (a timeout-0 operation) until it stops failing with
    WOULD_BLOCK, iterating the default main context; returns its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return op()
        except GLib.Error as e:
            if not e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.WOULD_BLOCK):
                raise
        assert time.monotonic() < deadline, "still WOULD_BLOCK"
        GLib.MainContext.default().iteration(False)
        time.sleep(0.005)


def _async(start, finish, *args):
    """An async operation as a call: c.start(*args, priority, k, callback)
    in the default main context, iterated until the callback ran, then
    c.finish(result)."""
    def call(c, k):
        results = []
        getattr(c, start)(*args, GLib.PRIORITY_DEFAULT, k, lambda _obj, res: results.append(res))
        conns.iterate_until(lambda: results, 10)
        return getattr(c, finish)(results[0])
    return call


# Every operation that takes a cancellable, called on connection c with
# cancellable k; "(0)" ones never block.
OPS = {
    "send_bytes(-1)": lambda c, k: c.send_bytes(b(b"x"), -1, k),
    "send_bytes(0)": lambda c, k: c.send_bytes(b(b"x"), 0, k),
    "send_bytes(1s)": lambda c, k: c.send_bytes(b(b"x"), SECOND, k),
    "receive_bytes(-1)": lambda c, k: c.receive_bytes(0, -1, k),
    "receive_bytes(0)": lambda c, k: c.receive_bytes(0, 0, k),
    "receive_bytes(1s)": lambda c, k: c.receive_bytes(0, SECOND, k),
    "send_messages(-1)": lambda c, k: dgram.send(c, [b"x"], timeout=-1, cancellable=k),
    "send_messages(0)": lambda c, k: dgram.send(c, [b"x"], timeout=0, cancellable=k),
    "send_messages(1s)": lambda c, k: dgram.send(c, [b"x"], timeout=SECOND, cancellable=k),
    "receive_messages(-1)": lambda c, k: dgram.receive(c, timeout=-1, cancellable=k),
    "receive_messages(0)": lambda c, k: dgram.receive(c, timeout=0, cancellable=k),
    "receive_messages(1s)": lambda c, k: dgram.receive(c, timeout=SECOND, cancellable=k),
    "condition_wait(IN, -1)": lambda c, k: dgram.condition_wait(c, GLib.IOCondition.IN, -1, k),
    "condition_wait(IN, 1s)": lambda c, k: dgram.condition_wait(c, GLib.IOCondition.IN, SECOND, k),
    "condition_wait(OUT, 1s)": lambda c, k: dgram.condition_wait(c, GLib.IOCondition.OUT, SECOND, k),
    "handshake": lambda c, k: c.handshake(k),
    "handshake_async": _async("handshake_async", "handshake_finish"),
    "send_bytes_async": _async("send_bytes_async", "send_bytes_finish", b(b"x")),
    "receive_bytes_async": _async("receive_bytes_async", "receive_bytes_finish", 0),
    "shutdown": lambda c, k: c.shutdown(True, True, k),
    "shutdown(write)": lambda c, k: c.shutdown(False, True, k),
    "close": lambda c, k: c.close(k),
    "shutdown_async": _async("shutdown_async", "shutdown_finish", True, True),
    "close_async": _async("close_async", "close_finish"),
}

# Every way to start an implicit (or explicit) handshake with no bound of
# the caller's own: -1, 0 (polled) and the async forms.
FIRST_OPS = [
    "send_bytes(-1)", "receive_bytes(-1)", "send_messages(-1)", "receive_messages(-1)",
    "send_bytes(0)", "receive_bytes(0)", "send_messages(0)", "receive_messages(0)",
    "send_bytes_async", "receive_bytes_async", "handshake", "handshake_async",
]

# What a later call sees: the same failure, at once, whatever its timeout.
LATER_OPS = FIRST_OPS + ["send_bytes(1s)", "receive_bytes(1s)", "send_messages(1s)",
                         "receive_messages(1s)"]


def start_handshake(name, client):
    """The first op, polled while it would block."""
    if "(0)" in name:
        return poll(lambda: OPS[name](client, None))
    return OPS[name](client, None)


def assert_sticky(client, check):
    for name in LATER_OPS:
        start = time.monotonic()
        with pytest.raises(GLib.Error) as exc:
            OPS[name](client, None)
        check(exc.value)
        assert time.monotonic() - start < 0.9, f"{name} waited for a handshake that already failed"


@pytest.mark.parametrize("name", FIRST_OPS)
def test_handshake_timeout_is_a_handshake_error_for_every_op(name):
    silent, client = silent_client()
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        start_handshake(name, client)
    assert_handshake_timed_out(exc.value)
    assert time.monotonic() - start < 5
    assert_sticky(client, assert_handshake_timed_out)
    client.close(None)
    silent.close()


def test_the_callers_own_timeout_is_timed_out_and_stays_a_handshake_error_after():
    """An operation whose own timeout (> 0) ends the handshake gets
    TIMED_OUT; every later one gets the handshake's failure, which names
    that timeout."""
    silent, client = silent_client()
    client.props.handshake_timeout = 10_000
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        dgram.receive(client, timeout=SECOND // 2)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert time.monotonic() - start < 3
    assert_sticky(client, lambda e: assert_handshake_timed_out(e, after="0.5s"))
    client.close(None)
    silent.close()


def test_a_handshake_joined_with_timeout_minus_one_reports_the_starters_failure():
    """A second caller (another thread, timeout -1) waiting for the
    handshake another op started with a short timeout."""
    silent, client = silent_client()
    client.props.handshake_timeout = 10_000
    starter, started = conns.in_thread(dgram.receive, client, 1, 65536, SECOND // 2)
    time.sleep(0.1)
    with pytest.raises(GLib.Error) as exc:
        client.send_bytes(b(b"x"), -1, None)
    starter.join(5)
    assert_error(started.error, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert_handshake_timed_out(exc.value, after="0.5s")
    client.close(None)
    silent.close()


@pytest.mark.parametrize("timeout", [0, 100_000])
def test_condition_wait_not_met_in_time_is_timed_out(ecdsa_pair, timeout):
    """GLib documents TIMED_OUT for a condition_wait whose condition is not
    met in time, timeout 0 included (GSocket and glib-networking: 'Socket
    I/O timed out'); it does not start a handshake."""
    client, server = ecdsa_pair
    for conn in (client, server):
        with pytest.raises(GLib.Error) as exc:
            dgram.condition_wait(conn, GLib.IOCondition.IN, timeout)
        assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert conns.handshake_both(client, server) == (None, None)
    with pytest.raises(GLib.Error) as exc:
        dgram.condition_wait(client, GLib.IOCondition.IN, timeout)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)


# ---- An already-cancelled GCancellable ---------------------------------------


def cancelled():
    c = Gio.Cancellable()
    c.cancel()
    return c


def assert_cancelled(exc):
    assert_error(exc, IO, Gio.IOErrorEnum.CANCELLED)


def assert_nothing_arrives(sock):
    """Nothing reaches sock (a GSocket nobody reads) for 0.3 s."""
    with pytest.raises(GLib.Error) as exc:
        sock.condition_timed_wait(GLib.IOCondition.IN, 300_000, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)


CANCELLED_BEFORE_HANDSHAKE = [
    "send_bytes(-1)", "send_bytes(0)", "receive_bytes(-1)", "receive_bytes(0)",
    "send_messages(-1)", "send_messages(0)", "receive_messages(-1)", "receive_messages(1s)",
    "condition_wait(IN, 1s)", "condition_wait(OUT, 1s)", "handshake", "handshake_async",
    "send_bytes_async", "receive_bytes_async", "shutdown", "close", "shutdown_async", "close_async",
]


@pytest.mark.parametrize("name", CANCELLED_BEFORE_HANDSHAKE)
def test_pre_cancelled_op_before_the_handshake_sends_nothing(server_cert, name):
    """CANCELLED, no ClientHello on the wire, and the connection is left as
    it was: a handshake afterwards completes."""
    client, server, _, ss = conns.pair(server_cert)
    with pytest.raises(GLib.Error) as exc:
        OPS[name](client, cancelled())
    assert_cancelled(exc.value)
    assert_nothing_arrives(ss)
    assert conns.handshake_both(client, server) == (None, None)
    client.close(None)
    server.close(None)


SENDS_AFTER_HANDSHAKE = [
    "send_bytes(-1)", "send_bytes(0)", "send_messages(-1)", "send_messages(0)", "send_bytes_async",
    "shutdown", "shutdown(write)", "close", "shutdown_async", "close_async", "handshake",
    "handshake_async",
]


@pytest.fixture
def established(ecdsa_pair):
    client, server = ecdsa_pair
    assert conns.handshake_both(client, server) == (None, None)
    return ecdsa_pair


@pytest.mark.parametrize("name", SENDS_AFTER_HANDSHAKE)
def test_pre_cancelled_op_after_the_handshake_sends_nothing(established, name):
    """CANCELLED; the peer receives nothing (no record, no close_notify),
    and the connection still carries data both ways."""
    client, server = established
    with pytest.raises(GLib.Error) as exc:
        OPS[name](client, cancelled())
    assert_cancelled(exc.value)
    with pytest.raises(GLib.Error) as silence:
        server.receive_bytes(0, 300_000, None)
    assert_error(silence.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    client.send_bytes(b(b"still open"), -1, None)
    assert server.receive_bytes(0, 5 * SECOND, None).get_data() == b"still open"
    server.send_bytes(b(b"both ways"), -1, None)
    assert client.receive_bytes(0, 5 * SECOND, None).get_data() == b"both ways"


RECEIVES_AFTER_HANDSHAKE = [
    "receive_bytes(-1)", "receive_bytes(0)", "receive_messages(-1)", "receive_messages(0)",
    "receive_bytes_async", "condition_wait(IN, -1)",
]


@pytest.mark.parametrize("name", RECEIVES_AFTER_HANDSHAKE)
def test_pre_cancelled_receive_takes_nothing(established, name):
    """With a record ready, a cancelled receive takes none: CANCELLED, and
    the record is still there for the next receive."""
    client, server = established
    client.send_bytes(b(b"queued"), -1, None)
    dgram.condition_wait(server, GLib.IOCondition.IN, 5 * SECOND)
    with pytest.raises(GLib.Error) as exc:
        OPS[name](server, cancelled())
    assert_cancelled(exc.value)
    assert server.receive_bytes(0, 5 * SECOND, None).get_data() == b"queued"


# ---- handshake after close ------------------------------------------------


@pytest.mark.parametrize("name", ["handshake", "handshake_async"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_handshake_after_close_is_closed(server_cert, name, when):
    """Closed before any handshake, or after a completed one."""
    client, server, _, _ = conns.pair(server_cert)
    if when == "after":
        assert conns.handshake_both(client, server) == (None, None)
    client.close(None)
    with pytest.raises(GLib.Error) as exc:
        OPS[name](client, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    server.close(None)
