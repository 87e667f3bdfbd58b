package tlsstream

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// errCleanEOF marks the peer's close_notify.
var errCleanEOF = errors.New("tlsstream: close_notify")

// Read copies what the peer sent into p: 0 at the end of the stream. With
// nonblock it never waits (WOULD_BLOCK); otherwise until ctx ends. The
// handshake must have been run.
func (c *Conn) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case c.closed || c.readShut:
			return 0, newError(CodeClosed, "Connection is closed")
		case c.state == StateFailed:
			return 0, c.hsErr
		case c.state != StateDone:
			return 0, newError(CodeFailed, "The TLS handshake has not completed")
		case len(c.pending) > 0:
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			if len(c.pending) == 0 {
				c.changedLocked() // the reader reads on
			}
			return n, nil
		case c.readTimedOut:
			c.readTimedOut = false
			return 0, newError(CodeTimedOut, "Socket I/O timed out")
		case c.readEnd == errCleanEOF:
			return 0, nil
		case c.readEnd == errRawEOF:
			if c.requireNotify {
				return 0, newError(CodeEOF, "TLS connection closed unexpectedly")
			}
			return 0, nil
		case c.readEnd != nil:
			return 0, c.readEnd
		case nonblock:
			return 0, newError(CodeWouldBlock, "Resource temporarily unavailable")
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

// Write queues p (or as much of it as fits) for the writer and returns how
// much it took. With nonblock it never waits (WOULD_BLOCK when the queue is
// full); otherwise until ctx ends.
func (c *Conn) Write(ctx context.Context, p []byte, nonblock bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case c.closed || c.writeShut:
			return 0, newError(CodeClosed, "Connection is closed")
		case c.state == StateFailed:
			return 0, c.hsErr
		case c.state != StateDone:
			return 0, newError(CodeFailed, "The TLS handshake has not completed")
		case c.writeErr != nil:
			return 0, c.writeErr
		case len(p) == 0:
			return 0, nil
		case c.queued < writeQueueLimit:
			n := min(len(p), writeQueueLimit-c.queued)
			c.queue = append(c.queue, append([]byte(nil), p[:n]...))
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

// waitLocked waits for the next change, with c.mu held on entry and return.
func (c *Conn) waitLocked(ctx context.Context, doing string) error {
	wait := c.changed
	c.mu.Unlock()
	defer c.mu.Lock()
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return contextError(ctx, doing)
	}
}

// readLoop reads ahead one chunk at a time, waiting until the application
// took the last one, until the stream ends.
func (c *Conn) readLoop(tc *tls.Conn) {
	buf := make([]byte, readChunk)
	for {
		n, err := tc.Read(buf)
		// A transport that timed out (a generic base's GSocket timeout)
		// has not ended: a Read waiting now learns it, reading goes on.
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
		c.pending = buf[:n]
		c.readEnd = end
		c.readTimedOut = c.readTimedOut || (timedOut && c.readWaiting)
		c.changedLocked()
		for len(c.pending) > 0 && !c.closed && !c.readShut {
			wait := c.changed
			c.mu.Unlock()
			c.notify()
			<-wait
			c.mu.Lock()
		}
		stop := err != nil || c.closed || c.readShut
		c.mu.Unlock()
		c.notify()
		if stop {
			return
		}
	}
}

// writeLoop writes what Write queued, in order, until writing is shut or
// fails.
func (c *Conn) writeLoop(tc *tls.Conn) {
	c.mu.Lock()
	for {
		for len(c.queue) == 0 && !c.closed && !c.writeShut {
			wait := c.changed
			c.mu.Unlock()
			<-wait
			c.mu.Lock()
		}
		if len(c.queue) == 0 || c.closed || c.writeErr != nil {
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue = nil
		c.writing = true
		c.mu.Unlock()

		var err error
		for _, b := range batch {
			if _, err = tc.Write(b); err != nil {
				break
			}
		}

		if err != nil {
			err = c.writeError(err)
		}
		c.mu.Lock()
		c.writing = false
		c.queued = 0
		for _, b := range c.queue {
			c.queued += len(b)
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

// rawConn notes whether the transport reached its end, which is how a
// stream cut without close_notify is told from one closed with it.
type rawConn struct {
	net.Conn
	eof atomic.Bool
}

func (r *rawConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		r.eof.Store(true)
	}
	return n, err
}

func (r *rawConn) sawEOF() bool { return r.eof.Load() }

// discardUnreadLimit bounds what discardUnread throws away: a peer still
// sending gets its reset.
const discardUnreadLimit = 64 << 10

// discardUnread throws away what the socket received and nobody will read,
// just before it closes. A socket closed with unread bytes resets the
// connection instead of ending it (RFC 2525 section 2.17): the peer's next
// write, its own close_notify among them, then fails, and what it had not
// read yet may be lost. Such bytes come even from a quiet peer: a TLS 1.3
// server's session ticket follows the client's last handshake flight. Only
// for a socket (a transport with a descriptor); call it once the connection
// is closed to its readers, as it takes bytes from under them.
func (r *rawConn) discardUnread() {
	sc, ok := r.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		var buf [4096]byte
		for discarded := 0; discarded < discardUnreadLimit; {
			// Go's sockets are non-blocking: EAGAIN once nothing is left.
			n, err := syscall.Read(int(fd), buf[:])
			if n <= 0 || err != nil {
				return
			}
			discarded += n
		}
	})
}

// isTimeout: err is the transport's read timing out, which crypto/tls
// passes on without failing the connection (a net.Error that says it is
// temporary).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && ne.Temporary() //nolint:staticcheck // crypto/tls's own test
}
