package trust

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"strings"
	"testing"
)

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// keyEncodings lists every encoding GLib users may hand us for key.
func keyEncodings(t *testing.T, key crypto.Signer) map[string]CertificateSource {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]CertificateSource{
		"pkcs8-der": {KeyDER: pkcs8},
		"pkcs8-pem": {KeyPEM: pemOf("PRIVATE KEY", pkcs8)},
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		der := x509.MarshalPKCS1PrivateKey(k)
		out["pkcs1-der"] = CertificateSource{KeyDER: der}
		out["pkcs1-pem"] = CertificateSource{KeyPEM: pemOf("RSA PRIVATE KEY", der)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		out["sec1-der"] = CertificateSource{KeyDER: der}
		// openssl writes the curve in its own block first.
		out["sec1-pem"] = CertificateSource{KeyPEM: pemOf("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}) + pemOf("EC PRIVATE KEY", der)}
	}
	return out
}

func TestNewCertificateKeyFormats(t *testing.T) {
	for _, alg := range []string{"rsa", "ecdsa", "ed25519"} {
		key := testpki.NewKey(t, alg)
		cert := testpki.Issue(t, testpki.LeafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost"), key, nil)
		for name, src := range keyEncodings(t, key) {
			t.Run(alg+"/"+name, func(t *testing.T) {
				src.PEM = cert.PEM()
				c, err := NewCertificate(src)
				if err != nil {
					t.Fatal(err)
				}
				if !keyMatches(c.Leaf(), c.PrivateKey()) {
					t.Fatal("parsed key does not match its certificate")
				}
				// Read back as unencrypted PKCS #8, whatever the input.
				want, _ := x509.MarshalPKCS8PrivateKey(key)
				if !bytes.Equal(c.PrivateKeyDER(), want) {
					t.Error("private key DER is not the key's PKCS #8")
				}
				if c.PrivateKeyPEM() != pemOf("PRIVATE KEY", want) {
					t.Errorf("private key PEM: %q", c.PrivateKeyPEM())
				}
			})
		}
	}
}

func TestNewCertificateErrors(t *testing.T) {
	p := testpki.New(t)
	otherKey, _ := x509.MarshalPKCS8PrivateKey(p.Client.Key)
	encrypted := "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"
	legacyEncrypted := "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nMAA=\n-----END RSA PRIVATE KEY-----\n"
	for name, tc := range map[string]struct {
		src  CertificateSource
		want string
	}{
		"nothing":        {CertificateSource{}, "No certificate data provided"},
		"der and pem":    {CertificateSource{DER: p.Server.DER(), PEM: p.Server.PEM()}, "Both DER and PEM certificate"},
		"empty der":      {CertificateSource{DER: []byte{}}, "Could not parse DER certificate"},
		"garbage der":    {CertificateSource{DER: []byte("garbage")}, "Could not parse DER certificate"},
		"trailing der":   {CertificateSource{DER: append(p.Server.DER(), 0)}, "Could not parse DER certificate"},
		"no pem block":   {CertificateSource{PEM: "I am not a very good certificate."}, "no PEM-encoded certificate found"},
		"bad pem body":   {CertificateSource{PEM: pemOf("CERTIFICATE", []byte{0x30, 0x03, 1, 2, 3})}, "Could not parse PEM certificate"},
		"key mismatch":   {CertificateSource{DER: p.Server.DER(), KeyDER: otherKey}, "Private key does not match the certificate"},
		"two keys":       {CertificateSource{DER: p.Server.DER(), KeyDER: otherKey, KeyPEM: pemOf("PRIVATE KEY", otherKey)}, "Both DER and PEM private key"},
		"garbage key":    {CertificateSource{DER: p.Server.DER(), KeyDER: []byte("xx")}, "Could not parse DER private key"},
		"empty key":      {CertificateSource{DER: p.Server.DER(), KeyDER: []byte{}}, "Could not parse DER private key"},
		"no key block":   {CertificateSource{DER: p.Server.DER(), KeyPEM: "nothing"}, "no PEM-encoded private key found"},
		"encrypted key":  {CertificateSource{DER: p.Server.DER(), KeyPEM: encrypted}, "Cannot decrypt PEM-encoded private key"},
		"legacy encrypt": {CertificateSource{DER: p.Server.DER(), KeyPEM: legacyEncrypted}, "Cannot decrypt PEM-encoded private key"},
		"bad key body":   {CertificateSource{DER: p.Server.DER(), KeyPEM: pemOf("PRIVATE KEY", []byte{1, 2})}, "Could not parse PEM private key"},
		"dsa key":        {CertificateSource{DER: p.Server.DER(), KeyPEM: pemOf("DSA PRIVATE KEY", []byte{1, 2})}, "unsupported key type"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := NewCertificate(tc.src)
			if c != nil || err == nil {
				t.Fatalf("got %v, %v; want an error", c, err)
			}
			if !errors.Is(err, errkind.ErrBadCertificate) || errkind.Kind(err) != errkind.ErrBadCertificate {
				t.Errorf("error %v is not errkind.ErrBadCertificate", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestCertificateProperties(t *testing.T) {
	p := testpki.New(t)
	c := chainOf(t, p.ServerIP, p.Intermediate, p.Root)

	if c.PEM() != p.ServerIP.PEM() || !bytes.Equal(c.DER(), p.ServerIP.DER()) {
		t.Error("PEM/DER do not read back as given")
	}
	again, err := NewCertificate(CertificateSource{PEM: "junk before\n" + c.PEM() + "junk after"})
	if err != nil || !again.IsSame(c) {
		t.Errorf("PEM with surrounding text: %v", err)
	}
	ders := c.ChainDER()
	if len(ders) != 3 || !bytes.Equal(ders[0], p.ServerIP.DER()) || !bytes.Equal(ders[1], p.Intermediate.DER()) || !bytes.Equal(ders[2], p.Root.DER()) {
		t.Error("ChainDER is not leaf, intermediate, root")
	}
	if c.Issuer().Issuer().Issuer() != nil {
		t.Error("root has an issuer")
	}
	if c.PrivateKey() != nil || c.PrivateKeyDER() != nil || c.PrivateKeyPEM() != "" {
		t.Error("a certificate without key reports one")
	}
	ips := c.IPAddresses()
	if len(ips) != 2 || len(ips[0]) != 4 || ips[0].String() != "127.0.0.1" || len(ips[1]) != 16 || ips[1].String() != "::1" {
		t.Errorf("IP addresses %v", ips)
	}
	if !c.NotBefore().Equal(testpki.NotBefore) || !c.NotAfter().Equal(testpki.NotAfter) {
		t.Errorf("validity %v – %v", c.NotBefore(), c.NotAfter())
	}
	if got, want := c.SubjectName(), "O=dtlsgo tests,CN=ip"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if got, want := c.IssuerName(), "O=dtlsgo tests,CN=Test Intermediate"; got != want {
		t.Errorf("issuer %q, want %q", got, want)
	}
	if names := chainOf(t, p.Server).DNSNames(); len(names) != 1 || names[0] != "localhost" {
		t.Errorf("DNS names %v", names)
	}
	if c.IsSame(chainOf(t, p.Server)) || !c.IsSame(chainOf(t, p.ServerIP)) || c.IsSame(nil) {
		t.Error("IsSame does not compare DER")
	}
}

func TestParseCertificateChainDER(t *testing.T) {
	p := testpki.New(t)
	for name, tc := range map[string]struct {
		in   []*testpki.Cert
		want []*testpki.Cert
	}{
		"in order":         {[]*testpki.Cert{p.Server, p.Intermediate, p.Root}, []*testpki.Cert{p.Server, p.Intermediate, p.Root}},
		"out of order":     {[]*testpki.Cert{p.Server, p.Root, p.Intermediate}, []*testpki.Cert{p.Server, p.Intermediate, p.Root}},
		"duplicates":       {[]*testpki.Cert{p.Server, p.Intermediate, p.Intermediate, p.Server}, []*testpki.Cert{p.Server, p.Intermediate}},
		"unrelated extra":  {[]*testpki.Cert{p.Server, p.Client, p.Intermediate}, []*testpki.Cert{p.Server, p.Intermediate}},
		"leaf only":        {[]*testpki.Cert{p.Server}, []*testpki.Cert{p.Server}},
		"self-signed root": {[]*testpki.Cert{p.Root, p.Root}, []*testpki.Cert{p.Root}},
	} {
		t.Run(name, func(t *testing.T) {
			var ders [][]byte
			for _, c := range tc.in {
				ders = append(ders, c.DER())
			}
			c, err := ParseCertificateChainDER(ders)
			if err != nil {
				t.Fatal(err)
			}
			got := c.ChainDER()
			if len(got) != len(tc.want) {
				t.Fatalf("chain of %d, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if !bytes.Equal(got[i], w.DER()) {
					t.Errorf("link %d is not %s", i, w.X.Subject.CommonName)
				}
			}
		})
	}

	if _, err := ParseCertificateChainDER(nil); !errors.Is(err, errkind.ErrBadCertificate) {
		t.Errorf("empty chain: %v", err)
	}
	_, err := ParseCertificateChainDER([][]byte{p.Server.DER(), []byte("junk")})
	if !errors.Is(err, errkind.ErrBadCertificate) || !strings.Contains(err.Error(), "certificate 1") {
		t.Errorf("bad second certificate: %v", err)
	}
}

func FuzzNewCertificatePEM(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, cert, key string) {
		c, err := NewCertificate(CertificateSource{PEM: cert, KeyPEM: key})
		if (c == nil) == (err == nil) {
			t.Fatalf("got %v and %v", c, err)
		}
		if err != nil && errkind.Kind(err) != errkind.ErrBadCertificate {
			t.Fatalf("error of kind %v", errkind.Kind(err))
		}
	})
}
