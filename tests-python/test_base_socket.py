"""DTLS over a base that is not a plain GSocket: a Python subclass of
Gio.DatagramBased that drops datagrams (issue 4's transport adapter)."""
import pytest
from gi.repository import Gio

import conns
import dgram
from wrapper_base import LossySocket


@pytest.mark.parametrize("lossy_side", ["client", "server", "both"])
def test_python_datagram_based_that_drops_datagrams(pki, lossy_side):
    cs, ss = conns.udp_pair()
    cbase = LossySocket(cs) if lossy_side in ("client", "both") else cs
    sbase = LossySocket(ss) if lossy_side in ("server", "both") else ss
    client = conns.client_for(cbase)
    server = Gio.DtlsServerConnection.new(sbase, pki.server_ecdsa.tls_certificate())
    assert conns.handshake_both(client, server) == (None, None)
    for i in range(20):
        assert dgram.send(client, [b"datagram %d" % i]) == 1
        assert dgram.receive(server, timeout=5_000_000) == [b"datagram %d" % i]
    assert dgram.send(server, [b"back"]) == 1
    assert dgram.receive(client, timeout=5_000_000) == [b"back"]
    client.close(None)
    assert dgram.receive(server, timeout=5_000_000) == []
    server.close(None)
    for base in (cbase, sbase):
        if isinstance(base, LossySocket):
            assert base.dropped == 1
            # The base's methods ran on dtlsgo's GLib threads, never on a
            # Go thread (which would carry the process's name).
            assert base.threads == {"dtlsgo-base-rd", "dtlsgo-base-wr"}, base.threads
            assert base.threads
