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

// pair returns a client and server over a TCP loopback connection, their
// handshakes done; verify sees the client's view of the server's chain.
func pair(t testing.TB, verify func(context.Context, [][]byte) error) (client, server *Conn, clientRaw net.Conn) {
	t.Helper()
	clientRaw, serverRaw := tcpPair(t)
	client, server = New(clientRaw, true), New(serverRaw, false)
	cert := testCertificate(t)
	done := make(chan error, 1)
	go func() {
		if _, err := server.Begin(); err != nil {
			done <- err
			return
		}
		done <- server.Run(context.Background(), Config{
			Certificate: func(context.Context) (*tls.Certificate, error) { return cert, nil },
		})
	}()
	if _, err := client.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := client.Run(context.Background(), Config{IsClient: true, ServerName: "localhost", VerifyPeer: verify}); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	t.Cleanup(func() { client.Abort(); server.Abort() })
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
