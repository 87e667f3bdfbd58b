"""Trust and identity (issue 5): peer verification through the connection's
database, peer-certificate(-errors), accept-certificate, server-identity,
validation-flags, client certificates, interaction, channel binding."""
import hashlib
import os
import socket
import threading

import pytest
from gi.repository import Gio, GLib

import conns
import fixtures
import dgram
from trust import (BINDING, F, IO, MODES, TLS, VALIDATE_ALL, CertInteraction, PasswordInteraction,
                   PyDatabase, locked_certificate,
                   Recorder, assert_error, client_conn, client_hello_extensions, client_hello_server_name, handshake,
                   server_conn, subject_der)

AUTH = Gio.TlsAuthenticationMode

# What each server certificate earns, verified against the test root with
# identity "localhost" (fixture name, identity, expected flags).
CLIENT_CASES = [
    ("server", "localhost", 0),
    ("server_ecdsa", "localhost", 0),
    ("server_ed25519", "localhost", 0),
    ("server_ip", "127.0.0.1", 0),
    ("server", "example.com", F.BAD_IDENTITY),
    ("server", "127.0.0.1", F.BAD_IDENTITY),
    ("server_ip", "127.0.0.2", F.BAD_IDENTITY),
    ("san_over_cn", "localhost", F.BAD_IDENTITY),
    ("expired", "localhost", F.EXPIRED),
    ("future", "localhost", F.NOT_ACTIVATED),
    ("self_signed", "localhost", F.UNKNOWN_CA),
    ("other_leaf", "localhost", F.UNKNOWN_CA),
    ("insecure", "localhost", F.INSECURE),
    # A client certificate (clientAuth only, no DNS name) offered by a server.
    ("client", "localhost", F.GENERIC_ERROR | F.BAD_IDENTITY),
]


def case_id(case):
    return f"{case[0]}-{case[1]}"


@pytest.fixture(scope="module")
def certs(pki):
    """GTlsCertificates (with their chains) by fixture name, made once."""
    names = ["server", "server_ecdsa", "server_ed25519", "server_ip", "san_over_cn", "expired",
             "future", "self_signed", "other_leaf", "insecure", "client", "client_rsa",
             "server_sha384"]
    return {n: getattr(pki, n).tls_certificate() for n in names}


@pytest.fixture(scope="module")
def root_db(pki):
    return pki.file_database(pki.root)


def pair(pki, certs, server_name, identity="localhost", database="root", flags=None,
         answer=None, server_answer=None, mode=AUTH.NONE, server_database="root",
         client_cert=None):
    cs, ss = conns.udp_pair()
    client = client_conn(cs, identity, database, pki, flags)
    server = server_conn(ss, certs[server_name], server_database, pki, mode)
    if client_cert is not None:
        client.set_certificate(certs[client_cert])
    crec = Recorder(client, answer)
    srec = Recorder(server, server_answer)
    return client, server, crec, srec


# ---- each flag, each path, sync and async --------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CLIENT_CASES, ids=case_id)
def test_client_rejects_each_problem_and_the_server_learns_it_promptly(pki, certs, case, mode):
    name, identity, expected = case
    client, server, crec, _ = pair(pki, certs, name, identity, answer=False)
    c, s = handshake(client, server, mode)
    if expected == 0:
        assert c.error is None and s.error is None, (c.error, s.error)
        assert crec.calls == []  # nothing to decide: not emitted
    else:
        assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
        assert [call["errors"] for call in crec.calls] == [expected]
        assert crec.calls[0]["thread"] == c.thread
        # The server hears the bad_certificate alert at once.
        assert_error(s.error, TLS, Gio.TlsError.MISC)
        assert "BadCertificate" in s.error.message or "bad" in s.error.message.lower()
        assert s.elapsed < 5
    assert client.get_peer_certificate_errors() == expected
    assert client.get_peer_certificate().is_same(certs[name])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [c for c in CLIENT_CASES if c[2]], ids=case_id)
def test_a_handler_returning_true_accepts_each_problem(pki, certs, case, mode):
    name, identity, expected = case
    client, server, crec, _ = pair(pki, certs, name, identity, answer=True)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    assert [(call["errors"], call["thread"]) for call in crec.calls] == [(expected, c.thread)]
    assert crec.calls[0]["cert"].is_same(certs[name])
    assert client.get_peer_certificate_errors() == expected


