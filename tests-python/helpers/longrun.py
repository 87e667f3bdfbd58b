"""The long versions of the stress tests run when DTLSGO_LONG_TESTS=1
(see the README); CI runs the short ones."""
import os

LONG = os.environ.get("DTLSGO_LONG_TESTS", "") not in ("", "0")


def scale(short, long):
    """short in CI, long under DTLSGO_LONG_TESTS=1."""
    return long if LONG else short
