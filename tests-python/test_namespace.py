"""The DtlsGo namespace (issue 8): dtlsgo's objects are DtlsGo types for
GObject introspection, the library describes itself, and every symbol of
the introspected API is documented."""
import os
import pathlib
import re
import xml.etree.ElementTree as ET

from gi.repository import DtlsGo, Gio, GLib

import conns

REPO = pathlib.Path(__file__).resolve().parent.parent
GIR_NS = {"core": "http://www.gtk.org/introspection/core/1.0"}


def test_gio_objects_are_dtlsgo_types(pki):
    cs, ss = conns.udp_pair()
    client = Gio.DtlsClientConnection.new(cs, None)
    server = Gio.DtlsServerConnection.new(ss, pki.server_ecdsa.tls_certificate())
    assert isinstance(client, DtlsGo.ClientConnection) and isinstance(client, DtlsGo.Connection)
    assert isinstance(server, DtlsGo.ServerConnection) and isinstance(server, DtlsGo.Connection)
    for conn in (client, server):
        # ...and still everything GIO says they are.
        assert isinstance(conn, Gio.DtlsConnection) and isinstance(conn, Gio.DatagramBased)
    assert isinstance(Gio.TlsBackend.get_default(), DtlsGo.Backend)
    assert isinstance(server.get_certificate(), DtlsGo.Certificate)
    assert isinstance(pki.file_database(), DtlsGo.FileDatabase)
    assert isinstance(pki.file_database(), DtlsGo.Database)
    assert isinstance(Gio.TlsBackend.get_default().get_default_database(), DtlsGo.Database)


def test_version_is_the_source_trees():
    assert DtlsGo.get_version() == (REPO / "VERSION").read_text().strip()


def test_cipher_suites_and_srtp_profiles_are_listed():
    suites = DtlsGo.get_cipher_suites()
    assert "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in suites
    assert "TLS_PSK_WITH_AES_128_GCM_SHA256" in suites
    assert len(set(suites)) == len(suites)
    assert all(re.fullmatch(r"TLS_[A-Z0-9_]+", s) for s in suites), suites
    assert DtlsGo.get_srtp_profiles() == ["SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM",
                                          "SRTP_AES128_CM_HMAC_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_32"]


def test_negotiated_suite_is_a_listed_one(pki):
    client, server, _, _ = conns.pair(pki.server.tls_certificate())  # RSA
    assert conns.handshake_both(client, server) == (None, None)
    assert client.get_ciphersuite_name() in DtlsGo.get_cipher_suites()


def test_namespace_defaults():
    cs, _ = conns.udp_pair()
    conn = Gio.DtlsClientConnection.new(cs, None)
    assert conn.props.handshake_timeout == 0
    assert conn.props.retransmission_interval == 1000
    assert conn.props.mtu == 1200
    assert conn.props.connection_id_length == 0
    assert not conn.props.srtp_profiles  # PyGObject reads a NULL strv as []
    assert conn.props.srtp_profile is None
    assert conn.get_srtp_profile() is None
    assert conn.props.psk is None and conn.props.psk_identity is None


def test_gi_and_gio_share_one_module():
    """The typelib names the module GIO loaded: one library, one Go runtime."""
    DtlsGo.get_version()  # GI has opened the typelib's library
    Gio.TlsBackend.get_default()  # GIO has loaded its module
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libgiodtlsgo" in line}
    module = pathlib.Path(os.environ["GIO_MODULE_DIR"], "libgiodtlsgo.so").resolve()
    assert paths == {str(module)}


def built_gir():
    return pathlib.Path(os.environ["GI_TYPELIB_PATH"].split(":")[0], "DtlsGo-1.0.gir")


def test_every_symbol_is_documented_in_the_gir():
    root = ET.parse(built_gir()).getroot()
    ns = root.find("core:namespace", GIR_NS)
    undocumented = []

    def check(el, name):
        if el.find("core:doc", GIR_NS) is None:
            undocumented.append(name)

    for kind in ("class", "function", "enumeration", "bitfield", "callback"):
        for el in ns.findall(f"core:{kind}", GIR_NS):
            check(el, el.get("name"))
    for cls in ns.findall("core:class", GIR_NS):
        for kind in ("method", "constructor", "function", "property", "glib:signal", "virtual-method"):
            tag = kind if ":" in kind else f"core:{kind}"
            for el in cls.findall(tag, {**GIR_NS, "glib": "http://www.gtk.org/introspection/glib/1.0"}):
                name = f"{cls.get('name')}.{el.get('name')}"
                check(el, name)
                for param in el.findall("core:parameters/core:parameter", GIR_NS):
                    check(param, f"{name}({param.get('name')})")
                ret = el.find("core:return-value", GIR_NS)
                if ret is not None and ret.find("core:type", GIR_NS).get("name") != "none":
                    check(ret, f"{name}() return value")
    assert undocumented == []
    assert len(ns.findall("core:class", GIR_NS)) == 9
