package trust

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Database is a trust store: the anchors a GTlsDatabase of this backend
// verifies chains against and looks certificates up in. Safe for
// concurrent use (GLib runs database calls on worker threads).
type Database struct {
	// handlePrefix starts every certificate handle: the anchor file's URI,
	// or "system-trust:".
	handlePrefix string
	anchors      func() (*anchorSet, error)
}

// NewFileDatabase loads the PEM certificates of the file at path (an
// absolute path, as GTlsFileDatabase requires) as anchors. handlePrefix is
// the file's URI.
func NewFileDatabase(path, handlePrefix string) (*Database, error) {
	if !filepath.IsAbs(path) {
		return nil, errkind.Errorf(errkind.ErrTLSMisc, "The anchor file name used with a GTlsFileDatabase must be an absolute path, and not relative: %q", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrTLSMisc, "Failed to populate trust list from %s: %v", path, err)
	}
	certs := parseAnchorsPEM(data)
	if len(certs) == 0 {
		return nil, errkind.Errorf(errkind.ErrTLSMisc, "Failed to populate trust list from %s: no certificate found", path)
	}
	set := newAnchorSet(certs)
	return &Database{handlePrefix: handlePrefix, anchors: func() (*anchorSet, error) { return set, nil }}, nil
}

// parseAnchorsPEM returns the certificates of the CERTIFICATE blocks of
// data, skipping ones that do not parse, as trust bundles are read.
func parseAnchorsPEM(data []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return certs
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
}

// VerifyChain is g_tls_database_verify_chain: chain (a certificate and its
// issuers) against the anchors for purpose (an extended key usage OID),
// then identity. A store that failed to load is an error.
func (d *Database) VerifyChain(chain *Certificate, purpose string, identity Identity) (CertificateFlags, error) {
	set, err := d.anchors()
	if err != nil {
		return FlagGenericError, err
	}
	return set.verify(chain, purpose, timeNow()) | chain.verifyIdentity(identity), nil
}

// AnchorPool is the anchors as a pool: what a server names in its
// CertificateRequest.
func (d *Database) AnchorPool() (*x509.CertPool, error) {
	set, err := d.anchors()
	if err != nil {
		return nil, err
	}
	return set.pool(), nil
}

// CertificateHandle names an anchor stably: the prefix, '#', the SHA-256 of
// its DER (as glib-networking does). "" when c is not an anchor.
func (d *Database) CertificateHandle(c *Certificate) string {
	set, err := d.anchors()
	if err != nil || !set.contains(c.leaf) {
		return ""
	}
	sum := sha256.Sum256(c.leaf.Raw)
	return d.handlePrefix + "#" + hex.EncodeToString(sum[:])
}

// LookupHandle returns the anchor a CertificateHandle names, or nil.
func (d *Database) LookupHandle(handle string) (*Certificate, error) {
	set, err := d.anchors()
	if err != nil {
		return nil, err
	}
	hexSum, ok := strings.CutPrefix(handle, d.handlePrefix+"#")
	if !ok {
		return nil, nil
	}
	sum, err := hex.DecodeString(hexSum)
	if err != nil || len(sum) != sha256.Size {
		return nil, nil
	}
	if a, ok := set.byHash[[sha256.Size]byte(sum)]; ok {
		return certificateFromX509(a), nil
	}
	return nil, nil
}

// LookupIssuer returns the anchor that issued c, or nil. Anchors have no
// private keys, so a key-pair lookup finds nothing.
func (d *Database) LookupIssuer(c *Certificate, keyPair bool) (*Certificate, error) {
	set, err := d.anchors()
	if err != nil || keyPair {
		return nil, err
	}
	if a, _, ok := findIssuer(c.leaf, set.bySubject[string(c.leaf.RawIssuer)]); ok {
		return certificateFromX509(a), nil
	}
	// No signature checks out: still answer by name, as GnuTLS does.
	for _, a := range set.bySubject[string(c.leaf.RawIssuer)] {
		if issuedBy(c.leaf, a) {
			return certificateFromX509(a), nil
		}
	}
	return nil, nil
}

// LookupIssuedBy returns the anchors whose issuer is the DER name rawDN, in
// file order.
func (d *Database) LookupIssuedBy(rawDN []byte, keyPair bool) ([]*Certificate, error) {
	set, err := d.anchors()
	if err != nil || keyPair {
		return nil, err
	}
	var out []*Certificate
	for _, a := range set.byIssuer[string(rawDN)] {
		out = append(out, certificateFromX509(a))
	}
	return out, nil
}

// anchorSet indexes trust anchors. Immutable once built.
type anchorSet struct {
	certs     []*x509.Certificate
	bySubject map[string][]*x509.Certificate
	byIssuer  map[string][]*x509.Certificate
	byHash    map[[sha256.Size]byte]*x509.Certificate
	poolOnce  sync.Once
	certPool  *x509.CertPool
	verified  verifyCache
}

func newAnchorSet(certs []*x509.Certificate) *anchorSet {
	s := &anchorSet{
		bySubject: map[string][]*x509.Certificate{},
		byIssuer:  map[string][]*x509.Certificate{},
		byHash:    map[[sha256.Size]byte]*x509.Certificate{},
	}
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		if _, dup := s.byHash[sum]; dup {
			continue
		}
		s.byHash[sum] = c
		s.certs = append(s.certs, c)
		s.bySubject[string(c.RawSubject)] = append(s.bySubject[string(c.RawSubject)], c)
		s.byIssuer[string(c.RawIssuer)] = append(s.byIssuer[string(c.RawIssuer)], c)
	}
	return s
}

func (s *anchorSet) contains(c *x509.Certificate) bool {
	_, ok := s.byHash[sha256.Sum256(c.Raw)]
	return ok
}

// pool is the anchors as crypto/x509 wants them, built on first use.
func (s *anchorSet) pool() *x509.CertPool {
	s.poolOnce.Do(func() {
		s.certPool = x509.NewCertPool()
		for _, c := range s.certs {
			s.certPool.AddCert(c)
		}
	})
	return s.certPool
}
