"""The README's code runs. Every fenced code block in README.md is a file,
named on its first line (`# server.py: ...`, `/* client.c: ... */`,
`// client.js: ...`), and each named file has a test here that runs it as
a reader would, so the README cannot drift from what works. A block without
a name, or a name no test runs, fails."""
import os
import pathlib
import re
import time
import shutil
import subprocess
import sys

import pytest

import fixtures
import netem
import peers

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
NAME = re.compile(r"^(?:#|//|/\*) ([\w.-]+\.(?:py|c|js|sh)):")
EXAMPLE_PORTS = ("4433", "5684")
RUN_HERE = {"certs.sh", "server.py", "client.py", "client.c", "client.js", "beside.py", "psk.py",
            "listener_server.py", "listener_client.py", "ech.py", "https.py"}


def readme_files():
    """{name: text} of the README's code blocks."""
    files, unnamed = {}, []
    for lang, body in FENCE.findall(README.read_text()):
        m = NAME.match(body)
        if m is None:
            unnamed.append(f"{lang}: {body.splitlines()[0] if body else ''}")
            continue
        assert m.group(1) not in files, f"two README blocks are named {m.group(1)}"
        files[m.group(1)] = body
    assert not unnamed, f"README code blocks without a file name on their first line: {unnamed}"
    return files


def test_every_code_block_is_a_file_a_test_runs():
    assert set(readme_files()) == RUN_HERE


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The README's files, the examples' ports replaced by free ones, and
    the certificates its certs.sh makes."""
    d = tmp_path_factory.mktemp("readme")
    ports = dict(zip(EXAMPLE_PORTS, map(str, netem.free_udp_ports(len(EXAMPLE_PORTS)))))
    for name, text in readme_files().items():
        for example, free in ports.items():
            text = text.replace(example, free)
        (d / name).write_text(text)
    made = subprocess.run(["bash", "-e", "certs.sh"], cwd=d, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    return d


def run_with_server(workdir, client_argv, env=None):
    """Starts server.py, waits until it listens, runs the client (both with
    env, default this process's); returns the client's output lines once
    both exited cleanly."""
    env = dict(env or os.environ, G_DEBUG="fatal-criticals")
    server = subprocess.Popen([sys.executable, "server.py"], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "listening", server.stderr.read()
        client = subprocess.run(client_argv, cwd=workdir, env=env, capture_output=True, text=True,
                                timeout=60)
        assert client.returncode == 0, client.stderr
        _, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return client.stdout.splitlines()


def assert_echoed(lines):
    assert lines[:2] == ["HELLO", "DTLS"], lines
    assert lines[2].startswith("TLS_ECDHE_ECDSA_WITH_"), lines


def test_python_client_and_server(workdir):
    assert_echoed(run_with_server(workdir, [sys.executable, "client.py"]))


def test_c_client(workdir):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gio-2.0"], check=True,
                           capture_output=True, text=True).stdout.split()
    cc = subprocess.run(["cc", "-Wall", "-Werror", "-o", "client", "client.c", *flags],
                        cwd=workdir, capture_output=True, text=True, timeout=120)
    assert cc.returncode == 0, cc.stderr
    assert_echoed(run_with_server(workdir, ["./client"]))


def test_gjs_client(workdir):
    assert_echoed(run_with_server(workdir, ["gjs", "client.js"]))


def test_https_and_dtls_in_one_process(workdir):
    """https.py as its paragraph runs it: dtlsgo chosen by name beside the
    system's modules (glib-networking), libsoup fetching from OpenSSL's
    s_server -www with certs.sh's certificate, then DTLS to server.py."""
    env = dict(os.environ)
    env["GIO_EXTRA_MODULES"] = env.pop("GIO_MODULE_DIR")
    env["GIO_USE_TLS"] = "dtlsgo"
    with peers.Peer("openssl s_server -www", [
            "openssl", "s_server", "-www", "-accept", "127.0.0.1:0", "-naccept", "1",
            "-cert", "server.pem", "-key", "server.key"], cwd=workdir) as https:
        port = https.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)$").group(1)
        lines = run_with_server(workdir, [sys.executable, "https.py", f"https://localhost:{port}/"],
                                env=env)
        assert https.finish() == 0
    status, suite = lines[0].split()
    assert status == "200" and suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                         "TLS_CHACHA20_POLY1305_SHA256"), lines
    assert https.has(r"^\s+1 server accepts that finished$")  # s_server's count
    assert lines[1:] == ["True", "HELLO"]


