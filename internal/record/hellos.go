package record

import (
	"encoding/binary"

	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"golang.org/x/crypto/cryptobyte"
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
// handshake header and the 2-byte version. A whole message's extensions
// are read for the two this watch needs, its fields walked as RFC 6347
// 4.2.1 and RFC 5246 7.4.1 lay them out (pion's own parse of each hello,
// which builds every extension, cost a twentieth of a handshake's CPU).
func parseHello(msg []byte) (hello, bool) {
	const randomOff = handshake.HeaderLength + 2
	var h handshake.Header
	if h.Unmarshal(msg) != nil || (h.Type != handshake.TypeServerHello && h.Type != handshake.TypeClientHello) ||
		h.FragmentOffset != 0 || len(msg) < randomOff+32 {
		return hello{}, false
	}
	out := hello{server: h.Type == handshake.TypeServerHello, random: msg[randomOff : randomOff+32], ems: emsUnknown}
	end := handshake.HeaderLength + int(h.Length)
	if h.FragmentLength != h.Length || len(msg) < end || end < randomOff+32 {
		return out, true
	}
	exts, ok := helloExtensions(cryptobyte.String(msg[randomOff+32:end]), out.server)
	if !ok {
		return out, true
	}
	var cid []byte
	ems := false
	// As pion reads them: a last extension of a type it does not know may
	// claim more bytes than are left.
	for len(exts) > 0 {
		if len(exts) < 4 {
			return out, true
		}
		typ, n := binary.BigEndian.Uint16(exts), int(binary.BigEndian.Uint16(exts[2:]))
		switch typ {
		case extensionExtendedMasterSecret:
			if n != 0 {
				return out, true
			}
			ems = true
		case extensionConnectionID:
			data := cryptobyte.String(exts[4:min(len(exts), 4+n)])
			var id cryptobyte.String
			if 4+n > len(exts) || !data.ReadUint8LengthPrefixed(&id) || !data.Empty() {
				return out, true
			}
			cid = append([]byte{}, id...)
		}
		exts = exts[min(len(exts), 4+n):]
	}
	out.cid = cid
	if out.server {
		out.ems = emsAbsent
		if ems {
			out.ems = emsNegotiated
		}
	}
	return out, true
}

// Extension numbers: RFC 7627 and RFC 9146.
const (
	extensionExtendedMasterSecret = 23
	extensionConnectionID         = 54
)

// helloExtensions walks a hello's body after its random to its extensions
// (empty when it has none); false when the fields do not add up.
func helloExtensions(b cryptobyte.String, server bool) ([]byte, bool) {
	var sessionID, cookie, suites, compression, exts cryptobyte.String
	var suite uint16
	var method uint8
	if !b.ReadUint8LengthPrefixed(&sessionID) {
		return nil, false
	}
	if server {
		if !b.ReadUint16(&suite) || !b.ReadUint8(&method) {
			return nil, false
		}
	} else if !b.ReadUint8LengthPrefixed(&cookie) || !b.ReadUint16LengthPrefixed(&suites) ||
		!b.ReadUint8LengthPrefixed(&compression) {
		return nil, false
	}
	if b.Empty() {
		return nil, true
	}
	if !b.ReadUint16LengthPrefixed(&exts) || !b.Empty() {
		return nil, false
	}
	return exts, true
}
