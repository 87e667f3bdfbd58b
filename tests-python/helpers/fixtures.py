"""Test certificates made at test time with the openssl CLI, and helpers to
compare dtlsgo with the reference backend.

`make_pki(directory)` builds a small PKI once per session (conftest exposes
it as the `pki` fixture):

    root            RSA root CA, "dtlsgo Test Root CA"
    intermediate    ECDSA CA signed by root, pathlen 0
    server          RSA leaf for DNS:localhost (serverAuth), by intermediate
    server_ecdsa    ECDSA leaf for DNS:localhost (serverAuth), by intermediate
    server_ed25519  Ed25519 leaf for DNS:localhost (serverAuth), by intermediate
    server_ip       ECDSA leaf for IP:127.0.0.1 and IP:::1 (serverAuth)
    client          ECDSA leaf (clientAuth), by intermediate
    client_rsa      RSA leaf (clientAuth), by intermediate
    insecure        localhost leaf signed with SHA-1, by intermediate
    server_sha384   localhost leaf signed with SHA-384, by intermediate
    san_over_cn     leaf with CN=localhost but only DNS:elsewhere.test in its SAN
    expired         localhost leaf valid 2001-2002, by intermediate
    future          localhost leaf valid 2090-2095, by intermediate
    self_signed     self-signed localhost leaf (not a CA)
    other_root      an unrelated root CA
    other_leaf      a localhost leaf signed by other_root

Each is a `Credential`: `cert` (PEM of the certificate alone), `key`
(PKCS #8 PEM), `chain` (leaf + intermediate, for leaves under the
intermediate), `full_chain` (… + root), `keys` (every key encoding made for
it), and the values written into it (subject, dates, names). Files outside
credentials are in `pki.files` (PKCS #12, malformed PEM, bundles…).

Nothing here forks: a Go runtime lives in the test process, so other
processes are always started with subprocess.
"""

import dataclasses
import datetime
import json
import os
import pathlib
import subprocess
import sys
import textwrap

UTC = datetime.timezone.utc

# Validity windows, fixed so tests can assert exact property values.
CA_NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = datetime.datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
LEAF_NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=UTC)
LEAF_NOT_AFTER = datetime.datetime(2098, 1, 1, tzinfo=UTC)
EXPIRED_NOT_BEFORE = datetime.datetime(2001, 1, 1, tzinfo=UTC)
EXPIRED_NOT_AFTER = datetime.datetime(2002, 1, 1, tzinfo=UTC)
FUTURE_NOT_BEFORE = datetime.datetime(2090, 1, 1, tzinfo=UTC)
FUTURE_NOT_AFTER = datetime.datetime(2095, 1, 1, tzinfo=UTC)

PKCS12_PASSWORD = "dtlsgo-p12-pass"
ENCRYPTED_KEY_PASSWORD = "dtlsgo-key-pass"

PURPOSE_SERVER = "1.3.6.1.5.5.7.3.1"
PURPOSE_CLIENT = "1.3.6.1.5.5.7.3.2"


@dataclasses.dataclass
class Credential:
    name: str
    cert: pathlib.Path
    key: pathlib.Path
    subject: str  # as GnuTLS (and so dtlsgo) formats it
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    dns_names: list = dataclasses.field(default_factory=list)
    ip_addresses: list = dataclasses.field(default_factory=list)
    chain: pathlib.Path = None
    full_chain: pathlib.Path = None
    keys: dict = dataclasses.field(default_factory=dict)

    def cert_pem(self):
        return self.cert.read_text()

    def cert_der(self):
        return _openssl_out("x509", "-in", self.cert, "-outform", "DER")

    def key_pem(self):
        return self.key.read_text()

    def key_der(self):
        """The private key as unencrypted PKCS #8 DER."""
        return self.keys["pkcs8-der"].read_bytes()

    def tls_certificate(self, with_chain=True):
        """A Gio.TlsCertificate of the default backend, with its key."""
        from gi.repository import Gio

        cert_file = self.chain if (with_chain and self.chain) else self.cert
        return Gio.TlsCertificate.new_from_files(str(cert_file), str(self.key))


