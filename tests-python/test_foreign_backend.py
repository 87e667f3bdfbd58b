"""dtlsgo's DTLS while another backend is GIO's default (issue 15): the
DtlsGo constructors, certificates and databases of glib-networking's GnuTLS
backend given to dtlsgo connections, and TLS through glib-networking beside
DTLS through dtlsgo in one process.

Each test is a fresh process (fixtures.run_python) where glib-networking is
the default: "beside" loads dtlsgo's module through GIO_EXTRA_MODULES,
"gnutls" only through the typelib. Warnings and criticals are fatal there:
GnuTLS's database asserts that it is given its own certificate type.
"""
import json
import pathlib
import shutil
import textwrap

import pytest

import fixtures
import peers

FATAL_WARNINGS = {"G_DEBUG": "fatal-warnings"}


@pytest.fixture(scope="module", autouse=True)
def glib_networking_installed():
    assert peers.glib_networking_available() and shutil.which("openssl"), \
        "glib-networking and openssl are needed: run scripts/install-deps"


def files(pki):
    """The PKI's file names the subprocesses use."""
    return {"root": str(pki.root.cert), "intermediate": str(pki.intermediate.cert),
            "server_chain": str(pki.server_ecdsa.chain), "server_cert": str(pki.server_ecdsa.cert),
            "server_key": str(pki.server_ecdsa.key),
            "client_chain": str(pki.client.chain), "client_key": str(pki.client.key)}


# Shared by the subprocesses: a connected UDP pair, and one datagram each
# way through a client and a server (the server in a thread).
PRELUDE = """
import threading
gi.require_version("DtlsGo", "1.0")
from gi.repository import DtlsGo, GObject

def udp_pair():
    def bound():
        s = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
        s.bind(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0), False)
        return s
    a, b = bound(), bound()
    a.connect(b.get_local_address())
    b.connect(a.get_local_address())
    return a, b

def error_of(e):
    return [e.domain, e.code, e.message]

def exchange(client, server):
    out = {}
    def serve():
        try:
            server.handshake(None)
            out["server_got"] = server.receive_bytes(100, 5_000_000, None).get_data().decode()
            server.send_bytes(GLib.Bytes.new(b"pong"), 5_000_000, None)
        except GLib.Error as e:
            out["server_error"] = error_of(e)
    t = threading.Thread(target=serve)
    t.start()
    try:
        client.handshake(None)
        client.send_bytes(GLib.Bytes.new(b"ping"), 5_000_000, None)
        out["client_got"] = client.receive_bytes(100, 5_000_000, None).get_data().decode()
    except GLib.Error as e:
        out["client_error"] = error_of(e)
    t.join(20)
    client.close(None)
    server.close(None)
    return out

def type_name(obj):
    return type(obj).__gtype__.name if obj is not None else None
"""


def beside(pki, code, backend="beside"):
    return fixtures.run_python(f"P = {json.dumps(files(pki))}\n" + PRELUDE + textwrap.dedent(code),
                               backend=backend, env=FATAL_WARNINGS)


@pytest.mark.parametrize("backend", ["beside", "gnutls"])
def test_constructors_whatever_the_default_backend(pki, backend):
    """DtlsGo.*.new make dtlsgo objects while glib-networking is the
    default, whether GIO loaded the module too or only the typelib did; a
    handshake with dtlsgo's own certificate and database works."""
    result = beside(pki, """
        a, b = udp_pair()
        # certificate-pem takes one certificate: the issuer is linked by hand.
        cert = DtlsGo.Certificate(
            certificate_pem=open(P["server_cert"]).read(), private_key_pem=open(P["server_key"]).read(),
            issuer=DtlsGo.Certificate(certificate_pem=open(P["intermediate"]).read()))
        client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
        server = DtlsGo.ServerConnection.new(b, cert)
        db = DtlsGo.FileDatabase.new(P["root"])
        client.set_database(db)
        try:
            DtlsGo.FileDatabase.new(P["root"] + ".missing")
            missing = None
        except GLib.Error as e:
            missing = error_of(e)
        result = {
            "default": type_name(Gio.TlsBackend.get_default()),
            "gio_client": type_name(Gio.DtlsClientConnection.new(a, None)),
            "types": [type_name(client), type_name(server), type_name(db)],
            "identity": client.props.server_identity.get_hostname(),
            "certificate": server.props.certificate == cert,
            "anchors": db.props.anchors,
            "missing": missing,
            "exchange": exchange(client, server),
            "errors": int(client.props.peer_certificate_errors),
        }
    """, backend=backend)
    assert result["default"] == "GTlsBackendGnutls"
    assert result["gio_client"] == "GTlsClientConnectionGnutls"
    assert result["types"] == ["DtlsGoClientConnection", "DtlsGoServerConnection",
                               "DtlsGoFileDatabase"]
    assert result["identity"] == "localhost"
    assert result["certificate"]
    assert result["anchors"] == files(pki)["root"]
    assert result["missing"][:2] == ["g-tls-error-quark", 1]  # G_TLS_ERROR_MISC
    assert result["exchange"] == {"server_got": "ping", "client_got": "pong"}
    assert result["errors"] == 0


