"""Stream TLS between two dtlsgo connections over loopback TCP: the
handshake (explicit and implicit), what it establishes, data both ways,
close and end of stream, verification with GLib's rules on both sides, and
GLib's errors."""
import threading

import pytest
from gi.repository import Gio, GLib

from tlsstreams import (CB, IO, TLS, Background, assert_error, handshake_both, read_exactly,
                        tcp_pair, tls_pair, write_all)

V = Gio.TlsProtocolVersion
F = Gio.TlsCertificateFlags


def test_handshake_establishes_tls13_and_data_crosses(pki):
    client, server = tls_pair(pki)
    assert client.get_protocol_version() == V.UNKNOWN
    assert client.get_ciphersuite_name() is None
    assert handshake_both(client, server) == (None, None)
    assert client.get_protocol_version() == V.TLS_1_3
    assert server.get_protocol_version() == V.TLS_1_3
    assert client.get_ciphersuite_name() == server.get_ciphersuite_name()
    assert client.get_ciphersuite_name().startswith("TLS_AES_")
    peer = client.get_peer_certificate()
    assert peer.get_subject_name() == pki.server_ecdsa.tls_certificate().get_subject_name()
    assert client.get_peer_certificate_errors() == 0
    assert server.get_peer_certificate() is None
    write_all(client, b"ping" * 10000)
    assert read_exactly(server, 40000) == b"ping" * 10000
    write_all(server, b"pong")
    assert read_exactly(client, 4) == b"pong"
    client.close(None)
    server.close(None)


def test_first_write_and_read_handshake_implicitly(pki):
    client, server = tls_pair(pki)
    bg = Background(read_exactly, server, 5)
    write_all(client, b"hello")
    assert bg.result() == b"hello"
    assert client.get_protocol_version() == V.TLS_1_3
    client.close(None)
    server.close(None)


@pytest.mark.parametrize("client_protocols, server_protocols, expected", [
    (["h2", "http/1.1"], ["http/1.1", "h2"], "http/1.1"),  # the server's choice
    (["h2"], ["http/1.1"], None),                          # no overlap: no ALPN, no failure
    (None, ["h2"], None),
])
def test_alpn(pki, client_protocols, server_protocols, expected):
    client, server = tls_pair(pki)
    client.set_advertised_protocols(client_protocols)
    server.set_advertised_protocols(server_protocols)
    assert handshake_both(client, server) == (None, None)
    assert client.get_negotiated_protocol() == expected
    assert server.get_negotiated_protocol() == expected
    client.close(None)
    server.close(None)