@pytest.mark.parametrize("mode", MODES)
def test_no_handler_means_bad_certificate(pki, certs, mode):
    client, server, crec, _ = pair(pki, certs, "self_signed", answer=None)
    c, s = handshake(client, server, mode)
    assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert_error(s.error, TLS, Gio.TlsError.MISC)
    # Sticky: later I/O reports the same error.
    with pytest.raises(GLib.Error) as again:
        dgram.send(client, [b"x"])
    assert_error(again.value, TLS, Gio.TlsError.BAD_CERTIFICATE)


# What a refusal's message says, per problem (the domain and code stay
# BAD_CERTIFICATE): fixture, identity, the message's end.
REFUSALS = [
    ("self_signed", "localhost", ": signed by an unknown authority"),
    ("server", "example.com", ": does not match the expected identity example.com"),
    ("expired", "localhost", ": expired on 2002-01-01 00:00:00 UTC"),
    ("future", "localhost", ": not valid before 2090-01-01 00:00:00 UTC"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c[0] + "-" + c[1])
def test_a_refused_certificate_says_why(pki, certs, case):
    name, identity, reason = case
    client, server, _, _ = pair(pki, certs, name, identity, answer=None)
    c, _ = handshake(client, server, "sync")
    assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert c.error.message == "Unacceptable TLS certificate" + reason


def test_a_refused_client_certificate_says_why(pki, certs):
    client, server, _, _ = pair(pki, certs, "server", mode=AUTH.REQUIRED, client_cert="client",
                                server_answer=False, server_database=None)
    _, s = handshake(client, server, "sync")
    assert_error(s.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert s.error.message == "Unacceptable TLS certificate: signed by an unknown authority"


@pytest.mark.parametrize("mode", MODES)
def test_peer_certificate_is_set_and_notified_after_accept_certificate(pki, certs, mode):
    client, server, crec, _ = pair(pki, certs, "expired", answer=True)
    order = []
    client.connect("notify::peer-certificate", lambda *a: order.append(("cert", threading.get_ident())))
    client.connect("notify::peer-certificate-errors",
                   lambda *a: order.append(("errors", threading.get_ident())))
    crec.during = lambda conn: (conn.get_peer_certificate(), conn.get_peer_certificate_errors(), list(order))
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None
    assert crec.calls[0]["during"] == (None, 0, [])
    assert order == [("cert", c.thread), ("errors", c.thread)]
    assert client.get_peer_certificate_errors() == F.EXPIRED


def test_sync_handlers_see_the_callers_thread_default_context(pki, certs):
    client, server, crec, _ = pair(pki, certs, "self_signed", answer=True)
    mine = GLib.MainContext.new()
    mine.push_thread_default()
    try:
        crec.during = lambda conn: GLib.MainContext.get_thread_default() == mine
        c, s = handshake(client, server, "sync")
    finally:
        mine.pop_thread_default()
    assert c.error is None and crec.calls[0]["during"] is True


@pytest.mark.parametrize("mode", MODES)
def test_peer_certificate_is_the_whole_chain_with_issuers_linked(pki, certs, mode):
    client, server, _, _ = pair(pki, certs, "server")
    assert handshake(client, server, mode)[0].error is None
    peer = client.get_peer_certificate()
    issuer = peer.get_issuer()
    assert peer.is_same(certs["server"])
    assert issuer is not None and issuer.props.subject_name == pki.intermediate.subject
    assert issuer.get_issuer() is None  # the root was not sent


def test_a_full_chain_is_sent_whole(pki, certs):
    full = Gio.TlsCertificate.new_from_files(str(pki.server_ecdsa.full_chain), str(pki.server_ecdsa.key))
    cs, ss = conns.udp_pair()
    client = client_conn(cs, pki=pki)
    server = server_conn(ss, full, pki=pki)
    c, s = handshake(client, server, "sync")
    assert c.error is None and s.error is None
    chain = []
    cert = client.get_peer_certificate()
    while cert is not None:
        chain.append(cert.props.subject_name)
        cert = cert.get_issuer()
    assert chain == [pki.server_ecdsa.subject, pki.intermediate.subject, pki.root.subject]


# ---- databases ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_database_none_makes_every_peer_unknown_ca(pki, certs, mode):
    client, server, crec, _ = pair(pki, certs, "server", database=None, answer=False)
    assert client.get_database() is None
    c, s = handshake(client, server, mode)
    assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert [call["errors"] for call in crec.calls] == [F.UNKNOWN_CA]


def test_database_none_still_checks_the_identity(pki, certs):
    client, server, crec, _ = pair(pki, certs, "server", identity="example.com", database=None,
                                   answer=True)
    assert handshake(client, server, "sync")[0].error is None
    assert crec.calls[0]["errors"] == F.UNKNOWN_CA | F.BAD_IDENTITY


def test_the_default_database_does_not_know_the_test_root(pki, certs):
    client, server, crec, _ = pair(pki, certs, "server", database="default", answer=True)
    assert client.get_database() is not None
    assert handshake(client, server, "sync")[0].error is None
    assert crec.calls[0]["errors"] == F.UNKNOWN_CA


def test_a_bundle_database_trusts_each_of_its_roots(pki, certs):
    db = Gio.TlsFileDatabase.new(str(pki.files["ca-bundle"]))
    for name in ("server", "other_leaf"):
        client, server, crec, _ = pair(pki, certs, name, database=db, answer=False)
        assert handshake(client, server, "sync")[0].error is None
        assert crec.calls == []


@pytest.mark.parametrize("mode", MODES)
def test_a_python_database_verifies_on_the_callers_thread(pki, certs, mode):
    db = PyDatabase(flags=F.REVOKED)
    client, server, crec, _ = pair(pki, certs, "server", database=db, answer=True)
    interaction = Gio.TlsInteraction()
    client.set_interaction(interaction)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None
    assert len(db.calls) == 1
    call = db.calls[0]
    assert call["thread"] == c.thread
    assert call["purpose"] == Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER
    assert call["identity"].get_hostname() == "localhost"
    assert call["interaction"] == interaction
    assert call["der"] == pki.server.cert_der()
    assert call["issuer"].props.subject_name == pki.intermediate.subject
    assert crec.calls[0]["errors"] == F.REVOKED
    assert client.get_peer_certificate_errors() == F.REVOKED


def test_a_python_database_answering_zero_is_accepted_silently(pki, certs):
    db = PyDatabase(flags=0)
    client, server, crec, _ = pair(pki, certs, "self_signed", database=db, answer=False)
    assert handshake(client, server, "sync")[0].error is None
    assert crec.calls == [] and len(db.calls) == 1


def test_a_failing_database_gives_generic_error(pki, certs):
    db = PyDatabase(error=GLib.Error.new_literal(Gio.io_error_quark(), "store offline",
                                                 Gio.IOErrorEnum.NOT_CONNECTED))
    client, server, crec, _ = pair(pki, certs, "server", database=db, answer=False)
    c, _ = handshake(client, server, "sync")
    assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert crec.calls[0]["errors"] & F.GENERIC_ERROR


@pytest.mark.parametrize("mode", MODES)
def test_the_server_verifies_with_purpose_client(pki, certs, mode):
    db = PyDatabase(flags=0)
    client, server, _, srec = pair(pki, certs, "server", server_database=db, server_answer=True,
                                   mode=AUTH.REQUIRED, client_cert="client")
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    assert [(call["purpose"], call["identity"], call["thread"]) for call in db.calls] == [
        (Gio.TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT, None, s.thread)]
    assert [(call["errors"], call["thread"]) for call in srec.calls] == [(0, s.thread)]


# ---- server-identity and validation-flags ---------------------------------------


def first_datagram_of(identity):
    """The ClientHello a client with this server-identity sends."""
    cs, silent = conns.udp_pair()
    client = Gio.DtlsClientConnection.new(cs, identity)
    with pytest.raises(GLib.Error):
        dgram.receive(client, timeout=200_000)
    with socket.socket(fileno=os.dup(silent.get_fd())) as raw:
        return raw.recv(65536)


@pytest.mark.parametrize("identity,sni", [
    (Gio.NetworkAddress.new("localhost", 443), "localhost"),
    (Gio.NetworkAddress.new("www.example.com.", 443), "www.example.com"),
    (Gio.NetworkService.new("xmpp-client", "tcp", "example.org"), "example.org"),
    (Gio.NetworkAddress.new("127.0.0.1", 443), None),
    (Gio.NetworkAddress.new("::1", 443), None),
    (Gio.InetSocketAddress.new_from_string("127.0.0.1", 443), None),
    (None, None),
], ids=["host", "trailing-dot", "service", "ipv4", "ipv6", "socket-address", "none"])
def test_sni_is_sent_for_host_names_only(identity, sni):
    assert client_hello_server_name(first_datagram_of(identity)) == sni


def test_the_client_offers_p256_first():
    # supported_groups (10): a 2-byte length, then secp256r1 (23), x25519
    # (29), secp384r1 (24): Go's P-256 is the cheapest key exchange, and a
    # server that follows the client's order picks it.
    groups = client_hello_extensions(first_datagram_of(Gio.NetworkAddress.new("localhost", 443)))[10]
    assert groups == bytes([0, 6, 0, 23, 0, 29, 0, 24])


@pytest.mark.parametrize("mode", MODES)
def test_no_server_identity_is_bad_identity(pki, certs, mode):
    client, server, crec, _ = pair(pki, certs, "server", identity=None, answer=False)
    c, _ = handshake(client, server, mode)
    assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert crec.calls[0]["errors"] == F.BAD_IDENTITY


def test_an_ip_socket_address_identity_is_checked_against_ip_sans(pki, certs):
    identity = Gio.InetSocketAddress.new_from_string("127.0.0.1", 443)
    client, server, crec, _ = pair(pki, certs, "server_ip", identity=identity, answer=False)
    assert handshake(client, server, "sync")[0].error is None
    assert crec.calls == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", [c for c in CLIENT_CASES if c[2]], ids=case_id)
def test_validation_flags_without_the_problem_accept_silently(pki, certs, case, mode):
    name, identity, expected = case
    client, server, crec, _ = pair(pki, certs, name, identity, flags=VALIDATE_ALL & ~expected,
                                   answer=False)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    assert crec.calls == []
    # The errors are still reported.
    assert client.get_peer_certificate_errors() == expected


# ---- blocking from a handler, emit_accept_certificate ---------------------------


@pytest.mark.parametrize("mode", MODES)
def test_blocking_ops_inside_a_handler_fail_instead_of_deadlocking(pki, certs, mode):
    client, server, _, _ = pair(pki, certs, "self_signed")
    seen = []

    def on_accept(conn, cert, errors):
        for op in (lambda: conn.handshake(None),
                   lambda: dgram.receive(conn, timeout=-1),
                   lambda: dgram.send(conn, [b"x"], timeout=-1),
                   lambda: dgram.receive(conn, timeout=1_000_000)):
            try:
                op()
                seen.append("no error")
            except GLib.Error as e:
                seen.append((e.domain, e.code))
        # A non-blocking op only says it would block.
        try:
            dgram.receive(conn, timeout=0)
        except GLib.Error as e:
            seen.append((e.domain, e.code))
        return True

    client.connect("accept-certificate", on_accept)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None
    failed = (IO, int(Gio.IOErrorEnum.FAILED))
    assert seen == [failed] * 4 + [(IO, int(Gio.IOErrorEnum.WOULD_BLOCK))]


def test_emit_accept_certificate_reaches_handlers_through_both_interfaces(pki, certs):
    cs, _ = conns.udp_pair()
    conn = client_conn(cs, pki=pki)
    cert = certs["server"]
    assert Gio.DtlsConnection.emit_accept_certificate(conn, cert, F.EXPIRED) is False
    assert Gio.TlsConnection.emit_accept_certificate(conn, cert, F.EXPIRED) is False
    got = []
    conn.connect("accept-certificate", lambda c, crt, errs: got.append((crt, errs)) or True)
    assert Gio.DtlsConnection.emit_accept_certificate(conn, cert, F.EXPIRED) is True
    assert Gio.TlsConnection.emit_accept_certificate(conn, cert, F.UNKNOWN_CA) is True
    assert [(c.is_same(cert), e) for c, e in got] == [(True, F.EXPIRED), (True, F.UNKNOWN_CA)]


# ---- the server side: authentication-mode, client certificates ------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth", [AUTH.REQUESTED, AUTH.REQUIRED])
@pytest.mark.parametrize("client_cert", ["client", "client_rsa"])
def test_the_server_always_asks_accept_certificate_and_sees_the_chain(pki, certs, auth, client_cert, mode):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=auth,
                                   client_cert=client_cert)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    assert [(call["errors"], call["thread"]) for call in srec.calls] == [(0, s.thread)]
    assert srec.calls[0]["peer_during"] is None
    peer = server.get_peer_certificate()
    assert peer.is_same(certs[client_cert])
    assert peer.get_issuer().props.subject_name == pki.intermediate.subject
    assert server.get_peer_certificate_errors() == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", [False, None], ids=["false", "no-handler"])
def test_the_server_rejects_a_client_certificate_unless_a_handler_accepts(pki, certs, answer, mode):
    client, server, _, srec = pair(pki, certs, "server", server_answer=answer,
                                   mode=AUTH.REQUESTED, client_cert="client")
    c, s = handshake(client, server, mode)
    assert_error(s.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    # The client hears the alert at once.
    assert_error(c.error, TLS, Gio.TlsError.MISC)
    assert c.elapsed < 5
    assert server.get_peer_certificate().is_same(certs["client"])


def test_the_server_reports_the_errors_of_an_untrusted_client(pki, certs):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUIRED,
                                   client_cert="client", server_database=None)
    assert handshake(client, server, "sync")[0].error is None
    # Client certificates are checked for purpose, not identity.
    assert srec.calls[0]["errors"] == F.UNKNOWN_CA


def test_a_server_certificate_offered_as_a_client_certificate_is_generic_error(pki, certs):
    client, server, _, srec = pair(pki, certs, "server", server_answer=False, mode=AUTH.REQUIRED,
                                   client_cert="server_ecdsa")
    c, s = handshake(client, server, "sync")
    assert_error(s.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
    assert srec.calls[0]["errors"] == F.GENERIC_ERROR


@pytest.mark.parametrize("mode", MODES)
def test_requested_without_a_client_certificate_succeeds(pki, certs, mode):
    client, server, _, srec = pair(pki, certs, "server", server_answer=False, mode=AUTH.REQUESTED)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None
    assert srec.calls == [] and server.get_peer_certificate() is None


@pytest.mark.parametrize("mode", MODES)
def test_required_without_a_client_certificate_fails_both_sides(pki, certs, mode):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUIRED)
    c, s = handshake(client, server, mode)
    assert_error(c.error, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)
    assert_error(s.error, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)
    assert c.elapsed < 5 and s.elapsed < 5
    assert srec.calls == []


def test_authentication_none_sends_no_client_certificate(pki, certs):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=AUTH.NONE,
                                   client_cert="client")
    assert handshake(client, server, "sync") [0].error is None
    assert srec.calls == [] and server.get_peer_certificate() is None
    assert client.get_accepted_cas() == []


