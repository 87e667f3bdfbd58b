package dtlsgo

// Fuzz targets for everything dtlsgo decodes itself: datagrams and records
// on their way to pion (the transport adapter, the forged-record filter,
// the record splitter, the record layer's open and replay window, the
// ServerHello watch, the handshake trace) and an established connection under injected
// datagrams; certificates, keys, PKCS #12, PEM bundles, database handles
// and names, host names, SRTP profile names. Seeds: testdata/fuzz/<target>
// (real handshakes' datagrams, the test PKI's files) and the f.Add calls.
// scripts/fuzz runs each target for a bounded time; the README says how to
// run them longer. Certificates (PEM) and distinguished names have their
// targets in certificate_test.go and dn_test.go.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- datagrams and records ------------------------------------------------------

func FuzzDropForgedPlaintext(f *testing.F) {
	f.Add(rawRecord(23, 0, 1, []byte("clear")))
	f.Add(cat(rawRecord(contentHandshake, 0, 1, []byte{1, 0, 0, 0}), rawRecord(contentChangeCipherSpec, 0, 2, []byte{1})))
	f.Add(cat(rawRecord(23, 1, 3, make([]byte, 40)), rawRecord(contentTypeCID, 0, 1, []byte{1})))
	// An epoch-1 connection-ID record first: nothing after it can be
	// delimited, so nothing after it is judged.
	f.Add(cat(rawRecord(contentTypeCID, 1, 1, []byte{0, 4}), rawRecord(0x30, 0, 1, []byte("0000"))))
	f.Fuzz(func(t *testing.T, d []byte) {
		out := dropForgedPlaintext(d)
		if len(out) > len(d) {
			t.Fatalf("grew: %d > %d", len(out), len(d))
		}
		if len(out) == len(d) && !bytes.Equal(out, d) {
			t.Fatal("same length but changed")
		}
		if again := dropForgedPlaintext(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%x\n%x", out, again)
		}
		// What is kept is what was there, in order.
		for rest := out; len(rest) > 0; {
			r, next, ok := nextRecord(rest)
			if !ok {
				if !bytes.HasSuffix(d, rest) {
					t.Fatalf("tail %x is not the input's", rest)
				}
				break
			}
			if !bytes.Contains(d, r.raw) {
				t.Fatalf("record %x is not the input's", r.raw)
			}
			if r.typ == contentTypeCID {
				break // its header length is unknown here: the filter stops there too
			}
			if forgedPlaintext(r) {
				t.Fatalf("kept a forged record %x", r.raw)
			}
			rest = next
		}
	})
}

func FuzzNextRecord(f *testing.F) {
	f.Add(rawRecord(22, 0, 0, []byte{1, 2, 3}))
	f.Add([]byte{23, 0xfe, 0xfd, 0, 1})
	f.Fuzz(func(t *testing.T, d []byte) {
		total := 0
		for rest := d; len(rest) > 0; {
			r, next, ok := nextRecord(rest)
			if !ok {
				break
			}
			if len(r.raw) != recordHeaderLen+len(r.body) || !bytes.Equal(r.raw[recordHeaderLen:], r.body) ||
				r.typ != r.raw[0] || uint64(r.epoch) != r.epochSeq>>48 {
				t.Fatalf("inconsistent record %+v", r)
			}
			total += len(r.raw)
			rest = next
		}
		if total > len(d) {
			t.Fatalf("records span %d of %d bytes", total, len(d))
		}
	})
}

// fuzzAppLayers are two record layers sharing keys, as a client's and a
// server's would after a handshake.
func fuzzAppLayers(t testing.TB) (send, recv *appLayer) {
	key := bytes.Repeat([]byte{0x42}, 16)
	send, recv = &appLayer{epoch: 1}, &appLayer{epoch: 1}
	var err error
	if send.local, err = newGCM(key); err != nil {
		t.Fatal(err)
	}
	if recv.remote, err = newGCM(key); err != nil {
		t.Fatal(err)
	}
	copy(send.localIV[:], "ivIV")
	copy(recv.remoteIV[:], "ivIV")
	recv.replay.init(0)
	return send, recv
}

func FuzzAppLayerOpen(f *testing.F) {
	send, _ := fuzzAppLayers(f)
	var sealed []byte
	for i := 0; i < 3; i++ {
		var sc aeadScratch
		rec, err := send.seal(nil, contentAppData, []byte(fmt.Sprintf("payload %d", i)), &sc)
		if err != nil {
			f.Fatal(err)
		}
		sealed = append(sealed, rec...)
		f.Add(rec)
	}
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, d []byte) {
		// A fresh pair per input: the records it may open are exactly the
		// three sealed above (the same keys, sequence numbers 0-2).
		send, recv := fuzzAppLayers(t)
		genuine := map[string]string{}
		for i := 0; i < 3; i++ {
			var sc aeadScratch
			rec, _ := send.seal(nil, contentAppData, []byte(fmt.Sprintf("payload %d", i)), &sc)
			genuine[string(rec)] = fmt.Sprintf("payload %d", i)
		}
		opened := map[string]bool{}
		for rest := d; len(rest) > 0; {
			r, next, ok := nextRecord(rest)
			if !ok {
				break
			}
			rest = next
			if r.typ != contentAppData || r.epoch != recv.epoch {
				continue
			}
			out, ok := recv.open(nil, r)
			if !ok {
				continue
			}
			want, isGenuine := genuine[string(r.raw)]
			if !isGenuine || string(out) != want {
				t.Fatalf("opened a record that was never sealed: %x -> %q", r.raw, out)
			}
			seq := r.epochSeq & maxSeq
			if opened[fmt.Sprint(seq)] {
				t.Fatalf("sequence number %d opened twice (replay)", seq)
			}
			opened[fmt.Sprint(seq)] = true
		}
	})
}

