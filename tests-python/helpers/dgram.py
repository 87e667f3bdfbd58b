"""Datagram I/O on any Gio.DatagramBased from Python, through GIO's real C
entry points.

PyGObject 3.42 cannot fill GOutputMessage/GInputMessage vectors (it copies
input messages and will not take buffers), so these helpers build the C
structs with ctypes and call g_datagram_based_send_messages /
g_datagram_based_receive_messages on the object's C pointer. ctypes drops the
GIL for the call, as PyGObject does.
"""
import ctypes

from gi.repository import GLib

_gio = ctypes.CDLL("libgio-2.0.so.0")
_glib = ctypes.CDLL("libglib-2.0.so.0")


class _OutputVector(ctypes.Structure):
    _fields_ = [("buffer", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class _OutputMessage(ctypes.Structure):
    _fields_ = [
        ("address", ctypes.c_void_p),
        ("vectors", ctypes.POINTER(_OutputVector)),
        ("num_vectors", ctypes.c_uint),
        ("bytes_sent", ctypes.c_uint),
        ("control_messages", ctypes.c_void_p),
        ("num_control_messages", ctypes.c_uint),
    ]


class _InputVector(ctypes.Structure):
    _fields_ = [("buffer", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class InputMessage(ctypes.Structure):
    _fields_ = [
        ("address", ctypes.c_void_p),
        ("vectors", ctypes.POINTER(_InputVector)),
        ("num_vectors", ctypes.c_uint),
        ("bytes_received", ctypes.c_size_t),
        ("flags", ctypes.c_int),
        ("control_messages", ctypes.c_void_p),
        ("num_control_messages", ctypes.c_void_p),
    ]


class _GError(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p)]


_ARGS = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_int64,
         ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(_GError))]
_gio.g_datagram_based_send_messages.argtypes = _ARGS
_gio.g_datagram_based_send_messages.restype = ctypes.c_int
_gio.g_datagram_based_receive_messages.argtypes = _ARGS
_gio.g_datagram_based_receive_messages.restype = ctypes.c_int
_glib.g_quark_to_string.argtypes = [ctypes.c_uint32]
_glib.g_quark_to_string.restype = ctypes.c_char_p
_glib.g_error_free.argtypes = [ctypes.POINTER(_GError)]
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def gpointer(obj):
    """The C pointer of a GObject (or None for None)."""
    if obj is None:
        return None
    return ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None)


def _raise(err):
    e = err.contents
    exc = GLib.Error(e.message.decode(), _glib.g_quark_to_string(e.domain).decode(), e.code)
    _glib.g_error_free(err)
    raise exc


def send(conn, payloads, timeout=-1, cancellable=None, flags=0, vectors_per_message=1):
    """Sends each payload as one message; returns the count sent. A payload
    may be split over several vectors to exercise gathering."""
    keep = []
    msgs = (_OutputMessage * len(payloads))()
    for i, p in enumerate(payloads):
        parts = _split(p, vectors_per_message)
        vecs = (_OutputVector * len(parts))()
        for j, part in enumerate(parts):
            buf = ctypes.create_string_buffer(part, len(part))
            keep.append(buf)
            vecs[j].buffer = ctypes.cast(buf, ctypes.c_void_p)
            vecs[j].size = len(part)
        keep.append(vecs)
        msgs[i].vectors = vecs
        msgs[i].num_vectors = len(parts)
    err = ctypes.POINTER(_GError)()
    n = _gio.g_datagram_based_send_messages(gpointer(conn), msgs, len(payloads), flags, timeout,
                                            gpointer(cancellable), ctypes.byref(err))
    if n < 0:
        _raise(err)
    for i in range(n):
        assert msgs[i].bytes_sent == len(payloads[i])
    return n


def receive(conn, count=1, size=65536, timeout=-1, cancellable=None, flags=0, vector_sizes=None):
    """Receives up to count messages; returns their payloads (bytes). With
    vector_sizes, each message scatters over vectors of those sizes."""
    sizes = vector_sizes or [size]
    bufs = []
    msgs = (InputMessage * count)()
    for i in range(count):
        vecs = (_InputVector * len(sizes))()
        row = []
        for j, s in enumerate(sizes):
            b = ctypes.create_string_buffer(s)
            row.append(b)
            vecs[j].buffer = ctypes.cast(b, ctypes.c_void_p)
            vecs[j].size = s
        bufs.append((row, vecs))
        msgs[i].vectors = vecs
        msgs[i].num_vectors = len(sizes)
    err = ctypes.POINTER(_GError)()
    n = _gio.g_datagram_based_receive_messages(gpointer(conn), msgs, count, flags, timeout,
                                               gpointer(cancellable), ctypes.byref(err))
    if n < 0:
        _raise(err)
    out = []
    for i in range(n):
        left = msgs[i].bytes_received
        data = b""
        for b in bufs[i][0]:
            take = min(left, len(b))
            data += b.raw[:take]
            left -= take
        out.append(data)
    return out


def _split(p, parts):
    if parts <= 1 or len(p) < parts:
        return [p]
    step = len(p) // parts
    return [p[k * step:(k + 1) * step] if k < parts - 1 else p[k * step:] for k in range(parts)]



_SOURCE_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p)
_gio.g_datagram_based_create_source.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p]
_gio.g_datagram_based_create_source.restype = ctypes.c_void_p
_glib.g_source_set_callback.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
_glib.g_source_attach.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_glib.g_source_attach.restype = ctypes.c_uint
_glib.g_source_unref.argtypes = [ctypes.c_void_p]
_watch_callbacks = []


def add_watch(conn, condition, fn, cancellable=None):
    """Watches a GDatagramBased's create_source() in the default main
    context, calling fn(condition) -> bool. Built with ctypes because
    PyGObject's Source.set_callback marshals a plain GSourceFunc, not the
    GDatagramBasedSourceFunc such a source calls."""
    cb = _SOURCE_FUNC(lambda _conn, cond, _data: 1 if fn(GLib.IOCondition(cond)) else 0)
    _watch_callbacks.append(cb)  # lives as long as the test process
    source = _gio.g_datagram_based_create_source(gpointer(conn), int(condition), gpointer(cancellable))
    _glib.g_source_set_callback(source, ctypes.cast(cb, ctypes.c_void_p), None, None)
    source_id = _glib.g_source_attach(source, None)
    _glib.g_source_unref(source)
    return source_id


_gio.g_datagram_based_condition_wait.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int64,
                                                 ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(_GError))]
_gio.g_datagram_based_condition_wait.restype = ctypes.c_int


def condition_wait(conn, condition, timeout=-1, cancellable=None):
    """g_datagram_based_condition_wait; raises its error."""
    err = ctypes.POINTER(_GError)()
    if not _gio.g_datagram_based_condition_wait(gpointer(conn), int(condition), timeout,
                                                gpointer(cancellable), ctypes.byref(err)):
        _raise(err)