def test_certificates_and_databases_of_glib_networking(pki):
    """A server and a client certificate made by GnuTLS, each peer verified
    by a GnuTLS file database: both chains verify (no CRITICAL), and
    peer-certificate is a GnuTLS certificate with its issuer linked."""
    result = beside(pki, """
        a, b = udp_pair()
        client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
        server = DtlsGo.ServerConnection.new(
            b, Gio.TlsCertificate.new_from_files(P["server_chain"], P["server_key"]))
        client.set_certificate(Gio.TlsCertificate.new_from_files(P["client_chain"], P["client_key"]))
        client.set_database(Gio.TlsFileDatabase.new(P["root"]))
        server.set_database(Gio.TlsFileDatabase.new(P["root"]))
        server.props.authentication_mode = Gio.TlsAuthenticationMode.REQUIRED
        seen = {"client": [], "server": []}
        client.connect("accept-certificate", lambda c, cert, errors: seen["client"].append(int(errors)))
        def server_accepts(c, cert, errors):
            seen["server"].append(int(errors))
            return True
        server.connect("accept-certificate", server_accepts)
        out = exchange(client, server)
        peer = client.props.peer_certificate
        result = {
            "types": [type_name(server.props.certificate), type_name(client.props.database)],
            "exchange": out, "seen": seen,
            "client_errors": int(client.props.peer_certificate_errors),
            "server_errors": int(server.props.peer_certificate_errors),
            "peer": [type_name(peer), type_name(peer.get_issuer())],
            "peer_is_server": peer.is_same(Gio.TlsCertificate.new_from_file(P["server_cert"])),
            "client_seen_by_server": type_name(server.props.peer_certificate),
        }
    """)
    assert result["types"] == ["GTlsCertificateGnutls", "GTlsFileDatabaseGnutls"]
    assert result["exchange"] == {"server_got": "ping", "client_got": "pong"}
    assert result["seen"] == {"client": [], "server": [0]}
    assert result["client_errors"] == 0 and result["server_errors"] == 0
    assert result["peer"] == ["GTlsCertificateGnutls", "GTlsCertificateGnutls"]
    assert result["peer_is_server"]
    assert result["client_seen_by_server"] == "GTlsCertificateGnutls"


def test_default_database_is_glib_networkings(pki):
    """With no database set, a dtlsgo connection uses GIO's default
    database (glib-networking's system store here), as GLib documents: the
    test root is unknown to it, which accept-certificate is told."""
    result = beside(pki, """
        a, b = udp_pair()
        client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
        server = DtlsGo.ServerConnection.new(
            b, Gio.TlsCertificate.new_from_files(P["server_chain"], P["server_key"]))
        seen = []
        def accept(c, cert, errors):
            seen.append(int(errors))
            return True
        client.connect("accept-certificate", accept)
        result = {"database": type_name(client.props.database),
                  "exchange": exchange(client, server), "seen": seen}
    """)
    assert result["database"] == "GTlsDatabaseGnutls"
    assert result["exchange"] == {"server_got": "ping", "client_got": "pong"}
    UNKNOWN_CA = 1
    assert result["seen"] == [UNKNOWN_CA]


def test_python_database_over_glib_networking(pki):
    """A Python GTlsDatabase that asks a GnuTLS database is handed GnuTLS
    certificates, so its answer is the verdict."""
    result = beside(pki, """
        class Delegating(Gio.TlsDatabase):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner
                self.chains = []
            def do_verify_chain(self, chain, purpose, identity, interaction, flags, cancellable):
                self.chains.append([type_name(chain), type_name(chain.get_issuer()), purpose])
                return self.inner.verify_chain(chain, purpose, identity, interaction, flags,
                                               cancellable)
        a, b = udp_pair()
        client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
        server = DtlsGo.ServerConnection.new(
            b, Gio.TlsCertificate.new_from_files(P["server_chain"], P["server_key"]))
        db = Delegating(Gio.TlsFileDatabase.new(P["root"]))
        client.set_database(db)
        result = {"exchange": exchange(client, server), "chains": db.chains,
                  "errors": int(client.props.peer_certificate_errors)}
    """)
    assert result["exchange"] == {"server_got": "ping", "client_got": "pong"}
    assert result["chains"] == [["GTlsCertificateGnutls", "GTlsCertificateGnutls",
                                 fixtures.PURPOSE_SERVER]]
    assert result["errors"] == 0


