package trust

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"net"
	"time"
)

// Certificate is what a GTlsCertificate of this backend holds: a parsed
// X.509 certificate, the certificate of its issuer when known, and its
// private key when it has one. It never changes once built, so C may share
// it between threads and objects.
type Certificate struct {
	leaf   *x509.Certificate
	issuer *Certificate
	key    crypto.Signer
	// lockedKey is an encrypted PKCS #8 key waiting for its password (see
	// encryptedkey.go); key is nil meanwhile.
	lockedKey []byte
}

// CertificateSource is what GTlsCertificate's construct properties can say:
// the certificate as DER or PEM, optionally a private key as DER or PEM, and
// the issuer's certificate.
type CertificateSource struct {
	DER    []byte
	PEM    string
	KeyDER []byte
	KeyPEM string
	Issuer *Certificate
}

// NewCertificate builds a Certificate from what GTlsCertificate's
// construct properties say; every failure is an errkind.ErrBadCertificate naming
// the problem.
func NewCertificate(src CertificateSource) (*Certificate, error) {
	var leaf *x509.Certificate
	var err error
	switch {
	case src.DER != nil && src.PEM != "":
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Both DER and PEM certificate data provided")
	case src.DER != nil:
		if leaf, err = parseShared(src.DER); err != nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse DER certificate: %v", err)
		}
	case src.PEM != "":
		if leaf, err = parseCertificatePEM(src.PEM); err != nil {
			return nil, err
		}
	default:
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "No certificate data provided")
	}

	c := &Certificate{leaf: leaf, issuer: src.Issuer}
	switch {
	case src.KeyDER != nil && src.KeyPEM != "":
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Both DER and PEM private key data provided")
	case src.KeyDER != nil && isEncryptedPrivateKey(src.KeyDER):
		c.lockedKey = src.KeyDER
	case src.KeyDER != nil:
		c.key, err = ParsePrivateKeyDER(src.KeyDER)
	case src.KeyPEM != "":
		if der, ok := encryptedKeyPEM(src.KeyPEM); ok {
			c.lockedKey = der
		} else {
			c.key, err = ParsePrivateKeyPEM(src.KeyPEM)
		}
	}
	if err != nil {
		return nil, err
	}
	if c.key != nil {
		if err := c.checkKey(c.key); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseCertificatePEM(text string) (*x509.Certificate, error) {
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PEM certificate: no PEM-encoded certificate found")
		}
		if block.Type != "CERTIFICATE" && block.Type != "X509 CERTIFICATE" {
			continue
		}
		leaf, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse PEM certificate: %v", err)
		}
		return leaf, nil
	}
}

func certificateFromX509(leaf *x509.Certificate) *Certificate { return &Certificate{leaf: leaf} }

// ParseCertificateChainDER builds a certificate and its issuers from a list
// of DER certificates, leaf first, as a peer sends them. Peers may send the
// rest out of order or with extras, so each issuer is found by name.
func ParseCertificateChainDER(ders [][]byte) (*Certificate, error) {
	if len(ders) == 0 {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "No certificate data provided")
	}
	certs := make([]*x509.Certificate, len(ders))
	for i, der := range ders {
		c, err := parseShared(der)
		if err != nil {
			return nil, errkind.Errorf(errkind.ErrBadCertificate, "Could not parse DER certificate %d of the chain: %v", i, err)
		}
		certs[i] = c
	}
	return linkChain(certs[0], certs[1:]), nil
}

