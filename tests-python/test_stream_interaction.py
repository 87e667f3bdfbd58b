"""Interaction on stream TLS, shared with DTLS: a client certificate from
request_certificate (with the server's accepted-cas), and the password of
an encrypted private key from ask_password."""
import pytest
from gi.repository import Gio, GLib

import fixtures
from tlsstreams import TLS, assert_error, handshake_both, read_exactly, tls_pair, write_all
from trust import CertInteraction, PasswordInteraction, locked_certificate, subject_der

AUTH = Gio.TlsAuthenticationMode
PW = Gio.TlsPasswordFlags


def test_request_certificate_gives_the_client_certificate(pki):
    client, server = tls_pair(pki)
    server.set_property("authentication-mode", AUTH.REQUIRED)
    server.set_database(pki.file_database())
    server.connect("accept-certificate", lambda conn, cert, errors: errors == 0)
    interaction = CertInteraction(pki.client.tls_certificate())
    client.set_interaction(interaction)
    assert handshake_both(client, server) == (None, None)
    assert len(interaction.calls) == 1
    # The server lists its database's anchors: the test root.
    assert interaction.calls[0]["accepted_cas"] == [subject_der(pki.root.cert_der())]
    assert server.get_peer_certificate().get_subject_name() == \
        pki.client.tls_certificate().get_subject_name()
    write_all(client, b"authenticated")
    assert read_exactly(server, 13) == b"authenticated"
    client.close(None)
    server.close(None)


def test_unhandled_request_leaves_the_server_to_decide(pki):
    client, server = tls_pair(pki)
    server.set_property("authentication-mode", AUTH.REQUESTED)
    interaction = CertInteraction(None)
    client.set_interaction(interaction)
    assert handshake_both(client, server) == (None, None)
    assert len(interaction.calls) == 1
    assert server.get_peer_certificate() is None
    client.close(None)
    server.close(None)


def test_encrypted_server_key_asks_for_its_password(pki):
    client, server = tls_pair(pki)
    server.set_certificate(locked_certificate(pki.server_ecdsa, pki.intermediate.tls_certificate(False)))
    interaction = PasswordInteraction(["wrong", fixtures.ENCRYPTED_KEY_PASSWORD])
    server.set_interaction(interaction)
    assert handshake_both(client, server) == (None, None)
    assert [call["flags"] for call in interaction.calls] == [0, PW.RETRY]
    assert pki.server_ecdsa.subject in interaction.calls[0]["description"]
    client.close(None)
    server.close(None)


def test_a_key_that_stays_locked_fails_the_servers_handshake(pki):
    client, server = tls_pair(pki)
    server.set_certificate(locked_certificate(pki.server_ecdsa, pki.intermediate.tls_certificate(False)))
    cerr, serr = handshake_both(client, server)
    assert_error(serr, TLS, Gio.TlsError.BAD_CERTIFICATE_PASSWORD)
    assert cerr is not None
    client.close(None)
    server.close(None)
