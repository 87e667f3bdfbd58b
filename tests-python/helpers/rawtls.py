"""A stream TLS peer whose bytes a test holds before they go out: Python's
ssl (OpenSSL) driven through memory BIOs over a plain socket. Its flights
are real (made for this very connection, so everything up to the cut is
what a genuine peer sends), and the test decides how much of each reaches
dtlsgo: all, a prefix, or a record stopped halfway.

Also: where a flight can be cut, named by what the cut falls in (a record
header, a handshake message, between two messages or records)."""
import socket
import ssl

from gi.repository import Gio

HANDSHAKE, CHANGE_CIPHER_SPEC, ALERT, APPLICATION_DATA = 22, 20, 21, 23
RECORD_HEADER = 5
MESSAGE_HEADER = 4


def socket_pair():
    """(Gio.SocketConnection, socket.socket) connected on 127.0.0.1: dtlsgo's
    end and the raw peer's."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    gio_end = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    raw, _ = listener.accept()
    listener.close()
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return gio_end, raw


def context(side, version=None, cred=None):
    """An ssl context for a peer that trusts anything (what it sends is the
    point, not what it checks), limited to version (ssl.TLSVersion)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if side == "server" else ssl.PROTOCOL_TLS_CLIENT)
    if side == "client":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    if cred is not None:
        ctx.load_cert_chain(str(cred.chain or cred.cert), str(cred.key))
    return ctx


class Peer:
    """One TLS peer over sock (a connected socket.socket it owns)."""

    def __init__(self, sock, ctx, server_side):
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side)

    def _step(self):
        """Runs the handshake as far as the bytes received allow; True once done."""
        try:
            self.tls.do_handshake()
            return True
        except ssl.SSLWantReadError:
            return False

    def next_flight(self):
        """Reads from the socket until the handshake has something to send
        (or is done); returns those bytes, unsent. A client's first call
        returns its ClientHello without reading."""
        done = self._step()
        while not self.outgoing.pending and not done:
            data = self.sock.recv(65536)
            assert data, "the dtlsgo side ended the stream during the handshake"
            self.incoming.write(data)
            done = self._step()
        return self.outgoing.read()

    def handshake(self):
        """Completes the handshake, sending everything as it comes."""
        while True:
            flight = self.next_flight()
            self.sock.sendall(flight)
            if self._step() and not self.outgoing.pending:
                return

    def seal(self, data):
        """The records carrying data, unsent."""
        self.tls.write(data)
        return self.outgoing.read()

    def stall(self):
        """Stops sending but keeps the connection open (reads nothing more)."""

    def close(self):
        self.sock.close()


def records(flight):
    """(offset, content type, body length) of each record in flight."""
    out, at = [], 0
    while at + RECORD_HEADER <= len(flight):
        length = int.from_bytes(flight[at + 3:at + 5], "big")
        out.append((at, flight[at], length))
        at += RECORD_HEADER + length
    assert at == len(flight), "a flight ends with a whole record"
    return out


def cut_points(flight):
    """{offset: what the cut at offset falls in} for flight: inside each
    record header, just after it, inside the body, a byte before its end,
    between records; and in the plaintext handshake records (those before
    a ChangeCipherSpec), inside each message header, inside its body and
    between two messages of one record. The whole flight is no cut."""
    cuts = {}

    def add(offset, what):
        if 0 < offset < len(flight):
            cuts.setdefault(offset, what)

    encrypted = False
    for i, (at, typ, length) in enumerate(records(flight)):
        body = at + RECORD_HEADER
        add(at, f"between records {i - 1} and {i}")
        add(at + 1, f"in record {i}'s header")
        add(at + 3, f"in record {i}'s header (its length)")
        add(body, f"after record {i}'s header")
        encrypted = encrypted or typ == CHANGE_CIPHER_SPEC
        if typ == HANDSHAKE and not encrypted:
            m = body
            while m + MESSAGE_HEADER <= body + length:
                size = int.from_bytes(flight[m + 1:m + 4], "big")
                add(m, f"between handshake messages in record {i}")
                add(m + 1, f"in a handshake message header (type {flight[m]}), record {i}")
                add(m + MESSAGE_HEADER, f"after a handshake message header (type {flight[m]}), record {i}")
                add(m + MESSAGE_HEADER + size // 2, f"in a handshake message (type {flight[m]}), record {i}")
                m += MESSAGE_HEADER + size
        add(body + length // 2, f"in record {i}'s body")
        add(body + length - 1, f"a byte before record {i}'s end")
    return dict(sorted(cuts.items()))


def one_cut_per_kind(cuts):
    """The first cut in a record header, in a handshake message, between
    two records or messages, and in a record's body."""
    def kind(what):
        if what.startswith("between"):
            return "between"
        if "handshake message" in what:
            return "message"
        return next((k for k in ("header", "body") if k in what), None)

    out = {}
    for offset, what in cuts.items():
        if kind(what) and kind(what) not in map(kind, out.values()):
            out[offset] = what
    return out


def coalesce(flight):
    """flight with its leading plaintext handshake records made one record
    (TLS lets a sender pack handshake messages as it likes); the rest, from
    the first record of another type, as it was."""
    recs = records(flight)
    lead = 0
    while lead < len(recs) and recs[lead][1] == HANDSHAKE:
        lead += 1
    if lead < 2:
        return flight
    body = b"".join(flight[at + RECORD_HEADER:at + RECORD_HEADER + n] for at, _, n in recs[:lead])
    assert len(body) <= 1 << 14
    rest = recs[lead][0] if lead < len(recs) else len(flight)
    return flight[:3] + len(body).to_bytes(2, "big") + body + flight[rest:]
