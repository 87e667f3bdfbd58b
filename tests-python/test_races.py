"""Races and lifetimes between the module's threads (Go's, the base I/O
threads) and the caller's, each hammered in a child process (races.py)
under G_DEBUG=fatal-criticals: a crash, a heap corruption or a GLib
critical fails the test with the child's output. Each scenario once
failed within a few thousand rounds; DTLSGO_LONG_TESTS=1 runs ten times
more."""
import json
import subprocess
import sys

import peers
from longrun import scale


def run_scenario(pki, name, **settings):
    cfg = dict(cert=str(pki.server_ecdsa.chain), key=str(pki.server_ecdsa.key), **settings)
    proc = subprocess.run([sys.executable, str(peers.HERE / "races.py"), name, json.dumps(cfg)],
                          env=peers.gio_env("dtlsgo", {"G_DEBUG": "fatal-criticals"}),
                          capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"{name}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    res = json.loads(lines[-1][len("RESULT "):])
    assert res.pop("backend") == "DtlsGoBackend"
    return res


def test_joining_a_finished_handshake_from_two_threads(pki):
    """Sync handshake() on established connections, over and over from a
    thread per peer (4 pairs): each call's completion is posted by a Go thread into
    the call's private main context, which the call frees once it ran.
    The poster's last unref of its idle source used to race with that
    context's finalization (heap corruption, 'source_remove_from_context:
    assertion source_list != NULL failed'; seen in the 500-handshake load
    test, which ends with a sync handshake() per connection)."""
    rounds = scale(10000, 100000)
    res = run_scenario(pki, "rejoin", rounds=rounds, pairs=4)
    assert res["joined"] == [rounds] * 8
