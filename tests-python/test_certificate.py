"""Gio.TlsCertificate as GLib programs see it with dtlsgo as the backend:
every constructor, every property, verify, is_same, and bad input.
GLib's semantics are the spec; where glib-networking's GnuTLS backend is
installed, its answers for the same input are checked too."""

import base64
import tempfile

import pytest
from gi.repository import Gio, GLib, GObject

import fixtures

TLS_ERROR = "g-tls-error-quark"
IO_ERROR = "g-io-error-quark"
FILE_ERROR = "g-file-error-quark"

F = Gio.TlsCertificateFlags
NO_FLAGS = 0


def cert_type():
    return Gio.TlsBackend.get_default().get_certificate_type()


def from_file(path):
    return Gio.TlsCertificate.new_from_file(str(path))


def flags(value):
    return int(value)


def host(name):
    return Gio.NetworkAddress.new(name, 443)


def assert_gerror(excinfo, domain, code, *words):
    err = excinfo.value
    assert (err.domain, err.code) == (domain, int(code)), err.message
    for w in words:
        assert w in err.message, err.message


def test_certificate_type_is_dtlsgo():
    assert GObject.type_name(cert_type()) == "DtlsGoCertificate"
    assert GObject.type_is_a(cert_type(), Gio.TlsCertificate.__gtype__)
    assert GObject.type_is_a(cert_type(), Gio.Initable.__gtype__)


# -- constructors -------------------------------------------------------------

def test_new_from_pem_reads_back_pem_and_der(pki):
    pem = pki.server.cert_pem()
    cert = Gio.TlsCertificate.new_from_pem(pem, -1)
    assert type(cert).__gtype__.name == "DtlsGoCertificate"
    assert cert.props.certificate_pem == pem
    assert cert.props.certificate == pki.server.cert_der()
    assert cert.props.private_key_pem is None
    assert cert.get_issuer() is None


def test_new_from_pem_with_length(pki):
    pem = pki.server.cert_pem() + pki.client.cert_pem()
    # Only the first certificate's bytes: the second is outside the length.
    cert = Gio.TlsCertificate.new_from_pem(pem, len(pki.server.cert_pem()))
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.get_issuer() is None


@pytest.mark.parametrize("name,key_format", [
    ("server", "pkcs8"), ("server", "pkcs1"),
    ("server_ecdsa", "pkcs8"), ("server_ecdsa", "sec1"),
    ("server_ed25519", "pkcs8"),
])
def test_new_from_pem_with_key(pki, name, key_format):
    cred = getattr(pki, name)
    cert = Gio.TlsCertificate.new_from_pem(cred.cert_pem() + cred.keys[key_format].read_text(), -1)
    key_pem = cert.props.private_key_pem
    assert key_pem.startswith("-----BEGIN PRIVATE KEY-----\n")  # always PKCS #8 out
    body = "".join(key_pem.splitlines()[1:-1])
    assert cert.props.private_key == base64.b64decode(body)
    # The key read back is the certificate's key.
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:
        f.write(key_pem)
        f.flush()
        assert fixtures.public_key_pem(f.name, "key") == fixtures.public_key_pem(cred.cert)


def test_rsa_private_key_reads_back_as_openssl_pkcs8(pki):
    # glib-networking's test: an RSA key in, the PKCS #8 openssl writes out.
    cert = Gio.TlsCertificate.new_from_file(str(pki.files["server-and-key"]))  # PKCS #1 inside
    assert cert.props.private_key == pki.server.key_der()
    assert cert.props.private_key_pem == pki.server.key_pem()


def test_initable_new_with_pem_properties_and_issuer(pki):
    issuer = from_file(pki.intermediate.cert)
    cert = GObject.new(cert_type(), certificate_pem=pki.server.cert_pem(),
                       private_key_pem=pki.server.keys["pkcs1"].read_text(), issuer=issuer)
    assert cert.init(None)
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.get_issuer() is issuer
    assert cert.props.private_key_pem == pki.server.key_pem()
    # The issuer given counts for verification.
    assert flags(cert.verify(host("localhost"), from_file(pki.root.cert))) == NO_FLAGS


