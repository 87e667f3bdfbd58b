package dtlsgo

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
)

// streamPair is a handshaken client and server StreamConn over TCP
// loopback, the server with cert.
func streamPair(t testing.TB, cert *Certificate) (client, server *StreamConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	serverRaw, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client, server = NewStreamConn(raw, true), NewStreamConn(serverRaw, false)
	done := make(chan error, 1)
	go func() {
		server.BeginHandshake()
		done <- server.RunHandshake(context.Background(), Config{Certificate: cert}, &acceptAll{})
	}()
	client.BeginHandshake()
	if err := client.RunHandshake(context.Background(), Config{IsClient: true, ServerName: "localhost"}, &acceptAll{}); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	t.Cleanup(func() { client.Abort(); server.Abort() })
	return client, server
}

func TestStreamConnInfoAndChannelBindings(t *testing.T) {
	cert := testCert(t)
	client, server := streamPair(t, cert)
	ci, ok := client.Info()
	si, _ := server.Info()
	if !ok || ci.CipherSuite == "" || ci.CipherSuite != si.CipherSuite {
		t.Fatalf("cipher suites: %q %q", ci.CipherSuite, si.CipherSuite)
	}
	if client.TLSVersion() != tls.VersionTLS13 {
		t.Fatalf("version %x", client.TLSVersion())
	}
	if len(ci.PeerCertificates) != 1 || string(ci.PeerCertificates[0]) != string(cert.DER()) {
		t.Fatal("the client's peer certificate is not the server's")
	}
	for _, kind := range []ChannelBindingType{ChannelBindingTLSServerEndPoint, ChannelBindingTLSExporter} {
		c, err := client.ChannelBinding(kind)
		s, err2 := server.ChannelBinding(kind)
		if err != nil || err2 != nil || len(c) != 32 || string(c) != string(s) {
			t.Fatalf("binding %d: %x %v / %x %v", kind, c, err, s, err2)
		}
	}
	if _, err := client.ChannelBinding(ChannelBindingTLSUnique); !errors.Is(err, ErrChannelBindingNotAvail) {
		t.Fatalf("tls-unique on TLS 1.3: %v", err)
	}
}

// RFC 9266's tls-exporter has a zero-length context, which on TLS 1.2 is
// not RFC 5705's absent one: the seed carries the context's length.
// GnuTLS (so glib-networking) computes the former.
func TestStreamExporterHasTheZeroLengthContextOnTLS12(t *testing.T) {
	c := testpki.SelfSigned(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MaxVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{c.DER()}, PrivateKey: c.Key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	states := make(chan tls.ConnectionState, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			close(states)
			return
		}
		defer conn.Close()
		tc := conn.(*tls.Conn)
		if tc.Handshake() != nil {
			close(states)
			return
		}
		states <- tc.ConnectionState()
		io.Copy(io.Discard, tc)
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := NewStreamConn(raw, true)
	defer client.Abort()
	client.BeginHandshake()
	if err := client.RunHandshake(context.Background(), Config{IsClient: true, ServerName: "localhost"}, &acceptAll{}); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	peer, ok := <-states
	if !ok {
		t.Fatal("the server's handshake failed")
	}
	ours, err := client.ChannelBinding(ChannelBindingTLSExporter)
	if err != nil {
		t.Fatal(err)
	}
	zeroLength, _ := peer.ExportKeyingMaterial(exporterLabel, []byte{}, exporterLength)
	absent, _ := peer.ExportKeyingMaterial(exporterLabel, nil, exporterLength)
	if string(ours) != string(zeroLength) || string(ours) == string(absent) {
		t.Fatalf("tls-exporter %x: want %x (zero-length context), not %x (none)", ours, zeroLength, absent)
	}
}

// clientHello is the first flight of a crypto/tls client.
func clientHello(t testing.TB) []byte {
	a, b := net.Pipe()
	go func() {
		tls.Client(a, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}).Handshake()
		a.Close()
	}()
	buf := make([]byte, 4096)
	n, _ := b.Read(buf)
	b.Close()
	return buf[:n]
}

// FuzzStreamServerHandshake feeds a stream server arbitrary bytes for a
// first flight: its handshake must fail with one of the core's kinds (never
// succeed, panic or hang), and close cleanly.
func FuzzStreamServerHandshake(f *testing.F) {
	hello := clientHello(f)
	f.Add(hello)
	f.Add(hello[:len(hello)/2])
	f.Add([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x40, 0x00})
	f.Add([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28})
	cert := testCert(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		peer, ours := net.Pipe()
		go io.Copy(io.Discard, peer) // the server's flights (the pipe has no buffer)
		go func() {
			peer.Write(data)
			peer.Close()
		}()
		s := NewStreamConn(ours, false)
		s.BeginHandshake()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.RunHandshake(ctx, Config{Certificate: cert}, &acceptAll{})
		if err == nil {
			t.Fatal("a handshake with a peer that never answers succeeded")
		}
		if errors.Is(err, ErrTimedOut) {
			t.Fatalf("the handshake hung: %v", err)
		}
		var coded *errkind.Error
		if !errors.As(err, &coded) {
			t.Fatalf("an error of no kind: %v", err)
		}
		if st, _ := s.State(); st != HandshakeFailed {
			t.Fatalf("state %v after a failed handshake", st)
		}
		s.Close()
	})
}
