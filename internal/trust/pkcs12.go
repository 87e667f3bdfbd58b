package trust

import (
	"crypto/x509"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"

	"software.sslmate.com/src/go-pkcs12"
)

// ParsePKCS12 reads a DER PKCS #12 file holding a certificate, its private
// key and optionally the rest of its chain. One password serves both the
// container and an encrypted key, as GLib documents; a wrong or missing one
// is errkind.ErrBadCertificatePassword, anything else errkind.ErrBadCertificate.
func ParsePKCS12(data []byte, password string) (*Certificate, error) {
	if len(data) == 0 {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Failed to import PKCS #12: no data")
	}
	k, first, rest, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, errkind.Errorf(errkind.ErrBadCertificatePassword, "Failed to import PKCS #12: incorrect password")
		}
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Failed to import PKCS #12: %v", err)
	}
	key, err := asSigner(k)
	if err != nil {
		return nil, err
	}

	// The key says which certificate is the leaf; files do not always put
	// it first.
	all := append([]*x509.Certificate{first}, rest...)
	leafAt := -1
	for i, c := range all {
		if keyMatches(c, key) {
			leafAt = i
			break
		}
	}
	if leafAt < 0 {
		return nil, errkind.Errorf(errkind.ErrBadCertificate, "Failed to import PKCS #12: no certificate matches its private key")
	}
	leaf := all[leafAt]
	others := append(append([]*x509.Certificate{}, all[:leafAt]...), all[leafAt+1:]...)
	c := linkChain(leaf, others)
	c.key = key
	return c, nil
}