def test_new_from_file(pki):
    cert = from_file(pki.server_ecdsa.cert)
    assert cert.props.certificate_pem == pki.server_ecdsa.cert_pem()
    assert cert.props.private_key_pem is None


def test_new_from_file_with_key_in_file(pki):
    cert = from_file(pki.files["chain-and-key"])
    assert cert.props.private_key_pem == pki.server.key_pem()
    # The key belongs to the leaf only.
    assert cert.get_issuer().props.private_key_pem is None


def test_new_from_files(pki):
    cert = Gio.TlsCertificate.new_from_files(str(pki.server_ecdsa.chain), str(pki.server_ecdsa.keys["sec1"]))
    assert cert.is_same(from_file(pki.server_ecdsa.cert))
    assert cert.get_issuer().is_same(from_file(pki.intermediate.cert))
    assert cert.props.private_key_pem is not None


def test_new_from_files_ed25519(pki):
    cert = Gio.TlsCertificate.new_from_files(str(pki.server_ed25519.cert), str(pki.server_ed25519.key))
    assert cert.props.private_key == pki.server_ed25519.key_der()


def test_list_new_from_file(pki):
    certs = Gio.TlsCertificate.list_new_from_file(str(pki.files["leaves-bundle"]))
    expected = [pki.server, pki.server_ecdsa, pki.client, pki.expired]
    assert len(certs) == len(expected)
    for cert, cred in zip(certs, expected):
        assert cert.is_same(from_file(cred.cert))
        assert cert.get_issuer() is None


def test_list_new_from_file_without_certificates_is_empty(pki):
    assert Gio.TlsCertificate.list_new_from_file(str(pki.files["empty"])) == []
    assert Gio.TlsCertificate.list_new_from_file(str(pki.files["key-only"])) == []


def test_chain_links_issuers(pki):
    cert = from_file(pki.server.chain)
    intermediate = cert.get_issuer()
    assert intermediate.is_same(from_file(pki.intermediate.cert))
    assert intermediate.get_issuer() is None

    full = from_file(pki.server.full_chain)
    assert full.get_issuer().get_issuer().is_same(from_file(pki.root.cert))
    assert full.get_issuer().get_issuer().get_issuer() is None


def test_unrelated_certificates_are_no_chain(pki):
    # GLib keeps the first certificate alone when the rest do not chain.
    cert = from_file(pki.files["leaves-bundle"])
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.get_issuer() is None


def test_truncated_chain_keeps_first_certificate(pki):
    data = pki.server.chain.read_text()
    cert = Gio.TlsCertificate.new_from_pem(data, len(data) - 100)
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.get_issuer() is None


def test_new_from_pkcs12(pki):
    data = pki.files["pkcs12"].read_bytes()
    cert = Gio.TlsCertificate.new_from_pkcs12(data, fixtures.PKCS12_PASSWORD)
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.props.private_key == pki.server.key_der()
    assert cert.get_issuer().is_same(from_file(pki.intermediate.cert))
    assert flags(cert.verify(host("localhost"), from_file(pki.root.cert))) == NO_FLAGS


def test_new_from_file_with_password(pki):
    cert = Gio.TlsCertificate.new_from_file_with_password(str(pki.files["pkcs12"]), fixtures.PKCS12_PASSWORD)
    assert cert.is_same(from_file(pki.server.cert))
    assert cert.props.private_key_pem == pki.server.key_pem()


def test_pkcs12_without_password(pki):
    # new_from_file reads .p12 with no password; this one was made with "".
    cert = from_file(pki.files["pkcs12-empty-password"])
    assert cert.is_same(from_file(pki.client.cert))
    assert cert.props.private_key_pem is not None


# -- properties ---------------------------------------------------------------

