package tlsstream

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"time"
)

// errCleanEOF marks the peer's close_notify.
var errCleanEOF = errors.New("tlsstream: close_notify")

// Read copies what the peer sent into p: 0 at the end of the stream. With
// nonblock it never waits (WOULD_BLOCK); otherwise until ctx ends. The
// handshake must have been run.
//
// Until someone asks for readiness (Readiness, or a read that must not
// wait), a blocking read over a socket reads on the caller's thread, as
// GIO's own socket streams do: no reader goroutine hands it each record.
// From then on the reader reads ahead and reads take what it read.
func (c *Conn) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if n, err, done := c.readOverLocked(p); done {
			return n, err
		}
		switch {
		case nonblock:
			c.startReaderLocked() // readiness says when there is something
			return 0, newError(CodeWouldBlock, "Resource temporarily unavailable")
		case c.direct && !c.readerStarted && len(p) > 0:
			if n, err, done := c.readDirectLocked(ctx, p); done {
				return n, err
			}
			continue // the switch says what the read found: the end, a close
		}
		c.readWaiting = true
		err := c.waitLocked(ctx, "reading")
		c.readWaiting = false
		if err != nil {
			c.readTimedOut = false // this Read ends anyway
			return 0, err
		}
	}
}

// readOverLocked is what a read finds before reading anything: done, with
// what the reader read ahead or why reading is over; not done when the
// read must read (or wait).
func (c *Conn) readOverLocked(p []byte) (n int, err error, done bool) {
	switch {
	case c.closed || c.readShut:
		return 0, newError(CodeClosed, "Connection is closed"), true
	case c.state == StateFailed:
		return 0, c.hsErr, true
	case c.state != StateDone:
		return 0, newError(CodeFailed, "The TLS handshake has not completed"), true
	case c.pendingBytes > 0:
		return c.takeLocked(p), nil, true
	case c.readTimedOut:
		c.readTimedOut = false
		return 0, newError(CodeTimedOut, "Socket I/O timed out"), true
	case c.readEnd == errCleanEOF:
		return 0, nil, true
	case c.readEnd == errRawEOF:
		if c.requireNotify {
			return 0, newError(CodeEOF, "TLS connection closed unexpectedly"), true
		}
		return 0, nil, true
	case c.readEnd != nil:
		return 0, c.readEnd, true
	}
	return 0, nil, false
}

// readDirectLocked reads into p on the caller's thread, with c.mu held on
// entry and return (released meanwhile); done is false when the read only
// changed the state (the stream's end, a close) or was woken for nothing.
func (c *Conn) readDirectLocked(ctx context.Context, p []byte) (n int, err error, done bool) {
	tc := c.tc
	c.directReading = true
	c.mu.Unlock()
	n, rerr := c.interruptibleRead(ctx, tc, p)
	interrupted := errors.Is(rerr, os.ErrDeadlineExceeded)
	var end error
	if rerr != nil && !interrupted {
		if end = c.readError(rerr); end == nil {
			end = errCleanEOF
		}
	}
	c.mu.Lock()
	c.directReading = false
	if end != nil && c.readEnd == nil {
		c.readEnd = end
	}
	if c.readerStarted {
		c.changedLocked() // the reader waited for this read to end
	}
	switch {
	case n > 0:
		return n, nil, true
	case interrupted && ctx.Err() != nil && !c.closed && !c.readShut:
		return 0, contextError(ctx, "reading"), true
	}
	return 0, nil, false
}

// interruptibleRead is tc.Read, which ctx's end interrupts through a past
// read deadline: crypto/tls keeps what it read of a record for the next
// read after a timeout.
func (c *Conn) interruptibleRead(ctx context.Context, tc *tls.Conn, p []byte) (int, error) {
	if ctx.Done() == nil {
		return tc.Read(p)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.raw.SetReadDeadline(aLongTimeAgo)
		close(fired)
	})
	n, err := tc.Read(p)
	if !stop() {
		<-fired
		_ = c.raw.SetReadDeadline(time.Time{})
	}
	return n, err
}

// aLongTimeAgo is a read deadline that has passed: a read waiting on the
// transport returns at once.
var aLongTimeAgo = time.Unix(1, 0)

// startReaderLocked starts the reader (once the handshake is done): from
// now on it reads ahead, so that readiness can be told.
func (c *Conn) startReaderLocked() {
	if !c.readerStarted && c.state == StateDone {
		c.readerStarted = true
		go c.readLoop(c.tc)
	}
}

