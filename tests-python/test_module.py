"""The module as GIO sees it: selection, the backend's answers, unloading
and reloading, what the library exports, and installation (issue 3)."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
from gi.repository import Gio, GLib

MODULE_DIR = pathlib.Path(os.environ["GIO_MODULE_DIR"])
MODULE = MODULE_DIR / "libgiodtlsgo.so"
REPO = pathlib.Path(__file__).resolve().parent.parent


def run(code, **env_changes):
    """Runs Python code in a fresh process with the environment changed;
    returns its stdout. None in env_changes removes a variable."""
    env = dict(os.environ)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


BACKEND_NAME = "from gi.repository import Gio; print(type(Gio.TlsBackend.get_default()).__gtype__.name)"


def test_module_dir_selects_dtlsgo():
    assert run(BACKEND_NAME) == "DtlsGoBackend"


def test_installed_beside_glib_networking_changes_nothing():
    name = run(BACKEND_NAME, GIO_MODULE_DIR=None, GIO_EXTRA_MODULES=str(MODULE_DIR))
    assert name == "GTlsBackendGnutls"


def test_gio_use_tls_selects_dtlsgo_beside_glib_networking():
    name = run(BACKEND_NAME, GIO_MODULE_DIR=None, GIO_EXTRA_MODULES=str(MODULE_DIR),
               GIO_USE_TLS="dtlsgo")
    assert name == "DtlsGoBackend"


def test_backend_answers():
    backend = Gio.TlsBackend.get_default()
    assert backend.supports_dtls()
    assert backend.supports_tls()
    for getter, base in ((backend.get_dtls_client_connection_type, Gio.DtlsClientConnection),
                         (backend.get_dtls_server_connection_type, Gio.DtlsServerConnection),
                         (backend.get_client_connection_type, Gio.TlsClientConnection),
                         (backend.get_server_connection_type, Gio.TlsServerConnection),
                         (backend.get_certificate_type, Gio.TlsCertificate),
                         (backend.get_file_database_type, Gio.TlsFileDatabase)):
        assert getter().is_a(base.__gtype__), getter
    db = backend.get_default_database()
    assert isinstance(db, Gio.TlsDatabase)
    assert backend.get_default_database() is db  # one per process


def test_query_names_the_tls_extension_point():
    code = f"""
        import ctypes
        lib = ctypes.CDLL({str(MODULE)!r})
        lib.g_io_module_query.restype = ctypes.POINTER(ctypes.c_char_p)
        names = lib.g_io_module_query()
        out = []
        i = 0
        while names[i]:
            out.append(names[i].decode()); i += 1
        print(",".join(out))
    """
    assert run(code) == "gio-tls-backend"


def test_module_cache_is_written():
    cache = (MODULE_DIR / "giomodule.cache").read_text()
    assert "libgiodtlsgo.so: gio-tls-backend" in cache


def test_unload_and_reload_is_safe():
    """GIO unloads and reloads modules (GTypeModule use/unuse); a Go runtime
    can be neither unloaded nor started twice."""
    code = f"""
        from gi.repository import Gio
        m = Gio.IOModule.new({str(MODULE)!r})
        for _ in range(3):
            assert m.use()
            m.unuse()
        Gio.io_modules_load_all_in_directory({str(MODULE_DIR)!r})
        Gio.io_modules_load_all_in_directory({str(MODULE_DIR)!r})
        b = Gio.TlsBackend.get_default()
        assert type(b).__gtype__.name == "DtlsGoBackend", b
        db = b.get_default_database()
        print("ok", type(db).__gtype__.name)
    """
    assert run(code).startswith("ok DtlsGo")


def test_only_module_entry_points_and_api_are_exported():
    out = subprocess.run(["nm", "-D", "--defined-only", str(MODULE)], capture_output=True,
                         text=True, check=True).stdout
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    assert {"g_io_module_load", "g_io_module_unload", "g_io_module_query"} <= symbols
    stray = {s for s in symbols if not (s.startswith("g_io_module_") or s.startswith("dtls_go_"))}
    assert not stray, sorted(stray)[:20]


def test_stream_tls_server_over_any_io_stream(pki):
    io = Gio.SimpleIOStream.new(Gio.MemoryInputStream(), Gio.MemoryOutputStream.new_resizable())
    server = Gio.TlsServerConnection.new(io, pki.server_ecdsa.tls_certificate())
    assert type(server).__gtype__.name == "DtlsGoServerConnection"
    assert isinstance(server.get_input_stream(), Gio.PollableInputStream)
    assert isinstance(server.get_output_stream(), Gio.PollableOutputStream)
    server.close(None)


@pytest.mark.skipif(os.environ.get("DTLSGO_SKIP_INSTALL_TEST") == "1",
                    reason="DTLSGO_SKIP_INSTALL_TEST=1")
def test_meson_install_into_a_scratch_prefix(tmp_path):
    """meson install puts the module into GIO's module dir under the prefix
    and writes the module cache there."""
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    subprocess.run(["meson", "setup", str(build), str(REPO), f"--prefix={prefix}"],
                   check=True, capture_output=True, timeout=300)
    subprocess.run(["meson", "install", "-C", str(build)], check=True, capture_output=True,
                   timeout=900)
    modules = list(prefix.rglob("gio/modules/libgiodtlsgo.so"))
    assert len(modules) == 1, list(prefix.rglob("*"))
    cache = modules[0].parent / "giomodule.cache"
    assert "libgiodtlsgo.so: gio-tls-backend" in cache.read_text()
    assert not list(prefix.rglob("libgiodtlsgo.h"))
    name = run(BACKEND_NAME, GIO_MODULE_DIR=str(modules[0].parent))
    assert name == "DtlsGoBackend"
    # The DtlsGo namespace (issue 8): header, GIR, and a typelib naming the
    # installed module, which GI and GIO then share.
    assert list(prefix.rglob("include/dtlsgo-1.0/dtlsgo.h"))
    assert list(prefix.rglob("gir-1.0/DtlsGo-1.0.gir"))
    typelibs = list(prefix.rglob("girepository-1.0/DtlsGo-1.0.typelib"))
    assert len(typelibs) == 1
    mapped = run("""
        import gi
        gi.require_version("DtlsGo", "1.0")
        from gi.repository import DtlsGo, Gio
        assert isinstance(Gio.TlsBackend.get_default(), DtlsGo.Backend)
        DtlsGo.get_version()
        print(sorted({l.split()[-1] for l in open("/proc/self/maps") if "libgiodtlsgo" in l}))
    """, GIO_MODULE_DIR=str(modules[0].parent), GI_TYPELIB_PATH=str(typelibs[0].parent))
    assert mapped == str([str(modules[0].resolve())])


def test_a_refused_connection_goes_quietly():
    """GIOStream's dispose closes even an object whose init failed (here: no
    base at all), and a stream connection dropped unclosed: neither close
    may reach the Go core wrongly (which would log an internal error)."""
    code = """
        from gi.repository import Gio, GLib, GObject
        conn = GObject.new(Gio.TlsBackend.get_default().get_client_connection_type())
        try:
            conn.init(None)
        except GLib.Error as e:
            print("refused")
        del conn
        io = Gio.SimpleIOStream.new(Gio.MemoryInputStream(), Gio.MemoryOutputStream.new_resizable())
        stream = Gio.TlsClientConnection.new(io, None)
        del stream
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=dict(os.environ),
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "refused"
    assert "internal error" not in out.stderr, out.stderr
