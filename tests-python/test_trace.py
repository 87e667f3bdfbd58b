"""The handshake trace (issue 15): G_MESSAGES_DEBUG=dtlsgo (or all) makes
each handshake print its flights, retransmissions, alerts, the verdict on
the peer's certificate and what was negotiated, as GLib debug messages of
the dtlsgo domain; without it nothing is printed. Each case runs in a
process of its own: the trace is on or off for the whole process."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")

PROGRAM = """
import sys, threading, time
sys.path.insert(0, {here!r})
import gi
gi.require_version("Gio", "2.0")
gi.require_version("DtlsGo", "1.0")
from gi.repository import Gio, GLib, DtlsGo
import conns

cert = Gio.TlsCertificate.new_from_files({cert!r}, {key!r})
client, server, _, _ = conns.pair(cert, accept_all={accept!r})
client.set_advertised_protocols(["h2", "dtls-test"])
server.set_advertised_protocols(["dtls-test"])
client.props.retransmission_interval = 100
client.props.srtp_profiles = ["SRTP_AEAD_AES_128_GCM"]
server.props.srtp_profiles = ["SRTP_AEAD_AES_128_GCM"]
# The server starts late: the client sends its first flight again.
t, res = conns.in_thread(lambda: (time.sleep(0.35), server.handshake(None)))
try:
    client.handshake(None)
    outcome = "ok " + client.get_ciphersuite_name()
except GLib.Error as e:
    outcome = "error " + e.message
t.join(10)
client.close(None)
server.close(None)
print("OUTCOME", outcome)
"""


def run(pki, env_debug, accept=True):
    env = dict(os.environ)
    env.pop("G_MESSAGES_DEBUG", None)
    if env_debug is not None:
        env["G_MESSAGES_DEBUG"] = env_debug
    cred = pki.server_ecdsa
    code = PROGRAM.format(here=HELPERS, cert=str(cred.chain or cred.cert), key=str(cred.key), accept=accept)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # GLib's default writer prints debug messages on standard output.
    return out.stdout, out.stdout + out.stderr


def lines(stderr, role):
    return [l for l in stderr.splitlines() if re.search(rf"dtlsgo-DEBUG: [0-9:.]+: {role} \d+: ", l)]


@pytest.mark.parametrize("domains", ["dtlsgo", "all", "GLib-GIO dtlsgo"])
def test_the_trace_shows_flights_retransmissions_verdict_and_what_was_negotiated(pki, domains):
    stdout, stderr = run(pki, domains)
    assert "OUTCOME ok TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in stdout
    client, server = "\n".join(lines(stderr, "client")), "\n".join(lines(stderr, "server"))
    for flight in ("sent flight 1: ClientHello", "received flight 2: HelloVerifyRequest",
                   "sent flight 3: ClientHello", "received flight 4: ServerHello",
                   "sent flight 5: ClientKeyExchange, ChangeCipherSpec, Finished (encrypted)",
                   "received flight 6: ChangeCipherSpec, Finished (encrypted)"):
        assert flight in client, (flight, stderr)
    # Sent again after the retransmission interval (100 ms), then twice that.
    again = [float(s) for s in re.findall(r"sent flight 1 again, ([0-9.]+) s after the previous copy: ClientHello", client)]
    assert len(again) >= 2 and again[0] >= 0.095 and again[1] >= 0.19, stderr
    assert "received flight 1 again" in server, stderr
    assert "sent flight 4: ServerHello" in server and "sent flight 6: ChangeCipherSpec" in server
    assert "verification flags UNKNOWN_CA, accepted" in client
    for side in (client, server):
        assert ("handshake complete after" in side and "DTLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
                "ALPN dtls-test, SRTP profile SRTP_AEAD_AES_128_GCM, connection IDs none" in side), stderr
        assert "sent alert Warning CloseNotify" in side
    assert "first retransmission after 100ms" in client


def test_a_refused_certificate_is_traced_with_its_reason_and_alerts(pki):
    stdout, stderr = run(pki, "dtlsgo", accept=False)
    assert "OUTCOME error Unacceptable TLS certificate: signed by an unknown authority" in stdout
    client, server = "\n".join(lines(stderr, "client")), "\n".join(lines(stderr, "server"))
    assert ("verification flags UNKNOWN_CA, refused: Unacceptable TLS certificate: "
            "signed by an unknown authority") in client, stderr
    assert "sent alert Fatal BadCertificate" in client, stderr
    assert "received alert Fatal BadCertificate" in server, stderr
    assert "handshake failed after" in client and "handshake failed after" in server


@pytest.mark.parametrize("domains", [None, "GLib-GIO"])
def test_nothing_is_printed_unless_the_domain_is_enabled(pki, domains):
    stdout, output = run(pki, domains)
    assert "OUTCOME ok" in stdout
    assert "dtlsgo-DEBUG" not in output, output
