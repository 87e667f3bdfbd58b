"""Stream TLS connections over loopback TCP for the test_stream_* files:
socket pairs, dtlsgo client/server pairs, and handshakes on both sides at
once."""
import threading

from gi.repository import Gio, GLib

from streams import assert_error  # noqa: F401 (the test_stream_* files use it from here)

TLS = GLib.quark_to_string(Gio.tls_error_quark())
IO = GLib.quark_to_string(Gio.io_error_quark())
CB = GLib.quark_to_string(Gio.tls_channel_binding_error_quark())


def tcp_pair():
    """(client, server) connected Gio.SocketConnections on 127.0.0.1."""
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    client = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    server, _ = listener.accept(None)
    listener.close()
    return client, server


def loopback_listener():
    """(listener, port): a Gio.SocketListener on 127.0.0.1, a port it picked."""
    listener = Gio.SocketListener()
    _, address = listener.add_address(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0),
                                      Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
    return listener, address.get_port()


def accept(listener, timeout=60):
    """The next connection, its socket's blocking calls bounded by timeout
    seconds; a peer that never connects fails the test instead of hanging
    it."""
    cancellable = Gio.Cancellable()
    timer = threading.Timer(timeout, cancellable.cancel)
    timer.start()
    try:
        base, _ = listener.accept(cancellable)
    finally:
        timer.cancel()
    base.get_socket().set_timeout(timeout)
    return base


def tls_pair(pki, server_cred=None, identity="localhost", client_base=None, server_base=None):
    """A dtlsgo client (trusting the test root, expecting identity) and
    server (server_cred, default ECDSA) over loopback TCP, not handshaken."""
    if client_base is None:
        client_base, server_base = tcp_pair()
    cred = server_cred or pki.server_ecdsa
    client = Gio.TlsClientConnection.new(
        client_base, Gio.NetworkAddress.new(identity, 443) if identity else None)
    client.set_database(pki.file_database())
    server = Gio.TlsServerConnection.new(server_base, cred.tls_certificate())
    return client, server


class Background:
    """Runs fn in a thread; result() joins it and returns fn's value or
    raises its exception."""

    def __init__(self, fn, *args):
        self.value = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self.thread.start()

    def _run(self, fn, args):
        try:
            self.value = fn(*args)
        except BaseException as e:  # noqa: B902 - handed to the joining thread
            self.error = e

    def result(self, timeout=30):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the background call did not end"
        if self.error is not None:
            raise self.error
        return self.value


def handshake_both(client, server):
    """Handshakes the server in a thread and the client here; returns the
    (client error, server error), None where it succeeded."""
    def hs(conn):
        try:
            conn.handshake(None)
        except GLib.Error as e:
            return e
        return None
    bg = Background(hs, server)
    client_error = hs(client)
    return client_error, bg.result()


def read_exactly(conn, n):
    """n bytes from conn's input stream (fails at a premature end)."""
    got = b""
    stream = conn.get_input_stream()
    while len(got) < n:
        chunk = stream.read_bytes(n - len(got), None).get_data()
        assert chunk, f"end of stream after {len(got)} of {n} bytes"
        got += chunk
    return got


def read_line(conn):
    """One line (with its newline) from conn's input stream; b"" at the end
    of the stream."""
    line = b""
    stream = conn.get_input_stream()
    while not line.endswith(b"\n"):
        chunk = stream.read_bytes(1, None).get_data()
        if not chunk:
            assert not line, f"end of stream inside a line: {line!r}"
            break
        line += chunk
    return line


def write_all(conn, data):
    ok, written = conn.get_output_stream().write_all(data, None)
    assert ok and written == len(data)


def strict_eof(ctx):
    """ctx made to tell close_notify from a bare end of the TCP stream:
    Debian's Python sets OP_IGNORE_UNEXPECTED_EOF, which reads both as
    b"" (and suppress_ragged_eofs cannot undo it)."""
    import ssl
    ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    return ctx


# OpenSSL 3.0's SSL_OP_NO_EXTENDED_MASTER_SECRET (Python's ssl has no name for it).
OP_NO_EXTENDED_MASTER_SECRET = 1 << 0


def tls12_server_without_ems(pki, serve):
    """A Python ssl server limited to TLS 1.2 without the extended master
    secret (RFC 7627) on a loopback port, for one connection: serve(tls)
    runs in a Background. Returns (port, background, listener)."""
    import socket
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= OP_NO_EXTENDED_MASTER_SECRET
    ctx.load_cert_chain(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.key))
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        raw, _ = listener.accept()
        with ctx.wrap_socket(raw, server_side=True) as tls:
            return serve(tls)
    return listener.getsockname()[1], Background(run), listener