def test_tls_through_glib_networking_and_dtls_through_dtlsgo(pki):
    """One process: an HTTPS request to openssl s_server through
    glib-networking (verified against the test root), then DTLS through
    dtlsgo with a GnuTLS-made certificate and a dtlsgo database."""
    argv = ["openssl", "s_server", "-www", "-accept", "127.0.0.1:0", "-naccept", "1",
            "-cert", pki.server_ecdsa.cert, "-key", pki.server_ecdsa.key,
            "-cert_chain", pki.server_ecdsa.chain]
    with peers.Peer("openssl s_server -www", argv) as https:
        port = int(https.wait_for(r"ACCEPT 127\.0\.0\.1:(\d+)").group(1))
        result = beside(pki, f"""
            root = Gio.TlsFileDatabase.new(P["root"])
            sc = Gio.SocketClient.new()
            sc.set_tls(True)
            def use_root(sc, event, _connectable, conn):
                if event == Gio.SocketClientEvent.TLS_HANDSHAKING:
                    conn.set_database(root)
            # SocketClient.connect is the connect method, not the signal's.
            GObject.Object.connect(sc, "event", use_root)
            conn = sc.connect_to_host("localhost:{port}", 0, None)
            conn.get_output_stream().write_all(b"GET / HTTP/1.0\\r\\n\\r\\n", None)
            body = b""
            while True:
                chunk = conn.get_input_stream().read_bytes(65536, None).get_data()
                if not chunk:
                    break
                body += chunk
            tls = conn.get_base_io_stream()
            https = {{"status": body.split(b"\\r\\n", 1)[0].decode(),
                      "type": type_name(tls),
                      "errors": int(tls.get_peer_certificate_errors())}}
            conn.close(None)

            a, b = udp_pair()
            client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
            server = DtlsGo.ServerConnection.new(
                b, Gio.TlsCertificate.new_from_files(P["server_chain"], P["server_key"]))
            client.set_database(DtlsGo.FileDatabase.new(P["root"]))
            result = {{"https": https, "dtls": exchange(client, server),
                       "dtls_errors": int(client.props.peer_certificate_errors)}}
        """)
    assert result["https"] == {"status": "HTTP/1.0 200 ok", "type": "GTlsClientConnectionGnutls",
                               "errors": 0}
    assert result["dtls"] == {"server_got": "ping", "client_got": "pong"}
    assert result["dtls_errors"] == 0


def test_module_loads_once_whoever_loads_it(pki):
    """GI loads the module first (a constructor), GIO then as a backend
    beside glib-networking, then a program loads the directory itself,
    twice: one mapping, one dtlsgo extension, no warning, the default
    unchanged, and dtlsgo's DTLS still works."""
    result = beside(pki, """
        import os
        a, b = udp_pair()
        first = DtlsGo.ClientConnection.new(a, None)
        default = type_name(Gio.TlsBackend.get_default())
        for _ in range(2):
            Gio.io_modules_load_all_in_directory(os.environ["GIO_EXTRA_MODULES"])
        extensions = [e.get_name() for e in Gio.IOExtensionPoint.lookup("gio-tls-backend").get_extensions()]
        client = DtlsGo.ClientConnection.new(a, Gio.NetworkAddress.new("localhost", 0))
        server = DtlsGo.ServerConnection.new(
            b, Gio.TlsCertificate.new_from_files(P["server_chain"], P["server_key"]))
        client.set_database(DtlsGo.FileDatabase.new(P["root"]))
        result = {"first": type_name(first), "default": default, "extensions": extensions,
                  "default_after": type_name(Gio.TlsBackend.get_default()),
                  "mappings": sorted({l.split()[-1] for l in open("/proc/self/maps")
                                      if "libgiodtlsgo" in l}),
                  "exchange": exchange(client, server)}
    """)
    assert result["first"] == "DtlsGoClientConnection"
    assert result["default"] == result["default_after"] == "GTlsBackendGnutls"
    assert result["extensions"].count("dtlsgo") == 1
    assert len(result["mappings"]) == 1
    assert result["exchange"] == {"server_got": "ping", "client_got": "pong"}
