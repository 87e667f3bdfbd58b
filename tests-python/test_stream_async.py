"""Stream TLS driven from a main loop: handshake_async and close_async
completing in the caller's context, the pollable input and output streams
(readiness, sources, non-blocking reads and writes, the background
handshake), Gio.SocketClient with tls=True, and a Gio.SocketService serving
TLS."""
import socket
import ssl
import threading

import pytest
from gi.repository import Gio, GLib, GObject

from tlsstreams import (IO, Background, assert_error, handshake_both, read_exactly, strict_eof,
                        tcp_pair, tls_pair, write_all)


# PyGObject's GSource.set_callback passes a pollable source's callback only
# its user data, not the stream: the callbacks below take *_.


def run_until(loop_context, done, timeout=10):
    """Iterates loop_context until done() or timeout seconds."""
    deadline = GLib.get_monotonic_time() + timeout * 1_000_000
    while not done():
        assert GLib.get_monotonic_time() < deadline, "timed out waiting"
        loop_context.iteration(True)


def test_handshake_async_and_close_async_complete_in_the_callers_context(pki):
    context = GLib.MainContext.new()
    context.push_thread_default()
    try:
        client, server = tls_pair(pki, identity="elsewhere.test")
        results = {}
        accepted_on = []

        def accept(conn, cert, errors):
            accepted_on.append(threading.get_ident())
            return True
        client.connect("accept-certificate", accept)

        def done(conn, result, name):
            results[name] = (threading.get_ident(), conn.handshake_finish(result))
        client.handshake_async(GLib.PRIORITY_DEFAULT, None, done, "client")
        server.handshake_async(GLib.PRIORITY_DEFAULT, None, done, "server")
        run_until(context, lambda: len(results) == 2)
        me = threading.get_ident()
        assert results == {"client": (me, True), "server": (me, True)}
        assert accepted_on == [me]

        def closed(conn, result):
            results["closed"] = (threading.get_ident(), conn.close_finish(result))
        client.close_async(GLib.PRIORITY_DEFAULT, None, closed)
        run_until(context, lambda: "closed" in results)
        assert results["closed"] == (me, True)
        assert client.is_closed()
        assert server.get_input_stream().read_bytes(10, None).get_size() == 0  # close_notify
        server.close(None)
    finally:
        context.pop_thread_default()


def test_pollable_before_handshake_and_background_handshake(pki):
    context = GLib.MainContext.new()
    context.push_thread_default()
    try:
        client, server = tls_pair(pki)
        cin, cout = client.get_input_stream(), client.get_output_stream()
        assert isinstance(cin, Gio.PollableInputStream) and cin.can_poll()
        assert isinstance(cout, Gio.PollableOutputStream) and cout.can_poll()
        assert not cin.is_readable()
        assert cout.is_writable()
        with pytest.raises(GLib.Error) as exc:
            cout.write_nonblocking(b"early", None)
        assert_error(exc.value, IO, Gio.IOErrorEnum.WOULD_BLOCK)  # the handshake started
        assert not cout.is_writable()  # until it is done
        bg = Background(server.handshake, None)
        fired = []
        source = cout.create_source(None)
        source.set_callback(lambda *_: fired.append(cout.is_writable()) or False)
        source.attach(context)
        run_until(context, lambda: fired)
        assert fired == [True]
        bg.result()
        assert cout.write_nonblocking(b"hello", None) == 5
        assert read_exactly(server, 5) == b"hello"

        # PyGObject 3.42 returns only the count of read_nonblocking (the
        # buffer is lost); tests-c/test-stream-pollable.c checks the bytes.
        with pytest.raises(GLib.Error) as exc:
            cin.read_nonblocking(None)
        assert_error(exc.value, IO, Gio.IOErrorEnum.WOULD_BLOCK)
        readable = []
        source = cin.create_source(None)
        source.set_callback(lambda *_: readable.append(cin.is_readable()) or False)
        source.attach(context)
        write_all(server, b"world")
        run_until(context, lambda: readable)
        assert readable == [True]
        assert cin.read_nonblocking(None) == 5
        with pytest.raises(GLib.Error) as exc:
            cin.read_nonblocking(None)
        assert_error(exc.value, IO, Gio.IOErrorEnum.WOULD_BLOCK)
        client.close(None)
        server.close(None)
    finally:
        context.pop_thread_default()


