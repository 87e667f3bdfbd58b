"""Application datagrams with sequence numbers, to judge what a lossy or
hostile network let through: nothing corrupted, nothing twice."""
import hashlib

from gi.repository import Gio, GLib

import dgram

IO = GLib.quark_to_string(Gio.io_error_quark())
TLS = GLib.quark_to_string(Gio.tls_error_quark())
SECOND = 1_000_000


def b(data):
    """data as GLib.Bytes."""
    return GLib.Bytes.new(data)


def assert_error(exc, domain, code):
    assert exc is not None, f"expected {domain}:{int(code)}, got success"
    assert exc.domain == domain and exc.code == int(code), f"{exc.domain}:{exc.code} {exc.message}"


def payload(tag, seq):
    """Datagram seq of a stream: its number, a digest binding tag and
    number, and a filler whose length and bytes depend on both."""
    head = f"{tag}:{seq}:".encode()
    filler = bytes((seq * 31 + i) & 0xFF for i in range((seq * 37) % 700))
    return head + hashlib.sha256(head + filler).digest() + filler


def sequence_of(tag, datagram):
    """The datagram's number; fails if it is not exactly payload(tag, n)."""
    t, n, _ = datagram.split(b":", 2)
    assert t == tag.encode(), datagram[:40]
    seq = int(n)
    assert datagram == payload(tag, seq), f"datagram {seq} of {tag} arrived corrupted"
    return seq


def drain(conn, idle=0.5):
    """Every datagram that arrives until none came for idle seconds."""
    got = []
    while True:
        try:
            batch = dgram.receive(conn, count=64, timeout=int(idle * SECOND))
            assert batch, "the connection ended (0 messages: the peer's close_notify)"
            got.extend(batch)
        except GLib.Error as e:
            assert_error(e, IO, Gio.IOErrorEnum.TIMED_OUT)
            return got


def stream(sender, receiver, tag, count, idle=0.5):
    """Sends count numbered datagrams; returns the numbers that arrived
    (until none came for idle seconds), after checking none arrived
    corrupted or twice."""
    for seq in range(count):
        assert dgram.send(sender, [payload(tag, seq)]) == 1
    seqs = [sequence_of(tag, d) for d in drain(receiver, idle)]
    assert len(seqs) == len(set(seqs)), f"{tag}: a datagram arrived twice: {sorted(seqs)}"
    assert set(seqs) <= set(range(count))
    return seqs