class TestPKI:
    """The session's certificates; see the module docstring."""

    __test__ = False  # not a test class for pytest

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.files = {}
        self._serial = 0x1000

    def path(self, name):
        return self.dir / name

    def file_database(self, *credentials):
        """A Gio.TlsFileDatabase trusting credentials (default: root)."""
        from gi.repository import Gio

        creds = credentials or (self.root,)
        if len(creds) == 1:
            return Gio.TlsFileDatabase.new(str(creds[0].cert))
        bundle = self.dir / ("bundle-" + "-".join(c.name for c in creds) + ".pem")
        bundle.write_text("".join(c.cert_pem() for c in creds))
        return Gio.TlsFileDatabase.new(str(bundle))

    # -- building -----------------------------------------------------------

    def _write(self, name, data):
        p = self.dir / name
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data)
        return p

    def _key(self, name, algorithm):
        """Makes a key; returns {format: path}, "pkcs8" being the PEM default."""
        pkcs8 = self.dir / f"{name}-key.pem"
        if algorithm == "rsa":
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pkcs8)
        elif algorithm == "ecdsa":
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pkcs8)
        elif algorithm == "ed25519":
            _openssl("genpkey", "-algorithm", "ED25519", "-out", pkcs8)
        else:
            raise ValueError(algorithm)
        keys = {"pkcs8": pkcs8, "pkcs8-der": self.dir / f"{name}-key-pkcs8.der"}
        _openssl("pkcs8", "-topk8", "-nocrypt", "-in", pkcs8, "-outform", "DER", "-out", keys["pkcs8-der"])
        if algorithm == "rsa":
            keys["pkcs1"] = self.dir / f"{name}-key-pkcs1.pem"
            keys["pkcs1-der"] = self.dir / f"{name}-key-pkcs1.der"
            _openssl("rsa", "-in", pkcs8, "-traditional", "-out", keys["pkcs1"])
            _openssl("rsa", "-in", pkcs8, "-traditional", "-outform", "DER", "-out", keys["pkcs1-der"])
        elif algorithm == "ecdsa":
            keys["sec1"] = self.dir / f"{name}-key-sec1.pem"
            keys["sec1-der"] = self.dir / f"{name}-key-sec1.der"
            _openssl("ec", "-in", pkcs8, "-out", keys["sec1"])
            _openssl("ec", "-in", pkcs8, "-outform", "DER", "-out", keys["sec1-der"])
        keys["encrypted"] = self.dir / f"{name}-key-encrypted.pem"
        _openssl("pkcs8", "-topk8", "-in", pkcs8, "-v2", "aes-256-cbc",
                 "-passout", "pass:" + ENCRYPTED_KEY_PASSWORD, "-out", keys["encrypted"])
        return keys

    def _issue(self, name, *, algorithm, subject, issuer, extensions,
               not_before=LEAF_NOT_BEFORE, not_after=LEAF_NOT_AFTER,
               dns_names=(), ip_addresses=(), md="sha256"):
        """Makes a key and a certificate for it signed by issuer (a
        Credential; None for self-signed)."""
        keys = self._key(name, algorithm)
        csr = self.dir / f"{name}.csr"
        _openssl("req", "-new", "-key", keys["pkcs8"], "-subj", subject, "-out", csr)
        sans = [f"DNS:{d}" for d in dns_names] + [f"IP:{i}" for i in ip_addresses]
        ext = list(extensions) + ["subjectKeyIdentifier = hash"]
        if issuer is not None:
            ext.append("authorityKeyIdentifier = keyid")
        if sans:
            ext.append("subjectAltName = " + ",".join(sans))
        cert = self.dir / f"{name}.pem"
        self._sign(csr, cert, ext, issuer, keys["pkcs8"], not_before, not_after, md)
        subject_str = _gnutls_style_dn(subject)
        return Credential(
            name=name, cert=cert, key=keys["pkcs8"], keys=keys,
            subject=subject_str,
            issuer=issuer.subject if issuer else subject_str,
            not_before=not_before, not_after=not_after,
            dns_names=list(dns_names), ip_addresses=list(ip_addresses))

    def _sign(self, csr, out, extensions, issuer, own_key, not_before, not_after, md="sha256"):
        ca_dir = self.dir / "ca-state"
        (ca_dir / "new").mkdir(parents=True, exist_ok=True)
        index = ca_dir / "index.txt"
        if not index.exists():
            index.write_text("")
        self._serial += 1
        (ca_dir / "serial").write_text(f"{self._serial:X}\n")
        config = ca_dir / "ca.cnf"
        config.write_text(textwrap.dedent(f"""\
            [ca]
            default_ca = ca_default
            [ca_default]
            database = {index}
            new_certs_dir = {ca_dir / 'new'}
            serial = {ca_dir / 'serial'}
            default_md = sha256
            policy = policy_any
            unique_subject = no
            email_in_dn = yes
            copy_extensions = none
            [policy_any]
            countryName = optional
            stateOrProvinceName = optional
            localityName = optional
            organizationName = optional
            organizationalUnitName = optional
            commonName = optional
            emailAddress = optional
            [ext]
            """) + "\n".join(extensions) + "\n")
        args = ["ca", "-batch", "-config", config, "-in", csr, "-out", out,
                "-startdate", _asn1_time(not_before), "-enddate", _asn1_time(not_after),
                "-extensions", "ext", "-notext", "-preserveDN", "-md", md]
        if issuer is None:
            args += ["-selfsign", "-keyfile", own_key]
        else:
            args += ["-cert", issuer.cert, "-keyfile", issuer.key]
        _openssl(*args)

    def build(self):
        ca_ext = ["basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign"]
        server_ext = ["basicConstraints = critical,CA:FALSE",
                      "keyUsage = critical,digitalSignature,keyEncipherment",
                      "extendedKeyUsage = serverAuth"]
        client_ext = ["basicConstraints = critical,CA:FALSE",
                      "keyUsage = critical,digitalSignature",
                      "extendedKeyUsage = clientAuth"]

        self.root = self._issue(
            "root", algorithm="rsa", subject="/C=US/O=dtlsgo tests/CN=dtlsgo Test Root CA",
            issuer=None, extensions=ca_ext, not_before=CA_NOT_BEFORE, not_after=CA_NOT_AFTER)
        self.intermediate = self._issue(
            "intermediate", algorithm="ecdsa",
            subject="/C=US/O=dtlsgo tests/OU=Issuing/CN=dtlsgo Test Intermediate CA",
            issuer=self.root, extensions=["basicConstraints = critical,CA:TRUE,pathlen:0",
                                          "keyUsage = critical,keyCertSign,cRLSign"],
            not_before=CA_NOT_BEFORE, not_after=CA_NOT_AFTER)
        ica = self.intermediate

        def leaf(name, algorithm="ecdsa", subject=None, ext=server_ext, **kw):
            kw.setdefault("dns_names", ["localhost"])
            return self._issue(name, algorithm=algorithm, issuer=kw.pop("issuer", ica),
                               subject=subject or f"/O=dtlsgo tests/CN={name}.localhost",
                               extensions=ext, **kw)

        self.server = leaf("server", "rsa", subject="/C=US/O=dtlsgo tests/CN=localhost")
        self.server_ecdsa = leaf("server-ecdsa")
        self.server_ed25519 = leaf("server-ed25519", "ed25519")
        self.server_ip = leaf("server-ip", dns_names=[], ip_addresses=["127.0.0.1", "::1"],
                              subject="/O=dtlsgo tests/CN=127.0.0.1")
        self.client = leaf("client", ext=client_ext, dns_names=[],
                           subject="/O=dtlsgo tests/CN=dtlsgo test client")
        self.client_rsa = leaf("client-rsa", "rsa", ext=client_ext, dns_names=[],
                               subject="/O=dtlsgo tests/CN=dtlsgo test RSA client")
        self.insecure = leaf("insecure", md="sha1")
        self.server_sha384 = leaf("server-sha384", md="sha384")
        self.san_over_cn = leaf("san-over-cn", subject="/O=dtlsgo tests/CN=localhost",
                                dns_names=["elsewhere.test"])
        self.expired = leaf("expired", not_before=EXPIRED_NOT_BEFORE, not_after=EXPIRED_NOT_AFTER)
        self.future = leaf("future", not_before=FUTURE_NOT_BEFORE, not_after=FUTURE_NOT_AFTER)
        self.self_signed = self._issue(
            "self-signed", algorithm="ecdsa", subject="/O=dtlsgo tests/CN=localhost",
            issuer=None, extensions=server_ext, dns_names=["localhost"])
        self.other_root = self._issue(
            "other-root", algorithm="ecdsa", subject="/O=elsewhere/CN=Unrelated Root CA",
            issuer=None, extensions=ca_ext, not_before=CA_NOT_BEFORE, not_after=CA_NOT_AFTER)
        self.other_leaf = leaf("other-leaf", issuer=self.other_root)

        for c in (self.server, self.server_ecdsa, self.server_ed25519, self.server_ip,
                  self.client, self.client_rsa, self.insecure, self.server_sha384,
                  self.san_over_cn, self.expired, self.future):
            c.chain = self._write(f"{c.name}-chain.pem", c.cert_pem() + ica.cert_pem())
            c.full_chain = self._write(f"{c.name}-fullchain.pem",
                                       c.cert_pem() + ica.cert_pem() + self.root.cert_pem())
        self.intermediate.chain = self.intermediate.cert
        self.other_leaf.chain = self._write(
            "other-leaf-chain.pem", self.other_leaf.cert_pem() + self.other_root.cert_pem())

        f = self.files
        f["pkcs12"] = self.dir / "server.p12"
        _openssl("pkcs12", "-export", "-in", self.server.cert, "-inkey", self.server.key,
                 "-certfile", ica.cert, "-passout", "pass:" + PKCS12_PASSWORD, "-out", f["pkcs12"])
        f["pkcs12-empty-password"] = self.dir / "client-nopass.p12"
        _openssl("pkcs12", "-export", "-in", self.client.cert, "-inkey", self.client.key,
                 "-passout", "pass:", "-out", f["pkcs12-empty-password"])
        f["pkcs12-not-pkcs12"] = self._write("not-pkcs12.p12", b"\x30\x03\x02\x01\x03")
        f["server-and-key"] = self._write(
            "server-and-key.pem", self.server.cert_pem() + self.server.keys["pkcs1"].read_text())
        f["chain-and-key"] = self._write(
            "server-chain-and-key.pem", self.server.chain.read_text() + self.server.key_pem())
        f["mismatched-key"] = self._write(
            "server-with-client-key.pem", self.server.cert_pem() + self.client.key_pem())
        f["encrypted-key"] = self._write(
            "server-and-encrypted-key.pem",
            self.server.cert_pem() + self.server.keys["encrypted"].read_text())
        f["ca-bundle"] = self._write("ca-bundle.pem", self.root.cert_pem() + self.other_root.cert_pem())
        f["leaves-bundle"] = self._write(
            "leaves-bundle.pem",
            "".join(c.cert_pem() for c in (self.server, self.server_ecdsa, self.client, self.expired)))
        f["garbage"] = self._write(
            "garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n")
        f["bad-der"] = self._write(
            "bad-der.pem", "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n")
        f["truncated"] = self._write("truncated.pem", self.server.cert_pem()[:200])
        f["no-pem"] = self._write("no-pem.pem", "I am not a very good certificate.\n")
        f["empty"] = self._write("empty.pem", "")
        f["key-only"] = self._write("key-only.pem", self.server.key_pem())
        f["unreadable"] = self.dir / "does-not-exist.pem"
        return self


