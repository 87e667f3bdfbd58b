package dtlsgo

import (
	"bytes"
	"context"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"testing"
	"time"
)

// The record layer takes over after every handshake, with connection IDs
// too (RFC 9146: the IDs each side asked for, in the records the other
// sends), records cross both ways through it, and pion's own
// close_notify, resealed under the record layer's sequence numbers, still
// ends the peer's stream cleanly.
func TestRecordLayerTakesOver(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		clientIDLen, serverIDLen int
		clientSends, serverSends int // ID lengths in the records each sends
	}{
		{"no connection IDs", 0, 0, 0, 0},
		{"connection IDs both ways", 8, 4, 4, 8},
		{"the client only sends one", ConnectionIDSendOnly, 4, 4, 0},
		{"the server does not take part", 8, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server, cerr, serr := handshakePair(t, Config{ConnectionIDLength: tc.clientIDLen},
				Config{Certificate: testCert(t), ConnectionIDLength: tc.serverIDLen})
			if cerr != nil || serr != nil {
				t.Fatal(cerr, serr)
			}
			defer server.Close()
			if client.app == nil || server.app == nil {
				t.Fatal("the record layer did not take over")
			}
			cs, cr := client.app.ConnectionIDs()
			ss, sr := server.app.ConnectionIDs()
			if len(cs) != tc.clientSends || len(ss) != tc.serverSends || !bytes.Equal(cs, sr) || !bytes.Equal(ss, cr) {
				t.Fatalf("connection IDs: client sends %x, receives %x; server sends %x, receives %x", cs, cr, ss, sr)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for i, pair := range [][2]*Conn{{client, server}, {server, client}} {
				msg := bytes.Repeat([]byte{byte(i + 1)}, 1200)
				if n, err := pair[0].Send(opFor(ctx), [][]byte{msg, msg[:7]}); n != 2 {
					t.Fatal(n, err)
				}
				var got [][]byte
				if n, err := pair[1].Receive(opFor(ctx), 2, func(_ int, rec []byte) { got = append(got, bytes.Clone(rec)) }); n != 2 {
					t.Fatal(n, err)
				}
				if !bytes.Equal(got[0], msg) || !bytes.Equal(got[1], msg[:7]) {
					t.Fatalf("records differ: %d and %d bytes", len(got[0]), len(got[1]))
				}
			}
			// Half-close: the client's close_notify ends the server's
			// receives; the server may still send, and the client receive.
			if err := client.Shutdown(false, true); err != nil {
				t.Fatal(err)
			}
			if n, err := server.Receive(opFor(ctx), 1, func(int, []byte) {}); n != 0 || err != nil {
				t.Fatalf("after close_notify: %d records, %v", n, err)
			}
			if n, err := server.Send(opFor(ctx), [][]byte{[]byte("after")}); n != 1 {
				t.Fatal(n, err)
			}
			if n, err := client.Receive(opFor(ctx), 1, func(_ int, rec []byte) {
				if string(rec) != "after" {
					t.Errorf("got %q", rec)
				}
			}); n != 1 {
				t.Fatal(n, err)
			}
			client.Close()
		})
	}
}

// A forged, a replayed and a stale record are dropped; a fresh one opens.
func TestRecordLayerDropsForgedAndReplayed(t *testing.T) {
	client, server, cerr, serr := handshakePair(t, Config{}, Config{Certificate: testCert(t)})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	sealed, err := client.app.Seal(nil, record.ContentAppData, []byte("once"), &record.Scratch{})
	if err != nil {
		t.Fatal(err)
	}
	open := func(d []byte) bool {
		r, _, ok := record.Next(d)
		if !ok {
			t.Fatal("not a record")
		}
		_, _, ok = server.app.Open(nil, r)
		return ok
	}
	forged := bytes.Clone(sealed)
	forged[len(forged)-1] ^= 1
	if open(forged) {
		t.Error("a forged record opened")
	}
	if !open(sealed) {
		t.Fatal("a fresh record did not open")
	}
	if open(sealed) {
		t.Error("a replayed record opened")
	}
}
