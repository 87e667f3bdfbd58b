package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"net"
	"testing"
	"time"
)

func TestVerifyAgainstTrustedCA(t *testing.T) {
	p := testpki.New(t)
	inter := p.Intermediate
	expired := testpki.Issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "expired"}, DNSNames: []string{"localhost"},
		NotBefore: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC),
	}, testpki.NewKey(t, "ecdsa"), inter)
	future := testpki.Issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "future"}, DNSNames: []string{"localhost"},
		NotBefore: time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2095, 1, 1, 0, 0, 0, 0, time.UTC),
	}, testpki.NewKey(t, "ecdsa"), inter)
	selfSigned := testpki.Issue(t, testpki.LeafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost"), testpki.NewKey(t, "ecdsa"), nil)
	otherRoot := testpki.Issue(t, testpki.CATemplate("Other Root"), testpki.NewKey(t, "ecdsa"), nil)

	host := HostIdentity
	for name, tc := range map[string]struct {
		chain    *Certificate
		identity Identity
		ca       *testpki.Cert
		want     CertificateFlags
	}{
		"good via root":          {chainOf(t, p.Server, inter), host("localhost"), p.Root, 0},
		"good via intermediate":  {chainOf(t, p.Server), host("localhost"), inter, 0},
		"full chain":             {chainOf(t, p.Server, inter, p.Root), Identity{}, p.Root, 0},
		"missing intermediate":   {chainOf(t, p.Server), Identity{}, p.Root, FlagUnknownCA},
		"unrelated CA":           {chainOf(t, p.Server, inter), Identity{}, otherRoot, FlagUnknownCA},
		"leaf as CA":             {chainOf(t, p.Server, inter), Identity{}, p.Client, FlagUnknownCA},
		"self-signed leaf":       {chainOf(t, selfSigned), Identity{}, p.Root, FlagUnknownCA},
		"self-signed as own CA":  {chainOf(t, selfSigned), host("localhost"), selfSigned, 0},
		"expired":                {chainOf(t, expired, inter), Identity{}, p.Root, FlagExpired},
		"not yet valid":          {chainOf(t, future, inter), Identity{}, p.Root, FlagNotActivated},
		"wrong host":             {chainOf(t, p.Server, inter), host("other.example"), p.Root, FlagBadIdentity},
		"IP for DNS cert":        {chainOf(t, p.Server, inter), host("127.0.0.1"), p.Root, FlagBadIdentity},
		"IPv4 literal":           {chainOf(t, p.ServerIP, inter), host("127.0.0.1"), p.Root, 0},
		"IPv6 literal":           {chainOf(t, p.ServerIP, inter), host("::1"), p.Root, 0},
		"other IP":               {chainOf(t, p.ServerIP, inter), host("127.0.0.2"), p.Root, FlagBadIdentity},
		"identity naming none":   {chainOf(t, p.Server, inter), host(""), p.Root, FlagBadIdentity},
		"expired and wrong host": {chainOf(t, expired, inter), host("nope"), p.Root, FlagExpired | FlagBadIdentity},
		// Without a CA neither trust nor time is checked (both
		// glib-networking backends do the same).
		"no CA, expired":       {chainOf(t, expired), Identity{}, nil, 0},
		"no CA, identity only": {chainOf(t, expired), host("nope"), nil, FlagBadIdentity},
	} {
		t.Run(name, func(t *testing.T) {
			var ca *Certificate
			if tc.ca != nil {
				ca = certOf(t, tc.ca)
			}
			if got := tc.chain.Verify(tc.identity, ca); got != tc.want {
				t.Errorf("flags %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestMatchesHost(t *testing.T) {
	key := testpki.NewKey(t, "ecdsa")
	wild := certOf(t, testpki.Issue(t, testpki.LeafTemplate("x", x509.ExtKeyUsageServerAuth, "*.example.com", "Exact.Example.Org"), key, nil))
	cnOnly := certOf(t, testpki.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "legacy.example.net"}}, key, nil))
	cnWild := certOf(t, testpki.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "*.example.net"}}, key, nil))
	ipOnly := certOf(t, testpki.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "cn.example"}, IPAddresses: []net.IP{net.IPv4(10, 0, 0, 1)}}, key, nil))
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
	p := testpki.New(t)
	anchors := anchorsOf(p.Root)
	now := time.Now()
	noEKU := testpki.Issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "any"}}, testpki.NewKey(t, "ecdsa"), p.Intermediate)
	anyEKU := testpki.Issue(t, testpki.LeafTemplate("any", x509.ExtKeyUsageAny), testpki.NewKey(t, "ecdsa"), p.Intermediate)

	// An intermediate restricted to client auth cannot vouch for servers.
	clientCATmpl := testpki.CATemplate("Client-only CA")
	clientCATmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	clientCA := testpki.Issue(t, clientCATmpl, testpki.NewKey(t, "ecdsa"), p.Root)
	serverUnderClientCA := testpki.Issue(t, testpki.LeafTemplate("s", x509.ExtKeyUsageServerAuth), testpki.NewKey(t, "ecdsa"), clientCA)

	for name, tc := range map[string]struct {
		chain   *Certificate
		purpose string
		want    CertificateFlags
	}{
		"server as server":        {chainOf(t, p.Server, p.Intermediate), PurposeAuthenticateServer, 0},
		"server as client":        {chainOf(t, p.Server, p.Intermediate), PurposeAuthenticateClient, FlagGenericError},
		"client as client":        {chainOf(t, p.Client, p.Intermediate), PurposeAuthenticateClient, 0},
		"client as server":        {chainOf(t, p.Client, p.Intermediate), PurposeAuthenticateServer, FlagGenericError},
		"no EKU":                  {chainOf(t, noEKU, p.Intermediate), PurposeAuthenticateClient, 0},
		"any EKU":                 {chainOf(t, anyEKU, p.Intermediate), PurposeAuthenticateServer, 0},
		"unknown purpose":         {chainOf(t, p.Server, p.Intermediate), "1.2.3.4", FlagGenericError},
		"no purpose":              {chainOf(t, p.Client, p.Intermediate), "", 0},
		"intermediate restricts":  {chainOf(t, serverUnderClientCA, clientCA), PurposeAuthenticateServer, FlagGenericError},
		"untrusted stays unknown": {chainOf(t, p.Client), PurposeAuthenticateServer, FlagUnknownCA},
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
	p := testpki.New(t)
	reissued := testpki.Issue(t, testpki.CATemplate("Test Root"), p.Root.Key, nil)
	chain := chainOf(t, p.Server, p.Intermediate, reissued)
	if got := verifyChain(chain, anchorsOf(p.Root), PurposeAuthenticateServer, time.Now()); got != 0 {
		t.Errorf("flags %#x, want 0", got)
	}
}

