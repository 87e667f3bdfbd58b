"""DtlsGo.Listener under a ClientHello flood from spoofed sources (every
hello from its own loopback address, 127.x.y.z): the listener answers
with cookies only, keeps no per-client state for any of them, and serves
legitimate clients meanwhile; goroutines, descriptors and the Go heap
come back to their baseline."""
import random
import socket
import threading

from gi.repository import DtlsGo, Gio, GLib

import conns
import netem
import test_load
from longrun import scale
from streams import SECOND
from test_flood import HELLO_VERIFY_REQUEST, client_hello, handshake_types  # noqa: F401 - fixture

COOKIE_OFFSET = 13 + 12 + 2 + 32  # record and handshake headers, version, random


def with_cookie(hello, cookie):
    """hello with cookie in its (empty) cookie field, lengths mended."""
    sid_len = hello[COOKIE_OFFSET]
    at = COOKIE_OFFSET + 1 + sid_len
    assert hello[at] == 0, "the first hello carries no cookie"
    out = bytearray(hello[:at] + bytes([len(cookie)]) + cookie + hello[at + 1:])
    grow = len(cookie)
    rec_len = int.from_bytes(out[11:13], "big") + grow
    out[11:13] = rec_len.to_bytes(2, "big")
    msg_len = int.from_bytes(out[14:17], "big") + grow
    out[14:17] = msg_len.to_bytes(3, "big")
    out[22:25] = msg_len.to_bytes(3, "big")  # fragment_length
    out[17:19] = (1).to_bytes(2, "big")  # message_seq of a second hello
    return bytes(out)


def spoofed_flood(target, hellos, count, replies):
    """Sends count hellos, each from a new 127.x.y.z address, and keeps the
    first reply each got (if any came at once)."""
    rng = random.Random(14)
    for i in range(count):
        src = f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((src, 0))
            hello = hellos[i % len(hellos)]
            s.sendto(hello, target)
            s.settimeout(0.002 if i % 10 else 0.05)
            try:
                replies.append((len(hello), s.recv(65536)))
            except OSError:
                pass
        finally:
            s.close()


def test_a_spoofed_flood_leaves_no_state(pki, client_hello):  # noqa: F811 - the fixture
    listener = DtlsGo.Listener.new_for_address(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0),
                                               pki.server_ecdsa.tls_certificate())
    port = listener.get_socket().get_local_address().get_port()
    baseline = test_load.quiet()
    # Cookie-less hellos, hellos with a forged cookie, and hellos with the
    # cookie a real client got (valid only for that client's address).
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    probe.settimeout(5)
    probe.sendto(client_hello, ("127.0.0.1", port))
    hvr = probe.recv(65536)
    probe.close()
    assert handshake_types(hvr) == [HELLO_VERIFY_REQUEST] and len(hvr) <= len(client_hello)
    real_cookie = hvr[13 + 12 + 3:]
    hellos = [client_hello, with_cookie(client_hello, bytes(20)), with_cookie(client_hello, real_cookie)]

    count = scale(3000, 10000)
    replies = []
    flood = threading.Thread(target=spoofed_flood, args=(("127.0.0.1", port), hellos, count, replies))
    served, errors = [], []
    echo = threading.Thread(target=serve, args=(listener, scale(5, 20), served, errors), daemon=True)
    echo.start()
    flood.start()
    peaks = []
    legit = scale(5, 20)
    for i in range(legit):
        client, sock = client_to(port)
        client.send_bytes(GLib.Bytes.new(b"legitimate %d" % i), 10 * SECOND, None)
        assert client.receive_bytes(0, 10 * SECOND, None).get_data() == b"legitimate %d" % i
        peaks.append(listener.get_peer_count())
        client.close(None)
        del client, sock
    flood.join(120)
    echo.join(30)
    assert errors == [] and len(served) == legit
    # No spoofed hello ever made a peer: at most the one legitimate client.
    assert all(peers <= 1 for peers, _ in peaks), peaks
    assert listener.get_peer_count() == (0, 0)
    # Cookies only, never larger than the hello they answer.
    assert replies, "the flood got no answer at all"
    for size, d in replies:
        assert handshake_types(d) == [HELLO_VERIFY_REQUEST] and len(d) <= size
    # A flood alone leaves nothing in the Go heap either (what grew above
    # is the legitimate handshakes' first-use caches).
    warm = test_load.quiet()
    spoofed_flood(("127.0.0.1", port), hellos, count, [])
    flooded = test_load.quiet()
    assert flooded["go_heap_kb"] <= warm["go_heap_kb"] + 64, (warm, flooded)
    assert flooded["goroutines"] <= warm["goroutines"] and flooded["fds"] <= warm["fds"], (warm, flooded)
    listener.close()
    after = test_load.settle(baseline)
    assert after["goroutines"] <= baseline["goroutines"], (baseline, after)
    assert after["fds"] <= baseline["fds"], (baseline, after)
    print(f"\nlistener under a flood: {count} hellos from {count} addresses, {len(replies)} "
          f"answers seen (cookies, {len(replies[0][1])} bytes for {len(client_hello)}); "
          f"{legit} legitimate clients served; state {baseline} -> {after}")


def client_to(port):
    sock = conns.udp_socket()
    sock.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", port))
    return conns.client_for(sock), sock


def serve(listener, n, served, errors):
    for _ in range(n):
        try:
            conn = listener.accept(None)
            data = conn.receive_bytes(0, 10 * SECOND, None)
            conn.send_bytes(data, 5 * SECOND, None)
            served.append(data.get_data())
            conn.receive_bytes(0, 10 * SECOND, None)  # the close_notify
            conn.close(None)
        except GLib.Error as e:
            errors.append(e)