def make_pki(directory):
    return TestPKI(directory).build()


def _openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _openssl_out(*args):
    return subprocess.run(["openssl", *map(str, args)], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout


def _asn1_time(t):
    return t.strftime("%Y%m%d%H%M%SZ")


_GNUTLS_NAMES = {"emailAddress": "EMAIL"}


def _gnutls_style_dn(subject):
    """"/C=US/O=x/CN=y" (plain values, no escapes) -> "C=US,O=x,CN=y"."""
    parts = []
    for rdn in subject.strip("/").split("/"):
        k, v = rdn.split("=", 1)
        parts.append(f"{_GNUTLS_NAMES.get(k, k)}={v}")
    return ",".join(parts)



def der_names(der):
    """(issuer, subject) of a DER certificate, as DER Names: what
    lookup_certificates_issued_by takes."""
    def read(i):
        length = der[i + 1]
        start = i + 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(der[start:start + n], "big")
            start += n
        return der[i], start, start + length

    _, tbs_start, _ = read(0)
    _, i, end = read(tbs_start)
    fields = []
    while i < end:
        tag, _, field_end = read(i)
        fields.append((tag, der[i:field_end]))
        i = field_end
    if fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, …
    return fields[2][1], fields[4][1]


def public_key_pem(path, kind="cert", inform="PEM"):
    """The SubjectPublicKeyInfo PEM of a certificate or private key file."""
    if kind == "cert":
        return _openssl_out("x509", "-in", path, "-noout", "-pubkey").decode()
    return _openssl_out("pkey", "-in", path, "-inform", inform, "-pubout").decode()

# -- running code under another backend --------------------------------------

SYSTEM_GNUTLS_MODULE = pathlib.Path("/usr/lib/x86_64-linux-gnu/gio/modules/libgiognutls.so")


def reference_backend_available():
    return SYSTEM_GNUTLS_MODULE.exists()


def run_python(code, backend="gnutls", timeout=60, env=None, cwd=None):
    """Runs code in a fresh /usr/bin/python3 with Gio imported and the given
    backend ("gnutls": the system modules, i.e. glib-networking; "dtlsgo":
    this build; "beside": glib-networking the default, this build's module
    loaded beside it through GIO_EXTRA_MODULES), with env added to the
    environment, in directory cwd. The code sets `result`; returns it
    through JSON."""
    env = {**os.environ, **(env or {})}
    if backend == "beside":
        env["GIO_EXTRA_MODULES"] = env.pop("GIO_MODULE_DIR")
        env.pop("GIO_USE_TLS", None)
    elif backend == "gnutls":
        env.pop("GIO_MODULE_DIR", None)
        env.pop("GIO_EXTRA_MODULES", None)
        env["GIO_USE_TLS"] = "gnutls"
    elif backend == "dtlsgo":
        env.pop("GIO_USE_TLS", None)
    else:
        raise ValueError(backend)
    program = (
        "import json, sys\n"
        "import gi\n"
        "gi.require_version('Gio', '2.0')\n"
        "from gi.repository import Gio, GLib\n"
        "result = None\n"
        + textwrap.dedent(code)
        + "\nsys.stdout.write('\\n@@RESULT@@' + json.dumps(result))\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], env=env, timeout=timeout, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 or "@@RESULT@@" not in proc.stdout:
        raise RuntimeError(f"{backend} subprocess failed ({proc.returncode}):\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.rsplit("@@RESULT@@", 1)[1])
