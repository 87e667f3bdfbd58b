"""Handshakes in a row over an impaired link, in a process of their own:

    /usr/bin/python3 lossy_handshakes.py '<json settings>'

run by test_hostile_network.py with dtlsgo loaded (GIO_MODULE_DIR) and
DTLSGO_HANDSHAKE_TIMEOUT raised: the module reads it when it loads, and
RFC 6347's retransmission back-off (doubling, up to 60 s between tries)
makes the default 60 s bound too short for a link that loses a fifth of its
datagrams (measured: about one handshake in fifty took longer).

Settings: cert, key (the server's), lanes, per_lane, datagrams, seed, and
the proxy's impairments (loss, duplicate, reorder, delay). Each lane runs
per_lane handshakes one after another, each through its own netem.Proxy
seeded "<seed>/<lane>/<i>", then streams `datagrams` numbered datagrams
each way. Prints "RESULT <json>": failures and totals.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

import conns  # noqa: E402
import netem  # noqa: E402
from streams import stream  # noqa: E402

IMPAIRMENTS = ("loss", "duplicate", "reorder", "delay")


def lane(cfg, cert, n, failures, totals, lock):
    for i in range(cfg["per_lane"]):
        name = f"{cfg['seed']}/{n}/{i}"
        impaired = {k: cfg[k] for k in IMPAIRMENTS}
        with netem.Proxy(seed=name, **impaired) as proxy:
            cs, ss = conns.udp_pair_via(proxy)
            client = conns.client_for(cs)
            server = Gio.DtlsServerConnection.new(ss, cert)
            start = time.monotonic()
            try:
                cerr, serr = conns.handshake_both(client, server, timeout=600)
            except AssertionError as e:
                failures.append(f"{name}: {e}")
                return
            if cerr or serr:
                failures.append(f"{name}: handshake failed: client {cerr}, server {serr}")
                return
            took = time.monotonic() - start
            try:
                up = stream(client, server, f"up{name}", cfg["datagrams"])
                down = stream(server, client, f"down{name}", cfg["datagrams"])
            except (AssertionError, GLib.Error) as e:
                failures.append(f"{name}: {e}")
                return
            client.close(None)
            server.close(None)
        with lock:
            totals["handshakes"] += 1
            totals["seconds"].append(round(took, 2))
            totals["sent"] += 2 * cfg["datagrams"]
            totals["arrived"] += len(up) + len(down)
            for d in (netem.C2S, netem.S2C):
                st = proxy.stats[d]
                for k in ("dropped", "duplicated", "reordered", "appdata_duplicated"):
                    totals[k] += getattr(st, k)


def main(cfg):
    cert = Gio.TlsCertificate.new_from_files(cfg["cert"], cfg["key"])
    failures, lock = [], threading.Lock()
    totals = dict.fromkeys(["handshakes", "sent", "arrived", "dropped", "duplicated", "reordered",
                            "appdata_duplicated"], 0)
    totals["seconds"] = []
    threads = [threading.Thread(target=lane, args=(cfg, cert, n, failures, totals, lock))
               for n in range(cfg["lanes"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"backend": type(Gio.TlsBackend.get_default()).__gtype__.name,
            "failures": failures, "totals": totals}


if __name__ == "__main__":
    print("RESULT", json.dumps(main(json.loads(sys.argv[1]))), flush=True)