def test_validity_dates(pki):
    for cred in (pki.server, pki.expired, pki.future, pki.root):
        cert = from_file(cred.cert)
        before, after = cert.get_not_valid_before(), cert.get_not_valid_after()
        assert before.to_unix() == int(cred.not_before.timestamp())
        assert after.to_unix() == int(cred.not_after.timestamp())
        assert before.get_utc_offset() == 0
        assert cert.props.not_valid_before.equal(before)


def test_subject_and_issuer_names(pki):
    for cred in (pki.server, pki.client, pki.intermediate, pki.root, pki.self_signed):
        cert = from_file(cred.cert)
        assert cert.get_subject_name() == cred.subject
        assert cert.get_issuer_name() == cred.issuer
        assert cert.props.subject_name == cred.subject


def test_dns_names(pki):
    names = from_file(pki.server.cert).get_dns_names()
    assert [bytes(b.get_data()) for b in names] == [b"localhost"]
    assert from_file(pki.server_ip.cert).get_dns_names() == []


def test_ip_addresses(pki):
    addrs = from_file(pki.server_ip.cert).get_ip_addresses()
    assert [a.to_string() for a in addrs] == ["127.0.0.1", "::1"]
    assert [a.get_family() for a in addrs] == [Gio.SocketFamily.IPV4, Gio.SocketFamily.IPV6]
    assert from_file(pki.server.cert).get_ip_addresses() == []


def test_pkcs11_uris_are_none(pki):
    cert = from_file(pki.server.cert)
    assert cert.props.pkcs11_uri is None
    assert cert.props.private_key_pkcs11_uri is None


def test_properties_match_reference_backend(pki, reference):
    code = f"""
    out = {{}}
    for path in {[str(c.cert) for c in (pki.server, pki.server_ip, pki.root, pki.client)]!r}:
        c = Gio.TlsCertificate.new_from_file(path)
        out[path] = [c.props.certificate_pem, c.get_subject_name(), c.get_issuer_name(),
                     c.get_not_valid_before().format_iso8601(), c.get_not_valid_after().format_iso8601(),
                     [bytes(b.get_data()).decode() for b in c.get_dns_names()],
                     [a.to_string() for a in c.get_ip_addresses()]]
    result = out
    """
    ours = fixtures.run_python(code, backend="dtlsgo")
    assert ours == reference(code)


# -- verify -------------------------------------------------------------------

VERIFY_CASES = [
    # certificate file, identity, trusted CA, expected flags
    ("server.chain", "localhost", "root", NO_FLAGS),
    ("server.full_chain", "localhost", "root", NO_FLAGS),
    ("server.cert", None, "intermediate", NO_FLAGS),
    ("server.cert", None, "root", F.UNKNOWN_CA),  # intermediate missing
    ("server.chain", "other.example", "root", F.BAD_IDENTITY),
    ("server.chain", "127.0.0.1", "root", F.BAD_IDENTITY),
    ("server_ip.chain", "127.0.0.1", "root", NO_FLAGS),
    ("server_ip.chain", "::1", "root", NO_FLAGS),
    ("server_ip.chain", "localhost", "root", F.BAD_IDENTITY),
    ("expired.chain", None, "root", F.EXPIRED),
    ("future.chain", None, "root", F.NOT_ACTIVATED),
    ("self_signed.cert", None, "root", F.UNKNOWN_CA),
    ("self_signed.cert", "localhost", "self_signed", NO_FLAGS),
    ("other_leaf.chain", None, "root", F.UNKNOWN_CA),
    ("server.chain", None, "client", F.UNKNOWN_CA),  # a leaf is no CA
    ("root.cert", None, "intermediate", F.UNKNOWN_CA),
    ("client.chain", None, "root", NO_FLAGS),  # no purpose here
    # Without a trusted CA only the identity is checked (GLib's two
    # reference backends agree).
    ("expired.cert", None, None, NO_FLAGS),
    ("expired.cert", "localhost", None, NO_FLAGS),
    ("expired.cert", "nope", None, F.BAD_IDENTITY),
]


