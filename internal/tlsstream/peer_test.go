package tlsstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// A crypto/tls peer of a Conn whose bytes the test holds: what it seals can
// be kept instead of sent, and raw bytes written after it, so that a test
// (or a fuzz target) puts exactly what it wants on the Conn's wire.

var (
	peerCertOnce sync.Once
	peerCert     *tls.Certificate
)

// sharedCertificate is one certificate for the whole process: fuzz targets
// make a connection per input.
func sharedCertificate(t testing.TB) *tls.Certificate {
	peerCertOnce.Do(func() { peerCert = testCertificate(t) })
	return peerCert
}

// holdingConn passes writes through, or keeps them while holding.
type holdingConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	held    bytes.Buffer
}

func (h *holdingConn) Write(p []byte) (int, error) {
	h.mu.Lock()
	if h.holding {
		defer h.mu.Unlock()
		return h.held.Write(p)
	}
	h.mu.Unlock()
	return h.Conn.Write(p)
}

// hold starts keeping what the peer writes.
func (h *holdingConn) hold() {
	h.mu.Lock()
	h.holding = true
	h.mu.Unlock()
}

// take returns what was kept and sends again from then on.
func (h *holdingConn) take() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding = false
	b := bytes.Clone(h.held.Bytes())
	h.held.Reset()
	return b
}

type tlsPeer struct {
	tls *tls.Conn
	raw *holdingConn
	out chan []byte // what send queued, written in order; nil closes
}

// established is a Conn (the client, with the given require-close-notify,
// over wrap of its transport when wrap is not nil) and a crypto/tls server
// of version, handshaken over a synchronous pipe. Whatever the peer writes
// must be read by the Conn: write from a goroutine.
func established(t testing.TB, version uint16, requireNotify bool, wrap func(net.Conn) net.Conn) (*Conn, *tlsPeer) {
	t.Helper()
	ours, theirs := net.Pipe()
	transport := ours
	if wrap != nil {
		transport = wrap(ours)
	}
	c := New(transport, true)
	c.SetRequireCloseNotify(requireNotify)
	peer := &tlsPeer{raw: &holdingConn{Conn: theirs}}
	peer.tls = tls.Server(peer.raw, &tls.Config{
		Certificates: []tls.Certificate{*sharedCertificate(t)},
		MinVersion:   version,
		MaxVersion:   version,
		// No tickets: over the synchronous pipe, a TLS 1.3 ticket flushed
		// with the server's Finished waits for a client that is flushing
		// its own Finished, and neither handshake ends.
		SessionTicketsDisabled: true,
	})
	done := make(chan error, 1)
	go func() { done <- peer.tls.Handshake() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx, Config{IsClient: true}); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("peer handshake: %v", err)
	}
	// What the Conn sends from now on (an alert, close_notify) is
	// discarded: a peer not reading would block it.
	go io.Copy(io.Discard, theirs)
	peer.out = make(chan []byte, 16)
	go func() {
		for b := range peer.out {
			if b == nil {
				theirs.Close()
				return
			}
			theirs.Write(b)
		}
	}()
	t.Cleanup(func() { c.Abort(); peer.raw.Close() })
	return c, peer
}

// seal is the records carrying data, as the peer would send them.
func (p *tlsPeer) seal(t testing.TB, data []byte) []byte {
	t.Helper()
	p.raw.hold()
	if _, err := p.tls.Write(data); err != nil {
		t.Fatal(err)
	}
	return p.raw.take()
}

// send writes raw bytes, then closes the peer's end when closing, in the
// order of the calls, from a goroutine (the pipe is synchronous).
func (p *tlsPeer) send(raw []byte, closing bool) {
	p.out <- raw
	if closing {
		p.out <- nil
	}
}

// readAll reads until the stream ends or fails: what arrived, and how it
// ended (nil for a clean end). It gives up after 10 s.
func readAll(c *Conn) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(ctx, buf, false)
		got = append(got, buf[:n]...)
		if err != nil || n == 0 {
			return got, err
		}
	}
}
