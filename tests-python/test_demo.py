"""The README's demo keeps working."""
import os
import pathlib
import subprocess
import sys

DEMO = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "demo.py"


def test_demo_exchanges_datagrams_through_dtlsgo():
    out = subprocess.run([sys.executable, str(DEMO)], env=dict(os.environ), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "TLS backend: DtlsGoBackend" in out.stdout
    assert "client: protocol dtls-1-2, cipher suite TLS_" in out.stdout
    assert "echoed b'WITH DTLSGO'" in out.stdout
    assert "server closed: True" in out.stdout
    assert "keying material (RFC 5705) agrees with the server's: True" in out.stdout
    assert "3 clients on port" in out.stdout and "each echoed by its own connection: True" in out.stdout
