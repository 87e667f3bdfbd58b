package tlsstream

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// rawConn is the transport as crypto/tls sees it. It notes whether the
// transport reached its end, which is how a stream cut without close_notify
// is told from one closed with it. Over a socket, writes made inline (on an
// application's thread) never wait: what the socket does not take at once
// goes to a backlog, which flush sends, before anything written after it.
type rawConn struct {
	net.Conn
	eof atomic.Bool

	sc      syscall.RawConn // nil: not a socket; every write waits
	inline  atomic.Bool
	mu      sync.Mutex // guards backlog
	backlog []byte
	pending atomic.Int64 // len(backlog)
	flushMu sync.Mutex   // one flush at a time
}

func newRawConn(transport net.Conn) *rawConn {
	r := &rawConn{Conn: transport}
	if s, ok := transport.(syscall.Conn); ok {
		if sc, err := s.SyscallConn(); err == nil {
			r.sc = sc
		}
	}
	return r
}

func (r *rawConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		r.eof.Store(true)
	}
	return n, err
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

// tryWrite writes what the socket takes of b without waiting.
func (r *rawConn) tryWrite(b []byte) (int, error) {
	var n int
	var werr error
	err := r.sc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true // never wait: the backlog takes the rest
			}
		}
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) {
		werr = nil
	}
	if err != nil {
		return n, err
	}
	if werr != nil {
		return n, &net.OpError{Op: "write", Net: "tcp", Err: werr}
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
