package dtlsgo

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"
)

func TestVerifyAgainstTrustedCA(t *testing.T) {
	p := newTestPKI(t)
	inter := p.intermediate
	expired := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "expired"}, DNSNames: []string{"localhost"},
		NotBefore: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC),
	}, newTestKey(t, "ecdsa"), inter)
	future := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "future"}, DNSNames: []string{"localhost"},
		NotBefore: time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2095, 1, 1, 0, 0, 0, 0, time.UTC),
	}, newTestKey(t, "ecdsa"), inter)
	selfSigned := issue(t, leafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost"), newTestKey(t, "ecdsa"), nil)
	otherRoot := issue(t, caTemplate("Other Root"), newTestKey(t, "ecdsa"), nil)

	host := HostIdentity
	for name, tc := range map[string]struct {
		chain    *Certificate
		identity Identity
		ca       *pkiCert
		want     CertificateFlags
	}{
		"good via root":          {chainOf(t, p.server, inter), host("localhost"), p.root, 0},
		"good via intermediate":  {chainOf(t, p.server), host("localhost"), inter, 0},
		"full chain":             {chainOf(t, p.server, inter, p.root), Identity{}, p.root, 0},
		"missing intermediate":   {chainOf(t, p.server), Identity{}, p.root, FlagUnknownCA},
		"unrelated CA":           {chainOf(t, p.server, inter), Identity{}, otherRoot, FlagUnknownCA},
		"leaf as CA":             {chainOf(t, p.server, inter), Identity{}, p.client, FlagUnknownCA},
		"self-signed leaf":       {chainOf(t, selfSigned), Identity{}, p.root, FlagUnknownCA},
		"self-signed as own CA":  {chainOf(t, selfSigned), host("localhost"), selfSigned, 0},
		"expired":                {chainOf(t, expired, inter), Identity{}, p.root, FlagExpired},
		"not yet valid":          {chainOf(t, future, inter), Identity{}, p.root, FlagNotActivated},
		"wrong host":             {chainOf(t, p.server, inter), host("other.example"), p.root, FlagBadIdentity},
		"IP for DNS cert":        {chainOf(t, p.server, inter), host("127.0.0.1"), p.root, FlagBadIdentity},
		"IPv4 literal":           {chainOf(t, p.serverIP, inter), host("127.0.0.1"), p.root, 0},
		"IPv6 literal":           {chainOf(t, p.serverIP, inter), host("::1"), p.root, 0},
		"other IP":               {chainOf(t, p.serverIP, inter), host("127.0.0.2"), p.root, FlagBadIdentity},
		"identity naming none":   {chainOf(t, p.server, inter), host(""), p.root, FlagBadIdentity},
		"expired and wrong host": {chainOf(t, expired, inter), host("nope"), p.root, FlagExpired | FlagBadIdentity},
		// Without a CA neither trust nor time is checked (both
		// glib-networking backends do the same).
		"no CA, expired":       {chainOf(t, expired), Identity{}, nil, 0},
		"no CA, identity only": {chainOf(t, expired), host("nope"), nil, FlagBadIdentity},
	} {
		t.Run(name, func(t *testing.T) {
			var ca *Certificate
			if tc.ca != nil {
				ca = tc.ca.parsed(t)
			}
			if got := tc.chain.Verify(tc.identity, ca); got != tc.want {
				t.Errorf("flags %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestMatchesHost(t *testing.T) {
	key := newTestKey(t, "ecdsa")
	wild := issue(t, leafTemplate("x", x509.ExtKeyUsageServerAuth, "*.example.com", "Exact.Example.Org"), key, nil).parsed(t)
	cnOnly := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "legacy.example.net"}}, key, nil).parsed(t)
	cnWild := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "*.example.net"}}, key, nil).parsed(t)
	ipOnly := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "cn.example"}, IPAddresses: []net.IP{net.IPv4(10, 0, 0, 1)}}, key, nil).parsed(t)
	for _, tc := range []struct {
		c    *Certificate
		host string
		want bool
	}{
		{wild, "a.example.com", true},
		{wild, "A.EXAMPLE.COM", true},
		{wild, "a.b.example.com", false},
		{wild, "example.com", false},
		{wild, "exact.example.org", true},
		{wild, "", false},
		{cnOnly, "legacy.example.net", true},
		{cnOnly, "LEGACY.example.net", true},
		{cnOnly, "legacy.example.net.", false}, // GnuTLS does not fold the dot either
		{cnOnly, "other.example.net", false},
		{cnWild, "a.example.net", true},
		{cnWild, "a.b.example.net", false},
		{wild, "x", false}, // has DNS names: its common name never counts
		{ipOnly, "10.0.0.1", true},
		{ipOnly, "cn.example", true}, // IP SANs only: the common name still names a host
		{ipOnly, "10.0.0.2", false},
	} {
		if got := tc.c.MatchesHost(tc.host); got != tc.want {
			t.Errorf("%s matches %q: %v, want %v", tc.c.SubjectName(), tc.host, got, tc.want)
		}
	}
}

