"""Hostile peers of stream TLS (issue 13), on a raw TCP socket: garbage and
other protocols instead of TLS; real handshake flights (Python's ssl,
made for each connection) cut at every kind of point, then closed or
stalled; after the handshake, a record stopped halfway, records the peer
did not seal, and a peer that stops reading. Each ends in GLib's error,
without a hang (a stall ends by the GSocket's timeout or a cancel) or a
CRITICAL (fatal in this suite); a stall is not sticky after the handshake.
The DTLS side's equivalent is test_hostile_input.py."""
import random
import socket
import ssl

import pytest
from gi.repository import Gio, GLib

import rawtls
from tlsstreams import IO, TLS, Background, assert_error

V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
E = Gio.TlsError
STALL = 0.1  # how long a stalled peer waits before the test cancels (no assertion rides on it)


def generic(gio_end):
    """A base driven through GIO on GLib threads, over gio_end's streams."""
    return Gio.SimpleIOStream.new(gio_end.get_input_stream(), gio_end.get_output_stream())


class Attack:
    """A dtlsgo connection (side: "client" or "server") facing a raw peer
    that speaks real TLS through rawtls.Peer when asked to."""

    def __init__(self, pki, side, version=None, base=None):
        self.gio_end, self.raw = rawtls.socket_pair()
        self.base = stream = (base or (lambda s: s))(self.gio_end)
        if side == "server":
            self.conn = Gio.TlsServerConnection.new(stream, pki.server_ecdsa.tls_certificate())
            self.peer = rawtls.Peer(self.raw, rawtls.context("client", version), server_side=False)
        else:
            self.conn = Gio.TlsClientConnection.new(stream, Gio.NetworkAddress.new("localhost", 443))
            self.conn.set_database(pki.file_database())
            self.peer = rawtls.Peer(self.raw, rawtls.context("server", version, pki.server_ecdsa),
                                    server_side=True)
        self.cancellable = Gio.Cancellable()

    def start_handshake(self):
        self.handshaking = Background(self._handshake)
        return self

    def _handshake(self):
        try:
            self.conn.handshake(self.cancellable)
        except GLib.Error as e:
            return e

    def handshake_error(self):
        return self.handshaking.result(30)

    def established(self):
        self.start_handshake()
        self.peer.handshake()
        assert self.handshake_error() is None
        return self

    def read(self, size=100_000):
        """What one blocking read returns: bytes, or the GLib.Error."""
        try:
            return self.conn.get_input_stream().read_bytes(size, self.cancellable).get_data()
        except GLib.Error as e:
            return e

    def close(self):
        self.raw.close()
        try:
            self.conn.close(None)
        except GLib.Error as e:  # the peer is gone: close_notify may not go
            assert_error(e, IO, Gio.IOErrorEnum.BROKEN_PIPE)


def assert_sticky(attack, domain, code):
    """A failed handshake's error comes back from the next read."""
    assert_error(attack.read(), domain, code)


# ---- not TLS at all, or TLS gone wrong in its first record ----------------------------

_rng = random.Random("stream garbage")
NOT_TLS = {
    "http-request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "http-response": b"HTTP/1.0 400 Bad Request\r\n\r\n",
    "ssh-banner": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
    "smtp-greeting": b"220 mail.example ESMTP\r\n",
    "zeros": bytes(64),
    "random": _rng.randbytes(2000),
    "sslv2-client-hello": bytes.fromhex("802e0103010015000000100000030000060000040000050000070000080000090000"),
    "oversized-record": b"\x16\x03\x01\xff\xff" + _rng.randbytes(100),
    "application-data-first": b"\x17\x03\x03\x00\x10" + _rng.randbytes(16),
    "change-cipher-spec-first": b"\x14\x03\x03\x00\x01\x01",
}
BAD_HANDSHAKE = {
    "handshake-record-of-garbage": b"\x16\x03\x01\x00\x40" + _rng.randbytes(64),
    "finished-instead-of-hello": b"\x16\x03\x01\x00\x08\x14\x00\x00\x04abcd",
    "empty-handshake-record": b"\x16\x03\x01\x00\x00",
}
EXPECTED = {**{k: (TLS, E.NOT_TLS) for k in NOT_TLS}, **{k: (TLS, E.HANDSHAKE) for k in BAD_HANDSHAKE},
            "fatal-alert": (TLS, E.MISC)}
