"""Gio.TlsDatabase with dtlsgo: the file database (anchors, verify_chain
for both purposes, identities, lookups, handles), the backend's default
database (the system store: one per process, read once, lazily), and
their errors."""

import re

import pytest
from gi.repository import Gio, GLib, GObject

import fixtures

F = Gio.TlsCertificateFlags
SERVER = Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER
CLIENT = Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT
NONE = Gio.TlsDatabaseVerifyFlags.NONE
LOOKUP_NONE = Gio.TlsDatabaseLookupFlags.NONE
LOOKUP_KEYPAIR = Gio.TlsDatabaseLookupFlags.KEYPAIR


def from_file(path):
    return Gio.TlsCertificate.new_from_file(str(path))


def host(name):
    return Gio.NetworkAddress.new(name, 443)


def verify(db, cert, purpose=SERVER, identity=None):
    return int(db.verify_chain(cert, purpose, identity, None, NONE, None))


@pytest.fixture(scope="module")
def db(pki):
    return pki.file_database(pki.root)


# -- the file database --------------------------------------------------------

def test_file_database_type_and_anchors(pki, db):
    assert type(db).__gtype__.name == "DtlsGoFileDatabase"
    assert isinstance(db, Gio.TlsFileDatabase)
    assert GObject.type_is_a(type(db).__gtype__, Gio.TlsDatabase.__gtype__)
    assert db.props.anchors == str(pki.root.cert)
    assert Gio.TlsBackend.get_default().get_file_database_type() == type(db).__gtype__


VERIFY_CASES = [
    # chain, purpose, identity, expected flags
    ("server.chain", SERVER, "localhost", 0),
    ("server.full_chain", SERVER, "localhost", 0),
    ("server.chain", SERVER, None, 0),
    ("server_ecdsa.chain", SERVER, "localhost", 0),
    ("server_ed25519.chain", SERVER, "localhost", 0),
    ("server.chain", SERVER, "other.example", F.BAD_IDENTITY),
    ("server.cert", SERVER, None, F.UNKNOWN_CA),  # intermediate not sent
    ("server_ip.chain", SERVER, "127.0.0.1", 0),
    ("server_ip.chain", SERVER, "::1", 0),
    ("server_ip.chain", SERVER, "localhost", F.BAD_IDENTITY),
    ("expired.chain", SERVER, None, F.EXPIRED),
    ("future.chain", SERVER, None, F.NOT_ACTIVATED),
    ("self_signed.cert", SERVER, None, F.UNKNOWN_CA),
    ("self_signed.cert", SERVER, "other.example", F.UNKNOWN_CA | F.BAD_IDENTITY),
    ("other_leaf.chain", SERVER, "localhost", F.UNKNOWN_CA),
    ("client.chain", CLIENT, None, 0),
    ("expired.chain", CLIENT, None, F.EXPIRED | F.GENERIC_ERROR),
    ("root.cert", SERVER, None, 0),  # an anchor verifies as itself
]


def _resolve(pki, spec):
    name, attr = spec.split(".")
    return getattr(getattr(pki, name), attr)


@pytest.mark.parametrize("chain,purpose,identity,expected", VERIFY_CASES)
def test_verify_chain(pki, db, chain, purpose, identity, expected):
    cert = from_file(_resolve(pki, chain))
    assert verify(db, cert, purpose, host(identity) if identity else None) == int(expected)


def test_verify_chain_matches_reference_backend(pki, reference):
    # GnuTLS ignores the purpose, so only cases whose purpose fits compare.
    cases = [(str(_resolve(pki, c)), p, i) for c, p, i, e in VERIFY_CASES if not e & F.GENERIC_ERROR]
    code = f"""
    db = Gio.TlsFileDatabase.new({str(pki.root.cert)!r})
    out = []
    for path, purpose, identity in {cases!r}:
        c = Gio.TlsCertificate.new_from_file(path)
        ident = Gio.NetworkAddress.new(identity, 443) if identity else None
        out.append(int(db.verify_chain(c, purpose, ident, None, 0, None)))
    result = out
    """
    expected = [int(e) for c, p, i, e in VERIFY_CASES if not e & F.GENERIC_ERROR]
    assert reference(code) == expected
    assert fixtures.run_python(code, backend="dtlsgo") == expected


