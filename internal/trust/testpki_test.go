package trust

import (
	"crypto/x509"
	"testing"

	"github.com/dtlsgo/dtlsgo/internal/testpki"
)

// The shared test PKI (internal/testpki) as this package's types.

// certOf is c as a Certificate without key or issuer.
func certOf(t testing.TB, c *testpki.Cert) *Certificate {
	t.Helper()
	got, err := NewCertificate(CertificateSource{DER: c.DER()})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// chainOf links certs (leaf first) as Certificates.
func chainOf(t testing.TB, certs ...*testpki.Cert) *Certificate {
	t.Helper()
	var c *Certificate
	for i := len(certs) - 1; i >= 0; i-- {
		var err error
		c, err = NewCertificate(CertificateSource{DER: certs[i].DER(), Issuer: c})
		if err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func anchorsOf(certs ...*testpki.Cert) *anchorSet {
	var xs []*x509.Certificate
	for _, c := range certs {
		xs = append(xs, c.X)
	}
	return newAnchorSet(xs)
}
