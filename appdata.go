package dtlsgo

import (
	"context"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
	"net"
	"sync"

	"github.com/pion/dtls/v3"
)

// Each operation below waits as its Op says (see op.go).

// established returns the error an operation must report instead of
// going on, nil once the handshake is done.
func (c *Conn) established(shut bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case shut:
		return Errorf(ErrClosed, "Connection is closed")
	case c.state == HandshakeFailed:
		return c.hsErr
	case c.state != HandshakeDone:
		return Errorf(ErrFailed, "The DTLS handshake has not completed")
	}
	return nil
}

// Send sends each payload as one record and returns how many were sent. An
// error is returned only when none was: a later failure ends the batch
// early, to be reported by the next call.
func (c *Conn) Send(op Op, payloads [][]byte) (int, error) {
	if c.handshakePending() {
		return 0, ErrNeedHandshake
	}
	if len(payloads) == 0 {
		return 0, nil
	}
	if len(payloads[0]) > MaxPayload {
		return 0, tooLarge(len(payloads[0]))
	}
	if err := c.writeLock.acquire(op); err != nil {
		return 0, err
	}
	defer c.writeLock.release()
	c.mu.Lock()
	app := c.app
	c.mu.Unlock()
	return c.sendApp(app, payloads)
}

// sendBatch is how many records go to the socket in one call.
const sendBatch = 64

// sendScratch is what one send seals a batch into, lent by a pool so that
// a connection holds none between sends (a batch of large records is tens
// of KiB).
type sendScratch struct {
	buf    []byte   // the sealed records
	dgrams [][]byte // each record in buf
	sc     record.Scratch
}

var sendScratches = sync.Pool{New: func() any { return new(sendScratch) }}

// sendApp is Send through dtlsgo's record layer (app is nil before the
// handshake completed: established says why): each chunk of the batch
// is sealed into one reused buffer and sent with one system call.
func (c *Conn) sendApp(app *record.Layer, payloads [][]byte) (int, error) {
	c.mu.Lock()
	shut, ended := c.writeShut, c.eos && !c.peerNotified
	c.mu.Unlock()
	if err := c.established(shut); err != nil {
		return 0, err
	}
	if ended {
		// A fatal alert or the base socket's end: nothing goes out.
		return 0, c.writeError(dtls.ErrConnClosed)
	}
	ss := sendScratches.Get().(*sendScratch)
	defer sendScratches.Put(ss)
	sent := 0
	for sent < len(payloads) {
		chunk := payloads[sent:min(len(payloads), sent+sendBatch)]
		size := 0
		for i, p := range chunk {
			if len(p) > MaxPayload {
				chunk = chunk[:i]
				break
			}
			size += len(p) + app.Overhead(len(p))
		}
		if len(chunk) == 0 {
			break
		}
		if cap(ss.buf) < size {
			ss.buf = make([]byte, 0, size)
		}
		buf := ss.buf[:0]
		for i, p := range chunk {
			start := len(buf)
			var err error
			if buf, err = app.Seal(buf, record.ContentAppData, p, &ss.sc); err != nil {
				return partial(sent, c.writeError(err))
			}
			ss.dgrams = append(ss.dgrams[:i], buf[start:])
		}
		n, err := c.tr.WriteDatagrams(ss.dgrams[:len(chunk)])
		sent += n
		if err != nil {
			return partial(sent, c.writeError(err))
		}
		if n < len(chunk) {
			break
		}
	}
	return sent, nil
}

func tooLarge(n int) error {
	return Errorf(ErrMessageTooLarge, "Message of %d bytes is larger than the maximum DTLS record payload (%d bytes)", n, MaxPayload)
}

// writeError names why pion refused a record.
func (c *Conn) writeError(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.writeShut:
		return Errorf(ErrClosed, "Connection is closed")
	case c.eos && !c.peerNotified:
		return Errorf(ErrBrokenPipe, "The peer closed the DTLS connection")
	case errors.Is(err, dtls.ErrConnClosed), errors.Is(err, net.ErrClosed):
		return Errorf(ErrBrokenPipe, "The DTLS connection has ended")
	}
	return Errorf(ErrFailed, "Error sending data over the DTLS connection: %v", err)
}

// Receive takes up to n records, handing record i to deliver, and returns
// how many it took. With no deadline it waits for all n; with a deadline it
// returns what arrived by then (ErrTimedOut if nothing); with poll, what is
// queued (ErrWouldBlock if nothing). After the peer's close_notify it returns
// the queued records, then 0 with no error, forever. rec is valid only
// during deliver: its buffer is reused as soon as deliver returns.
func (c *Conn) Receive(op Op, n int, deliver func(i int, rec []byte)) (int, error) {
	if c.handshakePending() {
		return 0, ErrNeedHandshake
	}
	if n == 0 {
		return 0, nil
	}
	if err := c.readLock.acquire(op); err != nil {
		return 0, err
	}
	defer c.readLock.release()

	got := 0
	for got < n {
		c.mu.Lock()
		if c.records.len() > 0 && !c.readShut {
			if c.records.len() >= recvQueueLimit {
				c.changedLocked() // a reader waits for room
			}
			rec := c.records.pop()
			roomy := c.records.len() <= recvQueueLimit/2
			c.mu.Unlock()
			if roomy {
				c.tr.ResumeReading() // a full queue paused the background reader
			}
			deliver(got, rec.Data)
			transport.PutRecordBuffer(rec.Buf)
			got++
			continue
		}
		shut, eos, eosErr, gen := c.readShut, c.eos, c.eosErr, c.gen.Load()
		c.mu.Unlock()

		if err := c.established(shut); err != nil {
			return partial(got, err)
		}
		if eos {
			if eosErr != nil && got == 0 {
				return 0, eosErr
			}
			return got, nil
		}
		if err := c.awaitRecords(op, gen); err != nil {
			return partial(got, err)
		}
	}
	return got, nil
}