def test_verify_chain_checks_extended_key_usage(pki, db):
    # Stricter than glib-networking, which ignores the purpose: a server
    # certificate cannot authenticate a client, nor the reverse.
    server, client = from_file(pki.server.chain), from_file(pki.client.chain)
    assert verify(db, server, SERVER) == 0
    assert verify(db, server, CLIENT) == int(F.GENERIC_ERROR)
    assert verify(db, client, CLIENT) == 0
    assert verify(db, client, SERVER) == int(F.GENERIC_ERROR)
    # Any other purpose is an extended key usage OID too.
    assert verify(db, server, "1.3.6.1.5.5.7.3.3") == int(F.GENERIC_ERROR)


def test_verify_chain_identity_kinds(pki, db):
    ip_chain = from_file(pki.server_ip.chain)
    assert verify(db, ip_chain, identity=Gio.InetSocketAddress.new_from_string("127.0.0.1", 1)) == 0
    assert verify(db, ip_chain, identity=Gio.InetSocketAddress.new_from_string("127.0.0.2", 1)) == int(F.BAD_IDENTITY)
    chain = from_file(pki.server.chain)
    assert verify(db, chain, identity=Gio.NetworkService.new("svc", "udp", "localhost")) == 0
    assert verify(db, chain, identity=Gio.UnixSocketAddress.new("/tmp/x")) == int(F.BAD_IDENTITY)


def test_intermediate_as_anchor(pki):
    db = pki.file_database(pki.intermediate)
    assert verify(db, from_file(pki.server.cert), identity=host("localhost")) == 0
    assert verify(db, from_file(pki.root.cert)) == int(F.UNKNOWN_CA)


def test_bundle_of_anchors(pki):
    db = Gio.TlsFileDatabase.new(str(pki.files["ca-bundle"]))
    assert verify(db, from_file(pki.server.chain)) == 0
    assert verify(db, from_file(pki.other_leaf.cert), identity=host("localhost")) == 0


def test_verify_chain_async(pki, db):
    loop = GLib.MainLoop()
    results = []

    def done(source, result):
        results.append(int(source.verify_chain_finish(result)))
        loop.quit()

    for path in (pki.server.chain, pki.expired.chain):
        db.verify_chain_async(from_file(path), SERVER, host("localhost"), None, NONE, None, done)
        loop.run()
    assert results == [0, int(F.EXPIRED)]


def test_verify_chain_async_concurrently(pki, db):
    # GLib runs each async verification on a worker thread: many at once
    # share one Go trust store.
    loop = GLib.MainLoop()
    chains = [from_file(pki.server.chain), from_file(pki.expired.chain), from_file(pki.other_leaf.chain)]
    expected = [0, int(F.EXPIRED), int(F.UNKNOWN_CA)]
    results = {}

    def done(source, result, i):
        results[i] = int(source.verify_chain_finish(result))
        if len(results) == 60:
            loop.quit()

    for i in range(60):
        db.verify_chain_async(chains[i % 3], SERVER, None, None, NONE, None, done, i)
    GLib.timeout_add_seconds(30, loop.quit)
    loop.run()
    assert results == {i: expected[i % 3] for i in range(60)}


def test_verify_chain_cancelled(pki, db):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    with pytest.raises(GLib.Error) as excinfo:
        db.verify_chain(from_file(pki.server.chain), SERVER, None, None, NONE, cancellable)
    assert excinfo.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)


# -- lookups and handles ------------------------------------------------------