# ---- accepted-cas -----------------------------------------------------------------


def test_accepted_cas_are_the_server_databases_anchors(pki, certs):
    client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUESTED,
                                client_cert="client",
                                server_database=Gio.TlsFileDatabase.new(str(pki.files["ca-bundle"])))
    notified = []
    client.connect("notify::accepted-cas", lambda *a: notified.append(threading.get_ident()))
    assert handshake(client, server, "sync")[0].error is None
    want = [subject_der(pki.root.cert_der()), subject_der(pki.other_root.cert_der())]
    assert sorted(bytes(b) for b in client.get_accepted_cas()) == sorted(want)
    assert notified and set(notified) == {threading.get_ident()}


@pytest.mark.parametrize("database,expect", [(None, "empty"), ("python", "empty"),
                                             ("default", "system")])
def test_accepted_cas_for_other_databases(pki, certs, database, expect):
    db = PyDatabase(flags=0) if database == "python" else database
    client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUESTED,
                                client_cert="client", server_database=db)
    assert handshake(client, server, "sync")[0].error is None
    cas = client.get_accepted_cas()
    if expect == "empty":
        assert cas == []
    else:
        # Every name the system store lists (Debian ships ca-certificates).
        assert len(cas) > 20


# ---- the interaction ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth", [AUTH.REQUESTED, AUTH.REQUIRED])
def test_the_interaction_supplies_the_client_certificate(pki, certs, auth, mode):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=auth)
    interaction = CertInteraction(cert=certs["client_rsa"])
    client.set_interaction(interaction)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    assert [call["thread"] for call in interaction.calls] == [c.thread]
    assert interaction.calls[0]["accepted_cas"] == [subject_der(pki.root.cert_der())]
    assert server.get_peer_certificate().is_same(certs["client_rsa"])
    assert client.get_certificate().is_same(certs["client_rsa"])


