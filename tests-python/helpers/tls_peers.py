"""Real stream TLS peers in their own processes: OpenSSL's s_server and
s_client, GnuTLS's gnutls-serv and gnutls-cli, curl, and gio_peer.py over
TCP under glib-networking's GnuTLS backend (peers.gio_peer). Each is a
peers.Peer; servers come back with the port they listen on, once they
listen (never a guessed moment).

`VERSIONS` says how each program is held to one TLS version: dtlsgo has no
API for that (GIO has none), so the peer decides.
"""
import dataclasses
import socket
import subprocess

import pytest
from gi.repository import Gio

import peers


@dataclasses.dataclass(frozen=True)
class Version:
    gio: Gio.TlsProtocolVersion
    openssl: str  # s_server / s_client option
    gnutls: str  # priority string (gnutls-serv, gnutls-cli, G_TLS_GNUTLS_PRIORITY)
    curl: tuple
    name: str  # as OpenSSL prints it


VERSIONS = {
    "1.2": Version(Gio.TlsProtocolVersion.TLS_1_2, "-tls1_2", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
                   ("--tlsv1.2", "--tls-max", "1.2"), "TLSv1.2"),
    "1.3": Version(Gio.TlsProtocolVersion.TLS_1_3, "-tls1_3", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
                   ("--tlsv1.3", "--tls-max", "1.3"), "TLSv1.3"),
}


def each_version(test):
    """test for TLS 1.2 and 1.3 (parameter version)."""
    return pytest.mark.parametrize("version", list(VERSIONS))(test)


def glib_networking_env(version):
    """The environment that holds glib-networking's GnuTLS backend to version."""
    return {"G_TLS_GNUTLS_PRIORITY": VERSIONS[version].gnutls}


# -- OpenSSL -------------------------------------------------------------------


def openssl_server(cred, version, *, alpn=None, client_ca=None, naccept=1, www=None,
                   cwd=None, extra=()):
    """s_server -tls1_x on 127.0.0.1 (a port it picks) for naccept
    connections; returns (peer, port) once it listens. Lines typed on its
    stdin become records, records received are printed, "DONE" follows a
    client's close_notify; www: "-www" (a status page for any GET) or
    "-WWW" (files under cwd)."""
    argv = ["openssl", "s_server", VERSIONS[version].openssl, "-accept", "127.0.0.1:0",
            "-naccept", naccept, *peers.openssl_server_options(cred, alpn, client_ca), *extra]
    if www:
        argv.append(www)
    server = peers.Peer("openssl s_server", argv, cwd=cwd)
    port = int(server.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)$").group(1))
    return server, port


def openssl_client(port, version, *, ca, alpn=None, cred=None, extra=()):
    """s_client -tls1_x to 127.0.0.1:port, verifying the server as
    localhost against ca. Stdin lines become records; EOF on stdin sends
    close_notify and ends it."""
    argv = ["openssl", "s_client", VERSIONS[version].openssl, "-connect", f"127.0.0.1:{port}",
            *peers.openssl_client_options(ca, alpn, cred), *extra]
    return peers.Peer("openssl s_client", argv)


_IANA = {}


def iana_suite(openssl_name):
    """The IANA name of a cipher suite OpenSSL prints by its own name."""
    if not _IANA:
        out = subprocess.run(["openssl", "ciphers", "-stdname", "ALL"], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            iana, _, ossl = line.split()[:3]
            _IANA[ossl] = iana
    return _IANA[openssl_name]


# -- GnuTLS --------------------------------------------------------------------


def free_dual_stack_port():
    """A TCP port free on 127.0.0.1 and ::1 a moment ago (gnutls-serv binds
    every address of one port, and GLib resolves localhost to both)."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", 0))
        return s.getsockname()[1]


def gnutls_server(cred, version, *, alpn=None, client_ca=None, mode="--echo"):
    """gnutls-serv in mode ("--echo" or "--http") held to version; returns
    (peer, port) once it listens. It cannot pick its own port and report
    it, so a free one is tried, and another if someone took it meanwhile."""
    argv = ["stdbuf", "-oL", "-eL", "gnutls-serv", mode, "--priority", VERSIONS[version].gnutls,
            *peers.gnutls_server_options(cred, alpn, client_ca)]
    for _ in range(5):
        port = free_dual_stack_port()
        server = peers.Peer("gnutls-serv", [*argv, "-p", port])
        # It binds IPv4, then IPv6, saying "...done" after each listen().
        outcome = server.wait_for(r"listening on IPv6 .*\.\.\.(done|bind\(\) failed)")
        if outcome.group(1) == "done" and not server.has("bind\\(\\) failed"):
            return server, port
        server.kill()
    raise AssertionError("gnutls-serv found no free port in 5 tries")


def gnutls_client(port, version, *, ca, alpn=None, cred=None, extra=()):
    """gnutls-cli held to version, to 127.0.0.1:port, verifying the server
    as localhost against ca. Stdin lines become records; EOF on stdin
    sends close_notify, then it waits for the server's."""
    argv = ["stdbuf", "-oL", "-eL", "gnutls-cli", "127.0.0.1", "-p", port,
            "--priority", VERSIONS[version].gnutls, *peers.gnutls_client_options(ca, alpn, cred), *extra]
    return peers.Peer("gnutls-cli", argv)


# -- curl ----------------------------------------------------------------------


def curl(url, version, *, ca, cred=None, extra=()):
    """curl -v for url held to version, verifying against ca; returns
    (exit status, body, verbose trace)."""
    argv = ["curl", "-sS", "-v", "--max-time", "60", *VERSIONS[version].curl, "--cacert", ca,
            *extra, url]
    if cred:
        argv += ["--cert", cred.chain or cred.cert, "--key", cred.key]
    done = subprocess.run([str(a) for a in argv], capture_output=True, timeout=120)
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")
