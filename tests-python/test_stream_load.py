"""Stream TLS in bulk: a large transfer with random write sizes both ways at
once, and many connections (socket and generic bases) that leave no
goroutine, descriptor or thread behind once closed."""
import gc
import hashlib
import os
import random
import threading

from gi.repository import DtlsGo, Gio, GLib

from tlsstreams import Background, handshake_both, tcp_pair, tls_pair

MB = 1 << 20
SIZE = (64 if os.environ.get("DTLSGO_LONG_TESTS") == "1" else 8) * MB


def send_random(conn, size, seed):
    """size pseudo-random bytes in writes of random sizes; their digest."""
    rng = random.Random(seed)
    digest = hashlib.sha256()
    out = conn.get_output_stream()
    left = size
    while left:
        n = min(left, rng.choice((1, 7, 512, 1500, 16384, 16385, 65536, 300_000)))
        chunk = rng.randbytes(n)
        ok, written = out.write_all(chunk, None)
        assert ok and written == n
        digest.update(chunk)
        left -= n
    return digest.hexdigest()


def receive(conn, size):
    digest = hashlib.sha256()
    got = 0
    stream = conn.get_input_stream()
    while got < size:
        chunk = stream.read_bytes(min(size - got, 100_000), None).get_data()
        assert chunk, f"end of stream after {got} of {size} bytes"
        digest.update(chunk)
        got += len(chunk)
    return digest.hexdigest()


def test_large_transfer_both_ways_with_random_write_sizes(pki):
    client, server = tls_pair(pki)
    assert handshake_both(client, server) == (None, None)
    server_reads = Background(receive, server, SIZE)
    client_reads = Background(receive, client, SIZE)
    server_sends = Background(send_random, server, SIZE, 2)
    sent_by_client = send_random(client, SIZE, 1)
    assert server_reads.result(300) == sent_by_client
    assert client_reads.result(300) == server_sends.result(300)
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


def test_closed_connections_leave_nothing_behind(pki):
    def one_round(generic):
        cbase, sbase = tcp_pair()
        base = Gio.SimpleIOStream.new(cbase.get_input_stream(), cbase.get_output_stream()) \
            if generic else cbase
        client, server = tls_pair(pki, client_base=base, server_base=sbase)
        assert handshake_both(client, server) == (None, None)
        client.get_output_stream().write_all(b"x", None)
        assert server.get_input_stream().read_bytes(1, None).get_data() == b"x"
        client.close(None)
        server.close(None)

    one_round(False)
    one_round(True)  # warm-up: lazily started runtime threads and goroutines
    baseline = settle(proc_counts(), tries=1)
    for i in range(40):
        one_round(i % 2 == 1)
    after = settle(baseline)
    assert after["goroutines"] <= baseline["goroutines"], (baseline, after)
    assert after["fds"] <= baseline["fds"], (baseline, after)
    assert after["threads"] <= baseline["threads"] + 4, (baseline, after)  # Go keeps idle Ms