SENT = {**NOT_TLS, **BAD_HANDSHAKE, "fatal-alert": b"\x15\x03\x01\x00\x02\x02\x28"}


@pytest.mark.parametrize("then_close", [False, True], ids=["then-stays", "then-closes"])
@pytest.mark.parametrize("name", sorted(SENT))
@pytest.mark.parametrize("side", ["server", "client"])
def test_a_peer_that_does_not_speak_tls(pki, side, name, then_close):
    attack = Attack(pki, side).start_handshake()
    if side == "client":
        assert attack.raw.recv(65536)[:1] == b"\x16"  # our ClientHello went out
    attack.raw.sendall(SENT[name])
    if then_close:
        attack.raw.shutdown(socket.SHUT_WR)
    error = attack.handshake_error()
    assert_error(error, *EXPECTED[name])
    if name == "fatal-alert":
        assert "handshake failure" in error.message
    assert_sticky(attack, *EXPECTED[name])
    attack.close()


# ---- a real flight, cut ----------------------------------------------------------------

# (side under attack, version, which of the peer's flights, coalesced):
# the peer's first flight is its hello, the client's second carries its
# Finished. coalesced puts the plaintext handshake messages of a flight in
# one record (as TLS allows), so that cuts fall between messages of one
# record too.
FLIGHTS = {
    "client-hello-1.2": ("server", V12, 1, False),
    "client-hello-1.3": ("server", V13, 1, False),
    "client-finished-1.2": ("server", V12, 2, False),
    "client-finished-1.3": ("server", V13, 2, False),
    "server-hello-flight-1.2": ("client", V12, 1, False),
    "server-hello-flight-1.2-one-record": ("client", V12, 1, True),
    "server-hello-flight-1.3": ("client", V13, 1, False),
}


def flight_to_cut(attack, which, coalesced):
    """The peer's flight number which, unsent (those before it sent whole)."""
    flight = attack.peer.next_flight()
    for _ in range(which - 1):
        attack.raw.sendall(flight)
        flight = attack.peer.next_flight()
    return rawtls.coalesce(flight) if coalesced else flight


def cut_flight(pki, flight_name, pick, ending):
    """For each cut of the flight pick chooses, a fresh connection whose
    peer sends the flight up to the cut, then ends as ending says;
    returns [(offset, what the cut falls in, the handshake's error)]. The
    cuts are counted anew on each connection's own flight (a signature's
    length varies)."""
    side, version, which, coalesced = FLIGHTS[flight_name]
    outcomes, count = [], None
    while count is None or len(outcomes) < count:
        attack = Attack(pki, side, version)
        if ending == "timeout":
            attack.gio_end.get_socket().set_timeout(1)
        attack.start_handshake()
        flight = flight_to_cut(attack, which, coalesced)
        cuts = list(pick(rawtls.cut_points(flight)).items())
        count = count or len(cuts)
        assert len(cuts) == count
        offset, what = cuts[len(outcomes)]
        attack.raw.sendall(flight[:offset])
        if ending == "close":
            attack.raw.shutdown(socket.SHUT_WR)
        elif ending == "cancel":
            GLib.usleep(int(STALL * 1e6))
            attack.cancellable.cancel()
        outcomes.append((offset, what, attack.handshake_error()))
        if ending == "timeout":  # sticky in a handshake, as GLib's
            assert_sticky(attack, IO, Gio.IOErrorEnum.TIMED_OUT)
        attack.close()
    return outcomes


def assert_all(outcomes, domain, code):
    wrong = [(o, what, e and (e.domain, e.code, e.message)) for o, what, e in outcomes
             if e is None or e.domain != domain or e.code != int(code)]
    assert wrong == [], f"{len(wrong)} of {len(outcomes)} cuts"


@pytest.mark.parametrize("flight", sorted(FLIGHTS))
def test_a_flight_cut_anywhere_then_closed_is_not_tls(pki, flight):
    assert_all(cut_flight(pki, flight, lambda cuts: cuts, "close"), TLS, E.NOT_TLS)


@pytest.mark.parametrize("flight", sorted(FLIGHTS))
def test_a_flight_cut_anywhere_then_stalled_ends_when_cancelled(pki, flight):
    assert_all(cut_flight(pki, flight, lambda cuts: cuts, "cancel"), IO, Gio.IOErrorEnum.CANCELLED)


