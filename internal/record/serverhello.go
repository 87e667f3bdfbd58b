package record

import (
	"sync/atomic"

	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// Whether the handshake negotiated the extended master secret (RFC 7627)
// is something pion v3.1.15 knows but does not tell: its State copy drops
// it. The ServerHello says it, in plaintext: the server echoes the
// extension exactly when both sides use it. The transport watches the
// datagrams going both ways (the client reads the ServerHello, the server
// writes it) and remembers what the first complete one said.

// Extended master secret as seen in the ServerHello.
const (
	emsUnknown int32 = iota // no complete ServerHello seen (yet)
	emsNegotiated
	emsAbsent
)

// ServerHelloWatch records the extended master secret verdict of the first
// unfragmented ServerHello that crosses the transport.
type ServerHelloWatch struct{ ems atomic.Int32 }

// Observe looks at one datagram; after the verdict it costs one load.
func (w *ServerHelloWatch) Observe(d []byte) {
	if w.ems.Load() != emsUnknown || len(d) == 0 || protocol.ContentType(d[0]) != protocol.ContentTypeHandshake {
		return
	}
	records, err := recordlayer.UnpackDatagram(d)
	if err != nil {
		return
	}
	for _, rec := range records {
		if ems, ok := serverHelloEMS(rec); ok {
			if ems {
				w.ems.CompareAndSwap(emsUnknown, emsNegotiated)
			} else {
				w.ems.CompareAndSwap(emsUnknown, emsAbsent)
			}
			return
		}
	}
}

// ExtendedMasterSecret reports whether the ServerHello seen carried the
// extension; false when none was seen whole.
func (w *ServerHelloWatch) ExtendedMasterSecret() bool { return w.ems.Load() == emsNegotiated }

// serverHelloEMS parses one plaintext record; ok is false unless it holds a
// whole ServerHello.
func serverHelloEMS(rec []byte) (ems, ok bool) {
	var h recordlayer.Header
	if h.Unmarshal(rec) != nil || h.ContentType != protocol.ContentTypeHandshake || h.Epoch != 0 {
		return false, false
	}
	body := rec[h.Size():]
	var hh handshake.Header
	if hh.Unmarshal(body) != nil || hh.Type != handshake.TypeServerHello ||
		hh.FragmentOffset != 0 || hh.FragmentLength != hh.Length ||
		len(body) < handshake.HeaderLength+int(hh.Length) {
		return false, false
	}
	var hello handshake.MessageServerHello
	if hello.Unmarshal(body[handshake.HeaderLength:handshake.HeaderLength+int(hh.Length)]) != nil {
		return false, false
	}
	for _, ext := range hello.Extensions {
		if ext.TypeValue() == extension.UseExtendedMasterSecretTypeValue {
			return true, true
		}
	}
	return false, true
}
