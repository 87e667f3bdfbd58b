"""The API reference opens in a browser: headless Chromium renders the
DtlsGo.Connection page with its methods and properties, and takes a
screenshot of it that shows a page, not a blank or an error.

Usage: test-in-browser.py REFERENCE-DIR GIR SCREENSHOT"""
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

GIR_NS = {"core": "http://www.gtk.org/introspection/core/1.0",
          "glib": "http://www.gtk.org/introspection/glib/1.0"}
WIDTH, HEIGHT = 1200, 1400


def chromium(profile, *args):
    """Runs headless Chromium on local files only, and returns its stdout."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is not installed (scripts/install-deps installs it)"
    # --no-sandbox: its sandbox refuses to run as root, as CI does.
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", *args]
    env = {**os.environ, "HOME": profile}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def png_pixels(path):
    """Decodes an 8-bit, non-interlaced RGB(A) PNG (what Chromium writes)
    into its width, height and rows of pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, rows, prev = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([bytes(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def connection_symbols(gir):
    """The method and property names the GIR gives DtlsGo.Connection."""
    ns = ET.parse(gir).getroot().find("core:namespace", GIR_NS)
    cls = next(c for c in ns.findall("core:class", GIR_NS) if c.get("name") == "Connection")
    methods = [m.get("name") for m in cls.findall("core:method", GIR_NS)]
    props = [p.get("name") for p in cls.findall("core:property", GIR_NS)]
    assert methods and props
    return methods, props


def check_devhelp_index(reference):
    """devhelp finds the book by its index, named like its directory, and
    every chapter and keyword it lists is a page of the reference."""
    index = reference / f"{reference.name}.devhelp2"
    book = ET.parse(index).getroot()
    ns = {"dh": "http://www.devhelp.net/book"}
    links = [el.get("link") for el in book.iter() if el.get("link")]
    keywords = {k.get("name") for k in book.findall("dh:functions/dh:keyword", ns)}
    assert "class.Connection.html" in links
    assert {"DtlsGoConnection", "dtls_go_connection_send_bytes", "dtls_go_get_version"} <= keywords
    missing = {link.split("#")[0] for link in links} - {p.name for p in reference.iterdir()}
    assert not missing, missing


def main(reference, gir, screenshot):
    reference, screenshot = pathlib.Path(reference).resolve(), pathlib.Path(screenshot)
    page = reference / "class.Connection.html"
    assert page.is_file(), f"{page} was not generated"
    methods, props = connection_symbols(gir)
    check_devhelp_index(reference)
    with tempfile.TemporaryDirectory(prefix="dtlsgo-chromium-") as profile:
        dom = chromium(profile, "--dump-dom", page.as_uri())
        screenshot.unlink(missing_ok=True)
        chromium(profile, f"--screenshot={screenshot.resolve()}", page.as_uri())

    # The page as the browser built it: the class, then every method and
    # property of the GIR, each by its C name and in the sidebar.
    assert "<title>DtlsGo.Connection</title>" in dom, dom[:500]
    assert "DtlsGo.Connection" in dom and "Gio.TlsConnection" in dom
    # What the page loads (scripts, style sheets) lies beside it: the
    # reference works offline.
    loads = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', dom)
    assert "style.css" in loads and "main.js" in loads, loads
    assert all((reference / url).is_file() for url in loads), loads
    for method in methods:
        assert f"dtls_go_connection_{method}" in dom, method
        assert f'href="method.Connection.{method}.html"' in dom, method
    for prop in props:
        assert f'href="property.Connection.{prop}.html"' in dom, prop

    # The screenshot shows a rendered page: the size asked for, the dark
    # sidebar beside a light text column, and text (many shades, from
    # anti-aliasing) rather than one flat colour.
    width, height, rows = png_pixels(screenshot)
    assert (width, height) == (WIDTH, HEIGHT), (width, height)
    colours = {px for row in rows[::7] for px in row[::3]}
    assert len(colours) > 50, f"{len(colours)} colours: a blank page?"
    def mean_luma(x0, x1):
        band = [px for row in rows[100:HEIGHT - 100:5] for px in row[x0:x1:5]]
        return sum(sum(px) for px in band) / (3 * len(band))
    assert mean_luma(0, WIDTH // 5) < 80, "no dark sidebar on the left"
    assert mean_luma(WIDTH * 2 // 5, WIDTH * 3 // 5) > 200, "no light text column in the middle"
    print(f"{page.name}: {len(methods)} methods and {len(props)} properties rendered; "
          f"screenshot {screenshot} ({len(colours)} colours sampled)")


if __name__ == "__main__":
    main(*sys.argv[1:])
