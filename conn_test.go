package dtlsgo

import (
	"bytes"
	"context"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"net"
	"runtime"
	"testing"
	"time"
)

type acceptAll struct{ seen [][]byte }

func (a *acceptAll) VerifyPeer(_ context.Context, chain [][]byte) (CertificateFlags, error) {
	a.seen = chain
	return 0, nil
}
func (a *acceptAll) RequestCertificate(context.Context, [][]byte) (*Certificate, error) {
	return nil, nil
}
func (a *acceptAll) UnlockCertificate(_ context.Context, c *Certificate) (*Certificate, error) {
	return c, nil
}

// testCert is the shared test PKI's self-signed "localhost" with its key.
func testCert(t testing.TB) *Certificate {
	t.Helper()
	c := testpki.SelfSigned(t)
	cert, err := NewCertificate(CertificateSource{DER: c.DER(), KeyDER: c.KeyDER(t)})
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func udpPair(t testing.TB) (BaseSocket, BaseSocket) {
	t.Helper()
	a, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	b, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	a.Close()
	ac, err := net.DialUDP("udp", a.LocalAddr().(*net.UDPAddr), b.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	bc, err := net.DialUDP("udp", b.LocalAddr().(*net.UDPAddr), ac.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	return NewNetBaseSocket(ac), NewNetBaseSocket(bc)
}

func handshakePair(t testing.TB, ccfg, scfg Config) (*Conn, *Conn, error, error) {
	cb, sb := udpPair(t)
	client, server := NewConn(cb, true), NewConn(sb, false)
	ctx := context.Background()
	errs := make(chan error, 1)
	go func() {
		ok, _ := server.BeginHandshake()
		if !ok {
			t.Error("server handshake not claimed")
		}
		errs <- server.RunHandshake(ctx, scfg, &acceptAll{})
	}()
	client.BeginHandshake()
	cerr := client.RunHandshake(ctx, ccfg, &acceptAll{})
	serr := <-errs
	return client, server, cerr, serr
}

func TestHandshakeAndRecords(t *testing.T) {
	cert := testCert(t)
	client, server, cerr, serr := handshakePair(t, Config{IsClient: true, ALPN: []string{"b", "a"}},
		Config{Certificate: cert, ALPN: []string{"a", "b"}})
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v server %v", cerr, serr)
	}
	info, ok := client.Info()
	if !ok || info.NegotiatedProtocol != "a" || info.CipherSuite == "" || len(info.PeerCertificates) != 1 {
		t.Fatalf("client info %+v", info)
	}
	msgs := [][]byte{[]byte("one"), bytes.Repeat([]byte{7}, 1000), []byte("three")}
	n, err := client.Send(Op{}, msgs)
	if n != 3 || err != nil {
		t.Fatalf("send %d %v", n, err)
	}
	var got [][]byte
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err = server.Receive(opFor(ctx), 3, func(i int, rec []byte) { got = append(got, bytes.Clone(rec)) })
	if n != 3 || err != nil || !bytes.Equal(got[1], msgs[1]) || string(got[2]) != "three" {
		t.Fatalf("receive %d %v %q", n, err, got)
	}
	if _, err := server.Receive(Op{Poll: true}, 1, nil); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("poll on empty: %v", err)
	}
	if _, err := client.Send(opFor(ctx), [][]byte{make([]byte, MaxPayload+1)}); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	// The peer's close_notify: 0 records, no error, again and again.
	for i := 0; i < 2; i++ {
		n, err = server.Receive(opFor(ctx), 1, nil)
		if n != 0 || err != nil {
			t.Fatalf("after close_notify: %d %v", n, err)
		}
	}
	if _, err := client.Send(opFor(ctx), msgs); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	server.Close()
}

func TestGoroutinesReturnToBaseline(t *testing.T) {
	before := runtime.NumGoroutine()
	cert := testCert(t)
	for i := 0; i < 5; i++ {
		client, server, cerr, serr := handshakePair(t, Config{IsClient: true}, Config{Certificate: cert})
		if cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		client.Close()
		server.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestSilentPeerTimesOut(t *testing.T) {
	cb, _ := udpPair(t)
	client := NewConn(cb, true)
	client.BeginHandshake()
	start := time.Now()
	err := client.RunHandshake(context.Background(), Config{IsClient: true, HandshakeTimeout: 300 * time.Millisecond}, &acceptAll{})
	// The handshake's own bound is a handshake failure naming it: GLib
	// keeps TIMED_OUT for a caller's own timeout.
	if !errors.Is(err, ErrHandshake) || err.Error() != "DTLS handshake timed out after 0.3s" ||
		time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
	// Sticky.
	if err2 := client.established(false); err2 != err {
		t.Fatalf("not sticky: %v", err2)
	}
	client.Close()
}

// A caller's timeout that ends the handshake is that caller's TIMED_OUT;
// every later call sees a handshake failure that names it.
func TestCallerTimeoutEndsTheHandshake(t *testing.T) {
	cb, _ := udpPair(t)
	client := NewConn(cb, true)
	client.BeginHandshake()
	ctx, cancel := WithCallerTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := client.RunHandshake(ctx, Config{IsClient: true, HandshakeTimeout: 10 * time.Second}, &acceptAll{})
	if !errors.Is(err, ErrTimedOut) {
		t.Fatalf("got %v", err)
	}
	later := client.established(false)
	if !errors.Is(later, ErrHandshake) || errors.Is(later, ErrTimedOut) ||
		later.Error() != "DTLS handshake timed out after 0.2s (the timeout of the operation that started it)" {
		t.Fatalf("later calls see %v", later)
	}
	if err := client.WaitHandshake(context.Background()); err != later {
		t.Fatalf("a joiner sees %v", err)
	}
	client.Close()
}

func TestALPNNoOverlap(t *testing.T) {
	cert := testCert(t)
	_, _, cerr, serr := handshakePair(t, Config{IsClient: true, ALPN: []string{"x"}, HandshakeTimeout: 5 * time.Second},
		Config{Certificate: cert, ALPN: []string{"y"}, HandshakeTimeout: 5 * time.Second})
	if !errors.Is(serr, ErrHandshake) || !errors.Is(cerr, ErrTLSMisc) {
		t.Fatalf("client %v / server %v", cerr, serr)
	}
	t.Logf("client: %v; server: %v", cerr, serr)
}