// FuzzReplayWindow checks the window against a plain model: a sequence
// number is fresh when never marked and not 64 or more below the highest
// marked.
func FuzzReplayWindow(f *testing.F) {
	f.Add([]byte{0, 1, 2, 1, 0, 200, 3, 70})
	f.Add(bytes.Repeat([]byte{255}, 20))
	f.Fuzz(func(t *testing.T, ops []byte) {
		var w replayWindow
		w.init(0)
		seen := map[uint64]bool{}
		var top uint64
		any := false
		for i, b := range ops {
			// Steps of up to 127 forward or backward around a moving base.
			seq := uint64(int64(top) + int64(int8(b)))
			if int64(top)+int64(int8(b)) < 0 {
				seq = 0
			}
			fresh := !seen[seq] && (!any || seq > top || top-seq < 64)
			if got := w.check(seq); got != fresh {
				t.Fatalf("op %d: check(%d) = %v, model %v (top %d)", i, seq, got, fresh, top)
			}
			if fresh {
				w.mark(seq)
				seen[seq] = true
				if !any || seq > top {
					top, any = seq, true
				}
			}
		}
	})
}

func FuzzServerHelloEMS(f *testing.F) {
	f.Add(rawRecord(contentHandshake, 0, 1, []byte{2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0xfe, 0xfd}))
	f.Fuzz(func(t *testing.T, d []byte) {
		var w serverHelloWatch
		w.observe(d)
		_ = w.extendedMasterSecret()
		for rest := d; len(rest) > 0; {
			r, next, ok := nextRecord(rest)
			if !ok {
				break
			}
			serverHelloEMS(r.raw)
			rest = next
		}
	})
}

// The handshake trace reads every handshake datagram, the peer's too, when
// it is on: whatever comes, it names it without failing.
func FuzzTraceDatagram(f *testing.F) {
	f.Add(rawRecord(contentHandshake, 0, 1, []byte{1, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 40}))
	f.Add(cat(rawRecord(contentAlert, 0, 2, []byte{2, 42}), rawRecord(contentTypeCID, 1, 1, []byte{1})))
	f.Fuzz(func(t *testing.T, d []byte) {
		tr := &tracer{sink: &discardSink{}, seen: make(map[flightKey]time.Time)}
		tr.datagram(d, false)
		tr.datagram(d, true)
		_ = tr.connectionIDs()
	})
}

// ---- the transport adapter ---------------------------------------------------------

// memSocket is one end of an in-memory datagram pipe: a BaseSocket whose
// inbound queue tests can also write to, as a third party on the path.
type memSocket struct {
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

func (s *memSocket) ReadDatagram(p []byte) (int, error) {
	select {
	case d := <-s.in:
		return copy(p, d), nil
	case <-s.closed:
		return 0, net.ErrClosed
	}
}

// WriteDatagram drops what does not fit the peer's queue, as UDP does.
func (s *memSocket) WriteDatagram(p []byte) error {
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
	f.Add(rawRecord(contentHandshake, 0, 1, []byte{1, 0, 0, 0}))
	f.Add([]byte{})
	marker := rawRecord(contentHandshake, 0, 99, []byte("marker"))
	f.Fuzz(func(t *testing.T, d []byte) {
		sock, _ := memPipe()
		tr := newTransport(sock)
		tr.start()
		defer tr.Close()
		sock.inject(d)
		sock.inject(marker)
		_ = tr.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, MaxDatagramSize)
		if want := dropForgedPlaintext(d); len(want) > 0 {
			n, _, err := tr.ReadFrom(buf)
			if err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("got %x (%v), want %x", buf[:n], err, want)
			}
		}
		n, _, err := tr.ReadFrom(buf)
		if err != nil || !bytes.Equal(buf[:n], marker) {
			t.Fatalf("got %x (%v), want the marker", buf[:n], err)
		}
		datagrams, dtlsLike := tr.counts()
		wantLike := 1
		if looksLikeDTLS(d) {
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
	if n, err := a.Send(context.Background(), false, [][]byte{[]byte(want)}); n != 1 || err != nil {
		t.Fatalf("after injecting %x: send: %d %v", d, n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got string
	if n, err := b.Receive(ctx, false, 1, func(_ int, rec []byte) { got = string(rec) }); n != 1 || err != nil || got != want {
		t.Fatalf("after injecting %x: received %q (%d, %v), want %q", d, got, n, err, want)
	}
}

// FuzzEstablishedConnection injects a datagram both ways into an
// established connection, as anyone on the path can: whatever it is, the
// connection carries on both ways and delivers nothing but the probes.
func FuzzEstablishedConnection(f *testing.F) {
	f.Add([]byte("garbage"))
	f.Add(rawRecord(23, 0, 7, []byte("spoofed plaintext")))
	f.Add(rawRecord(contentAlert, 0, 7, []byte{2, 40}))
	f.Add(rawRecord(contentChangeCipherSpec, 1, 7, []byte{0xaa}))
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
