package dtlsgo

import (
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
