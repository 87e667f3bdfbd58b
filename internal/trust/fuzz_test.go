package trust

// Fuzz targets for what the trust store decodes: certificates, keys,
// PKCS #12, PEM bundles, database handles and names, host names. Seeds:
// testdata/fuzz/<target> and the f.Add calls. Certificates (PEM) and
// distinguished names have their targets in certificate_test.go and
// dn_test.go.

import (
	"bytes"
	"crypto/x509"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

// parsed checks a decoder's result: a value or an error, never both nor
// neither, and an error only of the given kinds. It reports whether a value
// came back.
func parsed(t *testing.T, ok bool, err error, kinds ...error) bool {
	t.Helper()
	if ok == (err != nil) {
		t.Fatalf("a value (%v) and the error %v", ok, err)
	}
	if err != nil && !slices.Contains(kinds, errkind.Kind(err)) {
		t.Fatalf("error of kind %v: %v", errkind.Kind(err), err)
	}
	return ok
}

func FuzzNewCertificateDER(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, []byte{0x30})
	f.Fuzz(func(t *testing.T, der, key []byte) {
		src := CertificateSource{DER: der}
		if len(key) > 0 {
			src.KeyDER = key
		}
		c, err := NewCertificate(src)
		if !parsed(t, c != nil, err, errkind.ErrBadCertificate) {
			return
		}
		// Everything GTlsCertificate's properties read must work.
		_, _, _, _ = c.SubjectName(), c.IssuerName(), c.DNSNames(), c.IPAddresses()
		again, err := NewCertificate(CertificateSource{PEM: c.PEM()})
		if err != nil || !again.IsSame(c) {
			t.Fatalf("PEM round trip: %v", err)
		}
		if c.PrivateKey() != nil {
			if _, err := ParsePrivateKeyDER(c.PrivateKeyDER()); err != nil {
				t.Fatalf("private key round trip: %v", err)
			}
			_ = c.PrivateKeyPEM()
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	f.Add([]byte{}, "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n")
	f.Add([]byte{0x30, 0}, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMAA=\n-----END EC PRIVATE KEY-----\n")
	f.Fuzz(func(t *testing.T, der []byte, text string) {
		for _, parse := range []func() (any, error){
			func() (any, error) { return ParsePrivateKeyDER(der) },
			func() (any, error) { return ParsePrivateKeyPEM(text) },
		} {
			k, err := parse()
			parsed(t, k != nil, err, errkind.ErrBadCertificate)
		}
	})
}

func FuzzParsePKCS12(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03}, "")
	f.Add([]byte{}, "password")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		c, err := ParsePKCS12(data, password)
		if !parsed(t, c != nil, err, errkind.ErrBadCertificate, errkind.ErrBadCertificatePassword) {
			return
		}
		if c.PrivateKey() == nil || !keyMatches(c.Leaf(), c.PrivateKey()) {
			t.Fatal("a PKCS #12 certificate without its matching key")
		}
	})
}

func FuzzParseCertificateChainDER(f *testing.F) {
	f.Add([]byte{0x30, 0x00}, []byte("junk"))
	f.Fuzz(func(t *testing.T, leaf, issuer []byte) {
		c, err := ParseCertificateChainDER([][]byte{leaf, issuer})
		if !parsed(t, c != nil, err, errkind.ErrBadCertificate) {
			return
		}
		if !bytes.Equal(c.DER(), leaf) {
			t.Fatal("the chain does not start with the leaf")
		}
		for _, der := range c.ChainDER() {
			if !bytes.Equal(der, leaf) && !bytes.Equal(der, issuer) {
				t.Fatal("a chain member that was not given")
			}
		}
	})
}

func FuzzParseAnchorsPEM(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs := parseAnchorsPEM(data)
		set := newAnchorSet(certs)
		db := &Database{handlePrefix: "file:///x", anchors: func() (*anchorSet, error) { return set, nil }}
		for _, c := range certs {
			parsed := certificateFromX509(c)
			got, err := db.LookupHandle(db.CertificateHandle(parsed))
			if err != nil || got == nil || !got.IsSame(parsed) {
				t.Fatalf("anchor not found by its handle: %v", err)
			}
		}
	})
}

func FuzzDatabaseLookups(f *testing.F) {
	pemData, err := os.ReadFile("testdata/fuzz-anchors.pem")
	if err != nil {
		f.Fatal(err)
	}
	set := newAnchorSet(parseAnchorsPEM(pemData))
	db := &Database{handlePrefix: "file:///anchors.pem", anchors: func() (*anchorSet, error) { return set, nil }}
	for _, a := range set.certs {
		f.Add(db.CertificateHandle(certificateFromX509(a)), a.RawSubject)
	}
	f.Add("file:///anchors.pem#zz", []byte{0x30, 0})
	f.Fuzz(func(t *testing.T, handle string, rawDN []byte) {
		// The hex digest is read in either case.
		if c, err := db.LookupHandle(handle); err != nil || (c != nil && !strings.EqualFold(db.CertificateHandle(c), handle)) {
			t.Fatalf("LookupHandle(%q) = %v, %v", handle, c, err)
		}
		for _, keyPair := range []bool{false, true} {
			certs, err := db.LookupIssuedBy(rawDN, keyPair)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range certs {
				if !bytes.Equal(c.Leaf().RawIssuer, rawDN) {
					t.Fatalf("LookupIssuedBy(%x) found a certificate of another issuer", rawDN)
				}
			}
		}
	})
}

func FuzzMatchHostname(f *testing.F) {
	f.Add("*.example.com", "www.example.com")
	f.Add("*.", ".")
	f.Add("LOCALHOST", "localhost")
	f.Fuzz(func(t *testing.T, pattern, host string) {
		if matchHostname(pattern, host) && !strings.HasPrefix(pattern, "*.") && !strings.EqualFold(pattern, host) {
			t.Fatalf("%q matched %q", pattern, host)
		}
		_ = newFuzzLeaf(pattern).verifyIdentity(HostIdentity(host))
	})
}

// newFuzzLeaf is a certificate for pattern (unsigned: only its names
// matter to verifyIdentity).
func newFuzzLeaf(pattern string) *Certificate {
	return certificateFromX509(&x509.Certificate{DNSNames: []string{pattern}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
}
