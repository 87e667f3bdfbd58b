"""50 DTLS clients of four implementations at once against one
DtlsGo.Listener: dtlsgo in this process, OpenSSL's s_client, GnuTLS's
gnutls-cli and glib-networking's GnuTLS backend in processes of their
own. Each exchanges numbered datagrams; the server's echo names the
address it answered, so a datagram that crossed to another client shows."""
import re
import threading

import pytest
from gi.repository import Gio, GLib

import netem
import peers
from test_listener import SECOND, Echo, client_to, listener_on

DTLSGO, OPENSSL, GNUTLS, GLIB_NETWORKING = 20, 10, 10, 10
MESSAGES = 5


def test_fifty_clients_of_four_kinds_at_once(pki):
    if not peers.glib_networking_available():
        pytest.fail("glib-networking's GnuTLS backend is not installed (scripts/install-deps)")
    cred = pki.server_ecdsa
    ca = str(pki.root.cert)
    listener, sock = listener_on(Gio.SocketFamily.IPV4, cred)
    port = sock.get_local_address().get_port()
    echo = Echo(listener, DTLSGO + OPENSSL + GNUTLS + GLIB_NETWORKING)
    ossl_ports = netem.free_udp_ports(OPENSSL)
    procs = [("openssl", i, peers.openssl_client(port, p, ca=ca)) for i, p in enumerate(ossl_ports)]
    procs += [("gnutls", i, peers.gnutls_client(str(port), ca=ca)) for i in range(GNUTLS)]
    procs += [("glib-networking", i, peers.gio_peer("glib-networking", dict(
        role="client", port=0, peer_port=port, ca=ca))) for i in range(GLIB_NETWORKING)]
    errors = []

    def dtlsgo_client(i):
        try:
            client, csock = client_to(port)
            me = csock.get_local_address()
            who = f"127.0.0.1:{me.get_port()}"
            for m in range(MESSAGES):
                msg = f"dtlsgo {i} datagram {m}".encode()
                client.send_bytes(GLib.Bytes.new(msg), 30 * SECOND, None)
                assert client.receive_bytes(0, 30 * SECOND, None).get_data() == msg + f" from {who}".encode()
            client.close(None)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(("dtlsgo", i, e))

    threads = [threading.Thread(target=dtlsgo_client, args=(i,)) for i in range(DTLSGO)]
    for t in threads:
        t.start()
    try:
        for kind, i, p in procs:
            if kind == "openssl":
                p.wait_for("^---$", timeout=60)
            elif kind == "gnutls":
                p.wait_for("Handshake was completed", timeout=60)
            if kind in ("openssl", "gnutls"):
                for m in range(MESSAGES):
                    p.write(f"{kind} {i} line {m}\n")
                    p.wait_for(f"^{kind} {i} line {m} from 127.0.0.1:[0-9]+$", timeout=30)
                p.close_stdin()
        for kind, i, p in procs:
            if kind == "glib-networking":
                res = p.result(timeout=60)
                assert res.get("error") is None, res
                got = res["received"]
                assert len(got) == 1 and re.fullmatch(r"ping from glib-networking from 127\.0\.0\.1:\d+", got[0]), got
            else:
                assert p.finish(timeout=30) == 0
                mine = re.compile(f"^{kind} {i} line ")
                foreign = [ln for ln in p.lines if re.search(r"(openssl|gnutls) \d+ line \d+ from", ln)
                           and not mine.match(ln)]
                assert foreign == [], (kind, i, foreign)
                if kind == "openssl":
                    # Its own port, named by the server: nothing crossed.
                    assert all(ln.endswith(f":{ossl_ports[i]}") for ln in p.lines if mine.match(ln))
    finally:
        for _, _, p in procs:
            p.kill()
    for t in threads:
        t.join(60)
    echo.thread.join(60)
    assert errors == [] and echo.errors == []
    assert listener.get_peer_count() == (0, 0)
