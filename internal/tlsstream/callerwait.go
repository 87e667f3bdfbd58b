package tlsstream

import (
	"encoding/binary"
	"errors"

	"golang.org/x/sys/unix"
)

// Reads and writes over a socket for a caller that waits for the socket
// itself: the module's C shim, which polls on the thread that called in
// from GLib, as glib-networking's base does with its
// GTlsConnectionBaseStatus. Go does the non-blocking system calls and says
// what the operation needs (NeedInput, NeedOutput); the caller polls the
// socket, and calls again with what ended its wait. A wait in Go would
// park that thread in Go's poller and wake it through the scheduler, with
// several futex calls a wait; a thread that polls wakes by itself.
//
// The caller gives a wake descriptor of its own (an eventfd). While it
// waits, the Conn signals it when the wait must end for something other
// than the socket: a close, the read side shut, the transport closed under
// the Conn. The caller reads the signal away before it calls again.

// Waited is what ended a caller's wait for the socket.
type Waited int

const (
	WaitedNothing   Waited = iota // an operation's first call: no wait yet
	WaitedReady                   // the socket, or the wake descriptor, is ready
	WaitedTimedOut                // the caller's timeout passed
	WaitedCancelled               // the caller's cancellable fired
)

// Need is what a read or write needs from its caller to go on.
type Need int

const (
	NeedNothing Need = iota // the operation is over: its result stands
	NeedInput               // poll the socket for input (and wake), then call again
	NeedOutput              // poll the socket for output (and wake), then call again
	NeedGoWait              // nothing was done: call Read or Write, which wait in Go
)

// ReadOrWait is a blocking Read for a caller that waits for the socket
// itself (see above): it reads what crypto/tls holds and what the socket
// has, and needs input only when both are empty. On an operation's first
// call (waited is WaitedNothing) it answers NeedGoWait when the read must
// wait in Go: over a transport that is not a socket, once the reader
// reads ahead (someone polled), or without a wake descriptor (wake < 0).
func (c *Conn) ReadOrWait(p []byte, wake int, waited Waited) (int, Need, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if waited == WaitedNothing {
		if n, err, done := c.readOverLocked(p); done {
			return n, NeedNothing, err
		}
		if !c.direct || c.readerStarted || c.directReading || wake < 0 || len(p) == 0 {
			return 0, NeedGoWait, nil
		}
		// Until it is over, the read is the one reading the socket: the
		// reader, should someone start it, waits for it.
		c.directReading = true
	}
	c.readWake = -1
	n, need, err := c.readOrWaitLocked(p, waited)
	if need == NeedInput {
		c.readWake = wake
		return 0, need, nil
	}
	c.directReading = false
	if c.readerStarted {
		c.changedLocked() // the reader waited for this read to end
	}
	return n, need, err
}

// readOrWaitLocked reads without waiting, with c.mu held on entry and
// return (released meanwhile).
func (c *Conn) readOrWaitLocked(p []byte, waited Waited) (int, Need, error) {
	for {
		if n, err, done := c.readOverLocked(p); done {
			return n, NeedNothing, err // closed, shut, or the stream's end
		}
		switch waited {
		case WaitedTimedOut:
			// This read only: the next one reads on (GLib's socket
			// streams and backends alike).
			return 0, NeedNothing, newError(CodeTimedOut, "Socket I/O timed out")
		case WaitedCancelled:
			return 0, NeedNothing, newError(CodeCancelled, "Operation was cancelled")
		}
		tc := c.tc
		c.mu.Unlock()
		c.raw.noWait.Store(true)
		n, rerr := tc.Read(p)
		c.raw.noWait.Store(false)
		empty := errors.Is(rerr, errSocketEmpty)
		var end error
		if rerr != nil && !empty {
			if end = c.readError(rerr); end == nil {
				end = errCleanEOF
			}
		}
		c.mu.Lock()
		if end != nil && c.readEnd == nil {
			c.readEnd = end
		}
		switch {
		case n > 0:
			return n, NeedNothing, nil
		case empty && !c.closed && !c.readShut:
			return 0, NeedInput, nil
		}
		// The stream ended, or a close came: readOverLocked says which.
	}
}

