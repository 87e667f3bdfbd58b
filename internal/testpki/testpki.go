// Package testpki makes the small PKI, in memory, that the Go tests of every
// dtlsgo package share (the Python tests make theirs with openssl).
package testpki

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

// Cert is a certificate with its private key. It is plain crypto/x509, so
// the trust store's own tests can use it without an import cycle.
type Cert struct {
	X   *x509.Certificate
	Key crypto.Signer
}

func (c *Cert) DER() []byte { return c.X.Raw }
func (c *Cert) PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.X.Raw}))
}

// KeyDER is c's private key as PKCS #8 DER.
func (c *Cert) KeyDER(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

var serial atomic.Int64

// NewKey makes a key of alg: "rsa", "ecdsa" or "ed25519".
func NewKey(t testing.TB, alg string) crypto.Signer {
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

// The validity window of every certificate issued without one.
var (
	NotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	NotAfter  = time.Date(2098, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Issue signs tmpl for key with parent (nil: self-signed). Unset validity
// gets the default window.
func Issue(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *Cert) *Cert {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(serial.Add(1))
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = NotBefore, NotAfter
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.X, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{X: x, Key: key}
}

func CATemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"dtlsgo tests"}, CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func LeafTemplate(cn string, eku x509.ExtKeyUsage, dns ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"dtlsgo tests"}, CommonName: cn},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{eku},
		DNSNames:              dns,
	}
}

// PKI is a root, an intermediate (path length 0) and three leaves it
// issued: a server for "localhost", a server for 127.0.0.1 and ::1, a client.
type PKI struct {
	Root, Intermediate, Server, ServerIP, Client *Cert
}

func New(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{}
	p.Root = Issue(t, CATemplate("Test Root"), NewKey(t, "ecdsa"), nil)
	inter := CATemplate("Test Intermediate")
	inter.MaxPathLenZero = true
	p.Intermediate = Issue(t, inter, NewKey(t, "ecdsa"), p.Root)
	p.Server = Issue(t, LeafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost"), NewKey(t, "ecdsa"), p.Intermediate)
	ipTmpl := LeafTemplate("ip", x509.ExtKeyUsageServerAuth)
	ipTmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1").To4(), net.ParseIP("::1")}
	p.ServerIP = Issue(t, ipTmpl, NewKey(t, "ecdsa"), p.Intermediate)
	p.Client = Issue(t, LeafTemplate("client", x509.ExtKeyUsageClientAuth), NewKey(t, "ecdsa"), p.Intermediate)
	return p
}

// SelfSigned is a self-signed server certificate, CN=localhost, valid
// for an hour either side of now, for tests that verify nothing.
func SelfSigned(t testing.TB) *Cert {
	t.Helper()
	tmpl := LeafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost")
	tmpl.Subject = pkix.Name{CommonName: "localhost"}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	return Issue(t, tmpl, NewKey(t, "ecdsa"), nil)
}
