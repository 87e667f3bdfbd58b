"""A hostile network on loopback: a UDP proxy between a client and a
server that drops, duplicates, reorders and delays datagrams at set rates,
seeded for repeatability, and lets tests see, tamper with and inject
datagrams (a third party on the path).

    client socket  <->  front [Proxy] back  <->  server socket

Every decision about datagram n of a direction comes from that direction's
own random.Random(seed), so a run's impairments do not depend on thread
timing. Plain `socket` sockets and Python threads: no GIO here, so the
proxy never runs code of the backend under test.
"""
import dataclasses
import heapq
import random
import socket
import struct
import threading
import time

C2S, S2C = "c2s", "s2c"  # client to server, server to client

# DTLS record layer (RFC 6347 4.1): type(1) version(2) epoch(2) seq(6) length(2)
RECORD_HEADER = 13
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA = 20, 21, 22, 23


@dataclasses.dataclass
class Record:
    type: int
    version: bytes
    epoch: int
    seq: int
    body: bytes

    def encode(self, length=None):
        n = len(self.body) if length is None else length
        return (struct.pack("!B2sH", self.type, self.version, self.epoch)
                + self.seq.to_bytes(6, "big") + struct.pack("!H", n) + self.body)


def parse_records(datagram):
    """The DTLS records of a datagram; a trailing fragment that is not a
    whole record is left out."""
    out, off = [], 0
    while len(datagram) - off >= RECORD_HEADER:
        typ, version, epoch = struct.unpack_from("!B2sH", datagram, off)
        seq = int.from_bytes(datagram[off + 5:off + 11], "big")
        (length,) = struct.unpack_from("!H", datagram, off + 11)
        body = datagram[off + RECORD_HEADER:off + RECORD_HEADER + length]
        if len(body) < length:
            break
        out.append(Record(typ, version, epoch, seq, body))
        off += RECORD_HEADER + length
    return out


def is_application_data(datagram):
    return any(r.type == APPLICATION_DATA for r in parse_records(datagram))


@dataclasses.dataclass
class Stats:
    seen: int = 0
    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0
    delivered: int = 0
    appdata_seen: int = 0
    appdata_duplicated: int = 0


class Proxy:
    """Relays datagrams between a client and a server on 127.0.0.1.

    loss, duplicate, reorder: probabilities per datagram; delay: (min, max)
    seconds added to every datagram; a reordered datagram is held back a
    further `hold` seconds so that those behind it overtake it. tamper, if
    given, is called as tamper(direction, datagram) for each datagram that
    survives loss, and returns the list of datagrams to forward instead.
    """

    def __init__(self, *, seed=0, loss=0.0, duplicate=0.0, reorder=0.0, delay=(0.0, 0.0),
                 hold=0.03, tamper=None, keep=False):
        self.front = _udp()
        self.back = _udp()
        self.loss, self.duplicate, self.reorder = loss, duplicate, reorder
        self.delay, self.hold = delay, hold
        self.tamper = tamper
        self.stats = {C2S: Stats(), S2C: Stats()}
        self.seen = {C2S: [], S2C: []} if keep else None  # every datagram read, if keep
        self._rng = {C2S: random.Random(f"{seed}/c2s"), S2C: random.Random(f"{seed}/s2c")}
        self._queue = []  # (due, n, direction, datagram)
        self._n = 0
        self._cv = threading.Condition()
        self._stop = False
        self._threads = []

    @property
    def front_address(self):
        return self.front.getsockname()

    @property
    def back_address(self):
        return self.back.getsockname()

    def connect(self, client_address, server_address):
        self.front.connect(client_address)
        self.back.connect(server_address)

    def start(self):
        for sock, direction in ((self.front, C2S), (self.back, S2C)):
            t = threading.Thread(target=self._read, args=(sock, direction), daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._deliver, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        for s in (self.front, self.back):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(5)
        self.front.close()
        self.back.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def set(self, **rates):
        """Changes rates on the fly (e.g. loss=1.0 to cut the link)."""
        with self._cv:
            for k, v in rates.items():
                if not hasattr(self, k):
                    raise AttributeError(k)
                setattr(self, k, v)

    def rebind(self):
        """Moves the back side to a new port, as a NAT rebinding does: the
        server sees the client's datagrams come from a new address, and
        what it sends to the old one is lost."""
        new = _udp()
        new.connect(self.back.getpeername())
        t = threading.Thread(target=self._read, args=(new, S2C), daemon=True)
        t.start()
        with self._cv:
            old, self.back = self.back, new
            self._threads.append(t)
        try:
            old.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        old.close()

    def inject(self, direction, datagram):
        """Sends datagram as if it came from the other peer: to the server
        (C2S) from the address the server is connected to, or to the client
        (S2C) likewise. A third party on the path can do exactly this."""
        (self.back if direction == C2S else self.front).send(datagram)

    # -- internals ------------------------------------------------------------

    def _read(self, sock, direction):
        st, rng = self.stats[direction], self._rng[direction]
        while True:
            try:
                datagram = sock.recv(65536)
            except OSError:
                return  # ECONNREFUSED from an absent peer, or shutdown
            with self._cv:
                if self._stop:
                    return
                st.seen += 1
                appdata = is_application_data(datagram)
                st.appdata_seen += appdata
                if self.seen is not None:
                    self.seen[direction].append(datagram)
                # Draw every number every time so one rate's change does not
                # shift the others' decisions.
                lose, dup, reorder = rng.random(), rng.random(), rng.random()
                delay = rng.uniform(*self.delay)
                if lose < self.loss:
                    st.dropped += 1
                    continue
                out = [datagram]
                if dup < self.duplicate:
                    out.append(datagram)
                    st.duplicated += 1
                    st.appdata_duplicated += appdata
                if reorder < self.reorder:
                    delay += self.hold
                    st.reordered += 1
                now = time.monotonic()
                for i, d in enumerate(out):
                    # A duplicate trails its original by a little.
                    heapq.heappush(self._queue, (now + delay + 0.002 * i, self._n, direction, d))
                    self._n += 1
                self._cv.notify_all()

    def _deliver(self):
        while True:
            with self._cv:
                while not self._stop and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cv.wait(wait)
                if self._stop:
                    return
                _, _, direction, datagram = heapq.heappop(self._queue)
                tamper = self.tamper
            outs = tamper(direction, datagram) if tamper else [datagram]
            sock = self.back if direction == C2S else self.front
            for d in outs:
                try:
                    sock.send(d)
                    with self._cv:
                        self.stats[direction].delivered += 1
                except OSError:
                    pass  # the receiver is gone: the datagram is lost, as on a network


def _udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    return s


def free_udp_ports(n):
    """n distinct UDP ports on 127.0.0.1 that were free a moment ago (each
    held until all are found: two separate picks may give the same port)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_udp_port():
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    return free_udp_ports(1)[0]
