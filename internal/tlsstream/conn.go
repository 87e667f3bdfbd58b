// Package tlsstream runs one TLS 1.2 or 1.3 connection over a byte stream
// with crypto/tls, shaped for GIO's stream connections: one handshake,
// reads and writes that wait, time out or give up at once, readiness to
// poll, and close_notify on close.
package tlsstream

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
)

// State is where the connection is in its one handshake.
type State int

const (
	StateIdle State = iota
	StateRunning
	StateDone
	StateFailed
)

// Conn is one TLS connection over a byte stream it owns. It is safe for one
// reader, one writer and any number of observers at once.
type Conn struct {
	raw      *rawConn
	isClient bool
	sessions *ClientSessions // a client's; nil on a server

	onChangeMu sync.Mutex // guards onChange and its calls
	onChange   func()

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced at every change
	waiting       int           // Read, Write and Wait calls waiting for a change
	state         State
	hsErr         error // sticky once the handshake failed
	hsDone        chan struct{}
	tc            *tls.Conn
	requireNotify bool
	closed        bool // Close was called: every operation fails CLOSED
	closeErr      error

	// Reading: the reader goroutine reads ahead, a chunk at a time, until
	// readAheadLimit bytes wait to be taken, as a socket's receive buffer.
	pending      []chunk // plaintext not yet taken, in order
	pendingBytes int
	readEnd      error // why reading ended: nil (still reading), errCleanEOF, errRawEOF or an error
	readShut     bool
	// A blocking Read waits (readWaiting) and the transport's read timed
	// out meanwhile (readTimedOut): that Read fails TIMED_OUT, once.
	readWaiting  bool
	readTimedOut bool

	// Over a socket (direct), a read takes place on the caller's thread
	// (directReading) until the reader is started, and a write with
	// nothing queued before it too (writing), leaving what the socket did
	// not take in the transport's backlog.
	direct        bool
	directReading bool
	readerStarted bool

	// A caller that waits for the socket itself (callerwait.go) leaves a
	// descriptor to signal while it waits (-1: none waits there): a
	// close, or the read side shut, ends its wait.
	readWake, writeWake int
	// The write of such a caller, across its waits: how much of its
	// bytes it took (-1: none yet), and whether the queue was full
	// meanwhile (its end then makes the connection writable).
	callerTook int
	callerFull bool

	// Writing: a bounded queue a writer goroutine drains, as a socket's
	// send buffer; it also sends the transport's backlog.
	queue     []chunk
	spare     []chunk // the last batch's slice, for the next queue
	queued    int
	writing   bool  // the writer, or a write on the caller's thread, is in crypto/tls
	flushing  bool  // the writer sends the transport's backlog
	writeErr  error // sticky
	writeShut bool
}

// readAheadLimit bounds what the reader reads before the application took
// it. More than one record, so that neither side waits for the other
// after each record.
const readAheadLimit = 64 << 10

// writeQueueLimit bounds what writes queue (plaintext, and ciphertext in the
// transport's backlog) before they block (or, not blocking, fail
// WOULD_BLOCK).
const writeQueueLimit = 256 << 10

// New wraps transport, which the Conn owns from now on (Close closes it).
// Nothing is sent before the handshake.
func New(transport net.Conn, isClient bool) *Conn {
	// A socket honours read deadlines, which interrupt a read on the
	// caller's thread, and can be written without waiting; another
	// transport is read by the reader and written by the writer only.
	raw := newRawConn(transport)
	c := &Conn{
		direct:        raw.sc != nil,
		raw:           raw,
		isClient:      isClient,
		changed:       make(chan struct{}),
		requireNotify: true,
		readWake:      -1,
		writeWake:     -1,
	}
	if n, ok := transport.(closeNotifier); ok {
		n.OnClose(c.transportClosed)
	}
	if isClient {
		c.sessions = NewClientSessions()
	}
	return c
}

// CopySessionState makes a client offer src's session in its handshake
// (see ClientSessions.CopyFrom); nothing happens unless both are clients.
func (c *Conn) CopySessionState(src *Conn) {
	if c.sessions != nil && src.sessions != nil {
		c.sessions.CopyFrom(src.sessions)
	}
}

// SetOnChange installs f, called (on any goroutine, never under the Conn's
// lock) after every change of readiness; nil removes it. Once
// SetOnChange(nil) returned, f is neither running nor called again.
func (c *Conn) SetOnChange(f func()) {
	c.onChangeMu.Lock()
	c.onChange = f
	c.onChangeMu.Unlock()
}

func (c *Conn) notify() {
	c.onChangeMu.Lock()
	defer c.onChangeMu.Unlock()
	if c.onChange != nil {
		c.onChange()
	}
}

// changedLocked wakes every waiter; call with c.mu held, then c.notify().
func (c *Conn) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// SetRequireCloseNotify: whether a stream ending without the peer's
// close_notify is an error (GLib's require-close-notify).
func (c *Conn) SetRequireCloseNotify(require bool) {
	c.mu.Lock()
	c.requireNotify = require
	c.mu.Unlock()
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// State reports the handshake's progress and, once failed, its error.
func (c *Conn) State() (State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.hsErr
}

// Begin claims the handshake for the caller when none has started; the
// caller must then call Run. False when one is running or over.
func (c *Conn) Begin() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StateIdle {
		return false, nil
	}
	if c.closed {
		return false, newError(CodeClosed, "Connection is closed")
	}
	c.state = StateRunning
	c.hsDone = make(chan struct{})
	c.changedLocked()
	return true, nil
}

