package tlsstream

// Fuzz targets for what a peer can put on a stream connection's wire:
// bytes instead of a handshake (either side), and bytes after a genuine
// record of an established connection, including that record's successor
// cut anywhere. The engine must end every such stream with one of its
// errors, in GLib's terms, never hang, panic or deliver what the peer did
// not seal. Seeds: the f.Add calls (crypto/tls's own flights, made per
// run) and testdata/fuzz/<target> (OpenSSL's, through Python's ssl).
// scripts/fuzz runs them for a bounded time.

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// handshakeCodes are the ways a handshake with a peer that never completes
// one may end. A timeout would be a hang (the bound is the test's).
var handshakeCodes = map[Code]bool{
	CodeNotTLS: true, CodeHandshake: true, CodeMisc: true,
	CodeCertificateRequired: true, CodeInappropriateFallback: true,
}

// firstFlight is what crypto/tls sends first as a client (its
// ClientHello) or, answering one, as a server (its hello flight), capped
// at what one read returns.
func firstFlight(t testing.TB, asServer bool, version uint16) []byte {
	ours, theirs := net.Pipe()
	defer ours.Close()
	defer theirs.Close()
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version,
		Certificates: []tls.Certificate{*sharedCertificate(t)}}
	go tls.Client(theirs, cfg).Handshake()
	hello := make([]byte, 1<<16)
	n, _ := ours.Read(hello)
	if !asServer {
		return hello[:n]
	}
	// A crypto/tls server answering that hello, over another pipe.
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go tls.Server(a, cfg).Handshake()
	go b.Write(hello[:n])
	flight := make([]byte, 1<<16)
	m, _ := b.Read(flight)
	return flight[:m]
}

func FuzzHandshakePeerBytes(f *testing.F) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		hello := firstFlight(f, false, v)
		f.Add(hello, true) // what a client sends, to our server
		f.Add(hello[:len(hello)/2], true)
		flight := firstFlight(f, true, v)
		f.Add(flight, false) // what a server sends, to our client
		f.Add(flight[:len(flight)-1], false)
	}
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"), false)
	f.Add([]byte{0x15, 3, 1, 0, 2, 2, 40}, false)                  // a fatal alert
	f.Add([]byte{0x16, 3, 1, 0, 8, 20, 0, 0, 4, 1, 2, 3, 4}, true) // a Finished first
	f.Add([]byte{0x16, 3, 1, 0xff, 0xff}, true)                    // an oversized record
	f.Fuzz(func(t *testing.T, peerBytes []byte, asServer bool) {
		ours, theirs := net.Pipe()
		c := New(ours, !asServer)
		defer c.Abort()
		go io.Copy(io.Discard, theirs)
		go func() {
			theirs.Write(peerBytes)
			theirs.Close()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cfg := Config{IsClient: !asServer}
		if asServer {
			cert := sharedCertificate(t)
			cfg.Certificate = func(context.Context) (*tls.Certificate, error) { return cert, nil }
		}
		c.Begin()
		err := c.Run(ctx, cfg)
		if !handshakeCodes[code(err)] {
			t.Fatalf("handshake with %d peer bytes: %v", len(peerBytes), err)
		}
		if _, again := c.Read(ctx, make([]byte, 8), false); code(again) != code(err) {
			t.Fatalf("not sticky: %v, then %v", err, again)
		}
		if in, out := c.Readiness(); !in || !out {
			t.Fatal("a failed connection must read as ready")
		}
	})
}

func FuzzRecordsAfterTheHandshake(f *testing.F) {
	f.Add([]byte{}, uint16(0xffff), false) // the stream ends after both records
	f.Add([]byte{}, uint16(3), true)       // the second record cut in its header
	f.Add([]byte{}, uint16(20), false)     // ... in its body
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"), uint16(0xffff), false)
	f.Add([]byte{0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5}, uint16(0xffff), true) // application data no one sealed
	f.Add([]byte{0x15, 3, 3, 0, 2, 1, 0}, uint16(0xffff), false)         // a plaintext close_notify
	f.Add([]byte{0x14, 3, 3, 0, 1, 1}, uint16(0xffff), false)            // a ChangeCipherSpec
	f.Add([]byte{0x17, 3, 3, 0x40, 0x01}, uint16(0xffff), true)          // an oversized record, cut
	f.Fuzz(func(t *testing.T, tail []byte, cut uint16, tls12 bool) {
		version := uint16(tls.VersionTLS13)
		if tls12 {
			version = tls.VersionTLS12
		}
		c, peer := established(t, version, true, nil)
		genuine, second := peer.seal(t, []byte("genuine")), peer.seal(t, []byte("second"))
		at := min(int(cut), len(second))
		rest := second[at:]
		// The tail may happen to carry the rest of the cut record.
		whole := bytes.HasPrefix(tail, rest)
		peer.send(append(append(genuine, second[:at]...), tail...), true)
		got, err := readAll(c)
		switch {
		case string(got) == "genuine":
		case string(got) == "genuinesecond" && whole:
		default:
			t.Fatalf("read %q (the second record whole: %v)", got, whole)
		}
		want := map[Code]bool{CodeMisc: true, CodeEOF: true}
		if !want[code(err)] {
			t.Fatalf("after %q: %v", got, err)
		}
		if len(rest) == 0 && len(tail) == 0 && (!bytes.Equal(got, []byte("genuinesecond")) || code(err) != CodeEOF) {
			t.Fatalf("a stream cut after whole records: %q %v", got, err)
		}
	})
}