def test_lookup_certificate_issuer(pki, db):
    issuer = db.lookup_certificate_issuer(from_file(pki.intermediate.cert), None, LOOKUP_NONE, None)
    assert issuer.is_same(from_file(pki.root.cert))
    assert type(issuer).__gtype__.name == "DtlsGoCertificate"
    # The root is its own issuer.
    assert db.lookup_certificate_issuer(from_file(pki.root.cert), None, LOOKUP_NONE, None).is_same(issuer)
    # Not in the database: nothing, and no error.
    assert db.lookup_certificate_issuer(from_file(pki.server.cert), None, LOOKUP_NONE, None) is None
    # Anchors have no private keys.
    assert db.lookup_certificate_issuer(from_file(pki.intermediate.cert), None, LOOKUP_KEYPAIR, None) is None


def test_lookup_certificate_issuer_async(pki, db):
    loop = GLib.MainLoop()
    found = []

    def done(source, result):
        found.append(source.lookup_certificate_issuer_finish(result))
        loop.quit()

    db.lookup_certificate_issuer_async(from_file(pki.intermediate.cert), None, LOOKUP_NONE, None, done)
    loop.run()
    assert found[0].is_same(from_file(pki.root.cert))


def test_lookup_certificates_issued_by(pki):
    # Anchors need not be CAs: this database holds four leaves.
    db = Gio.TlsFileDatabase.new(str(pki.files["leaves-bundle"]))
    issuer_dn, _ = fixtures.der_names(pki.server.cert_der())
    found = db.lookup_certificates_issued_by(issuer_dn, None, LOOKUP_NONE, None)
    expected = [pki.server, pki.server_ecdsa, pki.client, pki.expired]
    assert len(found) == len(expected)
    for cred in expected:
        assert any(c.is_same(from_file(cred.cert)) for c in found)
    assert not any(c.is_same(from_file(pki.self_signed.cert)) for c in found)

    other_dn, _ = fixtures.der_names(pki.other_leaf.cert_der())
    assert db.lookup_certificates_issued_by(other_dn, None, LOOKUP_NONE, None) == []
    assert db.lookup_certificates_issued_by(issuer_dn, None, LOOKUP_KEYPAIR, None) == []


def test_certificate_handles(pki):
    db = Gio.TlsFileDatabase.new(str(pki.files["ca-bundle"]))
    root = from_file(pki.root.cert)
    handle = db.create_certificate_handle(root)
    uri = GLib.filename_to_uri(str(pki.files["ca-bundle"]))
    assert re.fullmatch(re.escape(uri) + "#[0-9a-f]{64}", handle), handle
    assert db.create_certificate_handle(root) == handle  # stable
    found = db.lookup_certificate_for_handle(handle, None, LOOKUP_NONE, None)
    assert found.is_same(root)
    other = db.lookup_certificate_for_handle(db.create_certificate_handle(from_file(pki.other_root.cert)),
                                             None, LOOKUP_NONE, None)
    assert other.is_same(from_file(pki.other_root.cert))

    # Certificates not in the database have no handle; unknown handles find
    # nothing, without an error.
    assert db.create_certificate_handle(from_file(pki.server.cert)) is None
    for bad in ("blah:blah", handle[:-1], handle.replace(uri, "file:///elsewhere.pem"), ""):
        assert db.lookup_certificate_for_handle(bad, None, LOOKUP_NONE, None) is None
    # Another database does not answer for this one's handles.
    assert pki.file_database(pki.root).lookup_certificate_for_handle(handle, None, LOOKUP_NONE, None) is None


def test_handles_match_reference_backend(pki, reference):
    code = f"""
    db = Gio.TlsFileDatabase.new({str(pki.files["ca-bundle"])!r})
    result = db.create_certificate_handle(Gio.TlsCertificate.new_from_file({str(pki.root.cert)!r}))
    """
    assert reference(code) == fixtures.run_python(code, backend="dtlsgo")


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("name,words", [
    ("unreadable", ["does-not-exist.pem"]),
    ("empty", ["no certificate found"]),
    ("no-pem", ["no certificate found"]),
    ("key-only", ["no certificate found"]),
    ("garbage", ["no certificate found"]),
])
def test_bad_anchor_file(pki, name, words):
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsFileDatabase.new(str(pki.files[name]))
    err = excinfo.value
    assert err.matches(Gio.tls_error_quark(), Gio.TlsError.MISC), err.message
    assert "Failed to populate trust list from" in err.message
    for w in words:
        assert w in err.message


