"""Real DTLS peers in their own processes: OpenSSL's s_server/s_client,
GnuTLS's gnutls-serv/gnutls-cli, and a Gio program (gio_peer.py) under
glib-networking's GnuTLS backend or under dtlsgo.

Each runs on 127.0.0.1 with ports the test picked. `Peer` collects the
process's output lines on a thread so tests can wait for a line, feed
its stdin and collect its end. The programs' certificate and ALPN options,
and the matrix of credentials, serve the stream TLS peers (tls_peers.py)
too.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SYSTEM_GIO_MODULES = pathlib.Path("/usr/lib/x86_64-linux-gnu/gio/modules")


class Peer:
    def __init__(self, name, argv, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=cwd)
        self.lines = []
        self._cv = threading.Condition()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self._cv.notify_all()
        with self._cv:
            self._done = True
            self._cv.notify_all()

    @property
    def output(self):
        with self._cv:
            return "\n".join(self.lines)

    def wait_for(self, pattern, timeout=60):
        """The first output line matching pattern (a regex), waiting for it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if self._done or left <= 0:
                    raise AssertionError(f"{self.name}: no line matching {pattern!r} "
                                         f"({'exited ' + str(self.proc.poll()) if self._done else 'timed out'});"
                                         f" output:\n{self.output_unlocked()}")
                self._cv.wait(left)

    def output_unlocked(self):
        return "\n".join(self.lines)

    def has(self, pattern):
        rx = re.compile(pattern)
        with self._cv:
            return any(rx.search(line) for line in self.lines)

    def write(self, text):
        self.proc.stdin.write(text.encode() if isinstance(text, str) else text)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def finish(self, timeout=60):
        """Waits for the process to exit; returns its exit status."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not exit; output:\n{self.output}")
        self._reader.join(5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(5)

    def result(self, timeout=30):
        """gio_peer.py's RESULT, once it exited."""
        self.finish(timeout)
        for line in reversed(self.lines):
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])
        raise AssertionError(f"{self.name}: no RESULT; output:\n{self.output}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


# -- OpenSSL -------------------------------------------------------------------


def openssl_server_options(cred, alpn=None, client_ca=None):
    """s_server's options for its certificate (cred), ALPN and, with
    client_ca, a required client certificate verified against it."""
    argv = ["-cert", cred.cert, "-key", cred.key]
    if cred.chain:
        argv += ["-cert_chain", cred.chain]
    if alpn:
        argv += ["-alpn", ",".join(alpn)]
    if client_ca:
        argv += ["-Verify", "2", "-verify_return_error", "-CAfile", client_ca]
    return argv


def openssl_client_options(ca, alpn=None, cred=None):
    """s_client's options to verify the server as localhost against ca,
    offer ALPN and present cred."""
    argv = ["-CAfile", ca, "-verify_return_error", "-verify_hostname", "localhost",
            "-servername", "localhost"]
    if alpn:
        argv += ["-alpn", ",".join(alpn)]
    if cred:
        argv += ["-cert", cred.cert, "-key", cred.key]
        if cred.chain:
            argv += ["-cert_chain", cred.chain]
    return argv


def openssl_server(port, cred, *, alpn=None, client_ca=None, extra=()):
    """s_server for one connection. Lines typed on stdin become records;
    records received are printed; "DONE" follows the client's close_notify.
    extra: more s_server options."""
    argv = ["openssl", "s_server", "-dtls1_2", "-accept", f"127.0.0.1:{port}", "-naccept", "1",
            *openssl_server_options(cred, alpn, client_ca), *extra]
    return Peer("openssl s_server", argv)


def openssl_client(port, bind_port, *, ca, alpn=None, cred=None, extra=()):
    """s_client from 127.0.0.1:bind_port; verifies the server as localhost
    against ca. Stdin lines become records; EOF on stdin sends
    close_notify; "closed" follows the server's close_notify. extra: more
    s_client options."""
    argv = ["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}",
            "-bind", f"127.0.0.1:{bind_port}", *openssl_client_options(ca, alpn, cred), *extra]
    return Peer("openssl s_client", argv)


def openssl_finished(peer):
    """The Finished messages in the -msg trace of an OpenSSL peer that
    exited, in order: (">>>" sent or "<<<" received, verify_data)."""
    found = []
    direction, head, hexes = None, "", []

    def end():
        msg = bytes.fromhex(" ".join(hexes))
        # A DTLS handshake header (type 20 = finished, 3-byte length, ...,
        # 12 bytes in all), then verify_data.
        if "content_type=22" in head and len(msg) > 12 and msg[0] == 20:
            found.append((direction, msg[12:12 + int.from_bytes(msg[1:4], "big")]))

    for line in peer.lines:
        m = re.match(r"^(>>>|<<<) (.*)", line)
        if m:
            if direction:
                end()
            direction, head, hexes = m.group(1), m.group(2), []
        elif direction and re.match(r"^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$", line):
            hexes.append(line.strip())
        elif direction:
            end()
            direction = None
    if direction:
        end()
    return found


# -- GnuTLS --------------------------------------------------------------------


def gnutls_server_options(cred, alpn=None, client_ca=None):
    """gnutls-serv's options for its certificate (cred), ALPN and, with
    client_ca, a required client certificate verified against it."""
    argv = ["--x509certfile", cred.chain or cred.cert, "--x509keyfile", cred.key]
    argv += [f"--alpn={a}" for a in alpn or ()]
    if client_ca:
        return argv + ["--require-client-cert", "--verify-client-cert", "--x509cafile", client_ca]
    return argv + ["--disable-client-cert"]


def gnutls_client_options(ca, alpn=None, cred=None):
    """gnutls-cli's options to verify the server as localhost against ca,
    offer ALPN and present cred."""
    argv = ["--x509cafile", ca, "--verify-hostname", "localhost", "--sni-hostname", "localhost"]
    argv += [f"--alpn={a}" for a in alpn or ()]
    if cred:
        argv += ["--x509certfile", cred.chain or cred.cert, "--x509keyfile", cred.key]
    return argv


def gnutls_server(port, cred, *, alpn=None, client_ca=None):
    """gnutls-serv in DTLS echo mode (it listens on every address of port);
    prints "EOF" after the client's close_notify."""
    argv = ["stdbuf", "-oL", "-eL", "gnutls-serv", "--udp", "--echo", "-p", port,
            *gnutls_server_options(cred, alpn, client_ca)]
    return Peer("gnutls-serv", argv)


def gnutls_client(port, *, ca, alpn=None, cred=None):
    """gnutls-cli verifying the server as localhost against ca (it cannot
    choose its own port). Stdin lines become records; EOF on stdin sends
    close_notify; "Peer has closed the GnuTLS connection" follows the
    server's close_notify."""
    argv = ["stdbuf", "-oL", "-eL", "gnutls-cli", "--udp", "127.0.0.1", "-p", port,
            *gnutls_client_options(ca, alpn, cred)]
    return Peer("gnutls-cli", argv)


# -- Gio in another process ------------------------------------------------------


def gio_env(backend, extra=None):
    """The environment of a Gio process using backend: "glib-networking"
    (the system module directory: its GnuTLS backend) or "dtlsgo"."""
    env = dict(os.environ)
    env.pop("GIO_USE_TLS", None)
    if backend == "glib-networking":
        env.pop("GIO_MODULE_DIR", None)
        env.pop("GIO_EXTRA_MODULES", None)
    elif backend != "dtlsgo":
        raise ValueError(backend)
    env["PEER_NAME"] = backend
    env.update(extra or {})
    return env


def gio_peer(backend, settings, extra_env=None):
    """gio_peer.py under backend, with settings (see its docstring)."""
    return Peer(f"gio peer ({backend})",
                [sys.executable, HERE / "gio_peer.py", json.dumps(settings, default=str)],
                env=gio_env(backend, extra_env))


def glib_networking_available():
    return (SYSTEM_GIO_MODULES / "libgiognutls.so").exists()


# -- what the interop tests share ------------------------------------------------


def assert_installed(*programs, glib_networking=True):
    """Fails, never skips, when a peer is missing: scripts/install-deps
    installs them all."""
    missing = [p for p in programs if not shutil.which(p)]
    if glib_networking and not glib_networking_available():
        missing.append("glib-networking")
    assert not missing, f"missing peers {missing}: run scripts/install-deps"


def server_credential(pki, kind):
    """The server certificate of kind: "ecdsa" (P-256) or "rsa" (2048)."""
    return {"ecdsa": pki.server_ecdsa, "rsa": pki.server}[kind]


def each_credential(test):
    """test for each kind of server key, without and with a client
    certificate (parameters kind, client_cert)."""
    test = pytest.mark.parametrize("kind", ["ecdsa", "rsa"])(test)
    return pytest.mark.parametrize("client_cert", [False, True], ids=["anonymous-client", "client-cert"])(test)


def assert_peer_certificate(conn, cred):
    """conn (dtlsgo's) got cred's certificate from its peer, verified
    without errors; cred None: no certificate."""
    peer = conn.get_peer_certificate()
    if cred is None:
        assert peer is None
    else:
        assert peer is not None and peer.get_subject_name() == cred.subject
        assert conn.get_peer_certificate_errors() == 0


def require_client_certificate(server, pki, judged):
    """server (dtlsgo's) requires a client certificate verified against the
    test root, accepts those without errors and notes each it was asked to
    judge in judged: (subject, errors)."""
    from gi.repository import Gio
    server.props.authentication_mode = Gio.TlsAuthenticationMode.REQUIRED
    server.set_database(pki.file_database())
    server.connect("accept-certificate",
                   lambda _c, cert, errors: judged.append((cert.get_subject_name(), int(errors)))
                   or int(errors) == 0)
