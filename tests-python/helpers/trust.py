"""Helpers for the trust tests: handshakes in every mode that record which
thread ran each handler, accept-certificate recorders, a Python
Gio.TlsDatabase, interactions, and small DER/ClientHello parsers."""
import threading
import time

from gi.repository import Gio, GLib

import conns
from streams import IO, assert_error  # noqa: F401 (the trust tests import them from here)

F = Gio.TlsCertificateFlags
VALIDATE_ALL = F.VALIDATE_ALL
TLS = GLib.quark_to_string(Gio.tls_error_quark())
BINDING = GLib.quark_to_string(Gio.tls_channel_binding_error_quark())

MODES = ["sync", "async"]


class Recorder:
    """Connects an accept-certificate handler answering `answer` (None: no
    handler) and records each call: its thread, the errors, the
    certificate, and what peer-certificate read during the call."""

    def __init__(self, conn, answer, during=None):
        self.answer = answer
        self.calls = []
        self.during = during
        if answer is not None:
            conn.connect("accept-certificate", self._on_accept)

    def _on_accept(self, conn, cert, errors):
        call = {"thread": threading.get_ident(), "errors": errors, "cert": cert,
                "peer_during": conn.get_peer_certificate()}
        if self.during:
            call["during"] = self.during(conn)
        self.calls.append(call)
        return self.answer


class Outcome:
    def __init__(self):
        self.error = None
        self.thread = None
        self.elapsed = None


def handshake(client, server, mode, timeout=20):
    """Handshakes client (on this thread) and server (on a thread of its
    own). sync: handshake(); async: handshake_async() in this thread's
    default context and in a new thread-default context of the server's
    thread. Returns (client Outcome, server Outcome); a server handshake
    that does not end in time is its error."""
    c, s = Outcome(), Outcome()

    def run_server():
        ctx = None
        if mode == "async":
            ctx = GLib.MainContext.new()
            ctx.push_thread_default()
        try:
            _handshake_one(server, s, mode, timeout, ctx)
        except AssertionError as e:
            s.error = e
        if ctx is not None:
            ctx.pop_thread_default()

    t = threading.Thread(target=run_server, daemon=True)
    t.start()
    _handshake_one(client, c, mode, timeout, None)
    t.join(timeout)
    assert not t.is_alive(), "server handshake did not end"
    return c, s


def _handshake_one(conn, out, mode, timeout, context):
    """Runs conn's handshake on this thread, recording into out; async
    iterates context (None: the default one) until it completes."""
    out.thread = threading.get_ident()
    start = time.monotonic()
    try:
        if mode == "sync":
            conn.handshake(None)
        else:
            done = []
            conn.handshake_async(GLib.PRIORITY_DEFAULT, None, lambda o, r: done.append(r))
            conns.iterate_until(lambda: done, timeout=timeout, context=context)
            conn.handshake_finish(done[0])
    except GLib.Error as e:
        out.error = e
    out.elapsed = time.monotonic() - start


def client_conn(sock, identity="localhost", database="root", pki=None, flags=None):
    """A client connection. identity: host name, IP literal, a
    GSocketConnectable or None; database: "root" (a file database with the
    test root), "default" (the backend's), None, or a GTlsDatabase."""
    if isinstance(identity, str):
        identity = Gio.NetworkAddress.new(identity, 0)
    conn = Gio.DtlsClientConnection.new(sock, identity)
    set_database(conn, database, pki)
    if flags is not None:
        conn.set_property("validation-flags", F(flags))
    return conn


def server_conn(sock, cert, database="root", pki=None, mode=Gio.TlsAuthenticationMode.NONE):
    conn = Gio.DtlsServerConnection.new(sock, cert)
    set_database(conn, database, pki)
    conn.set_property("authentication-mode", mode)
    return conn


def set_database(conn, database, pki):
    if database == "root":
        conn.set_database(pki.file_database(pki.root))
    elif database is None:
        conn.set_database(None)
    elif database != "default":
        conn.set_database(database)


