"""A DTLS peer in its own process, through plain Gio: run by tests as

    /usr/bin/python3 gio_peer.py '<json settings>'

with the environment choosing the backend (peers.py: glib-networking's
GnuTLS backend from the system module directory, or dtlsgo through
GIO_MODULE_DIR). It prints one line per step ("BOUND <port>", "HANDSHAKEN",
"CLOSE_NOTIFY", "ERROR <domain> <code> <message>") and ends with
"RESULT <json>".

Settings: role ("client"/"server"), port (local, 0 for any), peer_port,
cert/key (files, server's or client's own), ca (file for the database;
absent: accept any certificate), identity (client), alpn (list),
require_client_cert (server), mode:
  "exchange": the client sends "ping from <role>", the server answers
      "pong from <role>", the client closes, the server reads the
      close_notify and closes;
  "echo": echo every datagram until the peer's close_notify (or until
      killed).
"""
import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

import dgram  # noqa: E402

SECOND = 1_000_000


def say(*words):
    print(*words, flush=True)


class _ByteArray(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_uint)]


def tls_unique(conn):
    """The connection's tls-unique channel binding in hex, or its error
    message. Through C with a real GByteArray: glib-networking dies of the
    slot PyGObject passes in its place (SIGFPE)."""
    gio = ctypes.CDLL("libgio-2.0.so.0")
    glib = ctypes.CDLL("libglib-2.0.so.0")
    gio.g_dtls_connection_get_channel_binding_data.argtypes = [
        ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_ByteArray), ctypes.POINTER(ctypes.c_void_p)]
    glib.g_byte_array_new.restype = ctypes.POINTER(_ByteArray)
    glib.g_byte_array_unref.argtypes = [ctypes.POINTER(_ByteArray)]
    array = glib.g_byte_array_new()
    error = ctypes.c_void_p()
    try:
        if not gio.g_dtls_connection_get_channel_binding_data(
                dgram.gpointer(conn), int(Gio.TlsChannelBindingType.UNIQUE), array, ctypes.byref(error)):
            return "error"
        return ctypes.string_at(array.contents.data, array.contents.len).hex()
    finally:
        glib.g_byte_array_unref(array)


def main(cfg, result):
    result["backend"] = type(Gio.TlsBackend.get_default()).__gtype__.name
    sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    sock.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", cfg.get("port", 0)), False)
    sock.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", cfg["peer_port"]))
    say("BOUND", sock.get_local_address().get_port())

    own = None
    if cfg.get("cert"):
        own = Gio.TlsCertificate.new_from_files(cfg["cert"], cfg["key"])
    if cfg["role"] == "server":
        conn = Gio.DtlsServerConnection.new(sock, own)
        if cfg.get("require_client_cert"):
            conn.props.authentication_mode = Gio.TlsAuthenticationMode.REQUIRED
    else:
        conn = Gio.DtlsClientConnection.new(sock, Gio.NetworkAddress.new(cfg.get("identity", "localhost"), 0))
        if own:
            conn.set_certificate(own)
    if cfg.get("ca"):
        conn.set_database(Gio.TlsFileDatabase.new(cfg["ca"]))
    # The server sees every client certificate here (GLib's rule); the
    # client only what failed verification.
    seen = []
    conn.connect("accept-certificate",
                 lambda _c, cert, errors: seen.append(int(errors)) or
                 (not cfg.get("ca") or (cfg["role"] == "server" and int(errors) == 0)))
    if cfg.get("alpn"):
        conn.set_advertised_protocols(cfg["alpn"])

    conn.handshake(None)
    peer = conn.get_peer_certificate()
    result.update(
        negotiated=conn.get_negotiated_protocol(),
        ciphersuite=conn.get_ciphersuite_name(),
        version=conn.get_protocol_version().value_nick,
        peer_subject=peer.get_subject_name() if peer else None,
        peer_errors=int(conn.get_peer_certificate_errors()),
        accept_certificate=seen,
        tls_unique=tls_unique(conn),
    )
    say("HANDSHAKEN")

    got = []
    if cfg.get("mode", "exchange") == "exchange":
        if cfg["role"] == "client":
            dgram.send(conn, [b"ping from " + os.environ.get("PEER_NAME", "gio").encode()])
            got = dgram.receive(conn, timeout=10 * SECOND)
            conn.close(None)
        else:
            got = dgram.receive(conn, timeout=10 * SECOND)
            dgram.send(conn, [b"pong from " + os.environ.get("PEER_NAME", "gio").encode()])
            result["close_notify"] = dgram.receive(conn, timeout=10 * SECOND) == []
            conn.close(None)
    else:
        while True:
            batch = dgram.receive(conn, timeout=-1)
            if not batch:
                result["close_notify"] = True
                say("CLOSE_NOTIFY")
                break
            got.extend(batch)
            dgram.send(conn, batch)
        conn.close(None)
    result["received"] = [p.decode("latin-1") for p in got]


if __name__ == "__main__":
    res = {}
    try:
        main(json.loads(sys.argv[1]), res)
    except GLib.Error as e:
        say("ERROR", e.domain, e.code, e.message)
        res["error"] = [e.domain, e.code, e.message]
    say("RESULT", json.dumps(res))
