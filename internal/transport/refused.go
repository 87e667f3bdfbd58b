package transport

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"net"
)

// A base socket reports ECONNREFUSED (an ICMP port unreachable that
// answered an earlier datagram) as ErrConnectionRefused and stays usable;
// what the refusal means is the transport's decision (refusalEnds).
// During the handshake a refusal means the peer is not running: it ends
// the handshake at once with G_IO_ERROR_CONNECTION_REFUSED, as
// glib-networking's does, instead of retransmitting until the handshake
// timeout. After the handshake refusals are ignored, as DTLS's datagram
// model and GLib's datagram users do: the peer may come back, and a
// spoofed ICMP message must not end a connection.

// BeginHandshake makes refusals count once this handshake has sent a
// datagram; one before it answered a datagram of an earlier connection
// on the same socket, whose peer may have restarted since.
func (t *Transport) BeginHandshake() {
	t.sentOK.Store(false)
	t.handshaking.Store(true)
}

// EndHandshake: refusals are ignored from now on.
func (t *Transport) EndHandshake() { t.handshaking.Store(false) }

// refusalEnds reports whether a refusal reported now ends the handshake.
func (t *Transport) refusalEnds() bool { return t.handshaking.Load() && t.sentOK.Load() }

// ignoredRefusal reports whether err is a refusal to shrug off.
func (t *Transport) ignoredRefusal(err error) bool {
	return errors.Is(err, errkind.ErrConnectionRefused) && !t.refusalEnds()
}

// writeReporting sends d for pion, noting the handshake's first datagram
// that went out. A send that reports an ignored refusal sent nothing (the
// kernel reported the earlier error instead), so d goes once more.
func (t *Transport) writeReporting(d []byte, addr net.Addr) error {
	err := t.Write(d, addr)
	if t.ignoredRefusal(err) {
		if err = t.Write(d, addr); errors.Is(err, errkind.ErrConnectionRefused) {
			err = nil // another refusal since: d is lost, as on any network
		}
	}
	if err == nil && t.handshaking.Load() {
		t.sentOK.Store(true)
	}
	return err
}

// Handshaking reports whether a handshake is running (BeginHandshake, not
// yet EndHandshake).
func (t *Transport) Handshaking() bool { return t.handshaking.Load() }

// Abort marks that dtlsgo sent a fatal alert of its own: pion's writes are
// dropped from now on. It reports false when the transport was aborted
// already.
func (t *Transport) Abort() bool { return t.aborted.CompareAndSwap(false, true) }
