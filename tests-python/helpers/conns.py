"""Helpers that build DTLS connection pairs over real loopback UDP."""
import socket
import threading
import time

from gi.repository import Gio, GLib

import dgram


def udp_socket(port=0):
    s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    s.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", port), False)
    return s


def udp_pair():
    """Two UDP sockets connected to each other."""
    a, b = udp_socket(), udp_socket()
    a.connect(b.get_local_address())
    b.connect(a.get_local_address())
    return a, b


def udp_pair_via(proxy):
    """Two UDP sockets that talk through proxy (a netem.Proxy): the
    client's is connected to its front, the server's to its back."""
    c, s = udp_socket(), udp_socket()
    c.connect(inet_address(proxy.front_address))
    s.connect(inet_address(proxy.back_address))
    proxy.connect(address_of(c), address_of(s))
    return c, s


def inet_address(host_port):
    return Gio.InetSocketAddress.new_from_string(host_port[0], host_port[1])


def address_of(sock):
    a = sock.get_local_address()
    return a.get_address().to_string(), a.get_port()


def client_for(sock, host="localhost", accept_all=True):
    identity = Gio.NetworkAddress.new(host, 0) if host else None
    conn = Gio.DtlsClientConnection.new(sock, identity)
    if accept_all:
        conn.connect("accept-certificate", lambda *a: True)
    return conn


def silent_peer_and_client():
    """A client whose server is a plain socket that reads and never answers."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    cs = udp_socket()
    cs.connect(inet_address(silent.getsockname()))
    return silent, client_for(cs)


def pair(server_cert, client_host="localhost", accept_all=True):
    """A client and a server connection, not yet handshaken."""
    cs, ss = udp_pair()
    client = client_for(cs, client_host, accept_all)
    server = Gio.DtlsServerConnection.new(ss, server_cert)
    return client, server, cs, ss


class Result:
    def __init__(self):
        self.error = None
        self.value = None
        self.thread = None


def in_thread(fn, *args):
    """Runs fn in a new thread; returns (thread, Result)."""
    res = Result()

    def run():
        res.thread = threading.get_ident()
        try:
            res.value = fn(*args)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            res.error = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, res


def handshake_both(client, server, timeout=10):
    """Sync handshakes, the server in its own thread. Returns the client's
    and the server's error (None when fine)."""
    t, res = in_thread(server.handshake, None)
    cerr = None
    try:
        client.handshake(None)
    except GLib.Error as e:
        cerr = e
    t.join(timeout)
    assert not t.is_alive(), "server handshake did not end"
    return cerr, res.error


def iterate_until(cond, timeout=10, context=None):
    ctx = context or GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        ctx.iteration(False)
        time.sleep(0.0005)


def echo_server(server, count, timeout_us=5_000_000):
    """Receives count datagrams and sends each back."""
    for _ in range(count):
        for payload in dgram.receive(server, timeout=timeout_us):
            dgram.send(server, [payload])