def test_the_interaction_runs_in_its_own_context(pki, certs):
    """An interaction made in a context that another thread runs is invoked
    there, whichever thread handshakes (GLib's rule)."""
    made = {}
    ready = threading.Event()

    def interaction_thread():
        ctx = GLib.MainContext.new()
        ctx.push_thread_default()
        made["interaction"] = CertInteraction(cert=certs["client"])
        made["loop"] = GLib.MainLoop.new(ctx, False)
        made["thread"] = threading.get_ident()
        ready.set()
        made["loop"].run()
        ctx.pop_thread_default()

    t = threading.Thread(target=interaction_thread, daemon=True)
    t.start()
    ready.wait(5)
    try:
        for mode in MODES:
            client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUIRED)
            client.set_interaction(made["interaction"])
            c, s = handshake(client, server, mode)
            assert c.error is None and s.error is None
            assert made["interaction"].calls[-1]["thread"] == made["thread"] != c.thread
        assert len(made["interaction"].calls) == 2
    finally:
        made["loop"].quit()
        t.join(5)


@pytest.mark.parametrize("mode", MODES)
def test_an_unhandled_interaction_leaves_certificate_required(pki, certs, mode):
    client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUIRED)
    interaction = CertInteraction()
    client.set_interaction(interaction)
    c, s = handshake(client, server, mode)
    assert len(interaction.calls) == 1
    assert_error(c.error, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)
    assert_error(s.error, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_interaction_reports_its_own_error(pki, certs, mode):
    client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUIRED)
    interaction = CertInteraction(error=GLib.Error.new_literal(
        Gio.io_error_quark(), "the smartcard is gone", Gio.IOErrorEnum.PERMISSION_DENIED))
    client.set_interaction(interaction)
    c, s = handshake(client, server, mode)
    assert_error(c.error, IO, Gio.IOErrorEnum.PERMISSION_DENIED)
    assert c.error.message == "the smartcard is gone"
    assert_error(s.error, TLS, Gio.TlsError.CERTIFICATE_REQUIRED)


