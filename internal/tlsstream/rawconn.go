package tlsstream

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawConn is the transport as crypto/tls sees it. It notes whether the
// transport reached its end, which is how a stream cut without close_notify
// is told from one closed with it. Over a socket, writes made inline (on an
// application's thread) never wait: what the socket does not take at once
// goes to a backlog, which flush sends, before anything written after it;
// reads made for a caller that waits itself (noWait) never wait either.
type rawConn struct {
	net.Conn
	eof atomic.Bool

	sc      syscall.RawConn // nil: not a socket; every write waits
	rd, wr  *sysCall        // a socket's reads without waiting, and writes (under mu)
	inline  atomic.Bool
	noWait  atomic.Bool // reads: errSocketEmpty instead of waiting
	mu      sync.Mutex  // guards backlog
	backlog []byte
	pending atomic.Int64 // len(backlog)
	flushMu sync.Mutex   // one flush at a time
}

func newRawConn(transport net.Conn) *rawConn {
	r := &rawConn{Conn: transport}
	if s, ok := transport.(syscall.Conn); ok {
		if sc, err := s.SyscallConn(); err == nil {
			r.sc = sc
			r.rd, r.wr = newSysCall(unix.SYS_READ), newSysCall(unix.SYS_WRITE)
		}
	}
	return r
}

func (r *rawConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if r.sc != nil && r.noWait.Load() {
		n, err = r.readNoWait(p)
	} else {
		n, err = r.Conn.Read(p)
	}
	if errors.Is(err, io.EOF) {
		r.eof.Store(true)
	}
	return n, err
}

// errSocketEmpty is a read that found the socket empty, for a caller that
// waits for it itself: a temporary net.Error, which crypto/tls passes on
// without failing the connection, keeping what it read of a record.
var errSocketEmpty net.Error = socketEmpty{}

type socketEmpty struct{}

func (socketEmpty) Error() string   { return "tlsstream: nothing to read from the socket yet" }
func (socketEmpty) Timeout() bool   { return true }
func (socketEmpty) Temporary() bool { return true }

// readNoWait reads what the socket holds, without waiting: errSocketEmpty
// when it holds nothing. One reader at a time (crypto/tls's).
func (r *rawConn) readNoWait(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno, err := r.rd.run(r.sc.Read, p)
	switch {
	case err != nil:
		return 0, err
	case errno == unix.EAGAIN:
		return 0, errSocketEmpty
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// sysCall is a non-blocking read or write system call on the socket,
// through its RawConn (which keeps the descriptor open meanwhile), with its
// arguments and results held here and its function made once: a closure
// made per call would escape to the heap.
type sysCall struct {
	trap  uintptr
	buf   []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func newSysCall(trap uintptr) *sysCall {
	c := &sysCall{trap: trap}
	c.fn = c.call
	return c
}

// run makes the call on b (not empty) through via (the RawConn's Read or
// Write); one at a time.
func (c *sysCall) run(via func(func(uintptr) bool) error, b []byte) (int, syscall.Errno, error) {
	c.buf = b
	err := via(c.fn)
	c.buf = nil
	if err != nil {
		return 0, 0, err
	}
	return c.n, c.errno, nil
}

func (c *sysCall) call(fd uintptr) bool {
	for {
		// Raw: the socket is non-blocking, so the call never sleeps, and
		// telling the scheduler about it costs more than the call.
		r1, _, e := unix.RawSyscall(c.trap, fd, uintptr(unsafe.Pointer(&c.buf[0])), uintptr(len(c.buf)))
		if e != unix.EINTR {
			c.n, c.errno = int(r1), e
			return true // never wait in Go's poller
		}
	}
}

func (r *rawConn) sawEOF() bool { return r.eof.Load() }

// backlogLen is how many bytes wait in the backlog.
func (r *rawConn) backlogLen() int { return int(r.pending.Load()) }

func (r *rawConn) Write(b []byte) (int, error) {
	if r.sc == nil || !r.inline.Load() {
		if err := r.flush(); err != nil {
			return 0, err
		}
		return r.Conn.Write(b)
	}
	total := len(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.backlog) == 0 {
		n, err := r.tryWrite(b)
		if err != nil {
			return n, err
		}
		b = b[n:]
	}
	r.backlog = append(r.backlog, b...)
	r.pending.Store(int64(len(r.backlog)))
	return total, nil
}

// tryWrite writes what the socket takes of b without waiting; under mu.
func (r *rawConn) tryWrite(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, errno, err := r.wr.run(r.sc.Write, b)
	switch {
	case err != nil:
		return 0, err
	case errno == unix.EAGAIN:
		return 0, nil // the backlog takes the rest
	case errno != 0:
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: errno}
	}
	return n, nil
}

// flush sends the backlog, waiting for the socket as long as it takes.
func (r *rawConn) flush() error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	for {
		r.mu.Lock()
		head := r.backlog
		r.mu.Unlock()
		if len(head) == 0 {
			return nil
		}
		// Writes go on appending behind head meanwhile.
		n, err := r.Conn.Write(head)
		r.mu.Lock()
		r.backlog = r.backlog[n:]
		if len(r.backlog) == 0 {
			r.backlog = nil
		}
		r.pending.Store(int64(len(r.backlog)))
		r.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// flushNoWait sends what the socket takes of the backlog without waiting,
// and reports whether all of it went. Only for a socket.
func (r *rawConn) flushNoWait() (bool, error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.backlog) == 0 {
		return true, nil
	}
	n, err := r.tryWrite(r.backlog)
	r.backlog = r.backlog[n:]
	if len(r.backlog) == 0 {
		r.backlog = nil
	}
	r.pending.Store(int64(len(r.backlog)))
	return len(r.backlog) == 0, err
}

// discardUnreadLimit bounds what discardUnread throws away: a peer still
// sending gets its reset.
const discardUnreadLimit = 64 << 10

// discardUnread throws away what the socket received and nobody will read,
// just before it closes. A socket closed with unread bytes resets the
// connection instead of ending it (RFC 2525 section 2.17): the peer's next
// write, its own close_notify among them, then fails, and what it had not
// read yet may be lost. Such bytes come even from a quiet peer: a TLS 1.3
// server's session ticket follows the client's last handshake flight. Only
// for a socket; call it once the connection is closed to its readers, as it
// takes bytes from under them.
func (r *rawConn) discardUnread() {
	if r.sc == nil {
		return
	}
	_ = r.sc.Control(func(fd uintptr) {
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
