"""HTTPS through dtlsgo with programs nobody here wrote (issue 13). libsoup 3
(Debian's gir1.2-soup-3.0) runs in this process, where dtlsgo is GIO's only
TLS backend (conftest), as a client fetching from `openssl s_server -WWW`
and `gnutls-serv --http`, and as a Soup.Server serving curl, `openssl
s_client` and gnutls-cli; curl starts HTTP/2 on a Gio.SocketService that
negotiated h2 through dtlsgo. TLS 1.2 and 1.3, ECDSA and RSA, without and
with a client certificate; every side verifies against the test root, and
each side's report of the handshake is checked against the other's.
"""
import re

import gi
import pytest

gi.require_version("Soup", "3.0")
from gi.repository import Gio, GLib, Soup  # noqa: E402

import conns  # noqa: E402
import peers  # noqa: E402
import tls_peers  # noqa: E402
from tlsstreams import Background, read_exactly  # noqa: E402

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # RFC 9113 section 3.4


@pytest.fixture(scope="module", autouse=True)
def programs_installed():
    peers.assert_installed("openssl", "gnutls-serv", "gnutls-cli", "curl", "stdbuf", glib_networking=False)


def matrix(test):
    """Each version, each kind of server key, without and with a client
    certificate."""
    return tls_peers.each_version(peers.each_credential(test))


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html))


# ---- libsoup fetches ------------------------------------------------------------


@pytest.mark.parametrize("server_program", ["openssl", "gnutls"])
@matrix
def test_libsoup_fetches_over_dtlsgo(pki, tmp_path, server_program, version, kind, client_cert):
    cred = peers.server_credential(pki, kind)
    client_ca = str(pki.root.cert) if client_cert else None
    if server_program == "openssl":
        (tmp_path / "page.txt").write_text("served by s_server\n")
        server, port = tls_peers.openssl_server(cred, version, alpn=["http/1.1"], client_ca=client_ca,
                                                www="-WWW", cwd=tmp_path)
        path = "/page.txt"
    else:
        server, port = tls_peers.gnutls_server(cred, version, alpn=["http/1.1"], client_ca=client_ca,
                                               mode="--http")
        path = "/"
    with server:
        session = Soup.Session(tls_database=pki.file_database(), timeout=60)
        msg = Soup.Message.new("GET", f"https://localhost:{port}{path}")
        if client_cert:
            msg.set_tls_client_certificate(pki.client.tls_certificate())
        body = session.send_and_read(msg, None).get_data().decode()

        assert msg.get_status() == Soup.Status.OK, body
        assert msg.get_tls_peer_certificate_errors() == 0
        assert msg.get_tls_peer_certificate().get_subject_name() == cred.subject
        assert msg.get_tls_protocol_version() == tls_peers.VERSIONS[version].gio
        suite = msg.get_tls_ciphersuite_name()
        if server_program == "openssl":
            assert body == "served by s_server\n"
            assert server.finish() == 0  # one connection, closed after its response
            # libsoup's offer, through dtlsgo.
            assert server.has("^ALPN protocols advertised by the client: h2, http/1.1, http/1.0$")
            assert server.has("^ALPN protocols selected: http/1.1$")
            if client_cert:
                assert server.has(r"^depth=0 .*CN = dtlsgo test client")
                assert not server.has("verify error")
        else:
            page = text_of(body)
            assert f" Protocol version: TLS{version} " in page, page
            assert " Server Name: localhost " in page, page
            cipher = re.search(r" Cipher (\S+) ", page).group(1)  # e.g. AES-128-GCM
            assert cipher.replace("-", "_") in suite
            if client_cert:  # gnutls-serv's log, which may trail its response
                server.wait_for("^- Status: The certificate is trusted")
                server.wait_for(r"^\s*Subject: CN=dtlsgo test client,")
        session.abort()


# ---- a Soup.Server serves ---------------------------------------------------------

BODY = b"served by Soup through dtlsgo\n"


def soup_server(pki, cred, client_cert):
    """A Soup.Server serving HTTPS on 127.0.0.1 (a port it picked) from this
    thread's main context; returns (server, port, what its handler saw:
    (path, the client certificate's subject, its errors))."""
    server = Soup.Server(tls_certificate=cred.tls_certificate())
    seen = []
    if client_cert:
        server.set_tls_database(pki.file_database())
        server.set_tls_auth_mode(Gio.TlsAuthenticationMode.REQUIRED)

        # libsoup's way to GLib's accept-certificate, which a server's
        # connection emits for every client certificate.
        def judge(_msg, _cert, errors):
            seen.append(("accept-certificate", int(errors)))
            return errors == 0
        server.connect("request-started", lambda _server, msg: msg.connect("accept-certificate", judge))

    def handler(_server, msg, path, _query):
        peer = msg.get_tls_peer_certificate()
        seen.append((path, peer and peer.get_subject_name(), int(msg.get_tls_peer_certificate_errors())))
        msg.set_status(200, None)
        msg.set_response("text/plain", Soup.MemoryUse.COPY, BODY)
    server.add_handler(None, handler)
    server.listen_local(0, Soup.ServerListenOptions.HTTPS | Soup.ServerListenOptions.IPV4_ONLY)
    return server, server.get_uris()[0].get_port(), seen