// WriteOrWait is a blocking Write for a caller that waits for the socket
// itself (see above): p (up to the queue's limit) is encrypted and sent on
// the caller's thread, and the write is over once the socket took all of
// it. A timeout or cancellation before that still counts what it took:
// the writer sends the rest. On a first call it answers NeedGoWait as
// ReadOrWait does, and while the writer has writes queued or a backlog to
// send.
func (c *Conn) WriteOrWait(p []byte, wake int, waited Waited) (int, Need, error) {
	c.mu.Lock()
	if waited == WaitedNothing {
		if err, done := c.writeOverLocked(p); done {
			c.mu.Unlock()
			return 0, NeedNothing, err
		}
		if !c.direct || c.writing || c.flushing || len(c.queue) > 0 || wake < 0 {
			c.mu.Unlock()
			return 0, NeedGoWait, nil
		}
		c.writing = true // the writer keeps off until the write is over
		c.callerTook, c.callerFull = -1, false
	}
	c.writeWake = -1
	n, need, err := c.writeOrWaitLocked(p, waited)
	if need != NeedNothing {
		c.writeWake = wake
		c.mu.Unlock()
		return 0, need, nil
	}
	c.writing = false
	full := c.callerFull
	// A change only for whom it concerns: the writer, when something is
	// left to send (waking it after every write cost a thread hand-off
	// and a channel each time), CloseWrite, and calls waiting for room.
	if c.raw.backlogLen() > 0 || c.writeShut || c.waiting > 0 {
		c.changedLocked()
	}
	c.mu.Unlock()
	if full {
		c.notify() // writable again
	}
	return n, NeedNothing, err
}

// writeOrWaitLocked sends the backlog, then encrypts and sends p, without
// waiting, with c.mu held on entry and return (released meanwhile).
func (c *Conn) writeOrWaitLocked(p []byte, waited Waited) (int, Need, error) {
	for {
		took := c.callerTook
		switch {
		case c.closed:
			return 0, NeedNothing, newError(CodeClosed, "Connection is closed")
		case c.writeErr != nil && took > 0:
			return took, NeedNothing, nil // the error is the next write's
		case c.writeErr != nil:
			return 0, NeedNothing, c.writeErr
		case took >= 0 && (waited == WaitedTimedOut || waited == WaitedCancelled):
			return took, NeedNothing, nil // the writer sends the rest
		case waited == WaitedTimedOut:
			return 0, NeedNothing, newError(CodeTimedOut, "Socket I/O timed out")
		case waited == WaitedCancelled:
			return 0, NeedNothing, newError(CodeCancelled, "Operation was cancelled")
		}
		c.callerFull = c.callerFull || c.unsentLocked() >= writeQueueLimit
		c.mu.Unlock()
		sent, err := c.raw.flushNoWait()
		if err != nil {
			err = c.writeError(err)
		}
		c.mu.Lock()
		switch {
		case err != nil:
			if c.writeErr == nil {
				c.writeErr = err
			}
			continue
		case !sent:
			return 0, NeedOutput, nil
		case took >= 0:
			return took, NeedNothing, nil
		}
		// Nothing of p went yet, and the backlog is empty: what the
		// socket does not take of p goes to it.
		if n := c.sealOnCallerLocked(p[:min(len(p), writeQueueLimit)]); n > 0 {
			c.callerTook = n
		}
		if c.writeErr == nil && !c.closed && c.raw.backlogLen() > 0 {
			return 0, NeedOutput, nil
		}
		// Over: the switch says how.
	}
}

// closeNotifier is a transport that can be closed under the Conn (the
// module's watch of a socket the application closed): a caller waiting for
// the socket must then wake.
type closeNotifier interface{ OnClose(f func()) }

func (c *Conn) transportClosed() {
	c.mu.Lock()
	c.wakeCallersLocked()
	c.mu.Unlock()
}

// wakeCallersLocked ends the waits of callers that wait for the socket.
func (c *Conn) wakeCallersLocked() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	for _, fd := range [...]int{c.readWake, c.writeWake} {
		if fd >= 0 {
			for {
				if _, err := unix.Write(fd, one[:]); err != unix.EINTR {
					break
				}
			}
		}
	}
}
