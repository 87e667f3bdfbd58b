package dtlsgo

import (
	"github.com/dtlsgo/dtlsgo/internal/transport"
	"io"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/socket"
	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/protocol/alert"
)

// Once dtlsgo's record layer (record.Layer) has taken over, pion's
// goroutines — its handshake state machine, its read loop, the helper of
// each of its reads — would only
// wait, and their stacks would be most of what an idle connection costs.
// So pion is retired: the transport ends its reads (net.ErrClosed, after
// which pion's read loop ends without sending anything, and its state
// machine with it), and the record layer does what pion still did after
// its handshake:
//   - the peer's alerts: close_notify ends the peer's direction only
//     (half-close, as glib-networking does: ours ends when the
//     application shuts it, with our close_notify); a fatal alert ends the
//     connection with an error; warnings are dropped;
//   - a server sends its last flight again when the peer sends its own
//     again, having missed ours (RFC 6347 4.2.4), as pion's finished
//     state machine does; a client answers nothing;
//   - shutting the write side sends our close_notify.

// resendInterval is the least time between two resends of the last
// flight: a peer's flight of several datagrams asks once, and a third
// party replaying them cannot make us send more.
const resendInterval = 100 * time.Millisecond

// Alert levels and the description dtlsgo sends itself.
const (
	alertWarning     = 1
	alertFatal       = 2
	alertCloseNotify = 0
)

// retirePion hands pion's remaining duties to the record layer, which has
// just taken over, and waits for pion's goroutines to end; the records
// pion decrypted meanwhile are queued for receive.
func (c *Conn) retirePion(pc *dtls.Conn) {
	c.tr.Retire(c.control)
	buf := make([]byte, socket.ReadSlot)
	for {
		n, err := pc.Read(buf)
		if err != nil {
			break
		}
		rec := transport.GetRecordBuffer(n)
		c.push([]transport.Queued{{Data: append((*rec)[:0], buf[:n]...), Buf: rec}}, false)
	}
	if c.tr.Closed() {
		// pion read a plaintext alert before it stopped (encrypted ones
		// are held back from it): it has closed the transport.
		c.endOfStream(io.EOF)
	}
	// Only now, behind every record pion read, the alerts held back from
	// it, then those the record layer opened since it took over.
	c.tr.ReleaseAlerts(c.heldAlert, func() {
		c.releaseLateAlerts()
		c.endOfStream(c.tr.EndError())
	})
	c.releaseLateAlerts()
}

// deferAlert keeps an alert the record layer opened while pion's records
// are still being queued (see retirePion): a close_notify that overtook
// the data pion read before it must not end the stream ahead of that
// data. false when nothing is being drained.
func (c *Conn) deferAlert(level, desc byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.draining {
		return false
	}
	if len(c.lateAlerts) < maxLateAlerts {
		c.lateAlerts = append(c.lateAlerts, [2]byte{level, desc})
	}
	return true
}

// maxLateAlerts bounds the alerts kept while draining: the first that
// ends the stream is all that counts.
const maxLateAlerts = 16

// releaseLateAlerts acts on the alerts deferAlert kept, in order, and ends
// the deferral once none is left.
func (c *Conn) releaseLateAlerts() {
	for {
		c.mu.Lock()
		if len(c.lateAlerts) == 0 {
			c.draining, c.lateAlerts = false, nil
			c.mu.Unlock()
			return
		}
		a := c.lateAlerts[0]
		c.lateAlerts = c.lateAlerts[1:]
		c.mu.Unlock()
		c.peerAlert(a[0], a[1])
	}
}

// control takes the records of a datagram that the record layer did not
// open (not of the current epoch), on the transport's reader: the peer's
// plaintext handshake records, its last flight sent again.
func (c *Conn) control(d []byte) {
	app := c.layer.Load()
	for r := range app.All(d) {
		if c.flight != nil && app.FreshHandshake(r) {
			c.resendFlight(app)
		}
	}
}

// controlRecord acts on an authentic record of the current epoch that is
// not application data: an alert, or a server's peer repeating its
// Finished (it missed ours).
func (c *Conn) controlRecord(app *record.Layer, typ byte, content []byte) {
	switch {
	case typ == record.ContentAlert && len(content) == 2:
		if !c.deferAlert(content[0], content[1]) {
			c.peerAlert(content[0], content[1])
		}
	case typ == record.ContentHandshake && c.flight != nil:
		c.resendFlight(app)
	}
}

// heldAlert takes an alert record held back from pion (see
// internal/transport/heldalerts.go), off the transport's reader: it came
// before those deferAlert keeps.
func (c *Conn) heldAlert(d []byte) {
	app := c.layer.Load()
	if r, _, ok := app.Next(d); ok {
		if typ, content, ok := app.OpenWith(nil, r, new(record.Scratch)); ok && typ == record.ContentAlert && len(content) == 2 {
			c.peerAlert(content[0], content[1])
		}
	}
}

// peerAlert acts on an authentic alert from the peer.
func (c *Conn) peerAlert(level, desc byte) {
	if c.trace != nil {
		c.trace.printf("received alert %s %s", alert.Level(level), alert.Description(desc))
	}
	switch {
	case desc == alertCloseNotify:
		c.peerEnded(nil)
	case level == alertFatal:
		c.peerEnded(Errorf(ErrTLSMisc, "Peer sent fatal DTLS alert: %s", alert.Description(desc)))
	}
}

// peerEnded ends the stream at the peer's alert: queued records stay
// receivable, and err (nil for close_notify) is what receive reports after
// them. Sends go on after a close_notify, not after a fatal alert.
func (c *Conn) peerEnded(err error) {
	c.mu.Lock()
	if c.eos {
		c.mu.Unlock()
		return
	}
	c.eos = true
	c.peerNotified, c.peerFatal = err == nil, err != nil
	if !c.readShut {
		c.eosErr = err
	}
	c.changedLocked()
	c.mu.Unlock()
	c.notify()
}

// sendAlert seals an alert under the record layer's keys and sends it.
func (c *Conn) sendAlert(level, desc byte) {
	if c.trace != nil {
		c.trace.printf("sent alert %s %s", alert.Level(level), alert.Description(desc))
	}
	app := c.layer.Load()
	rec, err := app.Seal(nil, record.ContentAlert, []byte{level, desc}, new(record.Scratch))
	if err == nil {
		_ = c.tr.Write(rec, nil)
	}
}

// resendFlight sends pion's last flight again, its epoch-1 records under
// new sequence numbers, at most once per resendInterval.
func (c *Conn) resendFlight(app *record.Layer) {
	now := time.Now().UnixNano()
	last := c.lastResend.Load()
	if now-last < int64(resendInterval) || !c.lastResend.CompareAndSwap(last, now) {
		return
	}
	ds := c.flight.Get()
	if c.trace != nil {
		c.trace.printf("peer sent its last flight again (it missed ours): sending flight 6 again (%d datagrams)", len(ds))
	}
	go func() {
		for _, d := range ds {
			if err := c.tr.Write(app.Reseal(d), nil); err != nil {
				return
			}
		}
	}()
}

// closeNotify sends our close_notify when the record layer serves the
// connection (pion's Close does otherwise): once, and not after the
// peer's fatal alert.
func (c *Conn) closeNotify() {
	c.mu.Lock()
	send := c.state == HandshakeDone && !c.closeNotifySent && !c.peerFatal
	c.closeNotifySent = true
	c.mu.Unlock()
	if send {
		c.sendAlert(alertWarning, alertCloseNotify)
	}
}