// Run performs the handshake Begin claimed, bounded by ctx and
// cfg.HandshakeTimeout. Its error is sticky.
func (c *Conn) Run(ctx context.Context, cfg Config) error {
	if cfg.HandshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.HandshakeTimeout,
			newError(CodeTimedOut, "TLS handshake timed out after %v", cfg.HandshakeTimeout))
		defer cancel()
	}
	var hookErr error
	conf := cfg.tlsConfig(ctx, &hookErr)
	var tc *tls.Conn
	if c.isClient {
		c.sessions.SetKey(cfg.SessionKey)
		conf.ClientSessionCache = c.sessions
		tc = tls.Client(c.raw, conf)
	} else {
		tc = tls.Server(c.raw, conf)
	}
	err := tc.HandshakeContext(ctx)
	if err != nil {
		err = c.handshakeError(ctx, err, hookErr)
	}

	c.mu.Lock()
	if err == nil && c.closed {
		err = newError(CodeClosed, "Connection is closed")
	}
	if err != nil {
		c.state, c.hsErr = StateFailed, err
	} else {
		c.state, c.tc = StateDone, tc
		if !c.direct {
			c.startReaderLocked()
		}
		go c.writeLoop(tc)
	}
	close(c.hsDone)
	c.changedLocked()
	c.mu.Unlock()
	c.notify()
	return err
}

// Wait blocks until the running handshake ends (or ctx does) and returns its
// result; at once when none is running.
func (c *Conn) Wait(ctx context.Context) error {
	c.mu.Lock()
	state, done, err := c.state, c.hsDone, c.hsErr
	c.mu.Unlock()
	switch state {
	case StateIdle:
		return newError(CodeFailed, "No handshake was started")
	case StateDone:
		return nil
	case StateFailed:
		return err
	}
	select {
	case <-done:
		_, err := c.State()
		return err
	case <-ctx.Done():
		return contextError(ctx, "waiting for the TLS handshake")
	}
}

// ConnectionState is crypto/tls's account of the handshake; ok is false
// before it completed.
func (c *Conn) ConnectionState() (tls.ConnectionState, bool) {
	c.mu.Lock()
	tc := c.tc
	c.mu.Unlock()
	if tc == nil {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}

// Readiness: in when a read would not block (data, the end of the stream,
// an error); out when a write would not (room in the queue, or an error).
// Before the handshake nothing is readable and everything writable; while
// it runs, neither.
func (c *Conn) Readiness() (in, out bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed, c.state == StateFailed:
		return true, true
	case c.state == StateIdle:
		return false, true
	case c.state == StateRunning:
		return false, false
	}
	c.startReaderLocked() // someone polls: the reader reads ahead
	in = c.pendingBytes > 0 || c.readEnd != nil || c.readShut || c.readTimedOut
	out = c.unsentLocked() < writeQueueLimit || c.writeErr != nil || c.writeShut
	return in, out
}

// CloseWrite sends close_notify once everything queued was written (not
// before a completed handshake) and refuses further writes. It returns a
// failure of the queued writes, or of close_notify.
func (c *Conn) CloseWrite(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return newError(CodeClosed, "Connection is closed")
	}
	already := c.writeShut
	c.writeShut = true
	c.changedLocked()
	for (c.unsentLocked() > 0 || c.writing) && c.writeErr == nil {
		wait := c.changed
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return contextError(ctx, "closing the TLS connection")
		}
		c.mu.Lock()
	}
	tc, err := c.tc, c.writeErr
	c.mu.Unlock()
	c.notify()
	if already || err != nil || tc == nil {
		return err
	}
	if err := tc.CloseWrite(); err != nil {
		return c.writeError(err)
	}
	return nil
}

// ShutdownRead stops reading: reads fail CLOSED.
func (c *Conn) ShutdownRead() {
	c.mu.Lock()
	if c.directReading {
		_ = c.raw.SetReadDeadline(aLongTimeAgo) // it returns, and finds reading shut
	}
	c.readShut = true
	c.wakeCallersLocked()
	c.changedLocked()
	c.mu.Unlock()
	c.notify()
}

// Close sends close_notify (after a completed handshake, unless writing was
// shut), closes the transport and wakes every waiter; operations then fail
// CLOSED. It returns why close_notify could not go, if it could not.
func (c *Conn) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		err := c.closeErr
		c.mu.Unlock()
		return err
	}
	running := c.state == StateRunning
	c.mu.Unlock()
	var err error
	if !running {
		err = c.CloseWrite(ctx)
	}
	c.finishClose(err)
	return err
}

// Abort closes the transport without close_notify, as when the stream
// under it was closed already; operations then fail CLOSED.
func (c *Conn) Abort() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.finishClose(nil)
	}
}

func (c *Conn) finishClose(err error) {
	c.mu.Lock()
	c.closed = true
	c.closeErr = err
	c.wakeCallersLocked()
	c.changedLocked()
	c.mu.Unlock()
	c.raw.discardUnread()
	_ = c.raw.Close()
	c.notify()
}