@pytest.mark.parametrize("flight", sorted(FLIGHTS))
def test_a_flight_cut_then_stalled_times_out_with_the_socket(pki, flight):
    """One cut of each kind (a second each: the GSocket's timeout)."""
    assert_all(cut_flight(pki, flight, rawtls.one_cut_per_kind, "timeout"), IO, Gio.IOErrorEnum.TIMED_OUT)


# ---- after the handshake --------------------------------------------------------------

BASES = {"socket": None, "generic": generic}
RECORD = b"a record stopped halfway " * 40


@pytest.mark.parametrize("version", [V12, V13], ids=["1.2", "1.3"])
@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("ending", ["timeout", "cancel"])
def test_a_peer_that_stops_mid_record_then_goes_on(pki, version, base, ending):
    """The read ends (the GSocket's timeout, or a cancel), the connection
    lives on: once the rest of the record comes, it reads whole."""
    attack = Attack(pki, "client", version, BASES[base]).established()
    sealed = attack.peer.seal(RECORD)
    if ending == "timeout":
        attack.gio_end.get_socket().set_timeout(1)
    attack.raw.sendall(sealed[:len(sealed) // 2])
    reading = Background(attack.read)
    if ending == "cancel":
        GLib.usleep(int(STALL * 1e6))
        attack.cancellable.cancel()
    code = Gio.IOErrorEnum.TIMED_OUT if ending == "timeout" else Gio.IOErrorEnum.CANCELLED
    assert_error(reading.result(30), IO, code)
    attack.cancellable = None
    attack.raw.sendall(sealed[len(sealed) // 2:])
    got = b""
    while len(got) < len(RECORD):
        chunk = attack.read()
        assert isinstance(chunk, bytes) and chunk, chunk
        got += chunk
    assert got == RECORD
    attack.close()


@pytest.mark.parametrize("require_close_notify", [True, False])
@pytest.mark.parametrize("base", sorted(BASES))
def test_a_peer_that_closes_mid_record_is_eof(pki, base, require_close_notify):
    """Cut inside a record, the stream lost data: G_TLS_ERROR_EOF, even
    when a clean end needs no close_notify."""
    attack = Attack(pki, "client", V13, BASES[base]).established()
    attack.conn.set_require_close_notify(require_close_notify)
    whole, cut = attack.peer.seal(b"whole"), attack.peer.seal(RECORD)
    attack.raw.sendall(whole + cut[:-1])
    attack.raw.shutdown(socket.SHUT_WR)
    assert attack.read() == b"whole"
    assert_error(attack.read(), TLS, E.EOF)
    attack.close()


FORGED = {
    "garbage": lambda sealed: b"HTTP/1.1 200 OK\r\n\r\n",
    "bad-mac": lambda sealed: sealed[:-1] + bytes([sealed[-1] ^ 1]),
    "wrong-version": lambda sealed: sealed[:2] + bytes([sealed[2] ^ 0x10]) + sealed[3:],
    "random": lambda sealed: random.Random("forged").randbytes(300),
}


@pytest.mark.parametrize("version", [V12, V13], ids=["1.2", "1.3"])
@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("forgery", sorted(FORGED))
def test_a_record_the_peer_did_not_seal_is_misc(pki, version, base, forgery):
    """What glib-networking's GnuTLS backend says too ("An unexpected TLS
    packet was received", "Decryption has failed"); nothing forged is read."""
    attack = Attack(pki, "client", version, BASES[base]).established()
    attack.raw.sendall(attack.peer.seal(b"genuine") + FORGED[forgery](attack.peer.seal(b"forged")))
    assert attack.read() == b"genuine"
    assert_error(attack.read(), TLS, E.MISC)
    attack.close()


@pytest.mark.parametrize("base", sorted(BASES))
def test_a_peer_that_stops_reading_times_out_writes_and_close(pki, base):
    """With a GSocket timeout, a write the peer never reads times out, and
    so does the close (its close_notify cannot go), which still closes the
    base: the application is never stuck."""
    attack = Attack(pki, "client", V13, BASES[base]).established()
    attack.gio_end.get_socket().set_timeout(1)
    with pytest.raises(GLib.Error) as exc:
        attack.conn.get_output_stream().write_all(bytes(64 << 20), None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    closing = Background(attack.conn.close, None)
    with pytest.raises(GLib.Error) as exc:
        closing.result(30)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert attack.conn.is_closed() and attack.base.is_closed()
    attack.raw.close()
