package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"math/big"
	"testing"
	"time"
)

// A cached verdict is used only for the same chain and purpose, within the
// validity of its path; the identity is judged every time.
func TestVerifyCache(t *testing.T) {
	p := testpki.New(t)
	chain := chainOf(t, p.Server, p.Intermediate)
	set := anchorsOf(p.Root)
	db := &Database{anchors: func() (*anchorSet, error) { return set, nil }}
	in2050 := time.Date(2050, 6, 1, 0, 0, 0, 0, time.UTC)
	defer func(saved func() time.Time) { timeNow = saved }(timeNow)
	timeNow = func() time.Time { return in2050 }

	for i, tc := range []struct {
		chain    *Certificate
		purpose  string
		identity Identity
		now      time.Time
		want     CertificateFlags
	}{
		{chain, PurposeAuthenticateServer, HostIdentity("localhost"), in2050, 0},
		{chain, PurposeAuthenticateServer, HostIdentity("localhost"), in2050, 0}, // cached
		{chain, PurposeAuthenticateServer, HostIdentity("other.example"), in2050, FlagBadIdentity},
		{chain, PurposeAuthenticateClient, Identity{}, in2050, FlagGenericError},
		{chainOf(t, p.Server), PurposeAuthenticateServer, Identity{}, in2050, FlagUnknownCA},
		{chain, PurposeAuthenticateServer, Identity{}, time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC), FlagExpired},
		{chain, PurposeAuthenticateServer, Identity{}, time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC), FlagNotActivated},
		{chain, PurposeAuthenticateServer, Identity{}, in2050, 0},
	} {
		timeNow = func() time.Time { return tc.now }
		if got, err := db.VerifyChain(tc.chain, tc.purpose, tc.identity); got != tc.want || err != nil {
			t.Errorf("case %d: flags %#x (%v), want %#x", i, got, err, tc.want)
		}
	}
	if n := len(set.verified.entries); n != 1 {
		t.Errorf("%d verdicts cached, want the one success", n)
	}

	// The cache is what answers: a verdict planted for an untrusted chain
	// is returned as it is.
	stranger := testpki.Issue(t, testpki.LeafTemplate("stranger", x509.ExtKeyUsageServerAuth), testpki.NewKey(t, "ecdsa"), nil)
	strangerChain := chainOf(t, stranger)
	if got := set.verify(strangerChain, PurposeAuthenticateServer, in2050); got != FlagUnknownCA {
		t.Fatalf("stranger: %#x", got)
	}
	set.verified.entries[verifyKey{chainDigest(strangerChain), PurposeAuthenticateServer}] = validity{from: in2050, until: in2050}
	if got := set.verify(strangerChain, PurposeAuthenticateServer, in2050); got != 0 {
		t.Errorf("the cache was not consulted: %#x", got)
	}
}

func TestVerifyCacheIsBounded(t *testing.T) {
	p := testpki.New(t)
	set := anchorsOf(p.Root)
	key := testpki.NewKey(t, "ecdsa")
	for i := range maxVerifyCache + 10 {
		tmpl := testpki.LeafTemplate("localhost", x509.ExtKeyUsageServerAuth, "localhost")
		tmpl.Subject = pkix.Name{CommonName: "localhost", SerialNumber: big.NewInt(int64(i)).String()}
		leaf := testpki.Issue(t, tmpl, key, p.Intermediate)
		if got := set.verify(chainOf(t, leaf, p.Intermediate), "", time.Now()); got != 0 {
			t.Fatalf("leaf %d: %#x", i, got)
		}
		if n := len(set.verified.entries); n > maxVerifyCache {
			t.Fatalf("%d entries", n)
		}
	}
}
