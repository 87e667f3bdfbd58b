package dtlsgo

import (
	"crypto/tls"
	"crypto/x509"
)

// tlsCertificate is c as pion takes it: the chain it sends and the key.
func (c *Certificate) tlsCertificate() (tls.Certificate, error) {
	key := c.PrivateKey()
	if key == nil {
		return tls.Certificate{}, Errorf(ErrBadCertificate, "The certificate has no private key")
	}
	return tls.Certificate{Certificate: c.ChainDER(), PrivateKey: key, Leaf: c.Leaf()}, nil
}

// caPool holds the certificates whose subjects a server lists as the
// authorities it accepts; nil when there are none.
func caPool(ders [][]byte) *x509.CertPool {
	if len(ders) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	for _, der := range ders {
		if cert, err := x509.ParseCertificate(der); err == nil {
			pool.AddCert(cert)
		}
	}
	return pool
}
