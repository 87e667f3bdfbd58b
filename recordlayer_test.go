package dtlsgo

import (
	"bytes"
	"context"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"testing"
	"time"
)

// The record layer takes over after an AES-GCM handshake, records cross
// both ways through it, and pion's own close_notify, resealed under the
// record layer's sequence numbers, still ends the peer's stream cleanly.
func TestRecordLayerTakesOver(t *testing.T) {
	client, server, cerr, serr := handshakePair(t, Config{}, Config{Certificate: testCert(t)})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer server.Close()
	if client.app == nil || server.app == nil {
		t.Fatal("the record layer did not take over")
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
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := server.Receive(opFor(ctx), 1, func(int, []byte) {}); n != 0 || err != nil {
		t.Fatalf("after close_notify: %d records, %v", n, err)
	}
}

// DTLSGO_RECORD_LAYER=pion leaves every record to pion.
func TestRecordLayerCanStayWithPion(t *testing.T) {
	t.Setenv("DTLSGO_RECORD_LAYER", "pion")
	client, server, cerr, serr := handshakePair(t, Config{}, Config{Certificate: testCert(t)})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	if client.app != nil || server.app != nil {
		t.Fatal("the record layer took over")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := client.Send(opFor(ctx), [][]byte{[]byte("via pion")}); n != 1 {
		t.Fatal(n, err)
	}
	if n, err := server.Receive(opFor(ctx), 1, func(_ int, rec []byte) {
		if string(rec) != "via pion" {
			t.Errorf("got %q", rec)
		}
	}); n != 1 {
		t.Fatal(n, err)
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
		_, ok = server.app.Open(nil, r)
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
