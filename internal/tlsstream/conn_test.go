package tlsstream

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func testCertificate(t testing.TB) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tcpPair is two ends of a TCP loopback connection.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if client, err = net.Dial("tcp", l.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if server, err = l.Accept(); err != nil {
		t.Fatal(err)
	}
	return client, server
}

// handshake runs a client (clientCfg, IsClient set) against a server
// (serverCfg, with the test certificate unless it has one) over a TCP
// loopback connection; before, when not nil, sees the client first. Both
// ends are aborted when the test ends.
func handshake(t testing.TB, clientCfg, serverCfg Config, before func(client *Conn)) (client, server *Conn, clientRaw net.Conn, clientErr, serverErr error) {
	t.Helper()
	clientRaw, serverRaw := tcpPair(t)
	client, server, clientErr, serverErr = handshakeOver(t, clientRaw, serverRaw, clientCfg, serverCfg, before)
	return client, server, clientRaw, clientErr, serverErr
}

// handshakeOver is handshake over the transports given.
func handshakeOver(t testing.TB, clientRaw, serverRaw net.Conn, clientCfg, serverCfg Config, before func(client *Conn)) (client, server *Conn, clientErr, serverErr error) {
	t.Helper()
	client, server = New(clientRaw, true), New(serverRaw, false)
	t.Cleanup(func() { client.Abort(); server.Abort() })
	if serverCfg.Certificate == nil {
		cert := testCertificate(t)
		serverCfg.Certificate = func(context.Context) (*tls.Certificate, error) { return cert, nil }
	}
	clientCfg.IsClient = true
	done := make(chan error, 1)
	go func() {
		if _, err := server.Begin(); err != nil {
			done <- err
			return
		}
		done <- server.Run(context.Background(), serverCfg)
	}()
	if before != nil {
		before(client)
	}
	if _, err := client.Begin(); err != nil {
		t.Fatal(err)
	}
	clientErr = client.Run(context.Background(), clientCfg)
	serverErr = <-done
	return client, server, clientErr, serverErr
}

// pair returns a client and server over a TCP loopback connection, their
// handshakes done; verify sees the client's view of the server's chain.
func pair(t testing.TB, verify func(context.Context, [][]byte) error) (client, server *Conn, clientRaw net.Conn) {
	t.Helper()
	client, server, clientRaw, cerr, serr := handshake(t, Config{ServerName: "localhost", VerifyPeer: verify}, Config{}, nil)
	if cerr != nil {
		t.Fatalf("client handshake: %v", cerr)
	}
	if serr != nil {
		t.Fatalf("server handshake: %v", serr)
	}
	return client, server, clientRaw
}

func code(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

func TestDataCrossesAndCloseNotifyEndsTheStream(t *testing.T) {
	client, server, _ := pair(t, nil)
	ctx := context.Background()
	if in, out := client.Readiness(); in || !out {
		t.Fatalf("readiness after the handshake: in %v out %v", in, out)
	}
	buf := make([]byte, 64)
	if _, err := client.Read(ctx, buf, true); code(err) != CodeWouldBlock {
		t.Fatalf("non-blocking read with nothing to read: %v", err)
	}
	if n, err := server.Write(ctx, []byte("hello"), false); n != 5 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	n, err := client.Read(ctx, buf, false)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read: %q %v", buf[:n], err)
	}
	if err := server.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	for i := 0; i < 2; i++ {
		if n, err := client.Read(ctx, buf, false); n != 0 || err != nil {
			t.Fatalf("read after close_notify: %d %v", n, err)
		}
	}
	if _, err := server.Read(ctx, buf, false); code(err) != CodeClosed {
		t.Fatalf("read after our own close: %v", err)
	}
}

func TestAnEndWithoutCloseNotifyIsEOFUnlessNotRequired(t *testing.T) {
	for _, require := range []bool{true, false} {
		client, server, clientRaw := pair(t, nil)
		server.SetRequireCloseNotify(require)
		// The server's TLS 1.3 session ticket comes after the handshake:
		// a socket closed before reading it resets the connection (RST)
		// instead of ending it. The byte after it is read once it was.
		server.Write(context.Background(), []byte{1}, false)
		client.Read(context.Background(), make([]byte, 1), false)
		clientRaw.Close()
		n, err := server.Read(context.Background(), make([]byte, 8), false)
		switch {
		case require && code(err) != CodeEOF:
			t.Fatalf("require-close-notify: %d %v", n, err)
		case !require && (n != 0 || err != nil):
			t.Fatalf("no close_notify required: %d %v", n, err)
		}
		_ = client
	}
}

