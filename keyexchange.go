package dtlsgo

import (
	"crypto/tls"
	"strconv"
)

// groupNames are the IANA names (TLS Supported Groups registry, the names
// OpenSSL reports too) of the key exchanges crypto/tls offers: its default
// preference is X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024
// (hybrid post-quantum, TLS 1.3 only), then x25519 and the NIST curves.
var groupNames = map[tls.CurveID]string{
	tls.CurveP256:          "secp256r1",
	tls.CurveP384:          "secp384r1",
	tls.CurveP521:          "secp521r1",
	tls.X25519:             "x25519",
	tls.X25519MLKEM768:     "X25519MLKEM768",
	tls.SecP256r1MLKEM768:  "SecP256r1MLKEM768",
	tls.SecP384r1MLKEM1024: "SecP384r1MLKEM1024",
}

// groupName is id's IANA name, or its number for one not listed.
func groupName(id tls.CurveID) string {
	if name, ok := groupNames[id]; ok {
		return name
	}
	return "group " + strconv.Itoa(int(id))
}

// KeyExchangeGroup is the IANA name of the group the completed handshake's
// key exchange used; empty before it, and for a TLS 1.2 session whose key
// exchange had no group (RSA key transport).
func (s *StreamConn) KeyExchangeGroup() string {
	cs, ok := s.tc.ConnectionState()
	if !ok || cs.CurveID == 0 {
		return ""
	}
	return groupName(cs.CurveID)
}
