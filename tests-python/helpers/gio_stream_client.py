"""A stream TLS client in its own process, through plain Gio (the
environment chooses the backend, see peers.gio_env), for resumption tests:

    /usr/bin/python3 gio_stream_client.py PORT CA_FILE COUNT [copy]

connects COUNT times to 127.0.0.1:PORT as server identity localhost,
verifying against CA_FILE; each connection sends "hello", reads "HELLO" and
closes. With "copy", every connection after the first calls
g_tls_client_connection_copy_session_state() with the first. Prints
"CONNECTED <n> <protocol version>" per connection, then "DONE"; an error
ends it with "ERROR <domain> <code> <message>"."""
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def exchange(port, database, source):
    base = Gio.SocketClient().connect_to_host("127.0.0.1", port, None)
    conn = Gio.TlsClientConnection.new(base, Gio.NetworkAddress.new("localhost", port))
    conn.set_database(database)
    if source is not None:
        conn.copy_session_state(source)
    conn.get_output_stream().write_all(b"hello", None)
    got = b""
    while len(got) < 5:
        chunk = conn.get_input_stream().read_bytes(5 - len(got), None).get_data()
        if not chunk:
            raise RuntimeError("end of stream before the echo")
        got += chunk
    assert got == b"HELLO", got
    conn.close(None)
    return conn


def main():
    port, ca, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    copy = sys.argv[4:] == ["copy"]
    database = Gio.TlsFileDatabase.new(ca)
    first = None
    try:
        for i in range(count):
            conn = exchange(port, database, first if copy else None)
            first = first or conn
            print("CONNECTED", i, conn.get_protocol_version().value_nick, flush=True)
    except GLib.Error as e:
        print("ERROR", GLib.quark_to_string(e.domain), e.code, e.message, flush=True)
        return
    print("DONE", flush=True)


main()
