"""Stream TLS over bases other than a plain socket connection, driven
through GIO on GLib threads (never Go's): a Gio.SimpleIOStream over a
socket connection's streams, pipes, and a Python Gio.IOStream subclass; and
half-close by closing the output stream."""
import os
import threading

import pytest
from gi.repository import Gio, GLib, GObject

from tlsstreams import (IO, Background, assert_error, handshake_both, read_exactly, tcp_pair,
                        tls_pair, write_all)


def this_thread():
    """(native id, name) of the calling thread."""
    tid = threading.get_native_id()
    with open(f"/proc/self/task/{tid}/comm") as f:
        return tid, f.read().strip()


class RecordingIOStream(Gio.IOStream):
    """A Python GIOStream over another's streams, noting the threads its
    methods run on."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.threads = set()

    def do_get_input_stream(self):
        self.threads.add(this_thread())
        return self.inner.get_input_stream()

    def do_get_output_stream(self):
        self.threads.add(this_thread())
        return self.inner.get_output_stream()


def exchange(client, server):
    assert handshake_both(client, server) == (None, None)
    write_all(client, b"a" * 100_000)
    assert read_exactly(server, 100_000) == b"a" * 100_000
    write_all(server, b"back")
    assert read_exactly(client, 4) == b"back"
    client.close(None)
    assert server.get_input_stream().read_bytes(10, None).get_size() == 0  # close_notify
    try:
        server.close(None)
    except GLib.Error as e:  # our close_notify to a peer gone (a pipe says so at once)
        assert_error(e, IO, Gio.IOErrorEnum.BROKEN_PIPE)


def test_simple_io_stream_over_socket_streams(pki):
    cbase, sbase = tcp_pair()
    wrapped = Gio.SimpleIOStream.new(cbase.get_input_stream(), cbase.get_output_stream())
    client, server = tls_pair(pki, client_base=wrapped, server_base=sbase)
    exchange(client, server)
    assert wrapped.is_closed()


def test_pipes(pki):
    c_to_s_r, c_to_s_w = os.pipe()
    s_to_c_r, s_to_c_w = os.pipe()
    cbase = Gio.SimpleIOStream.new(Gio.UnixInputStream.new(s_to_c_r, True),
                                   Gio.UnixOutputStream.new(c_to_s_w, True))
    sbase = Gio.SimpleIOStream.new(Gio.UnixInputStream.new(c_to_s_r, True),
                                   Gio.UnixOutputStream.new(s_to_c_w, True))
    client, server = tls_pair(pki, client_base=cbase, server_base=sbase)
    exchange(client, server)


def test_python_subclass_runs_on_glib_threads_only(pki):
    cbase, sbase = tcp_pair()
    recording = RecordingIOStream(cbase)
    client, server = tls_pair(pki, client_base=recording, server_base=sbase)
    exchange(client, server)
    # The base's data moves on dtlsgo's GLib threads; the caller's own
    # thread asks for its streams to close them. No other thread (Go's
    # are named as the process is) ever touches it.
    me = this_thread()
    names = {name for tid, name in recording.threads - {me}}
    assert names == {"dtlsgo-tls-rd", "dtlsgo-tls-wr"}


@pytest.mark.parametrize("generic", [False, True])
def test_closing_the_output_stream_half_closes(pki, generic):
    cbase, sbase = tcp_pair()
    base = Gio.SimpleIOStream.new(cbase.get_input_stream(), cbase.get_output_stream()) \
        if generic else cbase
    client, server = tls_pair(pki, client_base=base, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    write_all(client, b"request")
    assert client.get_output_stream().close(None)
    assert read_exactly(server, 7) == b"request"
    assert server.get_input_stream().read_bytes(10, None).get_size() == 0  # close_notify
    assert not client.is_closed() and not cbase.get_socket().is_closed()
    write_all(server, b"response")  # the other direction still works
    assert read_exactly(client, 8) == b"response"
    with pytest.raises(GLib.Error) as exc:
        client.get_output_stream().write_bytes(GLib.Bytes.new(b"x"), None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    server.close(None)
    client.close(None)


def test_closing_the_input_stream_with_data_pending_over_a_generic_base(pki):
    cbase, sbase = tcp_pair()
    base = Gio.SimpleIOStream.new(cbase.get_input_stream(), cbase.get_output_stream())
    client, server = tls_pair(pki, client_base=base, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    write_all(server, b"u" * 200_000)  # unread: the reader thread waits to hand it up
    threading.Event().wait(0.3)
    closing = Background(client.get_input_stream().close, None)
    assert closing.result(10)
    with pytest.raises(GLib.Error) as exc:
        client.get_input_stream().read_bytes(1, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    write_all(client, b"still")  # writing goes on
    assert read_exactly(server, 5) == b"still"
    client.close(None)
    server.close(None)
