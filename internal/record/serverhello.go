package record

import (
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
)

// The ServerHello crosses in plaintext, and dtlsgo reads two things from
// it that pion does not tell: the server random (to derive the record
// layer's keys, see Secrets.Keys) and whether the handshake negotiated the
// extended master secret (RFC 7627; pion's State copy drops it), which the
// server says by echoing the extension exactly when both sides use it.
// Secrets watches the datagrams going both ways (the client reads the
// ServerHello, the server writes it) and parses each ServerHello here, once.

// Extended master secret as seen in the ServerHello.
const (
	emsUnknown int32 = iota // no complete ServerHello seen (yet)
	emsNegotiated
	emsAbsent
)

// parseServerHello reads msg, the body of an epoch-0 handshake record, when
// it starts a ServerHello: its random (after the 12-byte handshake header
// and the 2-byte server_version), and when the message is whole, whether it
// carries the extended master secret extension (emsUnknown for a fragment).
func parseServerHello(msg []byte) (random []byte, ems int32, ok bool) {
	const randomOff = handshake.HeaderLength + 2
	var h handshake.Header
	if h.Unmarshal(msg) != nil || h.Type != handshake.TypeServerHello || h.FragmentOffset != 0 ||
		len(msg) < randomOff+32 {
		return nil, emsUnknown, false
	}
	random = msg[randomOff : randomOff+32]
	end := handshake.HeaderLength + int(h.Length)
	if h.FragmentLength != h.Length || len(msg) < end {
		return random, emsUnknown, true
	}
	var hello handshake.MessageServerHello
	if hello.Unmarshal(msg[handshake.HeaderLength:end]) != nil {
		return random, emsUnknown, true
	}
	for _, ext := range hello.Extensions {
		if ext.TypeValue() == extension.UseExtendedMasterSecretTypeValue {
			return random, emsNegotiated, true
		}
	}
	return random, emsAbsent, true
}
