package record

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"github.com/pion/dtls/v3"
)

// Cipher is how a suite protects records: its cipher, the lengths of
// each key in the key block (RFC 5246 6.3) and the PRF's hash. dtlsgo
// derives the keys itself for its record layer (layer.go) and to read
// the first Finished (tlsunique.go).
type Cipher struct {
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
	aes128GCM        = Cipher{cipherGCM, 16, 0, 4, sha256.New, nil}
	aes256GCM        = Cipher{cipherGCM, 32, 0, 4, sha512.New384, nil}
	chacha20Poly1305 = Cipher{cipherChaCha20Poly1305, 32, 0, 12, sha256.New, nil}
	aes128CCM        = Cipher{cipherCCM, 16, 0, 4, sha256.New, nil}
	aes128CCM8       = Cipher{cipherCCM8, 16, 0, 4, sha256.New, nil}
	aes256CCM8       = Cipher{cipherCCM8, 32, 0, 4, sha256.New, nil}
	aes256CBCSHA     = Cipher{cipherCBC, 32, 20, 16, sha256.New, sha1.New}
	aes128CBCSHA256  = Cipher{cipherCBC, 16, 32, 16, sha256.New, sha256.New}
)

// Ciphers holds every suite of certificateSuites and pskSuites.
var Ciphers = map[dtls.CipherSuiteID]Cipher{
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
