package socket

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// BaseSocket is the datagram transport under a connection: GIO's base
// GDatagramBased in the module, a UDP socket in Go tests. Implementations
// deliver whole datagrams and never close what they were built on.
type BaseSocket interface {
	// ReadDatagram blocks until one datagram is copied into p and returns its
	// length; io.EOF at end of stream; net.ErrClosed once Close was called.
	// Both report a refusal (see errRefused) and stay usable.
	ReadDatagram(p []byte) (int, error)
	// WriteDatagram sends p as one datagram.
	WriteDatagram(p []byte) error
	// Close releases this adapter's hold on the socket and wakes a blocked
	// ReadDatagram. The socket it was built on stays open.
	Close() error
}

// BatchBaseSocket is a BaseSocket that also moves datagrams in batches
// and reads without a goroutine of its own (see batchSocket).
type BatchBaseSocket interface {
	BaseSocket
	// WriteDatagrams sends each of ds as one datagram and returns how many
	// went; an error only when none did. It serves the record layer, after
	// the handshake: a refused datagram counts as sent (and lost).
	WriteDatagrams(ds [][]byte) (int, error)
	// StartReading hands datagrams that arrive while no ReadInline runs to
	// use, on a shared goroutine: use must not block, and returns true to
	// pause until ResumeReading. ended is called once if reading fails.
	StartReading(use func(ds [][]byte) (pause bool), ended func(error)) error
	ResumeReading()
	// ReadInline reads on the calling thread, handing datagrams to use,
	// until *changed differs from since (the connection changed: a
	// record came, a close) or w ends (see Wait); with once it never
	// sleeps. ErrReaderBusy when the background reader is reading. It and
	// the background reader serve an established connection: they ignore
	// refusals.
	ReadInline(w Wait, changed *atomic.Uint64, since uint64, once bool, use func(ds [][]byte)) error
	// WakeInline ends the sleep of a ReadInline in progress.
	WakeInline()
	// ReadPolled reads datagrams for the handshake on the calling
	// goroutine, waiting in Go's poller, until SetPolledDeadline's deadline
	// (os.ErrDeadlineExceeded), StopPolled (net.ErrClosed) or a refusal.
	ReadPolled(use func(ds [][]byte)) error
	SetPolledDeadline(d time.Time)
	StopPolled()
}

// Wait bounds a read on the caller's thread without a context (a context
// costs allocations on every call): it ends at Deadline (zero: never) or
// once Cancel fires. The reader reports neither; its caller asks Expired
// and its canceller.
type Wait struct {
	Deadline time.Time
	Cancel   CancelFD // nil: not cancellable
}

// Expired reports whether w's deadline passed.
func (w Wait) Expired() bool { return !w.Deadline.IsZero() && !time.Now().Before(w.Deadline) }

// CancelFD is a caller's cancellation as a descriptor that becomes readable
// once it fires (a GCancellable's), asked for only when a reader sleeps.
type CancelFD interface {
	// FD returns the descriptor, held until ReleaseFD; -1 when there is none.
	FD() int
	ReleaseFD()
}

// ErrReaderBusy says the reader goroutine has the socket: wait for what
// it delivers instead.
var ErrReaderBusy = errors.New("dtlsgo: the reader goroutine is reading")

// errRefused is how a base socket reports ECONNREFUSED: on a connected
// socket the kernel reports, at the next send or receive, an ICMP port
// unreachable that answered an earlier datagram. The socket stays usable;
// what the refusal means is the transport's decision.
var errRefused = errkind.Errorf(errkind.ErrConnectionRefused, "Connection refused: nothing listens at the peer's port")

// ReadSlot is the most one datagram may be read as: pion reads 8192 bytes
// at most, so nothing a DTLS peer can use is longer.
const ReadSlot = 8192

// MaxDatagramSize bounds the datagrams a BaseSocket reads: the largest UDP
// payload, so no record is ever cut for lack of buffer.
const MaxDatagramSize = 65535

// netBaseSocket serves a connected datagram net.Conn that this adapter owns,
// e.g. a duplicate of a GSocket's descriptor: closing it closes only the
// duplicate.
type netBaseSocket struct{ conn net.Conn }

// NewNetBaseSocket adapts a connected datagram socket. Close closes conn.
// A socket with a descriptor is taken over as a batch socket (conn is
// closed at once, its duplicate kept).
func NewNetBaseSocket(conn net.Conn) BaseSocket {
	if b := batchSocketOf(conn); b != nil {
		return b
	}
	return &netBaseSocket{conn: conn}
}

// NewPlainBaseSocket adapts a connected datagram socket through Go's net
// package alone, even one with a descriptor a batch socket would take over
// (tests that want the plain path). Close closes conn.
func NewPlainBaseSocket(conn net.Conn) BaseSocket { return &netBaseSocket{conn: conn} }

// NewFDBaseSocket adapts a duplicate of the datagram socket fd; fd itself
// is left alone. An unconnected UDP socket serves the peer that speaks
// first (see AddressedBaseSocket).
func NewFDBaseSocket(fd int) (BaseSocket, error) {
	if b := connectedBatchSocketOf(fd); b != nil {
		return b, nil
	}
	dup, err := syscall.Dup(fd)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrFailed, "cannot duplicate the base socket: %w", err)
	}
	syscall.CloseOnExec(dup)
	f := os.NewFile(uintptr(dup), "dtlsgo-base")
	defer f.Close() // FileConn duplicates again
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrNotSupported, "the base socket is not a datagram socket Go can use: %w", err)
	}
	if udp, ok := conn.(*net.UDPConn); ok && udp.RemoteAddr() == nil {
		return &udpBaseSocket{conn: udp}, nil
	}
	return NewNetBaseSocket(conn), nil
}

func (s *netBaseSocket) ReadDatagram(p []byte) (int, error) {
	for {
		n, err := s.conn.Read(p)
		if err == nil {
			return n, nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return 0, errRefused
		}
		if errors.Is(err, net.ErrClosed) {
			return 0, net.ErrClosed
		}
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, err
	}
}

func (s *netBaseSocket) WriteDatagram(p []byte) error {
	_, err := s.conn.Write(p)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errRefused
	}
	return err
}

func (s *netBaseSocket) Close() error { return s.conn.Close() }