def test_a_failing_interaction_is_harmless_when_the_certificate_is_optional(pki, certs):
    client, server, _, _ = pair(pki, certs, "server", server_answer=True, mode=AUTH.REQUESTED)
    interaction = CertInteraction(error=GLib.Error.new_literal(
        Gio.io_error_quark(), "no", Gio.IOErrorEnum.PERMISSION_DENIED))
    client.set_interaction(interaction)
    c, s = handshake(client, server, "sync")
    assert c.error is None and s.error is None
    assert len(interaction.calls) == 1 and server.get_peer_certificate() is None


# ---- channel binding --------------------------------------------------------------

UNIQUE, END_POINT, EXPORTER = (Gio.TlsChannelBindingType(i) for i in range(3))


def binding(conn, kind):
    ok, data = conn.get_channel_binding_data(kind)
    assert ok
    return bytes(data)


@pytest.mark.parametrize("name,hash_name", [("server", "sha256"), ("server_ed25519", "sha256"),
                                            ("server_sha384", "sha384"), ("insecure", "sha256")])
def test_channel_bindings_are_identical_on_both_peers(pki, certs, name, hash_name):
    client, server, _, _ = pair(pki, certs, name, answer=True)
    for conn in (client, server):
        for kind in (UNIQUE, END_POINT, EXPORTER):
            with pytest.raises(GLib.Error) as exc:
                conn.get_channel_binding_data(kind)
            assert_error(exc.value, BINDING, Gio.TlsChannelBindingError.INVALID_STATE)
    assert handshake(client, server, "sync")[0].error is None
    end_point = hashlib.new(hash_name, getattr(pki, name).cert_der()).digest()
    assert binding(client, END_POINT) == binding(server, END_POINT) == end_point
    exporter = binding(client, EXPORTER)
    assert len(exporter) == 32 and exporter == binding(server, EXPORTER)
    unique = binding(client, UNIQUE)
    assert len(unique) == 12 and unique == binding(server, UNIQUE)
    # Constant for the life of the connection, and distinct per connection.
    assert binding(client, EXPORTER) == exporter and binding(client, UNIQUE) == unique
    other_client, other_server, _, _ = pair(pki, certs, name, answer=True)
    assert handshake(other_client, other_server, "sync")[0].error is None
    assert binding(other_client, EXPORTER) != exporter
    assert binding(other_client, UNIQUE) != unique
    assert binding(other_client, UNIQUE) == binding(other_server, UNIQUE)
    assert binding(other_client, END_POINT) == end_point
    # Through the GTlsConnection interface too.
    ok, data = Gio.TlsConnection.get_channel_binding_data(client, END_POINT)
    assert ok and bytes(data) == end_point