// awaitRecords waits for the connection to change from generation gen:
// reading the socket on this thread when the record layer allows (a round
// trip then costs one wake-up per datagram), else for the reader
// goroutine. A polling op only reads what is queued.
func (c *Conn) awaitRecords(op Op, gen uint64) error {
	handled, err := c.tr.ReadInline(op.wait(), &c.gen, gen, op.Poll)
	if err != nil {
		return Errorf(ErrFailed, "Error reading the base socket: %v", err)
	}
	if handled || op.Poll {
		if c.gen.Load() != gen {
			return nil
		}
		if op.Poll {
			return errNoRecord
		}
		return op.ended("receiving")
	}
	c.mu.Lock()
	if c.gen.Load() != gen {
		c.mu.Unlock()
		return nil
	}
	wait := c.changedChanLocked()
	c.mu.Unlock()
	ctx, release := op.context()
	defer release()
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return contextError(ctx, "receiving")
	}
}

var errNoRecord = Errorf(ErrWouldBlock, "No DTLS record is ready")

// handshakePending reports whether the handshake has not run or is
// running (see ErrNeedHandshake).
func (c *Conn) handshakePending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == HandshakeIdle || c.state == HandshakeRunning
}

// partial applies GLib's rule: once a message moved, the error is dropped.
func partial(got int, err error) (int, error) {
	if got > 0 {
		return got, nil
	}
	return 0, err
}

// Readiness reports whether a receive (in) or a send (out) would complete
// without waiting, with records or with an error.
func (c *Conn) Readiness() (in, out bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	failed := c.state == HandshakeFailed
	in = c.records.len() > 0 || c.eos || c.readShut || failed
	out = c.state != HandshakeRunning
	return in, out
}

// Watch counts a watcher of the connection's readiness (a readiness
// source), or ends one: while any watches, datagrams no receive takes are
// read at once, so readiness follows them.
func (c *Conn) Watch(on bool) { c.tr.Watch(on) }

// WaitReady blocks until Readiness reports in (wantIn) or out (wantOut).
// Not ready in time is ErrTimedOut even with poll: GLib documents it so for
// g_datagram_based_condition_wait, and GSocket does it.
func (c *Conn) WaitReady(ctx context.Context, poll, wantIn, wantOut bool) error {
	watching := false
	defer func() {
		if watching {
			c.Watch(false)
		}
	}()
	for {
		in, out := c.Readiness()
		if (wantIn && in) || (wantOut && out) {
			return nil
		}
		if poll {
			return Errorf(ErrTimedOut, "The DTLS connection did not become ready in time")
		}
		if !watching {
			watching = true
			c.Watch(true)
			continue // what the background reader read at once
		}
		c.mu.Lock()
		wait := c.changedChanLocked()
		c.mu.Unlock()
		// Re-check: a change between Readiness and taking wait is not lost,
		// since wait was taken after it or is closed by it.
		if in, out := c.Readiness(); (wantIn && in) || (wantOut && out) {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return contextError(ctx, "waiting for the DTLS connection")
		}
	}
}

// Shutdown shuts the read side, the write side, or both (close). Shutting
// the write side sends close_notify at once when a handshake completed
// (the peer's receives end; ours go on until the read side is shut too).
// Closing stops a handshake in progress and releases the base socket
// adapter; the base socket itself is never closed. Shutting down twice is
// not an error.
func (c *Conn) Shutdown(read, write bool) error {
	c.mu.Lock()
	if read {
		c.readShut = true
		c.records.drop()
	}
	if write {
		c.writeShut = true
	}
	closing := c.readShut && c.writeShut
	pc, app, cancel := c.pc, c.app, c.hsCancel
	c.changedLocked()
	c.mu.Unlock()
	c.notify()

	if write && app != nil {
		c.closeNotify() // once; pion is retired (see controlrecords.go)
	}
	if !closing {
		return nil
	}
	if cancel != nil {
		cancel(Errorf(ErrClosed, "Connection was closed during the DTLS handshake"))
	}
	var err error
	if app == nil && pc != nil {
		// A handshake in progress: pion closes the transport.
		err = pc.Close()
	}
	_ = c.tr.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return Errorf(ErrFailed, "Error closing the DTLS connection: %v", err)
	}
	return nil
}

// Close is Shutdown(true, true).
func (c *Conn) Close() error { return c.Shutdown(true, true) }
