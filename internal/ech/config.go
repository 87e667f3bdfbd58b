// Package ech reads and writes what Encrypted Client Hello
// (draft-ietf-tls-esni, now RFC 9849) needs outside the handshake: ECH
// configurations (ECHConfig, ECHConfigList) and a server's keys for them,
// in the PEM form of draft-farrell-tls-pemesni. The handshake itself is
// crypto/tls's.
package ech

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// versionECH is the ECHConfig version of the final ECH drafts and RFC 9849
// (the extension's code point); configs of other versions are skipped, as
// a client must.
const versionECH = 0xfe0d

// The HPKE algorithms crypto/tls uses for ECH (crypto/tls.EncryptedClientHelloKey).
const (
	kemP256   = 0x0010
	kemP384   = 0x0011
	kemP521   = 0x0012
	kemX25519 = 0x0020

	kdfSHA256 = 0x0001
	kdfSHA384 = 0x0002
	kdfSHA512 = 0x0003

	aeadAES128GCM = 0x0001
	aeadAES256GCM = 0x0002
	aeadChaCha20  = 0x0003
)

// Config is one ECHConfig of version 0xfe0d.
type Config struct {
	Raw        []byte // the whole ECHConfig, version and length included
	ID         uint8
	KEM        uint16
	PublicKey  []byte
	Suites     [][2]uint16 // (KDF, AEAD) pairs
	PublicName string
}

// Usable reports whether crypto/tls can encrypt to c: a KEM and at least
// one KDF/AEAD pair it implements.
func (c *Config) Usable() bool {
	switch c.KEM {
	case kemP256, kemP384, kemP521, kemX25519:
	default:
		return false
	}
	for _, s := range c.Suites {
		if (s[0] == kdfSHA256 || s[0] == kdfSHA384 || s[0] == kdfSHA512) &&
			(s[1] == aeadAES128GCM || s[1] == aeadAES256GCM || s[1] == aeadChaCha20) {
			return true
		}
	}
	return false
}

// reader walks a TLS presentation-language encoding.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) vec8() []byte  { return r.take(int(r.u8())) }
func (r *reader) vec16() []byte { return r.take(int(r.u16())) }

// ParseConfigList parses an ECHConfigList (the bytes of a DNS HTTPS
// record's "ech" parameter), keeping the configs of version 0xfe0d in
// order. A list holding none is not an error here: Usable judges each.
func ParseConfigList(list []byte) ([]Config, error) {
	r := reader{b: list}
	body := r.vec16()
	if r.bad || len(r.b) != 0 {
		return nil, errors.New("not an ECHConfigList: its length prefix does not match its size")
	}
	if len(body) == 0 {
		return nil, errors.New("the ECHConfigList is empty")
	}
	var configs []Config
	for len(body) > 0 {
		c, skipped, n, err := parseConfig(body)
		if err != nil {
			return nil, err
		}
		if !skipped {
			configs = append(configs, c)
		}
		body = body[n:]
	}
	return configs, nil
}

// parseConfig parses the ECHConfig at the start of b: its size n, and
// skipped for a version other than 0xfe0d.
func parseConfig(b []byte) (c Config, skipped bool, n int, err error) {
	r := reader{b: b}
	version := r.u16()
	contents := r.vec16()
	if r.bad {
		return c, false, 0, errors.New("an ECHConfig is cut short")
	}
	n = len(b) - len(r.b)
	if version != versionECH {
		return c, true, n, nil
	}
	c.Raw = b[:n]
	cr := reader{b: contents}
	c.ID = cr.u8()
	c.KEM = cr.u16()
	c.PublicKey = cr.vec16()
	suites := reader{b: cr.vec16()}
	for !suites.bad && len(suites.b) > 0 {
		c.Suites = append(c.Suites, [2]uint16{suites.u16(), suites.u16()})
	}
	cr.u8() // maximum_name_length
	c.PublicName = string(cr.vec8())
	cr.vec16() // extensions
	if cr.bad || suites.bad || len(cr.b) != 0 || len(c.PublicKey) == 0 || c.PublicName == "" {
		return c, false, 0, fmt.Errorf("ECHConfig %d is malformed", c.ID)
	}
	return c, false, n, nil
}

// marshalConfig encodes an ECHConfig of version 0xfe0d with no extensions.
// maximum_name_length 0 lets the client pad the inner name as it sees fit.
func marshalConfig(id uint8, kem uint16, publicKey []byte, suites [][2]uint16, publicName string) []byte {
	var contents []byte
	contents = append(contents, id)
	contents = binary.BigEndian.AppendUint16(contents, kem)
	contents = binary.BigEndian.AppendUint16(contents, uint16(len(publicKey)))
	contents = append(contents, publicKey...)
	contents = binary.BigEndian.AppendUint16(contents, uint16(4*len(suites)))
	for _, s := range suites {
		contents = binary.BigEndian.AppendUint16(contents, s[0])
		contents = binary.BigEndian.AppendUint16(contents, s[1])
	}
	contents = append(contents, 0, byte(len(publicName)))
	contents = append(contents, publicName...)
	contents = append(contents, 0, 0) // extensions
	out := binary.BigEndian.AppendUint16(nil, versionECH)
	out = binary.BigEndian.AppendUint16(out, uint16(len(contents)))
	return append(out, contents...)
}

// marshalList wraps configs into an ECHConfigList.
func marshalList(configs ...[]byte) []byte {
	var body []byte
	for _, c := range configs {
		body = append(body, c...)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(body))), body...)
}

// CheckClientList returns why a client cannot use list, or nil when it
// holds a config crypto/tls can encrypt to.
func CheckClientList(list []byte) error {
	configs, err := ParseConfigList(list)
	if err != nil {
		return err
	}
	for i := range configs {
		if configs[i].Usable() {
			return nil
		}
	}
	return errors.New("the ECHConfigList holds no config of version 0xfe0d with an HPKE KEM, KDF and AEAD crypto/tls implements")
}
