package dtlsgo

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ctxCanceller is a context as a Canceller, as a GCancellable is one in
// the module: an eventfd made readable when the context ends.
type ctxCanceller struct {
	ctx  context.Context
	mu   sync.Mutex
	fd   int
	refs int
	stop func() bool
}

func (c *ctxCanceller) FD() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refs == 0 {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return -1
		}
		c.fd = fd
		c.stop = context.AfterFunc(c.ctx, func() {
			one := [8]byte{7: 1}
			_, _ = unix.Write(fd, one[:])
		})
	}
	c.refs++
	return c.fd
}

func (c *ctxCanceller) ReleaseFD() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refs--; c.refs == 0 {
		c.stop()
		unix.Close(c.fd)
	}
}

// Cancelled is true when the context was cancelled, not when its deadline
// passed: the Op's deadline reports that.
func (c *ctxCanceller) Cancelled() bool { return errors.Is(c.ctx.Err(), context.Canceled) }

func (c *ctxCanceller) Watch(cancel func()) func() {
	stop := context.AfterFunc(c.ctx, func() {
		if c.Cancelled() {
			cancel()
		}
	})
	return func() { stop() }
}

// opFor is the Op of a call bounded by ctx: its deadline, and its end as
// a cancellation.
func opFor(ctx context.Context) Op {
	op := Op{}
	if d, ok := ctx.Deadline(); ok {
		op.Deadline = d
	}
	if ctx.Done() != nil {
		op.Cancel = &ctxCanceller{ctx: ctx}
	}
	return op
}

// pipeCanceller fires when its pipe is written to. Watch is the slow
// path (a Go round trip per call): strict, it fails the test; otherwise it
// is counted in watched.
type pipeCanceller struct {
	r, w    int
	strict  bool
	watched int
}

func newPipeCanceller(t *testing.T) *pipeCanceller {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return &pipeCanceller{r: fds[0], w: fds[1], strict: true}
}

func (p *pipeCanceller) FD() int    { return p.r }
func (p *pipeCanceller) ReleaseFD() {}
func (p *pipeCanceller) Cancelled() bool {
	fds := []unix.PollFd{{Fd: int32(p.r), Events: unix.POLLIN}}
	n, _ := unix.Poll(fds, 0)
	return n > 0
}
func (p *pipeCanceller) Watch(cancel func()) func() {
	if p.strict {
		panic("a slow path was taken")
	}
	p.watched++
	return func() {}
}
func (p *pipeCanceller) cancel() { unix.Write(p.w, []byte{1}) }

func udpEstablished(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	client, server, cerr, serr := handshakePair(t, Config{IsClient: true}, Config{Certificate: testCert(t)})
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v server %v", cerr, serr)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// raceDetector is set under -race (racedetector_test.go).
var raceDetector bool

// An established send and a receive that waits for its record, with a
// timeout and a cancellable, allocate nothing: no context, timer or
// channel per call.
func TestOpPathAllocatesNothing(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	client, server := udpEstablished(t)
	ping := [][]byte{[]byte("sixty-four bytes would do as well as these twenty-nine")}
	var got int
	deliver := func(_ int, rec []byte) { got = len(rec) }
	cancel := newPipeCanceller(t)
	// Just after the handshake the background reader may still be in the
	// socket (the receive then waits for it, the slow path): exchange
	// until a round takes the inline path, then hold every round to it.
	cancel.strict = false
	for settled := false; !settled; {
		if cancel.watched > 100 {
			t.Fatal("100 rounds after the handshake still wait for the background reader")
		}
		before := cancel.watched
		op := OpWithin(5*time.Second, cancel)
		if n, err := client.Send(op, ping); n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		if n, err := server.Receive(op, 1, deliver); n != 1 {
			t.Fatalf("receive: %d %v", n, err)
		}
		settled = cancel.watched == before
	}
	cancel.strict = true
	allocs := testing.AllocsPerRun(200, func() {
		op := OpWithin(5*time.Second, cancel)
		if n, err := client.Send(op, ping); n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		if n, err := server.Receive(op, 1, deliver); n != 1 || got != len(ping[0]) {
			t.Fatalf("receive: %d %v (%d bytes)", n, err, got)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per send and receive, want 0", allocs)
	}
	// Polling with nothing queued is the same path.
	allocs = testing.AllocsPerRun(200, func() {
		if _, err := server.Receive(Op{Poll: true}, 1, deliver); !errors.Is(err, ErrWouldBlock) {
			t.Fatalf("poll: %v", err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per polling receive, want 0", allocs)
	}
}

// A receive sleeping on the caller's thread wakes when its canceller's
// descriptor becomes readable, with ErrCancelled, and a deadline ends it
// with ErrTimedOut.
func TestOpCancelAndDeadline(t *testing.T) {
	_, server := udpEstablished(t)
	cancel := newPipeCanceller(t)
	time.AfterFunc(50*time.Millisecond, cancel.cancel)
	if n, err := server.Receive(Op{Cancel: cancel}, 1, nil); n != 0 || !errors.Is(err, ErrCancelled) {
		t.Fatalf("cancelled receive: %d %v, want ErrCancelled", n, err)
	}
	op := OpWithin(50*time.Millisecond, newPipeCanceller(t))
	if n, err := server.Receive(op, 1, nil); n != 0 || !errors.Is(err, ErrTimedOut) {
		t.Fatalf("receive past its deadline: %d %v, want ErrTimedOut", n, err)
	}
}

// Before the handshake, Send and Receive do nothing and ask for it.
func TestOpNeedsHandshake(t *testing.T) {
	cb, _ := udpPair(t)
	c := NewConn(cb, true)
	defer c.Close()
	if n, err := c.Send(Op{}, [][]byte{[]byte("x")}); n != 0 || !errors.Is(err, ErrNeedHandshake) {
		t.Fatalf("send: %d %v, want ErrNeedHandshake", n, err)
	}
	if n, err := c.Receive(Op{Poll: true}, 1, nil); n != 0 || !errors.Is(err, ErrNeedHandshake) {
		t.Fatalf("receive: %d %v, want ErrNeedHandshake", n, err)
	}
}
