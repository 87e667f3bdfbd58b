"""Hostile input (issue 6): what a third party on the path, or a broken
network, can put in front of an established dtlsgo connection — garbage
datagrams, records of every shape, truncated and oversized records,
records with a bad MAC, replayed records, spoofed alerts, stray
handshake messages. RFC 6347 4.1.2.7: invalid records are silently
discarded. The test proves each is dropped and the connection carries on
both ways, intact; and what DTLS cannot authenticate during a handshake
(a plaintext fatal alert) is reported as GLib documents.
"""
import random
import struct
import threading

import pytest
from gi.repository import Gio, GLib

import conns
import dgram
import netem
from netem import ALERT, APPLICATION_DATA, C2S, CHANGE_CIPHER_SPEC, HANDSHAKE, S2C, Record
from streams import assert_error, drain, stream

TLS = GLib.quark_to_string(Gio.tls_error_quark())
DTLS12 = b"\xfe\xfd"


class Link:
    """An established client/server pair through a proxy that keeps every
    datagram it relays."""

    def __init__(self, server_cert, **proxy_args):
        self.proxy = netem.Proxy(seed="hostile", keep=True, **proxy_args).start()
        cs, ss = conns.udp_pair_via(self.proxy)
        self.client = conns.client_for(cs)
        self.server = Gio.DtlsServerConnection.new(ss, server_cert)

    def handshake(self):
        assert conns.handshake_both(self.client, self.server) == (None, None)
        return self

    def inject_both_ways(self, datagrams):
        for d in datagrams:
            self.proxy.inject(C2S, d)
            self.proxy.inject(S2C, d)

    def carries_on(self, tag, count=10):
        """Both directions deliver every datagram, intact and once; and
        nothing the attacker sent reached the application."""
        assert sorted(stream(self.client, self.server, tag + "-up", count, idle=0.25)) == list(range(count))
        assert sorted(stream(self.server, self.client, tag + "-down", count, idle=0.25)) == list(range(count))

    def appdata(self, direction):
        """Application-data datagrams the proxy relayed in direction."""
        return [d for d in self.proxy.seen[direction] if netem.is_application_data(d)]

    def close(self):
        self.client.close(None)
        self.server.close(None)
        self.proxy.stop()


@pytest.fixture
def link(server_cert):
    link = Link(server_cert).handshake()
    link.carries_on("warm-up")
    yield link
    link.close()


def rec(typ, epoch, seq, body, version=DTLS12, length=None):
    return Record(typ, version, epoch, seq, body).encode(length)


# ---- what the attacker sends ----------------------------------------------------------


def garbage():
    rng = random.Random("garbage")
    out = [b"", b"\x00", b"\x16", b"HTTP/1.1 400 Bad Request\r\n\r\n", b"\xff" * 13,
           rng.randbytes(65000)]
    out += [rng.randbytes(rng.randint(1, 1500)) for _ in range(50)]
    return out


def record_shapes():
    """Well-formed record headers of every content type, epoch and
    version around the valid ones, with bodies of telling lengths."""
    rng = random.Random("shapes")
    out = []
    for typ in (CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, 24, 25, 26, 0, 255):
        for epoch in (0, 1, 2, 0xFFFF):
            for n in (0, 1, 2, 3, 12, 25, 100, 1200):
                out.append(rec(typ, epoch, rng.randrange(1 << 48), rng.randbytes(n)))
    for version in (b"\xfe\xff", b"\x03\x03", b"\x00\x00"):
        out.append(rec(APPLICATION_DATA, 1, 1000, rng.randbytes(40), version=version))
    # Several records in one datagram, the last one cut short.
    out.append(b"".join(rec(APPLICATION_DATA, 1, 2000 + i, rng.randbytes(30)) for i in range(5))[:-7])
    return out


