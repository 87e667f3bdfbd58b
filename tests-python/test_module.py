"""The module as GIO sees it: selection, the backend's answers, unloading
and reloading, what the library exports, and installation (issue 3)."""
import os
import pathlib
import re
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


def test_every_exported_function_forwards_to_the_first_copy():
    # A later copy of the module must not run its own code on the first
    # copy's objects (see cshim/dtlsgo-copies.h): each public function
    # starts with DTLSGO_FORWARD, each public get_type is
    # DTLSGO_PUBLIC_GET_TYPE.
    out = subprocess.run(["nm", "-D", "--defined-only", str(MODULE)], capture_output=True,
                         text=True, check=True).stdout
    symbols = {line.split()[-1] for line in out.splitlines() if line.strip()}
    source = "".join(p.read_text() for p in (REPO / "cshim").glob("*.c"))
    forwarded = set(re.findall(r"DTLSGO_FORWARD(?:_VOID)? \((\w+),", source))
    forwarded |= {t + "_get_type" for t in re.findall(r"DTLSGO_PUBLIC_GET_TYPE \((\w+)\)", source)}
    public = {s for s in symbols if s.startswith(("g_io_module_", "dtls_go_"))}
    assert public - forwarded == set()


def test_stream_tls_server_over_any_io_stream(pki):
    io = Gio.SimpleIOStream.new(Gio.MemoryInputStream(), Gio.MemoryOutputStream.new_resizable())
    server = Gio.TlsServerConnection.new(io, pki.server_ecdsa.tls_certificate())
    assert type(server).__gtype__.name == "DtlsGoServerConnection"
    assert isinstance(server.get_input_stream(), Gio.PollableInputStream)
    assert isinstance(server.get_output_stream(), Gio.PollableOutputStream)
    server.close(None)


