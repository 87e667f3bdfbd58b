"""Loads the dtlsgo module under test before anything imports gi, and
provides the shared fixtures (see fixtures.py).

meson sets GIO_MODULE_DIR to the build directory (where the module is); by
hand it defaults to <repo>/_build. Either way the session stops at once if
the default TLS backend is not dtlsgo's: every test here would otherwise
silently test another backend.
"""

import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent

# GIO reads this when it first scans modules, i.e. at the first gi TLS call:
# it must be set before gi is imported anywhere.
os.environ.setdefault("GIO_MODULE_DIR", str(REPO / "_build"))
# The DtlsGo typelib of the same build (it names that build's module).
os.environ.setdefault("GI_TYPELIB_PATH", str(pathlib.Path(os.environ["GIO_MODULE_DIR"]) / "gir"))
os.environ.pop("GIO_USE_TLS", None)
os.environ.setdefault("GSETTINGS_BACKEND", "memory")

# The tests' helper modules (and the child scripts they run) live in helpers/.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "helpers"))

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
gi.require_version("DtlsGo", "1.0")
from gi.repository import Gio  # noqa: E402
# Imported before any connection exists, so that PyGObject wraps dtlsgo's
# objects in their DtlsGo classes.
from gi.repository import DtlsGo  # noqa: E402,F401

import pytest  # noqa: E402

import conns  # noqa: E402
import fixtures  # noqa: E402

_module_dir = os.environ["GIO_MODULE_DIR"]
_backend = Gio.TlsBackend.get_default()
if type(_backend).__gtype__.name != "DtlsGoBackend":
    raise RuntimeError(
        f"the default TLS backend is {type(_backend).__gtype__.name}, not DtlsGoBackend: "
        f"is libgiodtlsgo.so built in GIO_MODULE_DIR={_module_dir}? "
        "(build with `ninja -C _build`, or set GIO_MODULE_DIR to your build directory)")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The session's test certificates (fixtures.TestPKI)."""
    return fixtures.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def reference():
    """Runs a snippet under glib-networking's GnuTLS backend in a subprocess
    (fixtures.run_python); skips when that backend is not installed."""
    if not fixtures.reference_backend_available():
        pytest.skip("glib-networking's GnuTLS backend is not installed")
    return lambda code: fixtures.run_python(code, backend="gnutls")


@pytest.fixture
def server_cert(pki):
    """The ECDSA server certificate (pki.server_ecdsa), with its key."""
    return pki.server_ecdsa.tls_certificate()


@pytest.fixture
def ecdsa_pair(server_cert):
    """A dtlsgo client and server (server_cert) over loopback UDP, not yet
    handshaken; both closed afterwards."""
    client, server, _, _ = conns.pair(server_cert)
    yield client, server
    client.close(None)
    server.close(None)
