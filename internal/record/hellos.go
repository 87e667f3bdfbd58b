package record

import (
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
)

// The hellos cross in plaintext, and dtlsgo reads from them what pion
// does not tell: the server random (to derive the record layer's keys, see
// Secrets.Keys), whether the handshake negotiated the extended master
// secret (RFC 7627; pion's State copy drops it), which the server says by
// echoing the extension exactly when both sides use it, and the connection
// IDs each side asked for (RFC 9146; pion keeps them unexported), which
// are in use exactly when the ServerHello carries the extension. Secrets
// watches the datagrams going both ways (one side writes each hello, the
// other reads it) and parses each hello here, once.

// Extended master secret as seen in the ServerHello.
const (
	emsUnknown int32 = iota // no complete ServerHello seen (yet)
	emsNegotiated
	emsAbsent
)

// hello is what a hello says: its random, and when the message is whole,
// the connection ID its sender asked for (nil without the extension; an
// empty ID is not nil) and, for a ServerHello, the extended master secret
// (emsUnknown for a fragment).
type hello struct {
	server bool
	random []byte
	cid    []byte
	ems    int32
}

// parseHello reads msg, the body of an epoch-0 handshake record, when it
// starts a ClientHello or a ServerHello: the random follows the 12-byte
// handshake header and the 2-byte version.
func parseHello(msg []byte) (hello, bool) {
	const randomOff = handshake.HeaderLength + 2
	var h handshake.Header
	if h.Unmarshal(msg) != nil || (h.Type != handshake.TypeServerHello && h.Type != handshake.TypeClientHello) ||
		h.FragmentOffset != 0 || len(msg) < randomOff+32 {
		return hello{}, false
	}
	out := hello{server: h.Type == handshake.TypeServerHello, random: msg[randomOff : randomOff+32], ems: emsUnknown}
	end := handshake.HeaderLength + int(h.Length)
	if h.FragmentLength != h.Length || len(msg) < end {
		return out, true
	}
	var exts []extension.Extension
	if out.server {
		var m handshake.MessageServerHello
		if m.Unmarshal(msg[handshake.HeaderLength:end]) != nil {
			return out, true
		}
		exts, out.ems = m.Extensions, emsAbsent
	} else {
		var m handshake.MessageClientHello
		if m.Unmarshal(msg[handshake.HeaderLength:end]) != nil {
			return out, true
		}
		exts = m.Extensions
	}
	for _, ext := range exts {
		switch e := ext.(type) {
		case *extension.UseExtendedMasterSecret:
			if out.server {
				out.ems = emsNegotiated
			}
		case *extension.ConnectionID:
			out.cid = append([]byte{}, e.CID...)
		}
	}
	return out, true
}
