package dtlsgo

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

func TestParsePKCS12(t *testing.T) {
	p := newTestPKI(t)
	data, err := pkcs12.Modern.Encode(p.server.key, p.server.x, []*x509.Certificate{p.root.x, p.intermediate.x}, "secret")
	if err != nil {
		t.Fatal(err)
	}

	c, err := ParsePKCS12(data, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSame(p.server.parsed(t)) || c.PrivateKey() == nil || !keyMatches(c.Leaf(), c.PrivateKey()) {
		t.Error("leaf or key wrong")
	}
	// The extra certificates come out linked, whatever their order.
	if ders := c.ChainDER(); len(ders) != 3 || !c.Issuer().IsSame(p.intermediate.parsed(t)) || !c.Issuer().Issuer().IsSame(p.root.parsed(t)) {
		t.Errorf("chain of %d", len(ders))
	}

	for _, pw := range []string{"", "wrong"} {
		c, err := ParsePKCS12(data, pw)
		if c != nil || !errors.Is(err, ErrBadCertificatePassword) || Kind(err) != ErrBadCertificatePassword {
			t.Errorf("password %q: %v, %v", pw, c, err)
		}
	}
	for name, bad := range map[string][]byte{"empty": nil, "garbage": []byte("garbage"), "truncated": data[:len(data)/2]} {
		c, err := ParsePKCS12(bad, "secret")
		if c != nil || !errors.Is(err, ErrBadCertificate) || !strings.HasPrefix(err.Error(), "Failed to import PKCS #12") {
			t.Errorf("%s: %v, %v", name, c, err)
		}
	}
}

func TestParsePKCS12LeafNotFirst(t *testing.T) {
	p := newTestPKI(t)
	// The first certificate is the intermediate; only the key tells the leaf.
	data, err := pkcs12.LegacyDES.Encode(p.client.key, p.intermediate.x, []*x509.Certificate{p.client.x}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParsePKCS12(data, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSame(p.client.parsed(t)) || c.Issuer() == nil || !c.Issuer().IsSame(p.intermediate.parsed(t)) {
		t.Error("the leaf was not picked by its key")
	}

	stray, _ := pkcs12.Modern.Encode(p.client.key, p.server.x, nil, "pw")
	if _, err := ParsePKCS12(stray, "pw"); !errors.Is(err, ErrBadCertificate) || !strings.Contains(err.Error(), "matches its private key") {
		t.Errorf("key for no certificate: %v", err)
	}
}
