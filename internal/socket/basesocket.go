package socket

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"net"
	"sync/atomic"
	"time"
)

// BaseSocket is the datagram transport under a connection: GIO's base
// GDatagramBased in the module, a UDP socket or a listener's peer in Go.
// Implementations deliver whole datagrams and never close what they were
// built on.
//
// Every socket reads and writes one datagram at a time. A socket that can
// also move datagrams in batches and read without a goroutine of its own
// (a batch socket, batchio_linux.go, or a listener's batch peer) serves
// the batch operations; one that cannot embeds Unbatched, whose batch
// operations answer ErrUnbatched, and its transport reads it with
// ReadDatagram on a goroutine of its own and writes each datagram alone.
type BaseSocket interface {
	// ReadDatagram blocks until one datagram is copied into p and returns
	// its length and, from an unconnected socket, the address it came from
	// (nil from a connected one); io.EOF at end of stream; net.ErrClosed
	// once Close was called. Both report a refusal (see errRefused) and
	// stay usable.
	ReadDatagram(p []byte) (n int, from net.Addr, err error)
	// WriteDatagram sends p as one datagram to to, or to the peer when to
	// is nil (a connected socket has no other destination). An unconnected
	// socket whose peer has not spoken fails a nil to.
	WriteDatagram(p []byte, to net.Addr) error
	// WriteDatagrams sends each of ds to the peer as one datagram and
	// returns how many went; an error only when none did. It serves the
	// record layer, after the handshake: a refused datagram counts as sent
	// (and lost).
	WriteDatagrams(ds [][]byte) (int, error)
	// StartReading hands datagrams that arrive while no ReadInline runs to
	// use, on a shared goroutine: use must not block, and returns true to
	// pause until ResumeReading. ended is called once if reading fails.
	StartReading(use func(ds [][]byte) (pause bool), ended func(error)) error
	ResumeReading()
	// ReadInline reads on the calling thread, handing datagrams to use,
	// until *changed differs from since (the connection changed: a
	// record came, a close) or w ends (see Wait); with once it never
	// sleeps. ErrReaderBusy when it cannot read on the caller's thread now:
	// the caller waits for what the background reader delivers. It and
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
	// Watch counts a watcher of the connection's readiness (on), or ends
	// one: while any watches, the background reader reads at once what no
	// ReadInline reads.
	Watch(on bool)
	// Close releases this adapter's hold on the socket and wakes a blocked
	// read. The socket it was built on stays open.
	Close() error
}

// ErrUnbatched is what the batch operations of a socket that moves one
// datagram at a time answer: read it with ReadDatagram, write each
// datagram with WriteDatagram.
var ErrUnbatched = errors.New("dtlsgo: the base socket moves one datagram at a time")

// Unbatched gives a socket that cannot batch the batch operations of a
// BaseSocket: they answer ErrUnbatched or do nothing, and its transport
// falls back to ReadDatagram and WriteDatagram.
type Unbatched struct{}

func (Unbatched) WriteDatagrams([][]byte) (int, error) { return 0, ErrUnbatched }
func (Unbatched) StartReading(func([][]byte) bool, func(error)) error {
	return ErrUnbatched
}
func (Unbatched) ResumeReading() {}
func (Unbatched) ReadInline(Wait, *atomic.Uint64, uint64, bool, func([][]byte)) error {
	return ErrUnbatched
}
func (Unbatched) WakeInline()                     {}
func (Unbatched) ReadPolled(func([][]byte)) error { return ErrUnbatched }
func (Unbatched) SetPolledDeadline(time.Time)     {}
func (Unbatched) StopPolled()                     {}
func (Unbatched) Watch(bool)                      {}

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

// errNoPeer is an unconnected socket's answer to a write for the peer
// before any peer spoke.
var errNoPeer = errkind.Errorf(errkind.ErrFailed, "No peer has sent a datagram to the unconnected base socket yet")

// ReadSlot is the most one datagram may be read as: pion reads 8192 bytes
// at most, so nothing a DTLS peer can use is longer.
const ReadSlot = 8192

// MaxDatagramSize bounds the datagrams a BaseSocket reads: the largest UDP
// payload, so no record is ever cut for lack of buffer.
const MaxDatagramSize = 65535
