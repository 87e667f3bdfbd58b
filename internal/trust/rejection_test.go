package trust

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"strings"
	"testing"
	"time"
)

func TestRejectionErrorSaysWhy(t *testing.T) {
	p := testpki.New(t)
	leaf := p.Server.X
	chain := [][]byte{p.Server.DER(), p.Intermediate.DER()}
	defer func(saved func() time.Time) { timeNow = saved }(timeNow)
	afterAll := leaf.NotAfter.Add(time.Hour)
	beforeAll := leaf.NotBefore.Add(-time.Hour)
	cases := []struct {
		flags CertificateFlags
		now   time.Time
		id    string
		want  string
	}{
		{FlagUnknownCA, leaf.NotBefore, "localhost", "Unacceptable TLS certificate: signed by an unknown authority"},
		{FlagBadIdentity, leaf.NotBefore, "example.com", "Unacceptable TLS certificate: does not match the expected identity example.com"},
		{FlagBadIdentity, leaf.NotBefore, "", "Unacceptable TLS certificate: no expected identity to match it against"},
		{FlagExpired, afterAll, "localhost", "Unacceptable TLS certificate: expired on " + leaf.NotAfter.UTC().Format(dateLayout)},
		{FlagNotActivated, beforeAll, "localhost", "Unacceptable TLS certificate: not valid before " + leaf.NotBefore.UTC().Format(dateLayout)},
		{FlagUnknownCA | FlagBadIdentity, leaf.NotBefore, "a.example",
			"Unacceptable TLS certificate: signed by an unknown authority; does not match the expected identity a.example"},
		{FlagRevoked | FlagInsecure, leaf.NotBefore, "", "Unacceptable TLS certificate: revoked; signed with an insecure algorithm"},
		{0, leaf.NotBefore, "", "Unacceptable TLS certificate: no accept-certificate handler accepted it"},
	}
	for _, tc := range cases {
		timeNow = func() time.Time { return tc.now }
		err := RejectionError(tc.flags, chain, tc.id)
		if err.Error() != tc.want {
			t.Errorf("flags %#x: %q, want %q", tc.flags, err, tc.want)
		}
		if !errors.Is(err, errkind.ErrBadCertificate) {
			t.Errorf("flags %#x: %v is not errkind.ErrBadCertificate", tc.flags, err)
		}
	}
}

func TestRejectionErrorNamesAnExpiredIssuer(t *testing.T) {
	p := testpki.New(t)
	tmpl := testpki.LeafTemplate("localhost", 0, "localhost")
	tmpl.ExtKeyUsage = nil
	tmpl.NotBefore, tmpl.NotAfter = p.Intermediate.X.NotBefore, p.Intermediate.X.NotAfter.Add(48*time.Hour)
	leaf := testpki.Issue(t, tmpl, testpki.NewKey(t, "ecdsa"), p.Intermediate)
	defer func(saved func() time.Time) { timeNow = saved }(timeNow)
	timeNow = func() time.Time { return p.Intermediate.X.NotAfter.Add(time.Hour) }
	msg := RejectionError(FlagExpired, [][]byte{leaf.DER(), p.Intermediate.DER()}, "localhost").Error()
	want := "its issuer " + p.Intermediate.X.Subject.String() + " expired on " + p.Intermediate.X.NotAfter.UTC().Format(dateLayout)
	if !strings.HasSuffix(msg, want) {
		t.Errorf("%q does not end with %q", msg, want)
	}
	// An issuer the peer did not send (one of the database's) has no date here.
	msg = RejectionError(FlagExpired, [][]byte{leaf.DER()}, "localhost").Error()
	if !strings.HasSuffix(msg, "an issuer has expired") {
		t.Errorf("%q", msg)
	}
}