func TestVerifyPeersErrorIsTheHandshakesAndSticky(t *testing.T) {
	raw, serverRaw := tcpPair(t)
	cert := testCertificate(t)
	go func() {
		s := New(serverRaw, false)
		s.Begin()
		s.Run(context.Background(), Config{Certificate: func(context.Context) (*tls.Certificate, error) { return cert, nil }})
		s.Abort()
	}()
	c := New(raw, true)
	defer c.Abort()
	rejected := errors.New("rejected by the hook")
	c.Begin()
	err := c.Run(context.Background(), Config{IsClient: true, VerifyPeer: func(context.Context, [][]byte) error { return rejected }})
	if !errors.Is(err, rejected) {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := c.Read(context.Background(), make([]byte, 1), false); !errors.Is(err, rejected) {
		t.Fatalf("read after a failed handshake: %v", err)
	}
	if in, out := c.Readiness(); !in || !out {
		t.Fatal("a failed connection must read as ready: the next call reports the error")
	}
}

func TestAPeerThatIsNotTLSIsNotTLS(t *testing.T) {
	raw, serverRaw := tcpPair(t)
	serverRaw.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
	serverRaw.Close()
	c := New(raw, true)
	defer c.Abort()
	c.Begin()
	if err := c.Run(context.Background(), Config{IsClient: true}); code(err) != CodeNotTLS {
		t.Fatalf("handshake with an HTTP server: %v", err)
	}
}

func TestCloseWakesABlockedRead(t *testing.T) {
	client, _, _ := pair(t, nil)
	assertWakesABlockedRead(t, client, client.Abort)
}

// assertWakesABlockedRead checks that wake, called while a read of c
// waits, ends that read with CLOSED.
func assertWakesABlockedRead(t *testing.T, c *Conn, wake func()) {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		_, err := c.Read(context.Background(), make([]byte, 8), false)
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	wake()
	select {
	case err := <-got:
		if code(err) != CodeClosed {
			t.Fatalf("woken read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read was not woken")
	}
}

func TestACloseRightAfterTheHandshakeEndsTheStreamWithoutAReset(t *testing.T) {
	// A server that asks for a client certificate sends its TLS 1.3
	// session ticket once it read the client's last flight, after the
	// client's handshake ended: the client's socket holds it unread.
	client, server, _, cerr, serr := handshake(t, Config{ServerName: "localhost"},
		Config{ClientAuth: ClientAuthRequested}, nil)
	if cerr != nil || serr != nil { // the ticket was sent before the server's end
		t.Fatal(cerr, serr)
	}
	ctx := context.Background()
	if err := client.Close(ctx); err != nil {
		t.Fatalf("client close: %v", err)
	}
	if n, err := server.Read(ctx, make([]byte, 1), false); n != 0 || err != nil {
		t.Fatalf("the server's read after the client's close: %d %v", n, err)
	}
	if err := server.Close(ctx); err != nil {
		t.Fatalf("the server's close after the client's: %v", err)
	}
}

func TestRecordsThePeerDidNotSealFailMisc(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for name, mangle := range map[string]func([]byte) []byte{
			"garbage":       func([]byte) []byte { return []byte("HTTP/1.1 200 OK\r\n\r\n") },
			"bad MAC":       func(r []byte) []byte { r[len(r)-1] ^= 1; return r },
			"wrong version": func(r []byte) []byte { r[2] ^= 0x10; return r },
		} {
			c, peer := established(t, version, true, nil)
			peer.send(mangle(peer.seal(t, []byte("forged?"))), false)
			got, err := readAll(c)
			if len(got) != 0 || code(err) != CodeMisc {
				t.Errorf("%x %s: %q %v", version, name, got, err)
			}
		}
	}
}

func TestARecordCutShortIsEOFWhateverRequireCloseNotifySays(t *testing.T) {
	for _, require := range []bool{true, false} {
		c, peer := established(t, tls.VersionTLS13, require, nil)
		whole := peer.seal(t, []byte("whole"))
		cut := peer.seal(t, []byte("cut short"))
		peer.send(append(whole, cut[:len(cut)-1]...), true)
		got, err := readAll(c)
		if string(got) != "whole" || code(err) != CodeEOF {
			t.Errorf("require-close-notify %v: %q %v", require, got, err)
		}
	}
}

// timingOut is a transport whose next read times out once armed, as a
// generic base's does when its GSocket has a timeout.
type timingOut struct {
	net.Conn
	armed atomic.Bool
	reads atomic.Int32 // calls begun
}

func (t *timingOut) Read(p []byte) (int, error) {
	t.reads.Add(1)
	if t.armed.Swap(false) {
		return 0, os.ErrDeadlineExceeded
	}
	return t.Conn.Read(p)
}

func TestATransportTimeoutFailsTheWaitingReadOnceThenReadingGoesOn(t *testing.T) {
	var transport *timingOut
	c, peer := established(t, tls.VersionTLS13, true, func(raw net.Conn) net.Conn {
		transport = &timingOut{Conn: raw}
		return transport
	})
	record := peer.seal(t, []byte("stopped halfway"))
	read := make(chan error, 1)
	go func() {
		_, err := c.Read(context.Background(), make([]byte, 64), false)
		read <- err
	}()
	for waiting := false; !waiting; {
		c.mu.Lock()
		waiting = c.readWaiting
		c.mu.Unlock()
	}
	// The half record wakes the reader, whose next transport read (for
	// the rest) times out.
	transport.armed.Store(true)
	peer.send(record[:len(record)/2], false)
	if err := <-read; code(err) != CodeTimedOut {
		t.Fatalf("the waiting read: %v", err)
	}
	peer.send(record[len(record)/2:], false)
	buf := make([]byte, 64)
	n, err := c.Read(context.Background(), buf, false)
	if err != nil || string(buf[:n]) != "stopped halfway" {
		t.Fatalf("the read after: %q %v", buf[:n], err)
	}
}

func TestATransportTimeoutWithNoReadWaitingIsNotReported(t *testing.T) {
	transport := &timingOut{}
	c, peer := established(t, tls.VersionTLS13, true, func(raw net.Conn) net.Conn {
		transport.Conn = raw
		return transport
	})
	record := peer.seal(t, []byte("nobody was reading"))
	transport.armed.Store(true)
	reads := transport.reads.Load() // the reader waits in one
	peer.send(record[:len(record)/2], false)
	// That read returns half the record, the next times out, and the one
	// after begins once the reader dealt with the timeout.
	for transport.reads.Load() < reads+2 {
		runtime.Gosched()
	}
	peer.send(record[len(record)/2:], false)
	buf := make([]byte, 64)
	n, err := c.Read(context.Background(), buf, false)
	if err != nil || string(buf[:n]) != "nobody was reading" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}
