package dtlsgo

import "github.com/dtlsgo/dtlsgo/internal/ech"

// Encrypted Client Hello (RFC 9849) on stream TLS: the client encrypts its
// real ClientHello (server name, ALPN) to a key the server published in an
// ECHConfigList, and sends it inside an outer ClientHello naming only the
// config's public name. crypto/tls does the protocol; this file checks
// what the application gives it.

// SetECHConfigList makes a client use ECH with list (an ECHConfigList, as
// in a DNS HTTPS record's "ech" parameter); nil for none. A list crypto/tls
// cannot use is ErrInvalidArgument.
func (c *Config) SetECHConfigList(list []byte) error {
	if list == nil {
		c.echConfigList = nil
		return nil
	}
	if err := ech.CheckClientList(list); err != nil {
		return Errorf(ErrInvalidArgument, "Unusable ech-config-list: %v", err)
	}
	c.echConfigList = list
	return nil
}

// SetECHKeys gives a server its ECH keys, PEM as ech.ParseKeys reads it;
// nil for none. Keys that cannot be used are ErrInvalidArgument.
func (c *Config) SetECHKeys(pemData []byte) error {
	if pemData == nil {
		c.echKeys = nil
		return nil
	}
	keys, err := ech.ParseKeys(pemData)
	if err != nil {
		return Errorf(ErrInvalidArgument, "Unusable ech-keys: %v", err)
	}
	c.echKeys = keys
	return nil
}

// GenerateECHKeys makes a new ECH key for publicName: the server's keys
// (PEM, for SetECHKeys) and the ECHConfigList to publish to clients.
func GenerateECHKeys(publicName string) (keysPEM, configList []byte, err error) {
	keysPEM, configList, err = ech.Generate(publicName)
	if err != nil {
		return nil, nil, Errorf(ErrInvalidArgument, "Cannot make ECH keys: %v", err)
	}
	return keysPEM, configList, nil
}

// ECHAccepted reports whether the completed handshake used Encrypted Client
// Hello: the server decrypted the client's inner ClientHello.
func (s *StreamConn) ECHAccepted() bool {
	cs, ok := s.tc.ConnectionState()
	return ok && cs.ECHAccepted
}