def test_channel_binding_after_a_failed_handshake_is_invalid_state(pki, certs):
    client, server, _, _ = pair(pki, certs, "self_signed", answer=False)
    assert handshake(client, server, "sync")[0].error is not None
    with pytest.raises(GLib.Error) as exc:
        client.get_channel_binding_data(EXPORTER)
    assert_error(exc.value, BINDING, Gio.TlsChannelBindingError.INVALID_STATE)


# ---- the sweep: a wrong certificate never passes silently ------------------------

SWEEP_FLAGS = ([0, VALIDATE_ALL]
               + [f for f in (F.UNKNOWN_CA, F.BAD_IDENTITY, F.NOT_ACTIVATED, F.EXPIRED,
                              F.INSECURE, F.GENERIC_ERROR)]
               + [VALIDATE_ALL & ~f for f in (F.UNKNOWN_CA, F.BAD_IDENTITY, F.NOT_ACTIVATED,
                                             F.EXPIRED, F.INSECURE, F.GENERIC_ERROR)])
ANSWERS = [True, False, None]


@pytest.mark.parametrize("case", CLIENT_CASES, ids=case_id)
def test_sweep_client_fixtures_by_validation_flags_by_answer(pki, certs, root_db, case):
    name, identity, expected = case
    for flags in SWEEP_FLAGS:
        for answer in ANSWERS:
            client, server, crec, _ = pair(pki, certs, name, identity, database=root_db,
                                           flags=int(flags), answer=answer)
            c, s = handshake(client, server, "sync")
            must_decide = bool(expected & flags)
            should_pass = not must_decide or answer is True
            what = f"{name}/{identity} flags={int(flags):#x} answer={answer}"
            assert (c.error is None) == should_pass, (what, c.error)
            assert (s.error is None) == should_pass, (what, s.error)
            if not should_pass:
                assert_error(c.error, TLS, Gio.TlsError.BAD_CERTIFICATE)
            emitted = must_decide and answer is not None
            assert [(call["errors"], call["thread"]) for call in crec.calls] == (
                [(expected, c.thread)] if emitted else []), what
            assert client.get_peer_certificate_errors() == expected, what


