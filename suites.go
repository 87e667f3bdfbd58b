package dtlsgo

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"

	"github.com/pion/dtls/v3"
)

// The cipher suites dtlsgo offers, in preference order. Certificate
// handshakes use pion's defaults (AEAD first, then CBC for older peers);
// PSK handshakes (RFC 4279, RFC 5489) prefer ECDHE_PSK for forward secrecy.
var (
	certificateSuites = []dtls.CipherSuiteID{
		dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		dtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		dtls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		dtls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		dtls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		dtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	}
	pskSuites = []dtls.CipherSuiteID{
		dtls.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
		dtls.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
		dtls.TLS_PSK_WITH_AES_128_GCM_SHA256,
		dtls.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
		dtls.TLS_PSK_WITH_AES_128_CCM,
		dtls.TLS_PSK_WITH_AES_128_CCM_8,
		dtls.TLS_PSK_WITH_AES_256_CCM_8,
		dtls.TLS_PSK_WITH_AES_128_CBC_SHA256,
	}
)

// CipherSuites lists the IANA names of every suite dtlsgo can negotiate:
// the certificate suites, then the PSK suites.
func CipherSuites() []string {
	names := make([]string, 0, len(certificateSuites)+len(pskSuites))
	for _, id := range append(append([]dtls.CipherSuiteID{}, certificateSuites...), pskSuites...) {
		names = append(names, suiteName(id))
	}
	return names
}

// suiteName is a suite's IANA name (pion spells one with hyphens).
func suiteName(id dtls.CipherSuiteID) string {
	return strings.ReplaceAll(dtls.CipherSuiteName(id), "-", "_")
}

// suitesFor picks what a handshake offers: PSK suites when a key is
// configured, certificate suites unless the side does PSK alone (pion
// insists that a side which may use a certificate offers a suite for it).
func suitesFor(psk, certificateSuitesToo bool) []dtls.CipherSuiteID {
	var ids []dtls.CipherSuiteID
	if psk {
		ids = append(ids, pskSuites...)
	}
	if !psk || certificateSuitesToo {
		ids = append(ids, certificateSuites...)
	}
	return ids
}

// suiteCipher is how a suite protects records: its cipher, the lengths of
// each key in the key block (RFC 5246 6.3) and the PRF's hash. dtlsgo
// derives the keys itself for its record layer (applayer.go) and to read
// the first Finished (tlsunique.go).
type suiteCipher struct {
	kind                  cipherKind
	keyLen, macLen, ivLen int
	prfHash               func() hash.Hash
	macHash               func() hash.Hash // CBC's HMAC
}

type cipherKind int

const (
	cipherGCM cipherKind = iota + 1 // no kind is the zero value
	cipherChaCha20Poly1305
	cipherCCM  // 16-byte tag
	cipherCCM8 // 8-byte tag
	cipherCBC
)

// The ciphers of the suites below. The CBC suites' PRF is SHA-256 (RFC 5246
// section 5) whatever their MAC.
var (
	aes128GCM        = suiteCipher{cipherGCM, 16, 0, 4, sha256.New, nil}
	aes256GCM        = suiteCipher{cipherGCM, 32, 0, 4, sha512.New384, nil}
	chacha20Poly1305 = suiteCipher{cipherChaCha20Poly1305, 32, 0, 12, sha256.New, nil}
	aes128CCM        = suiteCipher{cipherCCM, 16, 0, 4, sha256.New, nil}
	aes128CCM8       = suiteCipher{cipherCCM8, 16, 0, 4, sha256.New, nil}
	aes256CCM8       = suiteCipher{cipherCCM8, 32, 0, 4, sha256.New, nil}
	aes256CBCSHA     = suiteCipher{cipherCBC, 32, 20, 16, sha256.New, sha1.New}
	aes128CBCSHA256  = suiteCipher{cipherCBC, 16, 32, 16, sha256.New, sha256.New}
)

// suiteCiphers holds every suite of certificateSuites and pskSuites.
var suiteCiphers = map[dtls.CipherSuiteID]suiteCipher{
	dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       aes128GCM,
	dtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         aes128GCM,
	dtls.TLS_PSK_WITH_AES_128_GCM_SHA256:               aes128GCM,
	dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       aes256GCM,
	dtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         aes256GCM,
	dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: chacha20Poly1305,
	dtls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   chacha20Poly1305,
	dtls.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256:   chacha20Poly1305,
	dtls.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256:         chacha20Poly1305,
	dtls.TLS_PSK_WITH_AES_128_CCM:                      aes128CCM,
	dtls.TLS_PSK_WITH_AES_128_CCM_8:                    aes128CCM8,
	dtls.TLS_PSK_WITH_AES_256_CCM_8:                    aes256CCM8,
	dtls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          aes256CBCSHA,
	dtls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            aes256CBCSHA,
	dtls.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256:         aes128CBCSHA256,
	dtls.TLS_PSK_WITH_AES_128_CBC_SHA256:               aes128CBCSHA256,
}