def serve_until(done):
    """Runs the main context (the Soup.Server's) until done()."""
    conns.iterate_until(done, timeout=120)


def fetch_with(program, port, version, pki, cred):
    """program ("openssl" s_client or "gnutls"-cli) sends an HTTP/1.1
    request for /hello and reads the response, the server serving
    meanwhile; returns the peer once it exited."""
    if program == "openssl":
        client = tls_peers.openssl_client(port, version, ca=str(pki.root.cert), alpn=["http/1.1"], cred=cred)
    else:
        client = tls_peers.gnutls_client(port, version, ca=str(pki.root.cert), alpn=["http/1.1"], cred=cred)
    with client:
        client.write(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        serve_until(lambda: client.has(f"{BODY.decode().strip()}$"))
        client.close_stdin()
        serve_until(lambda: client.proc.poll() is not None)
        assert client.finish() == 0, client.output
    return client


@pytest.mark.parametrize("program", ["curl", "openssl", "gnutls"])
@matrix
def test_soup_server_serves_over_dtlsgo(pki, program, version, kind, client_cert):
    cred = peers.server_credential(pki, kind)
    client_cred = pki.client if client_cert else None
    server, port, seen = soup_server(pki, cred, client_cert)
    try:
        if program == "curl":
            fetch = Background(lambda: tls_peers.curl(
                f"https://localhost:{port}/hello", version, ca=pki.root.cert, cred=client_cred,
                extra=["--resolve", f"localhost:{port}:127.0.0.1"]))
            serve_until(lambda: not fetch.thread.is_alive())
            status, body, trace = fetch.result()
            assert (status, body) == (0, BODY), trace
            m = re.search(r"^\* SSL connection using (\S+) / (\S+)$", trace, re.M)
            assert m.group(1) == tls_peers.VERSIONS[version].name, trace
            suite = tls_peers.iana_suite(m.group(2))
            assert "* ALPN: server accepted http/1.1" in trace
            assert "*  SSL certificate verify ok." in trace
        else:
            client = fetch_with(program, port, version, pki, client_cred)
            # Not anchored: s_client's report of a TLS 1.3 ticket, printed
            # through another buffer, may surround the response's lines.
            assert client.has(r"HTTP/1\.1 200 OK$"), client.output
            if program == "openssl":
                assert client.has(r"^\s*Verify return code: 0 \(ok\)")
                assert client.has("^ALPN protocol: http/1.1$")
                m = client.wait_for(r"^New, (\S+), Cipher is (\S+)$")
                assert m.group(1) == tls_peers.VERSIONS[version].name
                suite = tls_peers.iana_suite(m.group(2))
            else:
                assert client.has("The certificate is trusted")
                assert client.has("^- Application protocol: http/1.1$")
                assert client.has(rf"^- Description: \(TLS{version}-X\.509\)")
                suite = None
                if client_cert:
                    assert client.has("Successfully sent 2 certificate")
        if suite and version == "1.2":
            assert suite.startswith(f"TLS_ECDHE_{kind.upper()}_WITH_"), suite
        assert seen == ([("accept-certificate", 0), ("/hello", pki.client.subject, 0)] if client_cert
                        else [("/hello", None, 0)])
    finally:
        server.disconnect()


# ---- curl starts HTTP/2 on what dtlsgo negotiated ---------------------------------


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_curl_speaks_http2_after_dtlsgo_negotiates_h2(pki, version):
    """A Gio.SocketService wraps what it accepts in a dtlsgo server
    connection offering h2 and http/1.1 (an async handshake in this
    thread's main context); curl, offered h2 by ALPN, opens with HTTP/2's
    connection preface. The service serves no HTTP/2 and closes: curl
    fails, having said what it negotiated."""
    service = Gio.SocketService()
    _, address = service.add_address(Gio.InetSocketAddress.new_from_string("127.0.0.1", 0),
                                     Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
    port = address.get_port()
    cert = pki.server_ecdsa.tls_certificate()
    served = []

    def incoming(_service, connection, _source):
        connection.get_socket().set_timeout(60)  # the blocking read below: never forever
        tls = Gio.TlsServerConnection.new(connection, cert)
        tls.set_advertised_protocols(["h2", "http/1.1"])

        def handshaken(tls, result):
            tls.handshake_finish(result)
            served.append((tls.get_negotiated_protocol(), read_exactly(tls, len(H2_PREFACE))))
            tls.close(None)
        tls.handshake_async(GLib.PRIORITY_DEFAULT, None, handshaken)
        return True
    service.connect("incoming", incoming)
    service.start()
    try:
        fetch = Background(lambda: tls_peers.curl(
            f"https://localhost:{port}/", version, ca=pki.root.cert,
            extra=["--http2", "--resolve", f"localhost:{port}:127.0.0.1"]))
        serve_until(lambda: not fetch.thread.is_alive())
        status, _, trace = fetch.result()
    finally:
        service.stop()
        service.close()
    assert served == [("h2", H2_PREFACE)]
    assert "* ALPN: offers h2,http/1.1" in trace
    assert "* ALPN: server accepted h2" in trace
    assert "* using HTTP/2" in trace and "> GET / HTTP/2" in trace, trace
    assert status != 0  # nothing answered its HTTP/2