def test_relative_anchor_path_is_an_error():
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsFileDatabase.new("relative/anchors.pem")
    assert excinfo.value.matches(Gio.tls_error_quark(), Gio.TlsError.MISC)
    assert "absolute path" in excinfo.value.message


# -- the backend's default database (system store) ----------------------------

def test_default_database_is_a_singleton():
    backend = Gio.TlsBackend.get_default()
    db = backend.get_default_database()
    assert db is backend.get_default_database()
    assert type(db).__gtype__.name == "DtlsGoDatabase"
    assert not isinstance(db, Gio.TlsFileDatabase)


def _first_system_root():
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    try:
        with open(bundle) as f:
            text = f.read()
    except OSError:
        pytest.skip("no system CA bundle")
    end = "-----END CERTIFICATE-----\n"
    return text[:text.index(end) + len(end)]


def test_default_database_trusts_system_roots(pki):
    db = Gio.TlsBackend.get_default().get_default_database()
    root = Gio.TlsCertificate.new_from_pem(_first_system_root(), -1)
    assert verify(db, root) & ~int(F.EXPIRED) == 0
    handle = db.create_certificate_handle(root)
    assert re.fullmatch("system-trust:#[0-9a-f]{64}", handle)
    assert db.lookup_certificate_for_handle(handle, None, LOOKUP_NONE, None).is_same(root)
    # Our test PKI is not in the system store.
    assert verify(db, from_file(pki.server.chain), identity=host("localhost")) == int(F.UNKNOWN_CA)
    assert db.create_certificate_handle(from_file(pki.root.cert)) is None


def test_default_database_honours_ssl_cert_file_read_once_lazily(pki, tmp_path):
    # In a fresh process: the store is read at first use (the file does not
    # exist yet when the database is made), and only then (replacing the
    # file afterwards changes nothing).
    bundle = tmp_path / "bundle.pem"
    code = f"""
    import os, shutil
    db = Gio.TlsBackend.get_default().get_default_database()
    shutil.copy({str(pki.root.cert)!r}, {str(bundle)!r})
    chain = Gio.TlsCertificate.new_from_file({str(pki.server.chain)!r})
    other = Gio.TlsCertificate.new_from_file({str(pki.other_leaf.chain)!r})
    first = [int(db.verify_chain(chain, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, None, None, 0, None)),
             int(db.verify_chain(other, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, None, None, 0, None))]
    shutil.copy({str(pki.other_root.cert)!r}, {str(bundle)!r})
    second = [int(db.verify_chain(chain, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, None, None, 0, None)),
              int(db.verify_chain(other, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, None, None, 0, None))]
    result = [first, second]
    """
    result = fixtures.run_python(code, backend="dtlsgo",
                                 env={"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": ""})
    unknown = int(F.UNKNOWN_CA)
    assert result == [[0, unknown], [0, unknown]]


def test_default_database_load_failure_is_an_error(tmp_path):
    code = """
    db = Gio.TlsBackend.get_default().get_default_database()
    import os
    cert = Gio.TlsCertificate.new_from_pem(open(os.environ["PEM"]).read(), -1)
    try:
        db.verify_chain(cert, Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, None, None, 0, None)
        result = None
    except GLib.Error as e:
        result = [e.domain, e.code, e.message]
    """
    pem = tmp_path / "c.pem"
    pem.write_text(_first_system_root())
    result = fixtures.run_python(code, backend="dtlsgo", env={
        "SSL_CERT_FILE": str(tmp_path / "absent.pem"), "SSL_CERT_DIR": "", "PEM": str(pem)})
    assert result[:2] == ["g-tls-error-quark", int(Gio.TlsError.MISC)]
    assert "Failed to load system trust store" in result[2]