def truncated(captured):
    """Real records of this connection, cut short; and headers whose
    length says more than follows."""
    out = []
    for d in captured[:5]:
        out += [d[:1], d[:5], d[:12], d[:13], d[:14], d[:len(d) // 2], d[:-1]]
    out.append(rec(APPLICATION_DATA, 1, 5000, b"\x00" * 40, length=41))
    out.append(rec(APPLICATION_DATA, 1, 5001, b"\x00" * 40, length=0xFFFF))
    return out


def oversized(captured):
    """Records larger than DTLS allows (2^14 + 2048 ciphertext), and the
    largest UDP datagram filled with a real record's header."""
    rng = random.Random("oversized")
    head = captured[0][:11]
    out = [rec(APPLICATION_DATA, 1, 6000, rng.randbytes(16384 + 2048 + 1)),
           rec(APPLICATION_DATA, 1, 6001, rng.randbytes(65507 - 13)),
           rec(HANDSHAKE, 0, 6002, rng.randbytes(40000)),
           head + struct.pack("!H", 65507 - 13) + rng.randbytes(65507 - 13)]
    return out


def bad_mac(captured):
    """Real records of this connection with one bit flipped in the
    ciphertext, in the tag, or in the header the MAC covers."""
    out = []
    for d in captured[:8]:
        for i in (13, len(d) // 2, len(d) - 1, 5, 10):  # body start, middle, tag; seq bytes
            if i < len(d):
                out.append(d[:i] + bytes([d[i] ^ 0x01]) + d[i + 1:])
    return out


def spoofed_alerts():
    """Plaintext alerts a third party can forge: fatal ones, close_notify,
    malformed ones; and epoch-1 alerts it cannot encrypt."""
    rng = random.Random("alerts")
    out = []
    for level, desc in ((2, 40), (2, 20), (2, 10), (2, 51), (1, 0), (2, 0), (1, 100), (2, 80)):
        out.append(rec(ALERT, 0, rng.randrange(1 << 48), bytes([level, desc])))
        out.append(rec(ALERT, 1, rng.randrange(1 << 48), bytes([level, desc]) + rng.randbytes(24)))
    out += [rec(ALERT, 0, 7000, b"\x02"), rec(ALERT, 0, 7001, b"\x02\x28\x00"), rec(ALERT, 0, 7002, b"")]
    return out


def stray_handshakes():
    """Handshake-layer records out of place: a fresh ClientHello-shaped
    message, a HelloVerifyRequest, a Finished at epoch 0, a
    ChangeCipherSpec, malformed fragments."""
    rng = random.Random("handshakes")
    out = []
    for msg_type in (1, 3, 2, 11, 12, 14, 16, 20, 0, 255):
        body = rng.randbytes(rng.randint(0, 60))
        hs = bytes([msg_type]) + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" \
            + len(body).to_bytes(3, "big") + body
        out.append(rec(HANDSHAKE, 0, rng.randrange(1 << 48), hs))
        out.append(rec(HANDSHAKE, 0, rng.randrange(1 << 48), hs[:7]))
    out += [rec(CHANGE_CIPHER_SPEC, 0, 8000, b"\x01"), rec(CHANGE_CIPHER_SPEC, 0, 8001, b"\x02"),
            rec(CHANGE_CIPHER_SPEC, 0, 8002, b"\x01\x01")]
    return out


def epoch0_application_data():
    """Application data in the clear: never valid in DTLS."""
    return [rec(APPLICATION_DATA, 0, 9000 + i, b"spoofed plaintext %d" % i) for i in range(5)]


# ---- the tests ------------------------------------------------------------------------


@pytest.mark.parametrize("attack", [garbage, record_shapes, spoofed_alerts, stray_handshakes,
                                    epoch0_application_data])
def test_injected_datagrams_are_dropped_and_the_connection_carries_on(link, attack):
    link.inject_both_ways(attack())
    assert drain(link.server, idle=0.25) == [] and drain(link.client, idle=0.25) == []
    link.carries_on(attack.__name__)


@pytest.mark.parametrize("attack", [truncated, oversized, bad_mac])
def test_mangled_records_of_the_connection_are_dropped(link, attack):
    link.inject_both_ways(attack(link.appdata(C2S)) + attack(link.appdata(S2C)))
    assert drain(link.server, idle=0.25) == [] and drain(link.client, idle=0.25) == []
    link.carries_on(attack.__name__)


def test_replayed_records_are_dropped(link):
    """Every application record that crossed, sent again later (and in
    reverse order): DTLS's replay window drops them all."""
    up, down = link.appdata(C2S), link.appdata(S2C)
    assert len(up) >= 10 and len(down) >= 10
    for d in reversed(up):
        link.proxy.inject(C2S, d)
    for d in reversed(down):
        link.proxy.inject(S2C, d)
    assert drain(link.server, idle=0.25) == [] and drain(link.client, idle=0.25) == []
    link.carries_on("after-replay")
    # ... and also the records of the stream that just crossed.
    for d in link.appdata(C2S)[len(up):]:
        link.proxy.inject(C2S, d)
    assert drain(link.server, idle=0.25) == []


def every_other_appdata(mutate):
    """A tamper function mangling every second application-data datagram."""
    count = {C2S: 0, S2C: 0}
    lock = threading.Lock()

    def tamper(direction, datagram):
        if not netem.is_application_data(datagram):
            return [datagram]
        with lock:
            count[direction] += 1
            hit = count[direction] % 2 == 0
        return [mutate(datagram)] if hit else [datagram]
    return tamper


@pytest.mark.parametrize("mutate, mangled_arrive", [
    (lambda d: d[:-1] + bytes([d[-1] ^ 0x80]), False),         # the tag
    (lambda d: d[:20] + bytes([d[20] ^ 0x01]) + d[21:], False),  # the ciphertext
    (lambda d: d[:len(d) // 2], False),                          # truncated
    # Bytes after a whole record are not a record; the record itself is
    # authentic: pion drops the datagram, dtlsgo's record layer (after the
    # handshake) keeps the record. Either way nothing arrives corrupted.
    (lambda d: d + b"\x00" * 7, None),
], ids=["bad-tag", "bad-ciphertext", "truncated", "trailing-bytes"])
def test_records_mangled_in_flight_are_lost_not_delivered(server_cert, mutate, mangled_arrive):
    link = Link(server_cert).handshake()
    try:
        link.proxy.tamper = every_other_appdata(mutate)
        for tag, (a, b) in (("up", (link.client, link.server)), ("down", (link.server, link.client))):
            # Datagrams 1, 3, 5... (0-based) are mangled; stream() checks
            # that whatever arrives is intact and arrives once.
            got = set(stream(a, b, tag, 20, idle=0.25))
            assert set(range(0, 20, 2)) <= got
            if mangled_arrive is False:
                assert got == set(range(0, 20, 2))
        link.proxy.tamper = None
        link.carries_on("clean")
    finally:
        link.close()


def test_garbage_during_the_handshake_does_not_stop_it(server_cert):
    """Noise before every handshake datagram, both ways: dropped, and the
    handshake completes."""
    rng = random.Random("noise")
    lock = threading.Lock()

    def noisy(direction, datagram):
        with lock:
            junk = [rng.randbytes(rng.randint(1, 300)),
                    rec(APPLICATION_DATA, 1, rng.randrange(1 << 48), rng.randbytes(50)),
                    rec(HANDSHAKE, 0, rng.randrange(1 << 48), rng.randbytes(20)),
                    rec(APPLICATION_DATA, 0, rng.randrange(1 << 48), rng.randbytes(20))]
        return junk + [datagram]

    link = Link(server_cert, tamper=noisy)
    try:
        link.handshake()
        link.carries_on("after-noisy-handshake")
    finally:
        link.close()


def test_spoofed_fatal_alert_during_the_handshake_is_reported(server_cert):
    """Before keys exist nothing can be authenticated: a plaintext fatal
    alert ends a handshake (as in every DTLS 1.2 implementation), and dtlsgo
    reports it as GLib documents, G_TLS_ERROR_MISC naming the alert. The
    connection is then failed for good."""
    sent = []

    def forge_alert(direction, datagram):
        if direction == C2S and not sent:  # answer the first ClientHello first
            sent.append(True)
            link.proxy.inject(S2C, rec(ALERT, 0, 0, bytes([2, 40])))
            return []
        return [datagram]

    link = Link(server_cert, tamper=forge_alert)
    try:
        t, res = conns.in_thread(link.server.handshake, None)
        with pytest.raises(GLib.Error) as exc:
            link.client.handshake(None)
        assert_error(exc.value, TLS, Gio.TlsError.MISC)
        assert "handshake" in exc.value.message.lower() and "alert" in exc.value.message.lower()
        with pytest.raises(GLib.Error) as again:
            dgram.send(link.client, [b"x"])
        assert_error(again.value, TLS, Gio.TlsError.MISC)
        link.server.close(None)  # ends the server's wait
        t.join(10)
        assert not t.is_alive()
    finally:
        link.proxy.stop()
