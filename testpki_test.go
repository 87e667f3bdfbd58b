package dtlsgo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// A small PKI made in memory for the Go tests (the Python tests make theirs
// with openssl).

type pkiCert struct {
	x   *x509.Certificate
	key crypto.Signer
}

func (c *pkiCert) der() []byte { return c.x.Raw }
func (c *pkiCert) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.x.Raw}))
}

// parsed is c as a Certificate without key or issuer.
func (c *pkiCert) parsed(t testing.TB) *Certificate {
	t.Helper()
	got, err := NewCertificate(CertificateSource{DER: c.der()})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var testSerial atomic.Int64

func newTestKey(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ecdsa":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key type %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	testNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2098, 1, 1, 0, 0, 0, 0, time.UTC)
)

// issue signs tmpl for key with parent (nil: self-signed). Unset validity
// gets the default window.
func issue(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *pkiCert) *pkiCert {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(testSerial.Add(1))
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = testNotBefore, testNotAfter
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.x, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pkiCert{x: x, key: key}
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"dtlsgo tests"}, CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func leafTemplate(cn string, eku x509.ExtKeyUsage, dns ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"dtlsgo tests"}, CommonName: cn},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{eku},
		DNSNames:              dns,
	}
}

type testPKI struct {
	root, intermediate, server, serverIP, client *pkiCert
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{}
	p.root = issue(t, caTemplate("Test Root"), newTestKey(t, "ecdsa"), nil)
	inter := caTemplate("Test Intermediate")
	inter.MaxPathLenZero = true
	p.intermediate = issue(t, inter, newTestKey(t, "ecdsa"), p.root)
	p.server = issue(t, leafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost"), newTestKey(t, "ecdsa"), p.intermediate)
	ipTmpl := leafTemplate("ip", x509.ExtKeyUsageServerAuth)
	ipTmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1").To4(), net.ParseIP("::1")}
	p.serverIP = issue(t, ipTmpl, newTestKey(t, "ecdsa"), p.intermediate)
	p.client = issue(t, leafTemplate("client", x509.ExtKeyUsageClientAuth), newTestKey(t, "ecdsa"), p.intermediate)
	return p
}

// chainOf links certs (leaf first) as Certificates.
func chainOf(t testing.TB, certs ...*pkiCert) *Certificate {
	t.Helper()
	var c *Certificate
	for i := len(certs) - 1; i >= 0; i-- {
		var err error
		c, err = NewCertificate(CertificateSource{DER: certs[i].der(), Issuer: c})
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func anchorsOf(certs ...*pkiCert) *anchorSet {
	var xs []*x509.Certificate
	for _, c := range certs {
		xs = append(xs, c.x)
	}
	return newAnchorSet(xs)
}
