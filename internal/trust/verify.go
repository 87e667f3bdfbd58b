package trust

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"time"
)

// CertificateFlags mirrors GTlsCertificateFlags bit for bit (package export
// checks it at compile time).
type CertificateFlags uint32

const (
	FlagUnknownCA CertificateFlags = 1 << iota
	FlagBadIdentity
	FlagNotActivated
	FlagExpired
	FlagRevoked
	FlagInsecure
	FlagGenericError
)

// String names the flags as GLib does, "none" for none.
func (f CertificateFlags) String() string {
	names := []string{"UNKNOWN_CA", "BAD_IDENTITY", "NOT_ACTIVATED", "EXPIRED", "REVOKED", "INSECURE", "GENERIC_ERROR"}
	var set []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, "|")
}

// The purposes of g_tls_database_verify_chain: extended key usage OIDs.
const (
	PurposeAuthenticateServer = "1.3.6.1.5.5.7.3.1"
	PurposeAuthenticateClient = "1.3.6.1.5.5.7.3.2"
)

const maxChainDepth = 16

// timeNow is the clock verification reads; tests move it.
var timeNow = time.Now

// Identity is what a GSocketConnectable names: a host name or an IP
// literal. Check false means no identity was given (never BAD_IDENTITY); a
// check with an empty Host is an identity that names no host (always
// BAD_IDENTITY).
type Identity struct {
	Check bool
	Host  string
}

// HostIdentity is the identity of a host name or IP literal.
func HostIdentity(host string) Identity { return Identity{Check: true, Host: host} }

// Verify is g_tls_certificate_verify: identity against the certificate's
// names; and, when trustedCA is not nil, the chain (this certificate and
// its issuers) against trustedCA alone. Without trustedCA neither trust nor
// validity times are checked, as in both glib-networking backends.
func (c *Certificate) Verify(identity Identity, trustedCA *Certificate) CertificateFlags {
	var flags CertificateFlags
	if trustedCA != nil {
		flags = verifyChain(c, newAnchorSet([]*x509.Certificate{trustedCA.leaf}), "", timeNow())
	}
	return flags | c.verifyIdentity(identity)
}

func (c *Certificate) verifyIdentity(id Identity) CertificateFlags {
	if !id.Check || c.MatchesHost(id.Host) {
		return 0
	}
	return FlagBadIdentity
}

// MatchesHost says whether the certificate names host (a DNS name or an IP
// literal) in its subjectAltNames, or, lacking DNS names there, in its
// common name (as GnuTLS and RFC 6125 allow).
func (c *Certificate) MatchesHost(host string) bool {
	if host == "" {
		return false
	}
	if c.leaf.VerifyHostname(host) == nil {
		return true
	}
	if len(c.leaf.DNSNames) > 0 || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return false
	}
	cn := c.leaf.Subject.CommonName
	return cn != "" && matchHostname(cn, host)
}

func matchHostname(pattern, host string) bool {
	// Exact, as GnuTLS compares common names: no trailing-dot folding.
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		_, hostRest, found := strings.Cut(host, ".")
		return found && rest != "" && strings.Contains(rest, ".") && hostRest == rest
	}
	return pattern == host
}

// verifyChain checks chain against anchors at now for purpose ("" for
// any). crypto/x509's verifier judges; when it refuses, our own path
// search (which ignores validity times) says which flags apply.
func verifyChain(chain *Certificate, anchors *anchorSet, purpose string, now time.Time) CertificateFlags {
	flags, _ := verifyChainPath(chain, anchors, purpose, now)
	return flags
}