SKIP_INSTALL = pytest.mark.skipif(os.environ.get("DTLSGO_SKIP_INSTALL_TEST") == "1",
                                  reason="DTLSGO_SKIP_INSTALL_TEST=1")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A scratch prefix that meson installed a build of this tree into,
    with the API reference."""
    tmp_path = tmp_path_factory.mktemp("install")
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    subprocess.run(["meson", "setup", str(build), str(REPO), f"--prefix={prefix}", "-Ddocs=true"],
                   check=True, capture_output=True, timeout=300)
    subprocess.run(["meson", "install", "-C", str(build)], check=True, capture_output=True,
                   timeout=900)
    return prefix


@SKIP_INSTALL
def test_meson_install_into_a_scratch_prefix(installed):
    """meson install puts the module into GIO's module dir under the prefix
    and writes the module cache there."""
    prefix = installed
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


@SKIP_INSTALL
def test_c_program_builds_with_pkg_config_against_the_install(installed, tmp_path):
    """`pkg-config --cflags --libs dtlsgo-1.0` is all a C program needs: it
    compiles against the installed dtlsgo.h, links the installed module
    (found again at run time through the run path), and echoes a datagram
    over a PSK handshake with that module as GIO's backend."""
    (pc,) = installed.rglob("pkgconfig/dtlsgo-1.0.pc")
    env = {**os.environ, "PKG_CONFIG_PATH": str(pc.parent)}
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "dtlsgo-1.0"], env=env,
                           capture_output=True, text=True, check=True).stdout.split()
    module_dir = subprocess.run(["pkg-config", "--variable=giomoduledir", "dtlsgo-1.0"], env=env,
                                capture_output=True, text=True, check=True).stdout.strip()
    module = pathlib.Path(module_dir, "libgiodtlsgo.so").resolve()
    assert module.is_relative_to(installed)
    program = tmp_path / "consumer"
    cc = subprocess.run(["cc", "-Wall", "-Werror", "-o", str(program),
                         str(REPO / "tests-c" / "pkgconfig-consumer.c"), *flags],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    # As a program beside glib-networking asks for dtlsgo by name.
    env = {**os.environ, "GIO_EXTRA_MODULES": module_dir, "GIO_USE_TLS": "dtlsgo",
           "G_DEBUG": "fatal-warnings"}
    env.pop("GIO_MODULE_DIR", None)
    out = subprocess.run([str(program), str(module)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("dtlsgo "), out.stdout
    assert 'echoed "ping" over TLS_ECDHE_PSK_' in out.stdout, out.stdout


@SKIP_INSTALL
def test_api_reference_is_installed_for_devhelp(installed):
    """The reference lands in share/doc, in a directory devhelp reads: its
    index is named like the directory."""
    (book,) = installed.rglob("share/doc/dtlsgo-1.0")
    assert (book / "dtlsgo-1.0.devhelp2").is_file()
    assert (book / "index.html").is_file() and (book / "class.Connection.html").is_file()


IS_DEFAULT = ("import gi; gi.require_version('DtlsGo', '1.0'); from gi.repository import DtlsGo, Gio\n"
              "print(DtlsGo.is_default_backend(), type(Gio.TlsBackend.get_default()).__gtype__.name)")


@pytest.mark.parametrize("env, expect", [
    ({}, "True DtlsGoBackend"),
    ({"GIO_MODULE_DIR": None, "GIO_EXTRA_MODULES": str(MODULE_DIR)}, "False GTlsBackendGnutls"),
    ({"GIO_MODULE_DIR": None, "GIO_EXTRA_MODULES": str(MODULE_DIR), "GIO_USE_TLS": "dtlsgo"},
     "True DtlsGoBackend"),
], ids=["module-dir", "beside-glib-networking", "gio-use-tls"])
def test_is_default_backend_says_whether_gio_uses_dtlsgo(env, expect):
    assert run(IS_DEFAULT, **env) == expect


TWO_COPIES = """
import sys
sys.path.insert(0, {here!r})
import gi
gi.require_version("Gio", "2.0")
gi.require_version("DtlsGo", "1.0")
from gi.repository import Gio, GLib
if {gi_first!r}:
    from gi.repository import DtlsGo
    DtlsGo.get_version()  # GI opens the typelib's module now
backend = type(Gio.TlsBackend.get_default()).__gtype__.name
from gi.repository import DtlsGo
import conns
client, server, _, _ = conns.pair(Gio.TlsCertificate.new_from_files({cert!r}, {key!r}))
for conn in (client, server):
    conn.set_srtp_profiles(["SRTP_AEAD_AES_128_GCM"])
assert conns.handshake_both(client, server) == (None, None)
client.send_bytes(GLib.Bytes.new(b"through the first copy"), -1, None)
got = server.receive_bytes(100, 5_000_000, None).get_data()
print("RESULT", backend, DtlsGo.is_default_backend(), isinstance(client, DtlsGo.ClientConnection),
      client.get_srtp_profile(), got.decode())
"""


@pytest.mark.parametrize("gi_first", [False, True], ids=["gio-loads-first", "gi-loads-first"])
def test_a_second_copy_of_the_module_is_reported_and_the_first_serves(pki, tmp_path, gi_first):
    # GIO loads a copy of the module from another directory; GI loads the
    # build tree's, which the typelib names.
    copy_dir = tmp_path / "modules"
    copy_dir.mkdir()
    (copy_dir / "libgiodtlsgo.so").write_bytes(MODULE.read_bytes())
    (copy_dir / "giomodule.cache").write_text((MODULE_DIR / "giomodule.cache").read_text())
    cred = pki.server_ecdsa
    code = TWO_COPIES.format(here=str(pathlib.Path(__file__).parent / "helpers"), gi_first=gi_first,
                             cert=str(cred.chain or cred.cert), key=str(cred.key))
    env = dict(os.environ, GIO_MODULE_DIR=str(copy_dir), G_DEBUG="fatal-warnings")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith(
        "RESULT DtlsGoBackend True True SRTP_AEAD_AES_128_GCM through the first copy"), out.stdout
    first, second = ((MODULE, copy_dir / "libgiodtlsgo.so") if gi_first
                     else (copy_dir / "libgiodtlsgo.so", MODULE))
    reports = [l for l in out.stderr.splitlines() if "second copy of dtlsgo" in l]
    assert len(reports) == 1, out.stderr
    assert f"{second.resolve()}" in reports[0] and f"{first.resolve()}" in reports[0], reports
    assert "GI_TYPELIB_PATH" in reports[0]  # what to do
    assert "Warning" not in out.stderr and "CRITICAL" not in out.stderr, out.stderr
