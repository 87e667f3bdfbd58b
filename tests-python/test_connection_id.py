"""Connection IDs (RFC 9146) through gi.repository.DtlsGo (issue 8): a
server on an unconnected socket follows a client whose address changes
(a NAT rebinding, played by netem.Proxy.rebind) when connection IDs are in
use, and only then."""
import socket

import pytest
from gi.repository import Gio, GLib

import conns
import netem
from streams import IO, SECOND, b


def moving_pair(proxy, server_cert, server_cid, client_cid):
    """A client connected to the proxy's front; a server on an unconnected
    socket, which the proxy's back sends to."""
    cs, ss = conns.udp_socket(), conns.udp_socket()
    cs.connect(conns.inet_address(proxy.front_address))
    proxy.connect(conns.address_of(cs), conns.address_of(ss))
    client = conns.client_for(cs)
    server = Gio.DtlsServerConnection.new(ss, server_cert)
    server.props.connection_id_length = server_cid
    client.props.connection_id_length = client_cid
    assert conns.handshake_both(client, server) == (None, None)
    return client, server


def echo(client, server, payload):
    client.send_bytes(b(payload), -1, None)
    assert server.receive_bytes(0, 5 * SECOND, None).get_data() == payload
    server.send_bytes(b(payload.upper()), -1, None)
    assert client.receive_bytes(0, 5 * SECOND, None).get_data() == payload.upper()


@pytest.mark.parametrize("client_cid", [-1, 4])
def test_server_follows_a_client_that_moves(pki, client_cid):
    with netem.Proxy(keep=True) as proxy:
        client, server = moving_pair(proxy, pki.server_ecdsa.tls_certificate(), 8, client_cid)
        echo(client, server, b"before the move")
        # The client's records carry the server's connection ID (tls12_cid).
        assert proxy.seen[netem.C2S][-1][0] == 25
        proxy.rebind()
        echo(client, server, b"after the move")
        echo(client, server, b"and again")
        client.close(None)
        assert server.receive_bytes(0, 5 * SECOND, None) is None


def test_without_connection_ids_the_moved_client_is_cut_off(pki):
    with netem.Proxy() as proxy:
        client, server = moving_pair(proxy, pki.server_ecdsa.tls_certificate(), 0, 0)
        echo(client, server, b"before the move")
        proxy.rebind()
        client.send_bytes(b(b"after the move"), -1, None)
        with pytest.raises(GLib.Error) as exc:
            server.receive_bytes(0, SECOND, None)
        assert exc.value.domain == IO and exc.value.code == Gio.IOErrorEnum.TIMED_OUT


def test_connection_ids_need_both_peers(pki):
    """A server asking for IDs from a client that does not do them: plain
    records, and the connection works as ever."""
    with netem.Proxy(keep=True) as proxy:
        client, server = moving_pair(proxy, pki.server_ecdsa.tls_certificate(), 8, 0)
        echo(client, server, b"plain")
        assert proxy.seen[netem.C2S][-1][0] == netem.APPLICATION_DATA


def test_unconnected_server_ignores_strangers(pki):
    """The first sender is the peer: others' datagrams (even copies of the
    peer's records) are dropped, as a connected socket's would be."""
    with netem.Proxy(keep=True) as proxy:
        client, server = moving_pair(proxy, pki.server_ecdsa.tls_certificate(), 0, 0)
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger.bind(("127.0.0.1", 0))
        stranger.settimeout(0.5)
        client.send_bytes(b(b"one"), -1, None)
        assert server.receive_bytes(0, 5 * SECOND, None).get_data() == b"one"
        server_address = conns.address_of(server.props.base_socket)
        stranger.sendto(proxy.seen[netem.C2S][-1], server_address)  # a replayed record
        stranger.sendto(b"hello?", server_address)
        with pytest.raises(GLib.Error):
            server.receive_bytes(0, 300_000, None)
        with pytest.raises(socket.timeout):
            stranger.recv(2048)
        echo(client, server, b"still fine")
        stranger.close()