// linkChain makes leaf's issuer chain out of candidates: each next link is
// an unused candidate that names the current certificate's issuer (the
// following one preferred). Never loops; unused candidates are dropped.
func linkChain(leaf *x509.Certificate, candidates []*x509.Certificate) *Certificate {
	used := make([]bool, len(candidates))
	path := []*x509.Certificate{leaf}
	cur, at := leaf, -1
	for !isSelfIssued(cur) {
		next := -1
		if at+1 < len(candidates) && !used[at+1] && issuedBy(cur, candidates[at+1]) {
			next = at + 1
		} else {
			for i, cand := range candidates {
				if !used[i] && issuedBy(cur, cand) {
					next = i
					break
				}
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		cur, at = candidates[next], next
		path = append(path, cur)
	}
	var c *Certificate
	for i := len(path) - 1; i >= 0; i-- {
		c = &Certificate{leaf: path[i], issuer: c}
	}
	return c
}

func isSelfIssued(c *x509.Certificate) bool { return issuedBy(c, c) }

// issuedBy says whether parent's name (and key identifier, when both say
// one) is the one c names as its issuer. It does not check signatures.
func issuedBy(c, parent *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, parent.RawSubject) {
		return false
	}
	if len(c.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
		return bytes.Equal(c.AuthorityKeyId, parent.SubjectKeyId)
	}
	return true
}

// NeedsPassword says whether the private key is encrypted and waits for
// Unlock.
func (c *Certificate) NeedsPassword() bool { return c.lockedKey != nil }

// checkKey refuses a private key that is not the leaf's.
func (c *Certificate) checkKey(key crypto.Signer) error {
	if !keyMatches(c.leaf, key) {
		return errkind.Errorf(errkind.ErrBadCertificate, "Private key does not match the certificate (subject %s)", c.SubjectName())
	}
	return nil
}

// Unlock returns the certificate with its encrypted private key opened by
// password (c itself when it has no locked key). A wrong password is
// errkind.ErrBadCertificatePassword.
func (c *Certificate) Unlock(password []byte) (*Certificate, error) {
	if c.lockedKey == nil {
		return c, nil
	}
	k, err := decryptPrivateKey(c.lockedKey, password)
	if err != nil {
		return nil, err
	}
	key, err := asSigner(k)
	if err != nil {
		return nil, err
	}
	if err := c.checkKey(key); err != nil {
		return nil, err
	}
	u := *c
	u.key, u.lockedKey = key, nil
	return &u, nil
}

// Leaf is the parsed certificate itself.
func (c *Certificate) Leaf() *x509.Certificate { return c.leaf }

// Issuer is the certificate of the issuer, when known.
func (c *Certificate) Issuer() *Certificate { return c.issuer }

// PrivateKey is the certificate's private key, or nil.
func (c *Certificate) PrivateKey() crypto.Signer { return c.key }

// DER is the certificate's DER encoding.
func (c *Certificate) DER() []byte { return c.leaf.Raw }

// PEM is the certificate in PEM, as GnuTLS writes it.
func (c *Certificate) PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.leaf.Raw}))
}

// ChainDER lists the DER of the certificate then of each known issuer.
func (c *Certificate) ChainDER() [][]byte {
	var ders [][]byte
	for ; c != nil; c = c.issuer {
		ders = append(ders, c.leaf.Raw)
	}
	return ders
}

// chain lists the certificate then each known issuer.
func (c *Certificate) chain() []*x509.Certificate {
	var certs []*x509.Certificate
	for ; c != nil; c = c.issuer {
		certs = append(certs, c.leaf)
	}
	return certs
}

// PrivateKeyDER is the private key as unencrypted PKCS #8 (what GLib says
// the private-key property reads as), or nil.
func (c *Certificate) PrivateKeyDER() []byte {
	if c.key == nil {
		return nil
	}
	der, err := marshalPrivateKey(c.key)
	if err != nil {
		return nil
	}
	return der
}

// PrivateKeyPEM is PrivateKeyDER in PEM, or "".
func (c *Certificate) PrivateKeyPEM() string {
	der := c.PrivateKeyDER()
	if der == nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (c *Certificate) NotBefore() time.Time { return c.leaf.NotBefore }
func (c *Certificate) NotAfter() time.Time  { return c.leaf.NotAfter }

// SubjectName is the subject DN as GnuTLS formats it.
func (c *Certificate) SubjectName() string {
	return formatName(c.leaf.RawSubject, c.leaf.Subject.String())
}

// IssuerName is the issuer DN as GnuTLS formats it.
func (c *Certificate) IssuerName() string {
	return formatName(c.leaf.RawIssuer, c.leaf.Issuer.String())
}

func formatName(raw []byte, fallback string) string {
	if s, ok := FormatDN(raw); ok {
		return s
	}
	return fallback
}

// DNSNames lists the subjectAltName DNS names.
func (c *Certificate) DNSNames() []string { return c.leaf.DNSNames }

// IPAddresses lists the subjectAltName IP addresses, 4 or 16 bytes each as
// encoded.
func (c *Certificate) IPAddresses() []net.IP { return c.leaf.IPAddresses }

// IsSame compares the certificates' DER, as g_tls_certificate_is_same does.
func (c *Certificate) IsSame(other *Certificate) bool {
	return other != nil && bytes.Equal(c.leaf.Raw, other.leaf.Raw)
}
