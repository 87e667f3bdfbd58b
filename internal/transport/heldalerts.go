package transport

import (
	"bytes"
)

// The peer's encrypted alerts (close_notify above all) that arrive before
// dtlsgo's record layer has taken over are held back from pion and handed
// to the record layer once the records pion read before the takeover have
// been queued for receive. Were pion given them, it would answer a
// close_notify with its own at once (ending our direction too, where GLib
// ends only the peer's: half-close) and close the transport, releasing the
// base socket under the record layer; and a close_notify read after the
// takeover could end the stream before the data pion still held was
// Queued, so the last datagram before it seemed lost.
//
// Only alerts of a later epoch than 0 are held: until the peer's
// ChangeCipherSpec pion cannot read them anyway, and a plaintext alert
// ends a handshake at once, as it must. A connection the record layer does
// not take over gets them back, queued for pion behind what it was given.

// HoldAlerts sets whether the transport holds encrypted alerts back from
// pion; set before start.
func (t *Transport) HoldAlerts(on bool) {
	t.mu.Lock()
	t.holding = on
	t.mu.Unlock()
}

// hold takes the encrypted alert records out of d while alerts are held,
// and returns the rest.
func (t *Transport) hold(d []byte) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.holding {
		return d
	}
	return t.wire.SplitHeld(d, func(rec []byte) {
		if len(t.held) == maxHeldAlerts {
			// Noise spoofed during the handshake goes first: the peer's
			// real alerts come last, once it has finished.
			t.held = append(t.held[:0], t.held[1:]...)
		}
		t.held = append(t.held, bytes.Clone(rec))
	})
}

// maxHeldAlerts bounds the alert records held: a peer sends one or two.
const maxHeldAlerts = 16

// ReleaseAlerts ends the hold once pion is retired: each held alert goes
// to take (later ones go to the transport's control, on its reader), and
// ended is called when the reader has ended (at once if it already has).
func (t *Transport) ReleaseAlerts(take func(d []byte), ended func()) {
	t.mu.Lock()
	held := t.held
	t.held, t.holding, t.ended = nil, false, ended
	stopped := isClosed(t.stopped)
	t.mu.Unlock()
	for _, r := range held {
		take(r)
	}
	if stopped {
		ended()
	}
}

// ReleaseAlertsToPion ends the hold of a connection that pion keeps: the
// held alerts are queued for pion after what it has been given.
func (t *Transport) ReleaseAlertsToPion() {
	t.mu.Lock()
	held := t.held
	t.held, t.holding = nil, false
	for _, r := range held {
		t.queue = append(t.queue, datagram{data: r})
	}
	t.mu.Unlock()
	if len(held) > 0 {
		signal(t.queued)
	}
}
