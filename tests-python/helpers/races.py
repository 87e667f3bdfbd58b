"""Races between the module's threads and the caller's, hammered in a
process of their own so that a crash or a GLib critical fails one test
with its output instead of killing the pytest session:

    /usr/bin/python3 races.py SCENARIO '<json settings>'

run by test_races.py with dtlsgo loaded (GIO_MODULE_DIR) and
G_DEBUG=fatal-criticals. Settings: cert and key (a server's), rounds.
Prints "RESULT <json>" when the scenario ran to its end.
"""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio  # noqa: E402

import conns  # noqa: E402


def rejoin(cfg, cert):
    """A sync handshake() on an established connection joins the finished
    handshake: a Go thread posts its completion into the call's private
    main context, which the call frees as soon as it ran. Every peer of
    cfg["pairs"] pairs does it over and over, each in its own thread."""
    peers = []
    for _ in range(cfg["pairs"]):
        client, server, _, _ = conns.pair(cert)
        assert conns.handshake_both(client, server) == (None, None)
        peers += [client, server]
    joined = [0] * len(peers)

    def loop(i, conn):
        for _ in range(cfg["rounds"]):
            assert conn.handshake(None)
            joined[i] += 1

    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(peers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in peers:
        conn.close(None)
    return {"joined": joined}


SCENARIOS = {"rejoin": rejoin}


def main():
    name, cfg = sys.argv[1], json.loads(sys.argv[2])
    cert = Gio.TlsCertificate.new_from_files(cfg["cert"], cfg["key"])
    print("RESULT " + json.dumps(dict(SCENARIOS[name](cfg, cert),
                                      backend=type(Gio.TlsBackend.get_default()).__gtype__.name)))


if __name__ == "__main__":
    main()