func TestVerifyChainPurpose(t *testing.T) {
	p := newTestPKI(t)
	anchors := anchorsOf(p.root)
	now := time.Now()
	noEKU := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "any"}}, newTestKey(t, "ecdsa"), p.intermediate)
	anyEKU := issue(t, leafTemplate("any", x509.ExtKeyUsageAny), newTestKey(t, "ecdsa"), p.intermediate)

	// An intermediate restricted to client auth cannot vouch for servers.
	clientCATmpl := caTemplate("Client-only CA")
	clientCATmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	clientCA := issue(t, clientCATmpl, newTestKey(t, "ecdsa"), p.root)
	serverUnderClientCA := issue(t, leafTemplate("s", x509.ExtKeyUsageServerAuth), newTestKey(t, "ecdsa"), clientCA)

	for name, tc := range map[string]struct {
		chain   *Certificate
		purpose string
		want    CertificateFlags
	}{
		"server as server":        {chainOf(t, p.server, p.intermediate), PurposeAuthenticateServer, 0},
		"server as client":        {chainOf(t, p.server, p.intermediate), PurposeAuthenticateClient, FlagGenericError},
		"client as client":        {chainOf(t, p.client, p.intermediate), PurposeAuthenticateClient, 0},
		"client as server":        {chainOf(t, p.client, p.intermediate), PurposeAuthenticateServer, FlagGenericError},
		"no EKU":                  {chainOf(t, noEKU, p.intermediate), PurposeAuthenticateClient, 0},
		"any EKU":                 {chainOf(t, anyEKU, p.intermediate), PurposeAuthenticateServer, 0},
		"unknown purpose":         {chainOf(t, p.server, p.intermediate), "1.2.3.4", FlagGenericError},
		"no purpose":              {chainOf(t, p.client, p.intermediate), "", 0},
		"intermediate restricts":  {chainOf(t, serverUnderClientCA, clientCA), PurposeAuthenticateServer, FlagGenericError},
		"untrusted stays unknown": {chainOf(t, p.client), PurposeAuthenticateServer, FlagUnknownCA},
	} {
		t.Run(name, func(t *testing.T) {
			if got := verifyChain(tc.chain, anchors, tc.purpose, now); got != tc.want {
				t.Errorf("flags %#x, want %#x", got, tc.want)
			}
		})
	}
}

// The presented root differs from the trusted one (same name and key,
// re-issued): the chain still reaches the anchor through the intermediate.
func TestVerifyChainReissuedRoot(t *testing.T) {
	p := newTestPKI(t)
	reissued := issue(t, caTemplate("Test Root"), p.root.key, nil)
	chain := chainOf(t, p.server, p.intermediate, reissued)
	if got := verifyChain(chain, anchorsOf(p.root), PurposeAuthenticateServer, time.Now()); got != 0 {
		t.Errorf("flags %#x, want 0", got)
	}
}

func TestVerifyChainTimeOfAnchorsAndIntermediates(t *testing.T) {
	p := newTestPKI(t)
	chain := chainOf(t, p.server, p.intermediate)
	anchors := anchorsOf(p.root)
	for _, tc := range []struct {
		now  time.Time
		want CertificateFlags
	}{
		{time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), FlagNotActivated},
		{time.Date(2050, 6, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC), FlagExpired},
	} {
		if got := verifyChain(chain, anchors, "", tc.now); got != tc.want {
			t.Errorf("at %v: flags %#x, want %#x", tc.now, got, tc.want)
		}
	}
}

// crypto/x509 stays the final judge: a path our builder accepts but that
// breaks a rule it does not model (here a path length constraint) fails.
func TestVerifyChainFinalJudge(t *testing.T) {
	p := newTestPKI(t)
	// The intermediate has pathlen 0, so it may not sign another CA.
	subCA := issue(t, caTemplate("Sub CA"), newTestKey(t, "ecdsa"), p.intermediate)
	leaf := issue(t, leafTemplate("deep", x509.ExtKeyUsageServerAuth), newTestKey(t, "ecdsa"), subCA)
	chain := chainOf(t, leaf, subCA, p.intermediate)
	if got := verifyChain(chain, anchorsOf(p.root), "", time.Now()); got == 0 {
		t.Error("a chain breaking pathlen verified")
	}
}

func TestVerifyInsecureSignature(t *testing.T) {
	rootKey := newTestKey(t, "rsa")
	root := issue(t, caTemplate("SHA-1 Root"), rootKey, nil)
	tmpl := leafTemplate("sha1", x509.ExtKeyUsageServerAuth, "localhost")
	tmpl.SignatureAlgorithm = x509.SHA1WithRSA
	leaf := issue(t, tmpl, newTestKey(t, "ecdsa"), root)
	got := verifyChain(chainOf(t, leaf), anchorsOf(root), "", time.Now())
	if got&FlagInsecure == 0 || got&FlagUnknownCA != 0 {
		t.Errorf("flags %#x, want INSECURE (and not UNKNOWN_CA)", got)
	}
}
