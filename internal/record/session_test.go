package record

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"github.com/pion/dtls/v3"
)

// readRecorder keeps what was read through it.
type readRecorder struct {
	net.Conn
	mu   sync.Mutex
	read []byte
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.read = append(r.read, p[:n]...)
	r.mu.Unlock()
	return n, err
}

// DTLS 1.2 exports keying material as TLS 1.2 does (RFC 5705; RFC 6347
// changes nothing there), so crypto/tls, another implementation, must
// give the same bytes from the same master secret and randoms: with no
// context, with an empty one (RFC 9266's tls-exporter) and with a context.
func TestExporterMatchesCryptoTLS(t *testing.T) {
	cert := testpki.SelfSigned(t)
	suite := tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	cc, sc := net.Pipe()
	rec := &readRecorder{Conn: cc}
	var keylog bytes.Buffer
	client := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{suite}, KeyLogWriter: &keylog})
	server := tls.Server(sc, &tls.Config{MaxVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.DER()}, PrivateKey: cert.Key}}})
	defer cc.Close() // not client.Close: its close_notify would wait for a reader
	defer sc.Close()
	errs := make(chan error, 1)
	go func() { errs <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	cs := client.ConnectionState()

	// CLIENT_RANDOM <client random> <master secret>
	fields := strings.Fields(keylog.String())
	if len(fields) != 3 || fields[0] != "CLIENT_RANDOM" {
		t.Fatalf("key log %q", keylog.String())
	}
	sess := &Session{Suite: Ciphers[dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]}
	if cr, err := hex.DecodeString(fields[1]); err != nil || copy(sess.clientRandom[:], cr) != 32 {
		t.Fatalf("client random %q", fields[1])
	}
	if ms, err := hex.DecodeString(fields[2]); err != nil || copy(sess.master[:], ms) != 48 {
		t.Fatalf("master secret %q", fields[2])
	}
	// The server's first record is its ServerHello: record header (5),
	// handshake header (4), version (2), then the random.
	rec.mu.Lock()
	hello := bytes.Clone(rec.read)
	rec.mu.Unlock()
	if len(hello) < 43 || hello[0] != 22 || hello[5] != 2 {
		t.Fatalf("first bytes from the server %x: not a ServerHello", hello[:min(len(hello), 16)])
	}
	copy(sess.serverRandom[:], hello[11:43])

	for _, context := range [][]byte{nil, {}, []byte("a context")} {
		want, err := cs.ExportKeyingMaterial("EXPERIMENTAL-dtlsgo", context, 40)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sess.ExportKeyingMaterial("EXPERIMENTAL-dtlsgo", context, 40)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("context %q: %x (%v), crypto/tls %x", context, got, err, want)
		}
	}
	none, _ := sess.ExportKeyingMaterial("EXPERIMENTAL-dtlsgo", nil, 32)
	empty, _ := sess.ExportKeyingMaterial("EXPERIMENTAL-dtlsgo", []byte{}, 32)
	if bytes.Equal(none, empty) {
		t.Error("no context and an empty one gave the same bytes (RFC 5705 tells them apart)")
	}
}
