"""Stream TLS in bulk: 64 MiB each way at once in writes and reads of
random sizes, over both kinds of base; and 500 connections, one after
another over both kinds of base, that leave no goroutine, descriptor,
thread or GObject behind once closed."""
import gc
import hashlib
import os
import random
import threading

import pytest
from gi.repository import DtlsGo, Gio, GLib

from longrun import scale
from tlsstreams import handshake_both, Background, tcp_pair, tls_pair

MB = 1 << 20
SIZE = 64 * MB
CONNECTIONS = scale(500, 2000)


def random_size(rng):
    """1 byte to 400 KB, most of them small: around and across the TLS
    record size (16 KiB) and the write queue (256 KiB)."""
    return rng.choice((rng.randint(1, 64), rng.randint(1, 20_000), rng.randint(16_000, 17_000),
                       rng.randint(1, 400_000)))


def send_random(conn, size, seed):
    """size pseudo-random bytes in writes of random sizes; their digest."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    out = conn.get_output_stream()
    left = size
    while left:
        chunk = rng.randbytes(min(left, random_size(rng)))
        ok, written = out.write_all(chunk, None)
        assert ok and written == len(chunk)
        digest.update(chunk)
        left -= len(chunk)
    return digest.hexdigest()


def receive(conn, size, seed):
    """size bytes in reads of random sizes; their digest."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    got = 0
    stream = conn.get_input_stream()
    while got < size:
        chunk = stream.read_bytes(min(size - got, random_size(rng)), None).get_data()
        assert chunk, f"end of stream after {got} of {size} bytes"
        digest.update(chunk)
        got += len(chunk)
    return digest.hexdigest()


def generic(socket_connection):
    return Gio.SimpleIOStream.new(socket_connection.get_input_stream(),
                                  socket_connection.get_output_stream())


@pytest.mark.parametrize("base", ["socket", "generic"])
def test_64_mib_both_ways_at_once_in_random_sizes(pki, base):
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=generic(cbase) if base == "generic" else cbase,
                              server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    server_reads = Background(receive, server, SIZE, 3)
    client_reads = Background(receive, client, SIZE, 4)
    server_sends = Background(send_random, server, SIZE, 2)
    sent_by_client = send_random(client, SIZE, 1)
    assert server_reads.result(600) == sent_by_client
    assert client_reads.result(600) == server_sends.result(600)
    client.close(None)
    server.close(None)


def proc_counts():
    with open("/proc/self/status") as f:
        threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return {"goroutines": DtlsGo.debug_goroutine_count(), "threads": threads,
            "fds": len(os.listdir("/proc/self/fd"))}


def settle(baseline, tries=50):
    """The counts once they came back to baseline (or the last seen)."""
    for _ in range(tries):
        gc.collect()
        while GLib.MainContext.default().iteration(False):
            pass
        now = proc_counts()
        if all(now[k] <= baseline[k] for k in baseline):
            return now
        threading.Event().wait(0.1)
    return now


class Finalized:
    """Counts the GObjects it watches as they are finalized (the weak
    references' notifications may come from any thread)."""

    def __init__(self):
        self.watched = 0
        self.gone = 0
        self.lock = threading.Lock()
        self.refs = []

    def watch(self, *objects):
        for obj in objects:
            self.watched += 1
            self.refs.append(obj.weak_ref(self._finalized))

    def _finalized(self):
        with self.lock:
            self.gone += 1


def one_connection(pki, generic_base, finalized):
    cbase, sbase = tcp_pair()
    base = generic(cbase) if generic_base else cbase
    client, server = tls_pair(pki, client_base=base, server_base=sbase)
    finalized.watch(client, server, client.get_input_stream(), client.get_output_stream(),
                    server.get_input_stream(), server.get_output_stream(), cbase, sbase, base)
    assert handshake_both(client, server) == (None, None)
    client.get_output_stream().write_all(b"x", None)
    assert server.get_input_stream().read_bytes(1, None).get_data() == b"x"
    server.get_output_stream().write_all(b"y", None)
    assert client.get_input_stream().read_bytes(1, None).get_data() == b"y"
    client.close(None)
    assert server.get_input_stream().read_bytes(1, None).get_size() == 0  # close_notify
    server.close(None)


def test_closed_connections_leave_nothing_behind(pki):
    """Goroutines (DtlsGo.debug_goroutine_count()) and descriptors back to
    their baseline, every connection, stream and base finalized; threads
    within the few idle ones Go's runtime keeps."""
    warm_up = Finalized()
    one_connection(pki, False, warm_up)
    one_connection(pki, True, warm_up)  # lazily started runtime threads and goroutines
    baseline = settle(proc_counts(), tries=1)
    finalized = Finalized()
    for i in range(CONNECTIONS):
        one_connection(pki, i % 2 == 1, finalized)
    after = settle(baseline)
    assert after["goroutines"] <= baseline["goroutines"], (baseline, after)
    assert after["fds"] <= baseline["fds"], (baseline, after)
    assert after["threads"] <= baseline["threads"] + 4, (baseline, after)  # Go keeps idle Ms
    for _ in range(50):
        if finalized.gone == finalized.watched:
            break
        settle(baseline, tries=1)
        threading.Event().wait(0.1)
    assert (finalized.gone, finalized.watched) == (9 * CONNECTIONS, 9 * CONNECTIONS)
