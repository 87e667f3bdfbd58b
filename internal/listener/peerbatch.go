package listener

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/socket"
)

var _ socket.BaseSocket = (*BatchPeer)(nil)

// BatchPeer is a Peer read the way the connection core reads a batch
// socket: during the handshake on pion's read
// goroutine (ReadPolled), after it by the listener's own goroutine
// (StartReading) or a caller waiting for data (ReadInline). An idle
// connection then has no goroutine and no read buffer of its own. It
// carries no source addresses, so a peer with a connection ID (whose
// address may move) is served as a plain Peer instead.
type BatchPeer struct {
	*Peer
	b batchState
}

type batchState struct {
	useMu   sync.Mutex // held by whoever hands datagrams to a use func
	use     func(ds [][]byte) bool
	started atomic.Bool // StartReading was called
	paused  atomic.Bool // the background use asked to pause
	wake    chan struct{}

	pollMu      sync.Mutex
	pollStop    chan struct{} // closed by StopPolled
	pollActive  sync.WaitGroup
	deadline    time.Time
	deadlineSet chan struct{} // closed and replaced when deadline changes
}

// NewBatchPeer serves p as a batch socket.
func NewBatchPeer(p *Peer) *BatchPeer {
	bp := &BatchPeer{Peer: p}
	bp.b.wake = make(chan struct{}, 1)
	bp.b.pollStop = make(chan struct{})
	bp.b.deadlineSet = make(chan struct{})
	p.mu.Lock()
	p.onDeliver = bp.pump
	p.mu.Unlock()
	return bp
}

// takeAll empties the inbox.
func (p *Peer) takeAll() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.inbox) == 0 {
		return nil
	}
	ds := make([][]byte, len(p.inbox))
	for i, d := range p.inbox {
		ds[i] = d.data
	}
	clear(p.inbox)
	p.inbox = p.inbox[:0]
	return ds
}

// pump hands what is queued to the background reader, unless it is not
// started or paused, or someone else (an inline reader) holds it: that
// one takes the queue when it lets go.
func (bp *BatchPeer) pump() {
	b := &bp.b
	for b.started.Load() && !b.paused.Load() && b.useMu.TryLock() {
		ds := bp.takeAll()
		pause := false
		if len(ds) > 0 && !isDone(bp.closed) {
			pause = b.use(ds)
		}
		b.useMu.Unlock()
		if pause {
			b.paused.Store(true)
			return
		}
		if len(ds) == 0 && !bp.queued() {
			return
		}
	}
}

// queued reports whether datagrams wait in the inbox.
func (p *Peer) queued() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inbox) > 0
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// WriteDatagrams sends each of ds as one datagram.
func (bp *BatchPeer) WriteDatagrams(ds [][]byte) (int, error) {
	for i, d := range ds {
		if err := bp.send(d); err != nil {
			if i > 0 {
				return i, nil
			}
			return 0, err
		}
	}
	return len(ds), nil
}

// StartReading hands datagrams to use from now on, on the goroutine that
// delivers them (the listener's), while no inline reader reads.
func (bp *BatchPeer) StartReading(use func(ds [][]byte) bool, _ func(error)) error {
	bp.b.useMu.Lock()
	bp.b.use = use
	bp.b.useMu.Unlock()
	bp.b.started.Store(true)
	bp.pump()
	return nil
}

// ResumeReading ends a pause use asked for.
func (bp *BatchPeer) ResumeReading() {
	if bp.b.paused.Swap(false) {
		bp.pump()
	}
}

// ReadInline hands datagrams to use on the calling goroutine until
// *changed differs from since or w's deadline passes; with once it takes
// what is queued and never waits. It does not wait for a cancellable (its
// descriptor cannot be selected on): it answers ErrReaderBusy instead, and
// the caller waits for what the listener's goroutine delivers.
func (bp *BatchPeer) ReadInline(w socket.Wait, changed *atomic.Uint64, since uint64, once bool, use func(ds [][]byte)) error {
	b := &bp.b
	b.useMu.Lock()
	defer func() {
		b.useMu.Unlock()
		bp.pump() // what came meanwhile
	}()
	var timer <-chan time.Time
	for changed.Load() == since && !w.Expired() {
		if ds := bp.takeAll(); len(ds) > 0 {
			use(ds)
			continue
		}
		if once {
			return nil
		}
		if w.Cancel != nil {
			return socket.ErrReaderBusy
		}
		if timer == nil && !w.Deadline.IsZero() {
			t := time.NewTimer(time.Until(w.Deadline))
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-bp.ready:
		case <-b.wake:
		case <-bp.closed:
			return net.ErrClosed
		case <-timer:
		}
	}
	return nil
}

// WakeInline ends the wait of a ReadInline in progress.
func (bp *BatchPeer) WakeInline() {
	select {
	case bp.b.wake <- struct{}{}:
	default:
	}
}

// ReadPolled hands what is queued to use, waiting for a datagram when
// none is, until the deadline (os.ErrDeadlineExceeded) or StopPolled or
// Close (net.ErrClosed).
func (bp *BatchPeer) ReadPolled(use func(ds [][]byte)) error {
	b := &bp.b
	b.pollMu.Lock()
	if isDone(b.pollStop) {
		b.pollMu.Unlock()
		return net.ErrClosed
	}
	b.pollActive.Add(1)
	b.pollMu.Unlock()
	defer b.pollActive.Done()
	for {
		if ds := bp.takeAll(); len(ds) > 0 {
			use(ds)
			return nil
		}
		b.pollMu.Lock()
		deadline, changed := b.deadline, b.deadlineSet
		b.pollMu.Unlock()
		var timer <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-bp.ready:
		case <-changed:
		case <-timer:
		case <-b.pollStop:
			return net.ErrClosed
		case <-bp.closed:
			return bp.endError()
		}
	}
}

// endError is why the peer's reads ended: net.ErrClosed when its
// connection closed it, else the listener's reason (its handshake
// timeout), which fails the handshake at once.
func (p *Peer) endError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.endErr
}

// SetPolledDeadline bounds the polled reads, in progress or to come.
func (bp *BatchPeer) SetPolledDeadline(d time.Time) {
	b := &bp.b
	b.pollMu.Lock()
	b.deadline = d
	close(b.deadlineSet)
	b.deadlineSet = make(chan struct{})
	b.pollMu.Unlock()
}

// StopPolled ends polled reads for good, once none is in progress.
func (bp *BatchPeer) StopPolled() {
	b := &bp.b
	b.pollMu.Lock()
	if !isDone(b.pollStop) {
		close(b.pollStop)
	}
	b.pollMu.Unlock()
	b.pollActive.Wait()
}

// Close unroutes the peer, then waits for a use call in progress: none
// follows.
func (bp *BatchPeer) Close() error {
	err := bp.Peer.Close()
	bp.b.useMu.Lock()
	bp.b.useMu.Unlock() //nolint:staticcheck // an empty critical section: waits for use to end
	return err
}
