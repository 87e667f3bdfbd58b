"""The API reference's examples (docs/overview.md) work: the complete Python
program runs through dtlsgo, and the C fragment compiles against dtlsgo.h,
so the reference cannot drift from the API."""
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
OVERVIEW = REPO / "docs" / "overview.md"


def code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", OVERVIEW.read_text(), re.S)


def test_python_example_echoes_over_a_psk_handshake():
    programs = [b for b in code_blocks("python") if "import gi" in b]
    assert len(programs) == 1
    out = subprocess.run([sys.executable, "-c", programs[0]], env=dict(os.environ),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("b'hello' TLS_ECDHE_PSK_"), out.stdout


def test_c_example_compiles_against_the_public_header(tmp_path):
    (fragment,) = code_blocks("c")
    include, body = fragment.split("\n", 1)
    assert include == "#include <dtlsgo.h>"
    source = tmp_path / "example.c"
    source.write_text(f"{include}\n\ngboolean example (GDatagramBased *base_socket);\n\n"
                      f"gboolean\nexample (GDatagramBased *base_socket)\n{{\n{body}  return TRUE;\n}}\n")
    cflags = subprocess.run(["pkg-config", "--cflags", "gio-2.0"], capture_output=True,
                            text=True, check=True).stdout.split()
    out = subprocess.run(["cc", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", *cflags,
                          f"-I{REPO / 'cshim'}", str(source)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
