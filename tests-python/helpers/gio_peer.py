"""A DTLS or TLS peer in its own process, through plain Gio: run by tests as

    /usr/bin/python3 gio_peer.py '<json settings>'

with the environment choosing the backend (peers.py: glib-networking's
GnuTLS backend from the system module directory, or dtlsgo through
GIO_MODULE_DIR). It prints one line per step ("BOUND <port>" for DTLS,
"LISTENING <port>" for a TLS server, "HANDSHAKEN", "CLOSE_NOTIFY",
"ERROR <domain> <code> <message>") and ends with "RESULT <json>".

Settings: transport ("udp", the default: DTLS over a connected UDP socket;
"tcp": TLS over TCP, the server listening on 127.0.0.1), role
("client"/"server"), port (local, 0 for any), peer_port, cert/key (files,
server's or client's own), ca (file for the database; absent: accept any
certificate), identity (client), alpn (list), require_client_cert
(server), mode:
  "exchange": the client sends "ping from <name>", the server answers
      "pong from <name>", the client closes, the server reads the
      close_notify and closes (over TCP each message is a line);
  "echo" (DTLS): echo every datagram until the peer's close_notify (or
      until killed).
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


def channel_binding(conn, kind):
    """The connection's channel binding of kind in hex, or "error".
    Through C with a real GByteArray: glib-networking dies of the slot
    PyGObject passes in its place (SIGFPE)."""
    gio = ctypes.CDLL("libgio-2.0.so.0")
    glib = ctypes.CDLL("libglib-2.0.so.0")
    get = (gio.g_tls_connection_get_channel_binding_data if isinstance(conn, Gio.TlsConnection)
           else gio.g_dtls_connection_get_channel_binding_data)
    get.argtypes = [
        ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_ByteArray), ctypes.POINTER(ctypes.c_void_p)]
    glib.g_byte_array_new.restype = ctypes.POINTER(_ByteArray)
    glib.g_byte_array_unref.argtypes = [ctypes.POINTER(_ByteArray)]
    array = glib.g_byte_array_new()
    error = ctypes.c_void_p()
    try:
        if not get(dgram.gpointer(conn), int(kind), array, ctypes.byref(error)):
            return "error"
        return ctypes.string_at(array.contents.data, array.contents.len).hex()
    finally:
        glib.g_byte_array_unref(array)


class Datagrams:
    """DTLS over a UDP socket connected to the peer; messages are datagrams."""

    def __init__(self, cfg):
        self.sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
        self.sock.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", cfg.get("port", 0)), False)
        self.sock.connect(Gio.InetSocketAddress.new_from_string("127.0.0.1", cfg["peer_port"]))
        say("BOUND", self.sock.get_local_address().get_port())

    def server(self, own):
        return Gio.DtlsServerConnection.new(self.sock, own)

    def client(self, identity):
        return Gio.DtlsClientConnection.new(self.sock, identity)

    @staticmethod
    def message(text):
        return text.encode()

    @staticmethod
    def send(conn, payload):
        dgram.send(conn, [payload])

    @staticmethod
    def receive(conn, forever=False):
        """A batch of datagrams; [] at the peer's close_notify."""
        return dgram.receive(conn, timeout=-1 if forever else 10 * SECOND)


class Stream:
    """TLS over TCP on 127.0.0.1; messages are lines."""

    def __init__(self, cfg):
        self.cfg = cfg

    def server(self, own):
        listener = Gio.SocketListener()
        _, address = listener.add_address(
            Gio.InetSocketAddress.new_from_string("127.0.0.1", self.cfg.get("port", 0)),
            Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
        say("LISTENING", address.get_port())
        base, _ = listener.accept(None)
        listener.close()
        base.get_socket().set_timeout(30)  # a silent peer fails the test instead of hanging it
        return Gio.TlsServerConnection.new(base, own)

    def client(self, identity):
        base = Gio.SocketClient().connect_to_host("127.0.0.1", self.cfg["peer_port"], None)
        base.get_socket().set_timeout(30)
        return Gio.TlsClientConnection.new(base, identity)

    @staticmethod
    def message(text):
        return text.encode() + b"\n"

    @staticmethod
    def send(conn, payload):
        conn.get_output_stream().write_all(payload, None)

    @staticmethod
    def receive(conn, forever=False):
        """One line; [] at the peer's close_notify."""
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.get_input_stream().read_bytes(1, None).get_data()
            if not chunk:
                return [line] if line else []
            line += chunk
        return [line]


def main(cfg, result):
    result["backend"] = type(Gio.TlsBackend.get_default()).__gtype__.name
    transport = (Stream if cfg.get("transport") == "tcp" else Datagrams)(cfg)

    own = None
    if cfg.get("cert"):
        own = Gio.TlsCertificate.new_from_files(cfg["cert"], cfg["key"])
    if cfg["role"] == "server":
        conn = transport.server(own)
        if cfg.get("require_client_cert"):
            conn.props.authentication_mode = Gio.TlsAuthenticationMode.REQUIRED
    else:
        conn = transport.client(Gio.NetworkAddress.new(cfg.get("identity", "localhost"), cfg.get("peer_port", 0)))
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
        tls_unique=channel_binding(conn, Gio.TlsChannelBindingType.UNIQUE),
        tls_exporter=channel_binding(conn, Gio.TlsChannelBindingType.EXPORTER),
    )
    say("HANDSHAKEN")

    got = []
    name = os.environ.get("PEER_NAME", "gio")
    if cfg.get("mode", "exchange") == "exchange":
        if cfg["role"] == "client":
            transport.send(conn, transport.message("ping from " + name))
            got = transport.receive(conn)
            conn.close(None)
        else:
            got = transport.receive(conn)
            transport.send(conn, transport.message("pong from " + name))
            result["close_notify"] = transport.receive(conn) == []
            conn.close(None)
    else:
        while True:
            batch = transport.receive(conn, forever=True)
            if not batch:
                result["close_notify"] = True
                say("CLOSE_NOTIFY")
                break
            got.extend(batch)
            for payload in batch:
                transport.send(conn, payload)
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
