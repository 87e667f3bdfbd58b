package trust

import (
	"crypto/x509"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"strings"
	"time"
)

// RejectionError is the handshake's error when the peer's certificate was
// not accepted: errkind.ErrBadCertificate, its message saying why in words, from
// the verification's flags, the chain the peer sent (DER, leaf first) and
// the identity it was checked against ("" when none).
func RejectionError(flags CertificateFlags, chain [][]byte, identity string) error {
	reasons := rejectionReasons(flags, chain, identity, timeNow())
	if len(reasons) == 0 {
		// Nothing was wrong with it, yet no accept-certificate handler took
		// it: a server's rule for every client certificate.
		reasons = []string{"no accept-certificate handler accepted it"}
	}
	return errkind.Errorf(errkind.ErrBadCertificate, "Unacceptable TLS certificate: %s", strings.Join(reasons, "; "))
}

// dateLayout names an instant as a person reads it, in UTC.
const dateLayout = "2006-01-02 15:04:05 UTC"

func rejectionReasons(flags CertificateFlags, chain [][]byte, identity string, now time.Time) []string {
	var certs []*x509.Certificate
	for _, der := range chain {
		if c, err := x509.ParseCertificate(der); err == nil {
			certs = append(certs, c)
		}
	}
	var out []string
	if flags&FlagUnknownCA != 0 {
		out = append(out, "signed by an unknown authority")
	}
	if flags&FlagBadIdentity != 0 {
		if identity == "" {
			out = append(out, "no expected identity to match it against")
		} else {
			out = append(out, "does not match the expected identity "+identity)
		}
	}
	if flags&FlagNotActivated != 0 {
		out = append(out, validityReason(certs, "not valid before ", "an issuer is not valid yet",
			func(c *x509.Certificate) (time.Time, bool) { return c.NotBefore, now.Before(c.NotBefore) }))
	}
	if flags&FlagExpired != 0 {
		out = append(out, validityReason(certs, "expired on ", "an issuer has expired",
			func(c *x509.Certificate) (time.Time, bool) { return c.NotAfter, now.After(c.NotAfter) }))
	}
	if flags&FlagRevoked != 0 {
		out = append(out, "revoked")
	}
	if flags&FlagInsecure != 0 {
		out = append(out, "signed with an insecure algorithm")
	}
	if flags&FlagGenericError != 0 {
		out = append(out, "not acceptable for its purpose, or its verification failed")
	}
	return out
}

// validityReason names the first certificate of the chain whose validity
// period is the problem, the peer's own or an issuer it sent, with the date;
// otherwise (an issuer the database holds) it says so without one.
func validityReason(certs []*x509.Certificate, what, otherwise string, at func(*x509.Certificate) (time.Time, bool)) string {
	for i, c := range certs {
		t, bad := at(c)
		if !bad {
			continue
		}
		if i == 0 {
			return what + t.UTC().Format(dateLayout)
		}
		return "its issuer " + c.Subject.String() + " " + what + t.UTC().Format(dateLayout)
	}
	return otherwise
}
