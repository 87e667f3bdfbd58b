package dtlsgo

// Fuzz targets for what the connection decodes itself: datagrams on their
// way to pion (the transport adapter, the handshake trace), an established
// connection under injected datagrams, certificates' channel-binding hashes
// and SRTP profile names. Seeds: testdata/fuzz/<target> (real handshakes'
// datagrams) and the f.Add calls. scripts/fuzz runs the targets of every
// package for a bounded time; the README says how to run them longer. The
// record format's targets are in internal/record, the trust store's in
// internal/trust, the stream TLS engine's in internal/tlsstream.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- datagrams and records ------------------------------------------------------

func FuzzTraceDatagram(f *testing.F) {
	f.Add(rawRecord(record.ContentHandshake, 0, 1, []byte{1, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 40}))
	f.Add(cat(rawRecord(record.ContentAlert, 0, 2, []byte{2, 42}), rawRecord(record.ContentCID, 1, 1, []byte{1})))
	f.Fuzz(func(t *testing.T, d []byte) {
		tr := &tracer{sink: &discardSink{}, seen: make(map[flightKey]time.Time)}
		tr.Datagram(d, false)
		tr.Datagram(d, true)
		_ = tr.connectionIDs()
	})
}

// ---- the transport adapter ---------------------------------------------------------

// memSocket is one end of an in-memory datagram pipe: a BaseSocket whose
// inbound queue tests can also write to, as a third party on the path.
type memSocket struct {
	Unbatched
	in     chan []byte
	peer   *memSocket
	closed chan struct{}
	once   sync.Once
}

func memPipe() (*memSocket, *memSocket) {
	a := &memSocket{in: make(chan []byte, 256), closed: make(chan struct{})}
	b := &memSocket{in: make(chan []byte, 256), closed: make(chan struct{})}
	a.peer, b.peer = b, a
	return a, b
}

func (s *memSocket) ReadDatagram(p []byte) (int, net.Addr, error) {
	select {
	case d := <-s.in:
		return copy(p, d), nil, nil
	case <-s.closed:
		return 0, nil, net.ErrClosed
	}
}

// WriteDatagram drops what does not fit the peer's queue, as UDP does.
func (s *memSocket) WriteDatagram(p []byte, _ net.Addr) error {
	s.peer.inject(p)
	return nil
}

func (s *memSocket) inject(d []byte) {
	select {
	case s.in <- append([]byte(nil), d...):
	default:
	}
}

func (s *memSocket) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func FuzzTransport(f *testing.F) {
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Add(rawRecord(23, 0, 1, []byte("clear")))
	f.Add(rawRecord(record.ContentHandshake, 0, 1, []byte{1, 0, 0, 0}))
	f.Add([]byte{})
	marker := rawRecord(record.ContentHandshake, 0, 99, []byte("marker"))
	f.Fuzz(func(t *testing.T, d []byte) {
		sock, _ := memPipe()
		tr := transport.New(sock, record.Wire{})
		counts := &datagramCounts{}
		tr.SetTaps(counts)
		tr.Start()
		defer tr.Close()
		sock.inject(d)
		sock.inject(marker)
		_ = tr.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, MaxDatagramSize)
		if want := record.DropForgedPlaintext(d); len(want) > 0 {
			n, _, err := tr.ReadFrom(buf)
			if err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("got %x (%v), want %x", buf[:n], err, want)
			}
		}
		n, _, err := tr.ReadFrom(buf)
		if err != nil || !bytes.Equal(buf[:n], marker) {
			t.Fatalf("got %x (%v), want the marker", buf[:n], err)
		}
		datagrams, dtlsLike := counts.datagrams.Load(), counts.dtlsLike.Load()
		wantLike := int64(1)
		if record.LooksLikeDTLS(d) {
			wantLike++
		}
		if datagrams != 2 || dtlsLike != wantLike {
			t.Fatalf("counts %d/%d, want 2/%d", datagrams, dtlsLike, wantLike)
		}
		// A deadline in the past: a timeout at once, even for a read that
		// would block.
		_ = tr.SetReadDeadline(time.Now().Add(-time.Second))
		var ne net.Error
		if _, _, err := tr.ReadFrom(buf); !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("past deadline: %v", err)
		}
	})
}

// established is one client/server pair per fuzzing process, over an
// in-memory pipe the fuzzer injects into.
var established struct {
	once           sync.Once
	client, server *Conn
	cs, ss         *memSocket
	err            error
	probes         int
}

func establishedPair(t testing.TB) {
	established.once.Do(func() {
		cs, ss := memPipe()
		client, server := NewConn(cs, true), NewConn(ss, false)
		cert := testCert(t.(*testing.T))
		errs := make(chan error, 1)
		go func() {
			server.BeginHandshake()
			errs <- server.RunHandshake(context.Background(), Config{Certificate: cert, HandshakeTimeout: 10 * time.Second}, &acceptAll{})
		}()
		client.BeginHandshake()
		err := client.RunHandshake(context.Background(), Config{IsClient: true, HandshakeTimeout: 10 * time.Second}, &acceptAll{})
		if serr := <-errs; err == nil {
			err = serr
		}
		established.client, established.server, established.cs, established.ss, established.err = client, server, cs, ss, err
	})
	if established.err != nil {
		t.Fatalf("handshake: %v", established.err)
	}
}

// probe sends one record from a to b and checks it, and only it, arrives.
func probe(t *testing.T, a, b *Conn, d []byte) {
	established.probes++
	want := fmt.Sprintf("probe %d", established.probes)
	if n, err := a.Send(Op{}, [][]byte{[]byte(want)}); n != 1 || err != nil {
		t.Fatalf("after injecting %x: send: %d %v", d, n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got string
	if n, err := b.Receive(opFor(ctx), 1, func(_ int, rec []byte) { got = string(rec) }); n != 1 || err != nil || got != want {
		t.Fatalf("after injecting %x: received %q (%d, %v), want %q", d, got, n, err, want)
	}
}

// FuzzEstablishedConnection injects a datagram both ways into an
// established connection, as anyone on the path can: whatever it is, the
// connection carries on both ways and delivers nothing but the probes.
func FuzzEstablishedConnection(f *testing.F) {
	f.Add([]byte("garbage"))
	f.Add(rawRecord(23, 0, 7, []byte("spoofed plaintext")))
	f.Add(rawRecord(record.ContentAlert, 0, 7, []byte{2, 40}))
	f.Add(rawRecord(record.ContentChangeCipherSpec, 1, 7, []byte{0xaa}))
	f.Add(rawRecord(23, 1, 1<<40, make([]byte, 40)))
	f.Fuzz(func(t *testing.T, d []byte) {
		establishedPair(t)
		c, s := established.client, established.server
		established.ss.inject(d)
		established.cs.inject(d)
		probe(t, c, s, d)
		probe(t, s, c, d)
	})
}

func FuzzServerEndPoint(f *testing.F) {
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		if hash, err := serverEndPoint(der); err == nil && len(hash) < 32 {
			t.Fatalf("a %d-byte tls-server-end-point hash", len(hash))
		}
	})
}

func FuzzParseSRTPProfiles(f *testing.F) {
	f.Add("SRTP_AES128_CM_SHA1_80,SRTP_AEAD_AES_128_GCM")
	f.Add(",,")
	f.Fuzz(func(t *testing.T, list string) {
		profiles, err := ParseSRTPProfiles(strings.Split(list, ","))
		if err == nil && len(profiles) != len(strings.Split(list, ",")) {
			t.Fatalf("%d profiles from %q", len(profiles), list)
		}
	})
}