def _resolve(pki, spec):
    name, attr = spec.split(".")
    return getattr(getattr(pki, name), attr)


@pytest.mark.parametrize("cert_spec,identity,ca,expected", VERIFY_CASES)
def test_verify(pki, cert_spec, identity, ca, expected):
    cert = from_file(_resolve(pki, cert_spec))
    trusted = from_file(getattr(pki, ca).cert) if ca else None
    assert flags(cert.verify(host(identity) if identity else None, trusted)) == flags(expected)


def test_verify_matches_reference_backend(pki, reference):
    cases = [(str(_resolve(pki, c)), i, str(getattr(pki, ca).cert) if ca else None)
             for c, i, ca, _ in VERIFY_CASES]
    code = f"""
    out = []
    for path, identity, ca in {cases!r}:
        c = Gio.TlsCertificate.new_from_file(path)
        t = Gio.TlsCertificate.new_from_file(ca) if ca else None
        out.append(int(c.verify(Gio.NetworkAddress.new(identity, 443) if identity else None, t)))
    result = out
    """
    assert reference(code) == [flags(e) for *_, e in VERIFY_CASES]


def test_verify_identity_kinds(pki):
    ca = from_file(pki.root.cert)
    ip_cert = from_file(pki.server_ip.chain)
    assert flags(ip_cert.verify(Gio.InetSocketAddress.new_from_string("127.0.0.1", 443), ca)) == NO_FLAGS
    assert flags(ip_cert.verify(Gio.InetSocketAddress.new_from_string("::1", 443), ca)) == NO_FLAGS
    assert flags(ip_cert.verify(Gio.InetSocketAddress.new_from_string("10.1.1.1", 443), ca)) == flags(F.BAD_IDENTITY)
    dns_cert = from_file(pki.server.chain)
    assert flags(dns_cert.verify(Gio.NetworkService.new("x", "udp", "localhost"), ca)) == NO_FLAGS
    assert flags(dns_cert.verify(host("LOCALHOST"), ca)) == NO_FLAGS
    # An identity that names no host never matches.
    assert flags(dns_cert.verify(Gio.UnixSocketAddress.new("/tmp/x"), ca)) == flags(F.BAD_IDENTITY)


def test_is_same(pki):
    one = from_file(pki.server.cert)
    two = from_file(pki.files["server-and-key"])  # same certificate, with a key
    three = from_file(pki.client.cert)
    assert one.is_same(two) and two.is_same(one)
    assert not one.is_same(three) and not three.is_same(two)


# -- bad input ----------------------------------------------------------------

@pytest.mark.parametrize("name,words", [
    ("garbage", ["Could not parse PEM certificate"]),
    ("bad-der", ["Could not parse PEM certificate"]),
    ("truncated", ["Could not parse PEM-encoded certificate"]),  # GLib's own check
    ("no-pem", ["No PEM-encoded certificate found"]),
    ("empty", ["No PEM-encoded certificate found"]),
    ("key-only", ["No PEM-encoded certificate found"]),
    ("mismatched-key", ["Private key does not match the certificate"]),
    ("encrypted-key", ["Cannot decrypt PEM-encoded private key"]),
])
def test_bad_pem_file(pki, name, words):
    with pytest.raises(GLib.Error) as excinfo:
        from_file(pki.files[name])
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, *words)


def test_bad_pem_data():
    for data in ["", "I am not a very good certificate.",
                 "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]:
        with pytest.raises(GLib.Error) as excinfo:
            Gio.TlsCertificate.new_from_pem(data, -1)
        assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE)


def test_list_with_bad_certificate_fails(pki):
    path = pki.path("list-with-garbage.pem")
    path.write_text(pki.server.cert_pem() + pki.files["garbage"].read_text())
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.list_new_from_file(str(path))
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "Could not parse PEM certificate")