SERVER_SWEEP = [  # client certificate, errors against the root with purpose client
    (None, None),
    ("client", 0),
    ("client_rsa", 0),
    ("server_ecdsa", F.GENERIC_ERROR),
    ("self_signed", F.UNKNOWN_CA),
    ("expired", F.EXPIRED | F.GENERIC_ERROR),
    ("other_leaf", F.UNKNOWN_CA),
]


@pytest.mark.parametrize("client_cert,expected", SERVER_SWEEP, ids=lambda v: str(v))
def test_sweep_server_authentication_modes_by_client_certificate_by_answer(
        pki, certs, root_db, client_cert, expected):
    for auth in (AUTH.NONE, AUTH.REQUESTED, AUTH.REQUIRED):
        for answer in ANSWERS:
            client, server, _, srec = pair(pki, certs, "server", server_database=root_db,
                                           server_answer=answer, mode=auth,
                                           client_cert=client_cert)
            c, s = handshake(client, server, "sync")
            presented = client_cert is not None and auth != AUTH.NONE
            if not presented:
                should_pass = auth != AUTH.REQUIRED
            else:
                should_pass = answer is True
            what = f"{client_cert} {auth.value_nick} answer={answer}"
            assert (s.error is None) == should_pass, (what, s.error)
            assert (c.error is None) == should_pass, (what, c.error)
            assert [(call["errors"], call["thread"]) for call in srec.calls] == (
                [(expected, s.thread)] if presented and answer is not None else []), what
            if presented:
                assert server.get_peer_certificate().is_same(certs[client_cert]), what
                assert server.get_peer_certificate_errors() == expected, what
            else:
                assert server.get_peer_certificate() is None, what


