"""A server that is not running (issue 11): the kernel reports the ICMP
port unreachable its port sends back as ECONNREFUSED on the client's
connected socket, and the handshake ends at once with
G_IO_ERROR_CONNECTION_REFUSED, as glib-networking's does, instead of
retransmitting until the handshake timeout (60 s here)."""
import time

import pytest
from gi.repository import Gio, GLib

import conns
import netem
from streams import IO, assert_error, b

# Far below the 60 s handshake timeout, far above a refusal's milliseconds.
PROMPT = 10


class GSocketSubclass(Gio.Socket):
    """Not a plain GSocket: dtlsgo drives it through GDatagramBased from its
    GLib threads, where the kernel's refusal arrives as a GError. (A Python
    GDatagramBased cannot raise one: PyGObject returns 0 messages with the
    error set; tests-c/test-connection.c has such a wrapper.)"""


def socket_to_closed_port(cls=Gio.Socket):
    sock = cls(family=Gio.SocketFamily.IPV4, type=Gio.SocketType.DATAGRAM,
               protocol=Gio.SocketProtocol.UDP)
    sock.init(None)
    sock.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), False)
    sock.connect(conns.inet_address(("127.0.0.1", netem.free_udp_port())), None)
    return sock


def client_of(base):
    client = conns.client_for(base)
    client.props.handshake_timeout = 60_000
    return client


def refused_promptly(call):
    start = time.monotonic()
    with pytest.raises(GLib.Error) as exc:
        call()
    elapsed = time.monotonic() - start
    assert_error(exc.value, IO, Gio.IOErrorEnum.CONNECTION_REFUSED)
    assert elapsed < PROMPT, f"refused after {elapsed:.1f} s"
    return exc.value


@pytest.mark.parametrize("cls", [Gio.Socket, GSocketSubclass])
def test_handshake_to_a_closed_port_is_refused_at_once(cls):
    client = client_of(socket_to_closed_port(cls))
    refused_promptly(lambda: client.handshake(None))
    # The failure is the handshake's, and sticky.
    err = refused_promptly(lambda: client.send_bytes(b(b"x"), -1, None))
    assert "refused" in err.message
    client.close(None)


def test_implicit_handshake_of_a_send_is_refused():
    client = client_of(socket_to_closed_port())
    refused_promptly(lambda: client.send_bytes(b(b"hello"), 30_000_000, None))
    client.close(None)


def test_async_handshake_is_refused():
    client = client_of(socket_to_closed_port())
    done = []
    start = time.monotonic()
    client.handshake_async(GLib.PRIORITY_DEFAULT, None, lambda c, r: done.append(r))
    conns.iterate_until(lambda: done, timeout=PROMPT)
    with pytest.raises(GLib.Error) as exc:
        client.handshake_finish(done[0])
    assert_error(exc.value, IO, Gio.IOErrorEnum.CONNECTION_REFUSED)
    assert time.monotonic() - start < PROMPT
    client.close(None)


def test_a_refusal_left_from_before_does_not_end_the_next_handshake(server_cert):
    """The application makes a new connection on the same socket once the
    server runs, as after any failure. A refusal still pending then (for a
    datagram sent while the server was down) answered that earlier
    datagram, not this handshake, which must go on."""
    cs, ss = conns.udp_pair()
    port = int(cs.get_remote_address().get_port())
    ss.close()  # nothing listens at the client's peer address for now
    client = client_of(cs)
    refused_promptly(lambda: client.handshake(None))
    client.close(None)
    cs.send(b"while the server is down", None)  # answered by a refusal, left pending
    ss = conns.udp_socket(port)
    ss.connect(cs.get_local_address())
    client, server = client_of(cs), Gio.DtlsServerConnection.new(ss, server_cert)
    assert conns.handshake_both(client, server) == (None, None)
    client.send_bytes(b(b"late"), -1, None)
    assert server.receive_bytes(0, 5_000_000, None).get_data() == b"late"
    client.close(None)
    server.close(None)
