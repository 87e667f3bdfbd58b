package dtlsgo

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRejectionErrorSaysWhy(t *testing.T) {
	p := newTestPKI(t)
	leaf := p.server.x
	chain := [][]byte{p.server.der(), p.intermediate.der()}
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
		if !errors.Is(err, ErrBadCertificate) {
			t.Errorf("flags %#x: %v is not ErrBadCertificate", tc.flags, err)
		}
	}
}

func TestRejectionErrorNamesAnExpiredIssuer(t *testing.T) {
	p := newTestPKI(t)
	tmpl := leafTemplate("localhost", 0, "localhost")
	tmpl.ExtKeyUsage = nil
	tmpl.NotBefore, tmpl.NotAfter = p.intermediate.x.NotBefore, p.intermediate.x.NotAfter.Add(48*time.Hour)
	leaf := issue(t, tmpl, newTestKey(t, "ecdsa"), p.intermediate)
	defer func(saved func() time.Time) { timeNow = saved }(timeNow)
	timeNow = func() time.Time { return p.intermediate.x.NotAfter.Add(time.Hour) }
	msg := RejectionError(FlagExpired, [][]byte{leaf.der(), p.intermediate.der()}, "localhost").Error()
	want := "its issuer " + p.intermediate.x.Subject.String() + " expired on " + p.intermediate.x.NotAfter.UTC().Format(dateLayout)
	if !strings.HasSuffix(msg, want) {
		t.Errorf("%q does not end with %q", msg, want)
	}
	// An issuer the peer did not send (one of the database's) has no date here.
	msg = RejectionError(FlagExpired, [][]byte{leaf.der()}, "localhost").Error()
	if !strings.HasSuffix(msg, "an issuer has expired") {
		t.Errorf("%q", msg)
	}
}