// Write queues p (or as much of it as fits) for the writer and returns how
// much it took. With nonblock it never waits (WOULD_BLOCK when the queue is
// full); otherwise until ctx ends.
func (c *Conn) Write(ctx context.Context, p []byte, nonblock bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err, done := c.writeOverLocked(p); done {
			return 0, err
		}
		switch {
		case c.direct && !c.writing && len(c.queue) == 0 && c.unsentLocked() < writeQueueLimit:
			return c.writeDirectLocked(p)
		case c.unsentLocked() < writeQueueLimit:
			n := min(len(p), writeQueueLimit-c.unsentLocked())
			for rest := p[:n]; len(rest) > 0; {
				ch := copyChunk(rest[:min(len(rest), chunkSize)])
				c.queue = append(c.queue, ch)
				rest = rest[len(ch.data):]
			}
			c.queued += n
			c.changedLocked()
			return n, nil
		case nonblock:
			return 0, newError(CodeWouldBlock, "Resource temporarily unavailable")
		}
		if err := c.waitLocked(ctx, "writing"); err != nil {
			return 0, err
		}
	}
}

// writeOverLocked is whether a write of p is over before it writes
// anything, and with what error (none for an empty p).
func (c *Conn) writeOverLocked(p []byte) (err error, done bool) {
	switch {
	case c.closed || c.writeShut:
		return newError(CodeClosed, "Connection is closed"), true
	case c.state == StateFailed:
		return c.hsErr, true
	case c.state != StateDone:
		return newError(CodeFailed, "The TLS handshake has not completed"), true
	case c.writeErr != nil:
		return c.writeErr, true
	case len(p) == 0:
		return nil, true
	}
	return nil, false
}

// writeDirectLocked encrypts and sends p (as much of it as the queue's
// limit allows) on the caller's thread, with c.mu held on entry and return
// (released meanwhile). It never waits: what the socket does not take at
// once waits in the transport's backlog, which the writer sends.
func (c *Conn) writeDirectLocked(p []byte) (int, error) {
	c.writing = true
	n := c.sealOnCallerLocked(p[:min(len(p), writeQueueLimit-c.unsentLocked())])
	c.writing = false
	c.changedLocked() // the writer sends the backlog; CloseWrite goes on
	if n > 0 {
		return n, nil
	}
	return 0, c.writeErr
}

// sealOnCallerLocked encrypts p and hands it to the transport on the
// caller's thread (what the socket does not take goes to the backlog),
// with c.mu held on entry and return (released meanwhile); an error is
// kept as the connection's sticky write error.
func (c *Conn) sealOnCallerLocked(p []byte) int {
	tc := c.tc
	c.mu.Unlock()
	c.raw.inline.Store(true)
	n, err := tc.Write(p)
	c.raw.inline.Store(false)
	if err != nil {
		err = c.writeError(err)
	}
	c.mu.Lock()
	if err != nil && c.writeErr == nil {
		c.writeErr = err
	}
	return n
}

// unsentLocked is what writes took that has not gone to the transport:
// plaintext queued or being written, ciphertext in the backlog.
func (c *Conn) unsentLocked() int {
	return c.queued + c.raw.backlogLen()
}

// takeLocked copies what p holds of the pending plaintext into it.
func (c *Conn) takeLocked(p []byte) int {
	full := c.pendingBytes >= readAheadLimit
	n := 0
	for n < len(p) && len(c.pending) > 0 {
		ch := &c.pending[0]
		k := copy(p[n:], ch.data)
		ch.data = ch.data[k:]
		n += k
		if len(ch.data) == 0 {
			ch.release()
			last := len(c.pending) - 1
			copy(c.pending, c.pending[1:])
			c.pending[last] = chunk{} // no stale buffer behind the end
			c.pending = c.pending[:last]
		}
	}
	c.pendingBytes -= n
	if full && c.pendingBytes < readAheadLimit {
		c.changedLocked() // the reader reads on
	}
	return n
}

// waitLocked waits for the next change, with c.mu held on entry and return.
func (c *Conn) waitLocked(ctx context.Context, doing string) error {
	wait := c.changed
	c.waiting++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waiting--
	}()
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return contextError(ctx, doing)
	}
}

