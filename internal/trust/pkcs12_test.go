package trust

import (
	"crypto/x509"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

func TestParsePKCS12(t *testing.T) {
	p := testpki.New(t)
	data, err := pkcs12.Modern.Encode(p.Server.Key, p.Server.X, []*x509.Certificate{p.Root.X, p.Intermediate.X}, "secret")
	if err != nil {
		t.Fatal(err)
	}

	c, err := ParsePKCS12(data, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSame(certOf(t, p.Server)) || c.PrivateKey() == nil || !keyMatches(c.Leaf(), c.PrivateKey()) {
		t.Error("leaf or key wrong")
	}
	// The extra certificates come out linked, whatever their order.
	if ders := c.ChainDER(); len(ders) != 3 || !c.Issuer().IsSame(certOf(t, p.Intermediate)) || !c.Issuer().Issuer().IsSame(certOf(t, p.Root)) {
		t.Errorf("chain of %d", len(ders))
	}

	for _, pw := range []string{"", "wrong"} {
		c, err := ParsePKCS12(data, pw)
		if c != nil || !errors.Is(err, errkind.ErrBadCertificatePassword) || errkind.Kind(err) != errkind.ErrBadCertificatePassword {
			t.Errorf("password %q: %v, %v", pw, c, err)
		}
	}
	for name, bad := range map[string][]byte{"empty": nil, "garbage": []byte("garbage"), "truncated": data[:len(data)/2]} {
		c, err := ParsePKCS12(bad, "secret")
		if c != nil || !errors.Is(err, errkind.ErrBadCertificate) || !strings.HasPrefix(err.Error(), "Failed to import PKCS #12") {
			t.Errorf("%s: %v, %v", name, c, err)
		}
	}
}

func TestParsePKCS12LeafNotFirst(t *testing.T) {
	p := testpki.New(t)
	// The first certificate is the intermediate; only the key tells the leaf.
	data, err := pkcs12.LegacyDES.Encode(p.Client.Key, p.Intermediate.X, []*x509.Certificate{p.Client.X}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParsePKCS12(data, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSame(certOf(t, p.Client)) || c.Issuer() == nil || !c.Issuer().IsSame(certOf(t, p.Intermediate)) {
		t.Error("the leaf was not picked by its key")
	}

	stray, _ := pkcs12.Modern.Encode(p.Client.Key, p.Server.X, nil, "pw")
	if _, err := ParsePKCS12(stray, "pw"); !errors.Is(err, errkind.ErrBadCertificate) || !strings.Contains(err.Error(), "matches its private key") {
		t.Errorf("key for no certificate: %v", err)
	}
}