def test_close_sends_close_notify_then_closes_the_base(pki):
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=cbase, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    write_all(client, b"last words")
    client.close(None)
    assert cbase.is_closed() and cbase.get_socket().is_closed()
    assert server.get_require_close_notify()
    assert read_exactly(server, 10) == b"last words"
    for _ in range(3):  # 0 at once and ever after
        assert server.get_input_stream().read_bytes(100, None).get_size() == 0
    with pytest.raises(GLib.Error) as exc:
        client.get_output_stream().write_bytes(GLib.Bytes.new(b"x"), None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    with pytest.raises(GLib.Error) as exc:
        client.get_input_stream().read_bytes(1, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    client.close(None)  # a second close is fine
    server.close(None)


@pytest.mark.parametrize("require", [True, False])
def test_peer_gone_without_close_notify(pki, require):
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=cbase, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    server.set_require_close_notify(require)
    write_all(client, b"data")
    assert read_exactly(server, 4) == b"data"
    cbase.close(None)  # GLib's documented unclean close
    if require:
        with pytest.raises(GLib.Error) as exc:
            server.get_input_stream().read_bytes(10, None)
        assert_error(exc.value, TLS, Gio.TlsError.EOF)
    else:
        assert server.get_input_stream().read_bytes(10, None).get_size() == 0
    server.close(None)
    del client


def test_closing_the_base_first_makes_close_fail_closed(pki):
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=cbase, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    cbase.close(None)
    with pytest.raises(GLib.Error) as exc:
        client.close(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CLOSED)
    assert client.is_closed()
    server.set_require_close_notify(True)
    with pytest.raises(GLib.Error) as exc:
        server.get_input_stream().read_bytes(10, None)
    assert_error(exc.value, TLS, Gio.TlsError.EOF)  # no close_notify went
    server.close(None)


def test_peer_closing_during_handshake_is_not_tls(pki):
    client_base, sbase = tcp_pair()
    server = Gio.TlsServerConnection.new(sbase, pki.server_ecdsa.tls_certificate())
    client_base.close(None)
    with pytest.raises(GLib.Error) as exc:
        server.handshake(None)
    assert_error(exc.value, TLS, Gio.TlsError.NOT_TLS)
    with pytest.raises(GLib.Error) as exc:  # sticky
        server.get_input_stream().read_bytes(1, None)
    assert_error(exc.value, TLS, Gio.TlsError.NOT_TLS)
    server.close(None)


def test_peer_speaking_http_is_not_tls(pki):
    cbase, sbase = tcp_pair()
    client = Gio.TlsClientConnection.new(cbase, Gio.NetworkAddress.new("localhost", 443))
    client.set_database(pki.file_database())
    sbase.get_output_stream().write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n", None)
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, TLS, Gio.TlsError.NOT_TLS)
    client.close(None)
    sbase.close(None)


def test_wrong_identity_fails_bad_certificate_without_handler(pki):
    client, server = tls_pair(pki, identity="elsewhere.test")
    cerr, serr = handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert serr is not None  # the rejected server's handshake fails too
    client.close(None)
    server.close(None)


def test_accept_certificate_decides_and_errors_stay(pki):
    client, server = tls_pair(pki, identity="elsewhere.test")
    seen = []

    def accept(conn, cert, errors):
        seen.append((threading.get_ident(), errors))
        return True
    client.connect("accept-certificate", accept)
    assert handshake_both(client, server) == (None, None)
    assert seen == [(threading.get_ident(), F.BAD_IDENTITY)]  # on the calling thread
    assert client.get_peer_certificate_errors() == F.BAD_IDENTITY
    client.close(None)
    server.close(None)


def test_validation_flags_without_the_error_accept_silently(pki):
    client, server = tls_pair(pki, identity="elsewhere.test")
    client.set_validation_flags(F(int(F.VALIDATE_ALL) & ~int(F.BAD_IDENTITY)))
    calls = []
    client.connect("accept-certificate", lambda *a: calls.append(a) or False)
    assert handshake_both(client, server) == (None, None)
    assert calls == []
    assert client.get_peer_certificate_errors() == F.BAD_IDENTITY
    client.close(None)
    server.close(None)


def test_null_database_is_unknown_ca(pki):
    client, server = tls_pair(pki)
    client.set_database(None)
    errors = []
    client.connect("accept-certificate", lambda c, cert, e: errors.append(e) or False)
    cerr, _ = handshake_both(client, server)
    assert_error(cerr, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert errors == [F.UNKNOWN_CA]
    client.close(None)
    server.close(None)


def test_required_client_certificate_missing(pki):
    client, server = tls_pair(pki)
    server.set_property("authentication-mode", Gio.TlsAuthenticationMode.REQUIRED)
    cerr, serr = handshake_both(client, server)
    assert_error(serr, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)
    # TLS 1.3: the client's handshake ends before the server judges it;
    # its first read learns the verdict.
    assert cerr is None
    with pytest.raises(GLib.Error) as exc:
        client.get_input_stream().read_bytes(1, None)
    assert_error(exc.value, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)
    client.close(None)
    server.close(None)


@pytest.mark.parametrize("mode", [Gio.TlsAuthenticationMode.REQUESTED,
                                  Gio.TlsAuthenticationMode.REQUIRED])
def test_client_certificate_goes_to_accept_certificate(pki, mode):
    client, server = tls_pair(pki)
    client.set_certificate(pki.client.tls_certificate())
    server.set_property("authentication-mode", mode)
    server.set_database(pki.file_database())
    seen = []
    server.connect("accept-certificate", lambda c, cert, e: seen.append(e) or True)
    assert handshake_both(client, server) == (None, None)
    assert seen == [0]  # always asked, even without errors
    peer = server.get_peer_certificate()
    assert peer.get_subject_name() == pki.client.tls_certificate().get_subject_name()
    write_all(client, b"x")
    assert read_exactly(server, 1) == b"x"
    client.close(None)
    server.close(None)


def test_client_certificate_without_handler_is_rejected(pki):
    client, server = tls_pair(pki)
    client.set_certificate(pki.client.tls_certificate())
    server.set_property("authentication-mode", Gio.TlsAuthenticationMode.REQUESTED)
    _, serr = handshake_both(client, server)
    assert_error(serr, TLS, Gio.TlsError.BAD_CERTIFICATE)
    client.close(None)
    server.close(None)


def test_requested_without_client_certificate_is_fine(pki):
    client, server = tls_pair(pki)
    server.set_property("authentication-mode", Gio.TlsAuthenticationMode.REQUESTED)
    assert handshake_both(client, server) == (None, None)
    assert server.get_peer_certificate() is None
    client.close(None)
    server.close(None)


def test_cancelled_read(pki):
    client, server = tls_pair(pki)
    assert handshake_both(client, server) == (None, None)
    cancellable = Gio.Cancellable()
    timer = threading.Timer(0.2, cancellable.cancel)
    timer.start()
    with pytest.raises(GLib.Error) as exc:
        client.get_input_stream().read_bytes(10, cancellable)
    assert_error(exc.value, IO, Gio.IOErrorEnum.CANCELLED)
    write_all(server, b"after")  # the connection lives on
    assert read_exactly(client, 5) == b"after"
    client.close(None)
    server.close(None)


def test_socket_timeout_times_out_a_read(pki):
    cbase, sbase = tcp_pair()
    client, server = tls_pair(pki, client_base=cbase, server_base=sbase)
    assert handshake_both(client, server) == (None, None)
    cbase.get_socket().set_timeout(1)
    with pytest.raises(GLib.Error) as exc:
        client.get_input_stream().read_bytes(10, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    write_all(server, b"late")  # not sticky in a read
    assert read_exactly(client, 4) == b"late"
    client.close(None)
    server.close(None)


@pytest.mark.parametrize("generic", [False, True])
def test_close_wakes_a_read_blocked_in_another_thread(pki, generic):
    cbase, sbase = tcp_pair()
    # The generic base is driven through GIO on GLib threads. (cbase must
    # live on: a GIOStream closes itself when it goes.)
    base = Gio.SimpleIOStream.new(cbase.get_input_stream(), cbase.get_output_stream()) \
        if generic else cbase
    client, server = tls_pair(pki, client_base=base, server_base=sbase)
    assert handshake_both(client, server) == (None, None)

    def blocked_read():
        try:
            client.get_input_stream().read_bytes(10, None)
        except GLib.Error as e:
            return e
    bg = Background(blocked_read)
    threading.Event().wait(0.3)
    client.close(None)
    assert_error(bg.result(10), IO, Gio.IOErrorEnum.CLOSED)
    server.close(None)


def test_channel_binding_before_handshake_is_invalid_state(pki):
    client, server = tls_pair(pki)
    with pytest.raises(GLib.Error) as exc:
        client.get_channel_binding_data(Gio.TlsChannelBindingType.SERVER_END_POINT)
    assert_error(exc.value, CB, Gio.TlsChannelBindingError.INVALID_STATE)
    client.close(None)
    server.close(None)


def test_socket_timeout_times_out_the_handshake_for_good(pki):
    cbase, sbase = tcp_pair()  # sbase never answers
    client = Gio.TlsClientConnection.new(cbase, Gio.NetworkAddress.new("localhost", 443))
    cbase.get_socket().set_timeout(1)
    with pytest.raises(GLib.Error) as exc:
        client.handshake(None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    assert "after" not in exc.value.message  # the socket's bound, not the handshake's own
    with pytest.raises(GLib.Error) as exc:  # sticky
        client.get_input_stream().read_bytes(1, None)
    assert_error(exc.value, IO, Gio.IOErrorEnum.TIMED_OUT)
    client.close(None)
    sbase.close(None)


def test_sslkeylogfile_gets_both_peers_secrets(pki, tmp_path, monkeypatch):
    log = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(log))
    client, server = tls_pair(pki)
    assert handshake_both(client, server) == (None, None)
    lines = [line.split() for line in log.read_text().splitlines()]
    labels = sorted(label for label, _, _ in lines)
    # Each peer logs the four TLS 1.3 traffic secrets of the one session
    # (crypto/tls logs no EXPORTER_SECRET).
    assert labels == sorted(2 * ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                 "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"])
    assert len({random for _, random, _ in lines}) == 1
    assert len({(label, secret) for label, _, secret in lines}) == 4  # both peers agree
    client.close(None)
    server.close(None)


def test_blocking_io_inside_accept_certificate_fails(pki):
    client, server = tls_pair(pki, identity="elsewhere.test")
    seen = []

    def accept(conn, cert, errors):
        try:
            conn.get_input_stream().read_bytes(1, None)
        except GLib.Error as e:
            seen.append(e)
        return True
    client.connect("accept-certificate", accept)
    assert handshake_both(client, server) == (None, None)
    assert len(seen) == 1
    assert_error(seen[0], IO, Gio.IOErrorEnum.FAILED)
    client.close(None)
    server.close(None)