def test_write_nonblocking_fills_then_drains(pki):
    client, server = tls_pair(pki)
    assert handshake_both(client, server) == (None, None)
    cout = client.get_output_stream()
    chunk = b"z" * 65536
    sent = 0
    for _ in range(10_000):  # far more than any buffer holds
        try:
            sent += cout.write_nonblocking(chunk, None)
        except GLib.Error as e:
            assert_error(e, IO, Gio.IOErrorEnum.WOULD_BLOCK)
            # The queue may drain into the socket meanwhile; once the
            # socket is full too, it stays unwritable.
            if not cout.is_writable():
                break
    else:
        pytest.fail("the writes never blocked")
    got = read_exactly(server, sent)
    assert got == b"z" * sent
    context = GLib.MainContext.default()
    fired = []
    source = cout.create_source(None)
    source.set_callback(lambda *_: fired.append(True) or False)
    source.attach(context)
    run_until(context, lambda: fired)
    assert cout.is_writable()
    client.close(None)
    server.close(None)


def ssl_server(pki, listener, message):
    ctx = strict_eof(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    ctx.load_cert_chain(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.key))
    raw, _ = listener.accept()
    with ctx.wrap_socket(raw, server_side=True) as tls:
        tls.sendall(message)
        rest = tls.recv(100)
        return rest


def test_socket_client_with_tls(pki):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = Background(ssl_server, pki, listener, b"greetings")
    events = []
    database = pki.file_database()

    def on_event(client, event, connectable, connection):
        events.append(event)
        if event == Gio.SocketClientEvent.TLS_HANDSHAKING:
            assert isinstance(connection, Gio.TlsClientConnection)
            connection.set_database(database)
    client = Gio.SocketClient(tls=True)
    GObject.Object.connect(client, "event", on_event)  # SocketClient.connect is connecting
    conn = client.connect_to_host(f"localhost:{port}", 0, None)
    E = Gio.SocketClientEvent
    assert events[-3:] == [E.TLS_HANDSHAKING, E.TLS_HANDSHAKED, E.COMPLETE]
    tls = conn.get_base_io_stream()
    assert isinstance(tls, Gio.TlsClientConnection)
    assert tls.get_peer_certificate_errors() == 0
    got = b""
    while len(got) < 9:
        got += conn.get_input_stream().read_bytes(9 - len(got), None).get_data()
    assert got == b"greetings"
    tls.close(None)  # close_notify: the ssl server's recv ends cleanly
    assert server.result() == b""
    listener.close()


def test_socket_service_serves_tls(pki):
    context = GLib.MainContext.default()
    service = Gio.SocketService()
    port = service.add_any_inet_port(None)
    cert = pki.server_ecdsa.tls_certificate()
    served = []

    def incoming(service, connection, source):
        tls = Gio.TlsServerConnection.new(connection, cert)

        def handshaken(tls, result):
            tls.handshake_finish(result)
            tls.get_output_stream().write_all(b"welcome", None)
            tls.close(None)
            served.append(tls)
        tls.handshake_async(GLib.PRIORITY_DEFAULT, None, handshaken)
        return True
    service.connect("incoming", incoming)
    service.start()

    def client():
        ctx = strict_eof(ssl.create_default_context(cafile=str(pki.root.cert)))
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                data = b""
                while True:
                    chunk = tls.recv(100)
                    if not chunk:
                        return data
                    data += chunk
    bg = Background(client)
    run_until(context, lambda: served)
    assert bg.result() == b"welcome"
    service.stop()
    service.close()


def test_closing_socket_clients_wrapper_ends_the_connection_without_close_notify(pki):
    """GSocketConnection's close shuts the socket under the TLS connection:
    the peer sees the end of the stream, without close_notify (as with
    glib-networking), instead of waiting for an end that never comes."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def server():
        ctx = strict_eof(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
        ctx.load_cert_chain(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.key))
        raw, _ = listener.accept()
        raw.settimeout(30)
        with ctx.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(b"hi")
            try:
                return tls.recv(10)
            except ssl.SSLError as e:
                return e.reason
    bg = Background(server)
    client = Gio.SocketClient(tls=True)
    database = pki.file_database()
    GObject.Object.connect(client, "event", lambda c, event, connectable, conn:
                           conn.set_database(database)
                           if event == Gio.SocketClientEvent.TLS_HANDSHAKING else None)
    conn = client.connect_to_host(f"localhost:{port}", 0, None)
    assert conn.get_input_stream().read_bytes(2, None).get_data() == b"hi"
    conn.close(None)
    assert bg.result(30) == "UNEXPECTED_EOF_WHILE_READING"
    listener.close()