def test_key_not_matching_certificate(pki):
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.new_from_files(str(pki.server.cert), str(pki.client.key))
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "does not match", "CN=localhost")


def test_key_file_without_key(pki):
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.new_from_files(str(pki.server.cert), str(pki.server.cert))
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "No PEM-encoded private key found")


def test_unreadable_file(pki):
    missing = str(pki.files["unreadable"])
    for call in (lambda: Gio.TlsCertificate.new_from_file(missing),
                 lambda: Gio.TlsCertificate.new_from_files(missing, str(pki.server.key)),
                 lambda: Gio.TlsCertificate.list_new_from_file(missing)):
        with pytest.raises(GLib.Error) as excinfo:
            call()
        assert_gerror(excinfo, FILE_ERROR, GLib.FileError.NOENT, "does-not-exist.pem")


@pytest.mark.parametrize("password", [None, "", "wrong"])
def test_wrong_pkcs12_password(pki, password):
    data = pki.files["pkcs12"].read_bytes()
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.new_from_pkcs12(data, password)
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE_PASSWORD, "PKCS #12", "password")


def test_wrong_pkcs12_password_from_file(pki):
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.new_from_file_with_password(str(pki.files["pkcs12"]), "wrong")
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE_PASSWORD)
    # new_from_file tries no password at all.
    with pytest.raises(GLib.Error) as excinfo:
        from_file(pki.files["pkcs12"])
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE_PASSWORD)


def test_bad_pkcs12_data(pki):
    for data in (pki.files["pkcs12-not-pkcs12"].read_bytes(), b"", pki.files["pkcs12"].read_bytes()[:100]):
        with pytest.raises(GLib.Error) as excinfo:
            Gio.TlsCertificate.new_from_pkcs12(data, fixtures.PKCS12_PASSWORD)
        assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "Failed to import PKCS #12")


def test_pkcs11_is_not_supported():
    with pytest.raises(GLib.Error) as excinfo:
        Gio.TlsCertificate.new_from_pkcs11_uris("pkcs11:model=mock;token=x", None)
    assert_gerror(excinfo, IO_ERROR, Gio.IOErrorEnum.NOT_SUPPORTED, "PKCS #11")


def test_initable_without_data_fails_cleanly():
    cert = GObject.new(cert_type())
    with pytest.raises(GLib.Error) as excinfo:
        cert.init(None)
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "No certificate data provided")
    # Never half-built: the object answers, with nothing, and never crashes.
    assert cert.props.certificate_pem is None
    assert cert.props.subject_name is None
    assert cert.get_not_valid_before() is None
    assert flags(cert.verify(host("localhost"), None)) == flags(F.GENERIC_ERROR)


def test_construct_property_edge_cases(pki):
    cert = GObject.new(cert_type(), certificate_pem=pki.server.cert_pem(), password="x")
    assert cert.init(None)  # a password alone is no PKCS #12 data
    cert = GObject.new(cert_type(), certificate_pem="garbage")
    with pytest.raises(GLib.Error) as excinfo:
        cert.init(None)
    assert_gerror(excinfo, TLS_ERROR, Gio.TlsError.BAD_CERTIFICATE, "Could not parse PEM certificate")


def test_bad_input_matches_reference_backend_codes(pki, reference):
    cases = {n: str(pki.files[n]) for n in ("garbage", "bad-der", "truncated", "no-pem", "empty",
                                           "key-only", "encrypted-key", "unreadable")}
    code = f"""
    out = {{}}
    for name, path in {cases!r}.items():
        try:
            Gio.TlsCertificate.new_from_file(path)
            out[name] = None
        except GLib.Error as e:
            out[name] = [e.domain, e.code]
    try:
        Gio.TlsCertificate.new_from_file_with_password({str(pki.files["pkcs12"])!r}, "wrong")
    except GLib.Error as e:
        out["pkcs12"] = [e.domain, e.code]
    result = out
    """
    assert fixtures.run_python(code, backend="dtlsgo") == reference(code)
