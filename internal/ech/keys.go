package ech

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
)

// A server's ECH keys travel as PEM (draft-farrell-tls-pemesni, the files
// OpenSSL's and other servers' ECH support read and write): a PKCS #8
// "PRIVATE KEY" and an "ECHCONFIG" block holding the base64 of an
// ECHConfigList whose configs carry that key's public half. Several such
// files may be concatenated, one per key.
const (
	pemPrivateKey = "PRIVATE KEY"
	pemECHConfig  = "ECHCONFIG"
)

// kemOf is the DHKEM of a key's curve.
func kemOf(curve ecdh.Curve) (uint16, bool) {
	switch curve {
	case ecdh.X25519():
		return kemX25519, true
	case ecdh.P256():
		return kemP256, true
	case ecdh.P384():
		return kemP384, true
	case ecdh.P521():
		return kemP521, true
	}
	return 0, false
}

// ParseKeys reads ECH key PEM data into the keys a crypto/tls server
// decrypts with, each also offered as a retry config to clients whose
// config it cannot decrypt.
func ParseKeys(data []byte) ([]tls.EncryptedClientHelloKey, error) {
	var privs []*ecdh.PrivateKey
	var configs []Config
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case pemPrivateKey:
			priv, err := parsePrivateKey(block.Bytes)
			if err != nil {
				return nil, err
			}
			privs = append(privs, priv)
		case pemECHConfig:
			list, err := ParseConfigList(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("an ECHCONFIG block: %v", err)
			}
			configs = append(configs, list...)
		default:
			return nil, fmt.Errorf("unexpected PEM block %q (ECH keys are PRIVATE KEY and ECHCONFIG blocks)", block.Type)
		}
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("the data is not PEM, or ends in something that is not")
	}
	if len(configs) == 0 || len(privs) == 0 {
		return nil, errors.New("ECH keys need a PRIVATE KEY and an ECHCONFIG block")
	}

	used := make([]bool, len(privs))
	keys := make([]tls.EncryptedClientHelloKey, 0, len(configs))
	for _, c := range configs {
		if !c.Usable() {
			return nil, fmt.Errorf("ECHConfig %d (public name %s) uses an HPKE KEM, KDF or AEAD crypto/tls does not implement", c.ID, c.PublicName)
		}
		i := matchingKey(privs, c)
		if i < 0 {
			return nil, fmt.Errorf("no private key matches the public key of ECHConfig %d (public name %s)", c.ID, c.PublicName)
		}
		used[i] = true
		keys = append(keys, tls.EncryptedClientHelloKey{
			Config:      c.Raw,
			PrivateKey:  privs[i].Bytes(),
			SendAsRetry: true,
		})
	}
	for i, u := range used {
		if !u {
			return nil, fmt.Errorf("private key %d has no ECHConfig", i+1)
		}
	}
	return keys, nil
}

func parsePrivateKey(der []byte) (*ecdh.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("a PRIVATE KEY block is not PKCS #8: %v", err)
	}
	switch k := key.(type) {
	case *ecdh.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		if priv, err := k.ECDH(); err == nil {
			return priv, nil
		}
	}
	return nil, fmt.Errorf("a PRIVATE KEY block holds a %T, not an X25519 or NIST P-curve key", key)
}

// matchingKey is the index of the key whose public half c carries, or -1.
func matchingKey(privs []*ecdh.PrivateKey, c Config) int {
	for i, priv := range privs {
		if kem, ok := kemOf(priv.Curve()); ok && kem == c.KEM &&
			bytes.Equal(priv.PublicKey().Bytes(), c.PublicKey) {
			return i
		}
	}
	return -1
}

// Generate makes a new X25519 ECH key for publicName, the name a client
// puts in its outer ClientHello: the key as PEM for ParseKeys, and the
// ECHConfigList to give clients (in a DNS HTTPS record, or by hand).
func Generate(publicName string) (keysPEM, configList []byte, err error) {
	if err := checkPublicName(publicName); err != nil {
		return nil, nil, err
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	var id [1]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, nil, err
	}
	suites := [][2]uint16{{kdfSHA256, aeadAES128GCM}, {kdfSHA256, aeadChaCha20}}
	configList = marshalList(marshalConfig(id[0], kemX25519, priv.PublicKey().Bytes(), suites, publicName))
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	keysPEM = pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
	keysPEM = append(keysPEM, pem.EncodeToMemory(&pem.Block{Type: pemECHConfig, Bytes: configList})...)
	return keysPEM, configList, nil
}

// checkPublicName: RFC 9849 section 4 wants a DNS host name (letters,
// digits, hyphens, dots), never an IP address.
func checkPublicName(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("the public name %q is not a DNS name of 1 to 253 characters", name)
	}
	if net.ParseIP(name) != nil {
		return fmt.Errorf("the public name %q is an IP address; ECH needs a DNS name", name)
	}
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("the public name %q is not a DNS name", name)
		}
		for _, ch := range l {
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return fmt.Errorf("the public name %q is not a DNS name", name)
			}
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("the public name %q ends in a number; ECH needs a DNS name", name)
	}
	return nil
}
