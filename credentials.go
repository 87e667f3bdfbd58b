package dtlsgo

import (
	"crypto/tls"
)

// tlsCertificate is c as pion takes it: the chain it sends and the key.
func tlsCertificate(c *Certificate) (tls.Certificate, error) {
	key := c.PrivateKey()
	if key == nil {
		return tls.Certificate{}, Errorf(ErrBadCertificate, "The certificate has no private key")
	}
	return tls.Certificate{Certificate: c.ChainDER(), PrivateKey: key, Leaf: c.Leaf()}, nil
}