func TestVerifyChainTimeOfAnchorsAndIntermediates(t *testing.T) {
	p := testpki.New(t)
	chain := chainOf(t, p.Server, p.Intermediate)
	anchors := anchorsOf(p.Root)
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
	p := testpki.New(t)
	// The intermediate has pathlen 0, so it may not sign another CA.
	subCA := testpki.Issue(t, testpki.CATemplate("Sub CA"), testpki.NewKey(t, "ecdsa"), p.Intermediate)
	leaf := testpki.Issue(t, testpki.LeafTemplate("deep", x509.ExtKeyUsageServerAuth), testpki.NewKey(t, "ecdsa"), subCA)
	chain := chainOf(t, leaf, subCA, p.Intermediate)
	if got := verifyChain(chain, anchorsOf(p.Root), "", time.Now()); got == 0 {
		t.Error("a chain breaking pathlen verified")
	}
}

func TestVerifyInsecureSignature(t *testing.T) {
	rootKey := testpki.NewKey(t, "rsa")
	root := testpki.Issue(t, testpki.CATemplate("SHA-1 Root"), rootKey, nil)
	tmpl := testpki.LeafTemplate("sha1", x509.ExtKeyUsageServerAuth, "localhost")
	tmpl.SignatureAlgorithm = x509.SHA1WithRSA
	leaf := testpki.Issue(t, tmpl, testpki.NewKey(t, "ecdsa"), root)
	got := verifyChain(chainOf(t, leaf), anchorsOf(root), "", time.Now())
	if got&FlagInsecure == 0 || got&FlagUnknownCA != 0 {
		t.Errorf("flags %#x, want INSECURE (and not UNKNOWN_CA)", got)
	}
}