// readLoop reads ahead until the stream ends, waiting while readAheadLimit
// bytes wait to be taken. After a full record (a bulk transfer) it reads
// the next into a chunk. Otherwise it waits for the peer with a small
// buffer, so that an idle connection holds no chunk, and reads the rest of
// a record that filled it, which crypto/tls holds already, into a chunk.
func (c *Conn) readLoop(tc *tls.Conn) {
	// A read on the caller's thread finishes first: what it reads comes
	// before what this reads.
	c.mu.Lock()
	for c.directReading && !c.closed && !c.readShut {
		wait := c.changed
		c.mu.Unlock()
		<-wait
		c.mu.Lock()
	}
	c.mu.Unlock()
	small := make([]byte, smallChunk)
	bulk := false
	for {
		var ch chunk
		var err error
		if bulk {
			ch = newChunk()
		} else {
			var n int
			n, err = tc.Read(small)
			ch = copyChunk(small[:n])
			if err != nil || n < len(small) {
				if !c.publish(ch, err) {
					return
				}
				continue
			}
			// Published first: should the record have ended right there,
			// the next read waits for the peer.
			if !c.publish(ch, nil) {
				return
			}
			ch = newChunk()
		}
		// What fills a record: a chunk, or what a small read left of one.
		full := chunkSize
		if !bulk {
			full -= smallChunk
		}
		n, err := tc.Read(ch.data)
		ch.data = ch.data[:n]
		bulk = n == full
		if !c.publish(ch, err) {
			return
		}
	}
}

// publish hands what the reader read to the application, and why reading
// ended if it did (err); false once the reader must stop.
func (c *Conn) publish(ch chunk, err error) bool {
	// A transport that timed out (a generic base's GSocket timeout) has
	// not ended: a Read waiting now learns it, reading goes on.
	timedOut := isTimeout(err)
	if timedOut {
		err = nil
	}
	var end error
	if err != nil {
		if end = c.readError(err); end == nil {
			end = errCleanEOF
		}
	}
	c.mu.Lock()
	if len(ch.data) > 0 {
		c.pending = append(c.pending, ch)
		c.pendingBytes += len(ch.data)
	} else {
		ch.release()
	}
	c.readEnd = end
	c.readTimedOut = c.readTimedOut || (timedOut && c.readWaiting)
	c.changedLocked()
	for c.pendingBytes >= readAheadLimit && !c.closed && !c.readShut {
		wait := c.changed
		c.mu.Unlock()
		c.notify()
		<-wait
		c.mu.Lock()
	}
	stop := err != nil || c.closed || c.readShut
	c.mu.Unlock()
	c.notify()
	return !stop
}

// writeLoop writes what Write queued, and sends the backlog that writes on
// the callers' threads left, in order, until writing is shut or fails.
func (c *Conn) writeLoop(tc *tls.Conn) {
	c.mu.Lock()
	for {
		// Wait for a queue to write or a backlog to send (once a write on
		// the caller's thread left it).
		for len(c.queue) == 0 && (c.writing || c.raw.backlogLen() == 0) &&
			!c.closed && c.writeErr == nil {
			if c.writeShut && !c.writing {
				c.mu.Unlock()
				return // nothing left to send, and nothing will come
			}
			wait := c.changed
			c.mu.Unlock()
			<-wait
			c.mu.Lock()
		}
		if c.closed || c.writeErr != nil {
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			c.flushing = true
			c.mu.Unlock()
			err := c.raw.flush()
			if err != nil {
				err = c.writeError(err)
			}
			c.mu.Lock()
			c.flushing = false
			if err != nil && c.writeErr == nil {
				c.writeErr = err
			}
			c.changedLocked()
			c.mu.Unlock()
			c.notify()
			c.mu.Lock()
			continue
		}
		batch := c.queue
		c.queue = c.spare
		c.writing = true
		c.mu.Unlock()

		var err error
		for i := range batch {
			if err == nil {
				_, err = tc.Write(batch[i].data)
			}
			batch[i].release()
		}

		if err != nil {
			err = c.writeError(err)
		}
		c.mu.Lock()
		c.writing = false
		c.spare = batch[:0]
		c.queued = 0
		for _, b := range c.queue {
			c.queued += len(b.data)
		}
		if err != nil {
			c.writeErr = err
		}
		c.changedLocked()
		c.mu.Unlock()
		c.notify()
		c.mu.Lock()
	}
}

// isTimeout: err is the transport's read timing out, which crypto/tls
// passes on without failing the connection (a net.Error that says it is
// temporary).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && ne.Temporary() //nolint:staticcheck // crypto/tls's own test
}