def test_psk_and_srtp_program(workdir):
    out = subprocess.run([sys.executable, "psk.py"], cwd=workdir, capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, G_DEBUG="fatal-criticals"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "b'hello'"
    assert lines[1].startswith("TLS_ECDHE_PSK_WITH_") and lines[1].endswith(" SRTP_AEAD_AES_128_GCM")
    assert lines[2:] == ["True", "True"]


def test_ech_program(workdir):
    out = subprocess.run([sys.executable, "ech.py"], cwd=workdir, capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, G_DEBUG="fatal-criticals"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["True True", "X25519MLKEM768", "True"]


def test_beside_glib_networking(pki, workdir):
    """beside.py: glib-networking stays GIO's backend, dtlsgo's DTLS is taken
    by name, with certificates and databases of either backend."""
    shutil.copy(pki.server_ecdsa.chain, workdir / "server.pem")
    shutil.copy(pki.server_ecdsa.key, workdir / "server-key.pem")
    shutil.copy(pki.root.cert, workdir / "ca.pem")
    code = (workdir / "beside.py").read_text()
    printed = fixtures.run_python(f"""
        import contextlib, io
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile({code!r}, "beside.py", "exec"), {{}})
        result = out.getvalue()
    """, backend="beside", env={"G_DEBUG": "fatal-warnings"}, cwd=workdir)
    assert printed.splitlines() == ["b'hello'", "GTlsBackendGnutls", "False"]


def test_listener_server_and_clients(pki, workdir):
    """listener_server.py on one port serves three listener_client.py,
    OpenSSL's s_client and GnuTLS's gnutls-cli at once."""
    shutil.copy(pki.server_ecdsa.chain, workdir / "server.pem")
    shutil.copy(pki.server_ecdsa.key, workdir / "server-key.pem")
    shutil.copy(pki.root.cert, workdir / "ca.pem")
    port = int(re.search(r'"::", (\d+)', (workdir / "listener_server.py").read_text()).group(1))
    env = dict(os.environ, G_DEBUG="fatal-criticals")
    server = subprocess.Popen([sys.executable, "-u", "listener_server.py"], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1)  # it binds at start; a client's hello before that is resent
        clients = [subprocess.Popen([sys.executable, "listener_client.py", f"hello{i}", f"world{i}"],
                                    cwd=workdir, env=env, stdout=subprocess.PIPE, text=True)
                   for i in range(3)]
        with peers.openssl_client(port, netem.free_udp_ports(1)[0], ca=str(pki.root.cert)) as ossl, \
                peers.gnutls_client(str(port), ca=str(pki.root.cert)) as gnutls:
            ossl.wait_for("^---$")
            gnutls.wait_for("Handshake was completed")
            for i, c in enumerate(clients):
                out, _ = c.communicate(timeout=30)
                assert out.splitlines() == [f"b'hello{i}'", f"b'world{i}'"]
            # One at a time, so that the server's lines do not interleave
            # (it prints a line before echoing it).
            ossl.write("from openssl\n")
            ossl.wait_for("^from openssl$")
            gnutls.write("from gnutls\n")
            gnutls.wait_for("^from gnutls$")
    finally:
        server.kill()
        out, _ = server.communicate(timeout=10)
    for i in range(3):
        assert re.search(rf"^127\.0\.0\.1:\d+ b'hello{i}'$", out, re.M), out
    assert re.search(r"^127\.0\.0\.1:\d+ b'from openssl\\n'$", out, re.M), out
    assert re.search(r"^127\.0\.0\.1:\d+ b'from gnutls\\n'$", out, re.M), out
