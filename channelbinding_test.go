package dtlsgo

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"net"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
)

func TestChannelBindingsAgreeOnBothPeers(t *testing.T) {
	cert := testCert(t)
	client, server, cerr, serr := handshakePair(t, Config{IsClient: true}, Config{Certificate: cert})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	for _, c := range []*Conn{client, server} {
		if info, _ := c.Info(); !info.ExtendedMaster {
			t.Fatalf("extended master secret not seen (client %v)", c.isClient)
		}
	}
	want := sha256.Sum256(cert.DER())
	for _, kind := range []ChannelBindingType{ChannelBindingTLSServerEndPoint, ChannelBindingTLSExporter} {
		cb, err1 := client.ChannelBinding(kind)
		sb, err2 := server.ChannelBinding(kind)
		if err1 != nil || err2 != nil || len(cb) != 32 || !bytes.Equal(cb, sb) {
			t.Fatalf("kind %d: client %x %v, server %x %v", kind, cb, err1, sb, err2)
		}
		if kind == ChannelBindingTLSServerEndPoint && !bytes.Equal(cb, want[:]) {
			t.Fatalf("tls-server-end-point %x, want SHA-256 of the leaf %x", cb, want)
		}
	}
	cu, err1 := client.ChannelBinding(ChannelBindingTLSUnique)
	su, err2 := server.ChannelBinding(ChannelBindingTLSUnique)
	if err1 != nil || err2 != nil || len(cu) != 12 || !bytes.Equal(cu, su) {
		t.Fatalf("tls-unique: client %x %v, server %x %v", cu, err1, su, err2)
	}
}

func TestChannelBindingBeforeHandshakeIsInvalidState(t *testing.T) {
	cb, _ := udpPair(t)
	c := NewConn(cb, true)
	defer c.Close()
	for _, kind := range []ChannelBindingType{ChannelBindingTLSUnique, ChannelBindingTLSServerEndPoint, ChannelBindingTLSExporter} {
		if _, err := c.ChannelBinding(kind); !errors.Is(err, ErrChannelBindingInvalid) {
			t.Fatalf("kind %d: %v", kind, err)
		}
	}
}

// pionPeer runs a plain pion endpoint with the extended master secret
// disabled, facing one of our connections.
func pionPeer(t *testing.T, client bool, cert *Certificate) (*Conn, chan error) {
	t.Helper()
	pl, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := net.DialUDP("udp", nil, pl.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pl.Close(); ours.Close() })
	done := make(chan error, 1)
	go func() {
		var pc *dtls.Conn
		var err error
		if client {
			pc, err = dtls.ClientWithOptions(pl, ours.LocalAddr(), dtls.WithInsecureSkipVerify(true),
				dtls.WithExtendedMasterSecret(dtls.DisableExtendedMasterSecret))
		} else {
			tc, _ := tlsCertificate(cert)
			pc, err = dtls.ServerWithOptions(pl, ours.LocalAddr(), dtls.WithCertificates(tc),
				dtls.WithExtendedMasterSecret(dtls.DisableExtendedMasterSecret))
		}
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = pc.HandshakeContext(ctx)
			cancel()
			defer pc.Close()
			time.Sleep(100 * time.Millisecond)
		}
		done <- err
	}()
	return NewConn(NewNetBaseSocket(ours), !client), done
}

func TestTLSExporterNeedsExtendedMasterSecret(t *testing.T) {
	cert := testCert(t)
	for _, peerIsClient := range []bool{true, false} {
		ours, done := pionPeer(t, peerIsClient, cert)
		cfg := Config{IsClient: !peerIsClient, HandshakeTimeout: 10 * time.Second}
		if peerIsClient {
			cfg.Certificate = cert
		}
		ours.BeginHandshake()
		if err := ours.RunHandshake(context.Background(), cfg, &acceptAll{}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if info, _ := ours.Info(); info.ExtendedMaster {
			t.Fatal("extended master secret reported though the peer disabled it")
		}
		if _, err := ours.ChannelBinding(ChannelBindingTLSExporter); !errors.Is(err, ErrChannelBindingNotSupp) {
			t.Fatalf("tls-exporter without EMS: %v", err)
		}
		if b, err := ours.ChannelBinding(ChannelBindingTLSServerEndPoint); err != nil || len(b) != 32 {
			t.Fatalf("tls-server-end-point: %x %v", b, err)
		}
		// tls-unique does not need it (as GLib's other backends have it).
		if b, err := ours.ChannelBinding(ChannelBindingTLSUnique); err != nil || len(b) != 12 {
			t.Fatalf("tls-unique: %x %v", b, err)
		}
		ours.Close()
	}
}

func TestServerEndPointHashFollowsSignatureAlgorithm(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // testpki's are P-256
	edKey := testpki.NewKey(t, "ed25519")
	cases := []struct {
		key  crypto.Signer
		alg  x509.SignatureAlgorithm
		hash crypto.Hash // 0: undefined
	}{
		{ecKey, x509.ECDSAWithSHA256, crypto.SHA256},
		{ecKey, x509.ECDSAWithSHA384, crypto.SHA384},
		{ecKey, x509.ECDSAWithSHA512, crypto.SHA512},
		{edKey, x509.PureEd25519, 0},
	}
	for _, c := range cases {
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, SignatureAlgorithm: c.alg}
		der := testpki.Issue(t, tmpl, c.key, nil).DER()
		got, err := serverEndPoint(der)
		if c.hash == 0 {
			if !errors.Is(err, ErrChannelBindingNotSupp) {
				t.Fatalf("%v: %x %v", c.alg, got, err)
			}
			continue
		}
		h := c.hash.New()
		h.Write(der)
		if err != nil || !bytes.Equal(got, h.Sum(nil)) {
			t.Fatalf("%v: %x %v", c.alg, got, err)
		}
	}
}