# ---- encrypted private keys: the interaction's ask_password ---------------------

PW = Gio.TlsPasswordFlags


@pytest.fixture(scope="module")
def intermediate_cert(pki):
    return Gio.TlsCertificate.new_from_file(str(pki.intermediate.cert))


def test_an_encrypted_key_reads_as_no_key_until_opened(pki, intermediate_cert):
    cert = locked_certificate(pki.server_ecdsa, intermediate_cert)
    assert not cert.props.private_key and cert.props.private_key_pem is None
    assert cert.props.subject_name == pki.server_ecdsa.subject
    assert cert.get_issuer().is_same(intermediate_cert)


@pytest.mark.parametrize("mode", MODES)
def test_the_server_asks_the_interaction_for_its_keys_password(pki, certs, intermediate_cert, mode):
    cs, ss = conns.udp_pair()
    client = client_conn(cs, pki=pki)
    server = server_conn(ss, locked_certificate(pki.server_ecdsa, intermediate_cert), pki=pki)
    interaction = PasswordInteraction(["wrong", fixtures.ENCRYPTED_KEY_PASSWORD])
    server.set_interaction(interaction)
    c, s = handshake(client, server, mode)
    assert c.error is None and s.error is None, (c.error, s.error)
    # In the interaction's context (this thread's default one): run by the
    # server's thread when nobody holds it (sync), else by this thread,
    # which iterates it for the async client.
    there = s.thread if mode == "sync" else c.thread
    assert [(call["flags"], call["thread"]) for call in interaction.calls] == [
        (0, there), (PW.RETRY, there)]
    assert pki.server_ecdsa.subject in interaction.calls[0]["description"]
    assert client.get_peer_certificate().is_same(certs["server_ecdsa"])


@pytest.mark.parametrize("answers,code", [
    (["a", "b", "c", "never asked"], "password"),
    ([], "password"),
    (None, "password"),
    ([GLib.Error.new_literal(Gio.io_error_quark(), "keyring locked", Gio.IOErrorEnum.PERMISSION_DENIED)],
     "interaction"),
], ids=["three-wrong", "unhandled", "no-interaction", "failed"])
def test_a_key_that_stays_locked_fails_the_handshake(pki, intermediate_cert, answers, code):
    _, ss = conns.udp_pair()
    server = server_conn(ss, locked_certificate(pki.server_ecdsa, intermediate_cert), pki=pki)
    interaction = None
    if answers is not None:
        interaction = PasswordInteraction(answers)
        server.set_interaction(interaction)
    with pytest.raises(GLib.Error) as exc:
        server.handshake(None)
    if code == "interaction":
        assert_error(exc.value, IO, Gio.IOErrorEnum.PERMISSION_DENIED)
        assert exc.value.message == "keyring locked"
    else:
        assert_error(exc.value, TLS, Gio.TlsError.BAD_CERTIFICATE_PASSWORD)
        assert pki.server_ecdsa.subject in exc.value.message
    if answers and code == "password" and answers[0] == "a":
        assert [call["flags"] for call in interaction.calls] == [
            0, PW.RETRY, PW.RETRY | PW.FINAL_TRY]
        assert interaction.answers == ["never asked"]


@pytest.mark.parametrize("auth", [AUTH.NONE, AUTH.REQUIRED])
def test_a_client_key_is_opened_only_when_the_server_asks(pki, certs, intermediate_cert, auth):
    client, server, _, srec = pair(pki, certs, "server", server_answer=True, mode=auth)
    client.set_certificate(locked_certificate(pki.client, intermediate_cert))
    interaction = PasswordInteraction([fixtures.ENCRYPTED_KEY_PASSWORD])
    client.set_interaction(interaction)
    c, s = handshake(client, server, "sync")
    assert c.error is None and s.error is None, (c.error, s.error)
    if auth == AUTH.NONE:
        assert interaction.calls == []
    else:
        assert [call["thread"] for call in interaction.calls] == [c.thread]
        assert server.get_peer_certificate().is_same(certs["client"])
