"""A GDatagramBased that is not a GSocket, written in Python: a wrapper
base for tests (issue 4's transport adapter)."""
import ctypes
import os
import select
import socket
import threading

from gi.repository import Gio, GLib, GObject

import dgram


def thread_name():
    with open(f"/proc/self/task/{threading.get_native_id()}/comm") as f:
        return f.read().strip()


class LossySocket(GObject.Object, Gio.DatagramBased):
    """Forwards to a connected UDP socket (Python's socket module on a
    duplicate of the GSocket's descriptor), dropping the first `drop`
    datagrams it is asked to send. Records the threads its methods ran on.

    PyGObject hands the vfuncs wrappers of the caller's C structs but cannot
    convert GInputMessage.vectors, so data moves through the structs' C
    addresses (a PyGObject struct's hash() is its pointer) with ctypes."""

    def __init__(self, gsock, drop=1):
        super().__init__()
        self.sock = socket.socket(fileno=os.dup(gsock.get_fd()))
        self.drop = drop
        self.dropped = 0
        self.threads = set()
        self.lock = threading.Lock()

    def do_send_messages(self, messages, num, flags, timeout, cancellable):
        self.threads.add(thread_name())
        for m in messages:
            v = m.vectors
            data = ctypes.string_at(v.buffer, v.size) if v.size else b""
            with self.lock:
                drop = self.dropped < self.drop
                if drop:
                    self.dropped += 1
            if not drop:
                self.sock.send(data)
            m.bytes_sent = len(data)
        return len(messages)

    def do_receive_messages(self, messages, num, flags, timeout, cancellable):
        self.threads.add(thread_name())
        waits = [self.sock]
        if cancellable is not None:
            waits.append(cancellable.get_fd())
        wait = None if timeout < 0 else timeout / 1e6
        ready, _, _ = select.select(waits, [], [], wait)
        if cancellable is not None:
            cancellable.release_fd()
            if cancellable.is_cancelled():
                return 0  # dtlsgo is stopping its reader; it checks the cancellable
        if not ready:
            code = Gio.IOErrorEnum.WOULD_BLOCK if timeout == 0 else Gio.IOErrorEnum.TIMED_OUT
            raise GLib.Error("no datagram", GLib.quark_to_string(Gio.io_error_quark()), int(code))
        data = self.sock.recv(65536)
        m = dgram.InputMessage.from_address(hash(messages[0]))
        v = m.vectors[0]
        n = min(len(data), v.size)
        ctypes.memmove(v.buffer, data, n)
        m.bytes_received = n
        return 1

    def do_condition_check(self, condition):
        return condition

    def do_close(self):
        self.sock.close()
