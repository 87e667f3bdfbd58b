from gi.repository import Gio


def test_backend_is_dtlsgo():
    backend = Gio.TlsBackend.get_default()
    assert type(backend).__gtype__.name == "DtlsGoBackend"
    assert backend.supports_dtls()