class PyDatabase(Gio.TlsDatabase):
    """A GTlsDatabase written in Python: answers `flags` (or raises
    `error`) and records every verify_chain call."""

    def __init__(self, flags=0, error=None):
        super().__init__()
        self.flags = flags
        self.error = error
        self.calls = []

    def do_verify_chain(self, chain, purpose, identity, interaction, flags, cancellable):
        self.calls.append({"thread": threading.get_ident(), "purpose": purpose,
                           "identity": identity, "interaction": interaction,
                           "der": bytes(chain.props.certificate),
                           "issuer": chain.get_issuer()})
        if self.error is not None:
            raise self.error
        return self.flags


class CertInteraction(Gio.TlsInteraction):
    """request_certificate sets `cert` on the connection (HANDLED), raises
    `error` (FAILED), or does nothing (UNHANDLED)."""

    def __init__(self, cert=None, error=None):
        super().__init__()
        self.cert = cert
        self.error = error
        self.calls = []

    def do_request_certificate(self, connection, flags, cancellable):
        self.calls.append({"thread": threading.get_ident(),
                           "accepted_cas": [bytes(b) for b in
                                            Gio.DtlsClientConnection.get_accepted_cas(connection)]})
        if self.error is not None:
            raise self.error
        if self.cert is None:
            return Gio.TlsInteractionResult.UNHANDLED
        connection.set_certificate(self.cert)
        return Gio.TlsInteractionResult.HANDLED


# ---- DER and wire parsing ------------------------------------------------------


def _tlv(data, pos):
    """(tag, content start, content end) of the DER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def subject_der(cert_der):
    """The raw subject Name of a DER certificate, as accepted-cas holds it."""
    _, cert, _ = _tlv(cert_der, 0)
    _, tbs, _ = _tlv(cert_der, cert)
    pos = tbs
    fields = []
    while len(fields) < 6:
        tag, start, end = _tlv(cert_der, pos)
        if not fields and tag == 0xA0:  # [0] version
            pos = end
            continue
        fields.append((pos, end))
        pos = end
    start, end = fields[4]  # serial, signature, issuer, validity, subject
    return cert_der[start:end]


def client_hello_extensions(datagram):
    """The extensions of a DTLS ClientHello datagram: {type: data}."""
    body = datagram[13 + 12:]  # record header, handshake header
    pos = 2 + 32  # client_version, random
    pos += 1 + body[pos]  # session_id
    pos += 1 + body[pos]  # cookie
    pos += 2 + int.from_bytes(body[pos:pos + 2], "big")  # cipher suites
    pos += 1 + body[pos]  # compression methods
    end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    extensions = {}
    while pos < end:
        ext_type = int.from_bytes(body[pos:pos + 2], "big")
        ext_len = int.from_bytes(body[pos + 2:pos + 4], "big")
        extensions[ext_type] = body[pos + 4:pos + 4 + ext_len]
        pos += 4 + ext_len
    return extensions


def client_hello_server_name(datagram):
    """The SNI host name of a DTLS ClientHello datagram, or None."""
    data = client_hello_extensions(datagram).get(0)
    if data is None:
        return None
    # server_name_list: length, then (type 0, length, name)
    name_len = int.from_bytes(data[3:5], "big")
    return data[5:5 + name_len].decode()


class PasswordInteraction(Gio.TlsInteraction):
    """ask_password answers each of `answers` in turn: a string (HANDLED),
    a GLib.Error (raised: FAILED), or nothing left (UNHANDLED)."""

    def __init__(self, answers=()):
        super().__init__()
        self.answers = list(answers)
        self.calls = []

    def do_ask_password(self, password, cancellable):
        self.calls.append({"thread": threading.get_ident(), "flags": password.get_flags(),
                           "description": password.get_description()})
        if not self.answers:
            return Gio.TlsInteractionResult.UNHANDLED
        answer = self.answers.pop(0)
        if isinstance(answer, GLib.Error):
            raise answer
        password.set_value(answer.encode())
        return Gio.TlsInteractionResult.HANDLED


def locked_certificate(cred, issuer):
    """cred's certificate with its encrypted PKCS #8 key, built as a C
    program would: g_initable_new on the backend's certificate type."""
    from gi.repository import GObject

    gtype = Gio.TlsBackend.get_default().get_certificate_type()
    cert = GObject.new(gtype, certificate_pem=cred.cert_pem(),
                       private_key_pem=cred.keys["encrypted"].read_text(), issuer=issuer)
    cert.init(None)
    return cert