// verifyChainPath is verifyChain, with the path that verified when the
// verdict is 0.
func verifyChainPath(chain *Certificate, anchors *anchorSet, purpose string, now time.Time) (CertificateFlags, []*x509.Certificate) {
	intermediates := x509.NewCertPool()
	for _, c := range chain.chain()[1:] {
		intermediates.AddCert(c)
	}
	paths, err := chain.leaf.Verify(x509.VerifyOptions{
		Roots:         anchors.pool(),
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, // purposeAllowed checks
	})
	if err == nil {
		for _, path := range paths {
			if purposeAllowed(path, purpose) {
				return 0, path
			}
		}
	}

	path, flags := anchors.buildPath(chain)
	if path == nil {
		return flags | FlagUnknownCA, nil
	}
	for _, c := range path {
		if now.Before(c.NotBefore) {
			flags |= FlagNotActivated
		}
		if now.After(c.NotAfter) {
			flags |= FlagExpired
		}
	}
	if !purposeAllowed(path, purpose) {
		flags |= FlagGenericError
	}
	if flags != 0 {
		return flags, nil
	}

	// Our path looks fine, but crypto/x509 found none (or none fit for
	// purpose): it checks what we do not model, such as name constraints.
	var unknownAuthority x509.UnknownAuthorityError
	var insecure x509.InsecureAlgorithmError
	switch {
	case errors.As(err, &unknownAuthority):
		return FlagUnknownCA, nil
	case errors.As(err, &insecure):
		return FlagInsecure, nil
	default:
		return FlagGenericError, nil
	}
}

// purposeAllowed: every certificate of path but the anchor (trusted as
// configured) allows purpose.
func purposeAllowed(path []*x509.Certificate, purpose string) bool {
	if purpose == "" {
		return true
	}
	for _, c := range path[:len(path)-1] {
		if !allowsPurpose(c, purpose) {
			return false
		}
	}
	return true
}

// buildPath finds a path from chain's certificate to an anchor through the
// certificates of chain, by names and signatures. A link signed with an
// algorithm too weak to trust still counts, flagged INSECURE.
func (s *anchorSet) buildPath(chain *Certificate) ([]*x509.Certificate, CertificateFlags) {
	presented := chain.chain()
	cur := presented[0]
	path := []*x509.Certificate{cur}
	var flags CertificateFlags
	for len(path) <= maxChainDepth {
		if s.contains(cur) {
			return path, flags
		}
		if a, f, ok := findIssuer(cur, s.bySubject[string(cur.RawIssuer)]); ok {
			return append(path, a), flags | f
		}
		next, f, ok := findIssuer(cur, unused(presented[1:], path))
		if !ok {
			return nil, flags
		}
		flags |= f
		path = append(path, next)
		cur = next
	}
	return nil, flags
}

func unused(certs, path []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
outer:
	for _, c := range certs {
		for _, p := range path {
			if c == p || c.Equal(p) {
				continue outer
			}
		}
		out = append(out, c)
	}
	return out
}

func findIssuer(c *x509.Certificate, candidates []*x509.Certificate) (*x509.Certificate, CertificateFlags, bool) {
	var weak *x509.Certificate
	for _, cand := range candidates {
		if !issuedBy(c, cand) {
			continue
		}
		err := c.CheckSignatureFrom(cand)
		if err == nil {
			return cand, 0, true
		}
		var insecure x509.InsecureAlgorithmError
		if weak == nil && errors.As(err, &insecure) {
			weak = cand
		}
	}
	if weak != nil {
		return weak, FlagInsecure, true
	}
	return nil, 0, false
}

var extKeyUsageOIDs = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "1.3.6.1.5.5.7.3.1",
	x509.ExtKeyUsageClientAuth:      "1.3.6.1.5.5.7.3.2",
	x509.ExtKeyUsageCodeSigning:     "1.3.6.1.5.5.7.3.3",
	x509.ExtKeyUsageEmailProtection: "1.3.6.1.5.5.7.3.4",
	x509.ExtKeyUsageIPSECEndSystem:  "1.3.6.1.5.5.7.3.5",
	x509.ExtKeyUsageIPSECTunnel:     "1.3.6.1.5.5.7.3.6",
	x509.ExtKeyUsageIPSECUser:       "1.3.6.1.5.5.7.3.7",
	x509.ExtKeyUsageTimeStamping:    "1.3.6.1.5.5.7.3.8",
	x509.ExtKeyUsageOCSPSigning:     "1.3.6.1.5.5.7.3.9",
}

// allowsPurpose: a certificate without extended key usages allows every
// purpose (RFC 5280); one with them must list purpose or anyExtendedKeyUsage.
func allowsPurpose(c *x509.Certificate, purpose string) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageAny || extKeyUsageOIDs[u] == purpose {
			return true
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		if oid.String() == purpose {
			return true
		}
	}
	return false
}
