package socket

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchSocket is a connected datagram socket read and written with raw
// system calls on a descriptor of its own, kept out of Go's poller:
//   - sendmmsg moves a whole send_messages batch in one call;
//   - a receive that must wait reads on the caller's thread (recvmmsg, then
//     ppoll on the socket), so a datagram costs one wake-up, as with a
//     plain GSocket, instead of the poller's, a goroutine's and the
//     caller's;
//   - while no receive waits, the shared poller (reactor_linux.go) reads
//     in the background, so readiness, close_notify and handshake
//     retransmissions are seen without a goroutine per connection. It
//     takes over from a receive that returns only once no receive came
//     for armDelay (at once while a readiness source or condition wait
//     watches): in a request-response flow the next receive comes
//     sooner, and handing the socket to the poller and back cost two
//     epoll_ctl calls per receive and a poller wake-up for each datagram
//     that came between two receives.
//
// rdMu orders the readers: whoever holds it reads. The poller only tries
// it; finding it taken, it leaves a note (missed) and the holder reads
// what woke the poller before letting go.
type batchSocket struct {
	fd int // O_NONBLOCK; valid until closed (under fdMu)
	id uint32

	fdMu    sync.RWMutex // readers and writers shared, close exclusive
	closed  bool         // under fdMu
	closing atomic.Bool  // set before close waits: nobody may start sleeping

	rdMu    sync.Mutex
	missed  atomic.Bool // the poller found rdMu taken
	armed   atomic.Bool // the poller waits for this socket
	paused  atomic.Bool // the connection's queue is full: no background reads
	started atomic.Bool
	use     func(ds [][]byte) (pause bool) // background delivery
	ended   func(error)
	endOnce sync.Once

	polling atomic.Bool // an inline reader sleeps in ppoll

	watchers   atomic.Int32 // readiness sources and waits that watch (Watch)
	releasedAt atomic.Int64 // when the last inline reader let go (UnixNano)
	later      atomic.Bool  // on the poller's list of sockets to arm once quiet

	wakeMu sync.Mutex
	wake   int // eventfd that ends an inline reader's or writer's ppoll; -1 none

	wmu sync.Mutex // one sendmmsg at a time

	// The handshake's reads (see readPolled).
	pollMu     sync.Mutex
	polled     *os.File // a duplicate in Go's poller, made on first use
	pollStop   bool     // stopPolled was called: no more polled reads
	pollActive sync.WaitGroup
}

type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// newBatchSocket takes over c's socket: it keeps a duplicate descriptor
// out of Go's poller and closes c. nil (c untouched) when c has no
// descriptor.
func newBatchSocket(c net.Conn) *batchSocket {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		fd, dupErr = dupNonblocking(s)
	}); err != nil || dupErr != nil {
		return nil
	}
	_ = c.Close()
	return &batchSocket{fd: fd, wake: -1}
}

// connectedBatchSocket takes a duplicate of fd when fd is a connected
// datagram socket, the common case, with a few system calls (going
// through Go's net package costs three duplicates and a poller
// registration); nil otherwise.
func connectedBatchSocket(fd int) *batchSocket {
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
		return nil
	}
	if _, err := unix.Getpeername(fd); err != nil {
		return nil
	}
	dup, err := dupNonblocking(uintptr(fd))
	if err != nil {
		return nil
	}
	return &batchSocket{fd: dup, wake: -1}
}

// dupNonblocking duplicates fd, close-on-exec, and makes it non-blocking.
func dupNonblocking(fd uintptr) (int, error) {
	dup, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return -1, err
	}
	return dup, nil
}

// ---- Writing -------------------------------------------------------------

// writeBatch sends each of ds as one datagram and returns how many went.
// A send the kernel refused (see errRefused) stops the batch with
// errRefused when reportRefused, else that datagram counts as sent (and
// lost). A full socket buffer is waited out in ppoll.
func (b *batchSocket) writeBatch(ds [][]byte, reportRefused bool) (int, error) {
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.closed {
		return 0, net.ErrClosed
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	ws := writeScratches.Get().(*writeScratch)
	defer writeScratches.Put(ws)
	if cap(ws.hdrs) < len(ds) {
		ws.hdrs = make([]mmsghdr, len(ds))
		ws.iov = make([]unix.Iovec, len(ds))
	}
	hdrs, iov := ws.hdrs[:len(ds)], ws.iov[:len(ds)]
	defer clear(iov) // drop references to the caller's buffers
	for i, d := range ds {
		iov[i] = unix.Iovec{}
		if len(d) > 0 {
			iov[i].Base = &d[0]
		}
		iov[i].SetLen(len(d))
		hdrs[i] = mmsghdr{}
		hdrs[i].hdr.Iov = &iov[i]
		hdrs[i].hdr.SetIovlen(1)
	}
	sent := 0
	for sent < len(hdrs) {
		// Raw: the socket is non-blocking, so the call never sleeps, and
		// telling the scheduler about it would cost more than the call.
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(b.fd), uintptr(unsafe.Pointer(&hdrs[sent])),
			uintptr(len(hdrs)-sent), 0, 0, 0)
		switch e {
		case 0:
			sent += int(n)
		case unix.EINTR:
		case unix.ECONNREFUSED:
			if reportRefused {
				return sent, errRefused
			}
			sent++
		case unix.EAGAIN:
			if err := b.waitWritable(); err != nil {
				return sent, err
			}
		default:
			return sent, e
		}
	}
	return sent, nil
}

// writeScratch is the message headers of one sendmmsg call, pooled so that
// a socket holds none between batches.
type writeScratch struct {
	hdrs []mmsghdr
	iov  []unix.Iovec
}

var writeScratches = sync.Pool{New: func() any { return new(writeScratch) }}

func (b *batchSocket) waitWritable() error {
	wake, err := b.wakeFD()
	if err != nil {
		return err
	}
	if b.closing.Load() {
		return net.ErrClosed
	}
	fds := [2]unix.PollFd{{Fd: int32(b.fd), Events: unix.POLLOUT}, {Fd: int32(wake), Events: unix.POLLIN}}
	if _, err := unix.Ppoll(fds[:], nil, nil); err != nil && err != unix.EINTR {
		return err
	}
	if fds[1].Revents&unix.POLLIN != 0 {
		return net.ErrClosed // only close signals a writer
	}
	return nil
}

// ---- Reading in the background ---------------------------------------------

// readBatch is the scratch of one recvmmsg call, pooled across connections
// so that an idle connection holds none.
type readBatch struct {
	hdrs [readBatchLen]mmsghdr
	iov  [readBatchLen]unix.Iovec
	bufs [readBatchLen][ReadSlot]byte
	ids  [readBatchLen][]byte // what datagrams returns
}

const readBatchLen = 16

// datagrams is the first n datagrams recvmmsg read into rb, valid until rb
// is read into again.
func (rb *readBatch) datagrams(n int) [][]byte {
	for i := range n {
		rb.ids[i] = rb.bufs[i][:min(int(rb.hdrs[i].n), ReadSlot)]
	}
	return rb.ids[:n]
}

var readBatches = sync.Pool{New: func() any {
	rb := new(readBatch)
	for i := range rb.hdrs {
		rb.iov[i].Base = &rb.bufs[i][0]
		rb.iov[i].SetLen(ReadSlot)
		rb.hdrs[i].hdr.Iov = &rb.iov[i]
		rb.hdrs[i].hdr.SetIovlen(1)
	}
	return rb
}}

// startReading has the shared poller hand arriving datagrams to use (on
// its goroutine; use must not block, and returns true to pause until
// resumeReading). ended is called once if reading fails.
func (b *batchSocket) startReading(use func(ds [][]byte) bool, ended func(error)) error {
	b.use, b.ended = use, ended
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.closed {
		return net.ErrClosed
	}
	r, err := sharedReactor()
	if err != nil {
		return err
	}
	if err := r.add(b); err != nil {
		return err
	}
	b.started.Store(true)
	b.arm()
	return nil
}

// arm has the poller wait for the socket again; under fdMu (shared).
func (b *batchSocket) arm() {
	if !b.started.Load() || b.closed {
		return
	}
	b.armed.Store(true)
	if r, _ := sharedReactor(); r != nil {
		r.arm(b)
	}
}

func (b *batchSocket) resumeReading() {
	if !b.paused.Load() {
		return
	}
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.paused.Swap(false) {
		b.arm()
	}
}

// readable is the poller's call: the socket has datagrams (and is no
// longer armed).
func (b *batchSocket) readable() {
	b.armed.Store(false)
	// Never wait here for a close in progress: the poller serves everyone.
	if !b.fdMu.TryRLock() {
		return
	}
	defer b.fdMu.RUnlock()
	if b.closed {
		return
	}
	if !b.rdMu.TryLock() {
		// An inline reader has the socket; it reads what woke us and
		// re-arms when it lets go (releaseInline). Unless it let go
		// just now.
		b.missed.Store(true)
		if !b.rdMu.TryLock() {
			return
		}
	}
	b.missed.Store(false)
	rb := readBatches.Get().(*readBatch)
	pause := false
	var err error
	for range backgroundBatches {
		var n int
		if n, err = b.recvLocked(rb, func(ds [][]byte) { pause = b.use(ds) }); n == 0 || err != nil || pause {
			break
		}
	}
	readBatches.Put(rb)
	b.rdMu.Unlock()
	switch {
	case err != nil:
		b.endOnce.Do(func() { b.ended(err) })
	case pause:
		b.paused.Store(true)
	default:
		b.arm() // fires again at once if datagrams are left
	}
}

// backgroundBatches bounds one turn of the poller on one socket, for
// fairness; what is left fires again.
const backgroundBatches = 4

// recvLocked reads what is queued into rb and hands it to use; under rdMu.
// It reads for an established connection, which ignores refusals.
func (b *batchSocket) recvLocked(rb *readBatch, use func(ds [][]byte)) (int, error) {
	n, err := recvmmsg(b.fd, rb, false)
	if n > 0 {
		use(rb.datagrams(n))
	}
	return n, err
}

// recvmmsg takes the datagrams queued on fd without waiting (0 when none).
// A refusal (see errRefused) is errRefused when reportRefused, else
// skipped.
func recvmmsg(fd int, rb *readBatch, reportRefused bool) (int, error) {
	for {
		// Raw: MSG_DONTWAIT, so the call never sleeps (see writeBatch).
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&rb.hdrs[0])),
			readBatchLen, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.ECONNREFUSED:
			if reportRefused {
				return 0, errRefused
			}
		case unix.EINTR:
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, e
		}
	}
}

// ---- Reading on the caller's thread --------------------------------------

// readInline reads datagrams on the calling thread, handing them to use,
// until *changed differs from since, w's deadline passes or its cancellation fires;
// with once it reads what is queued and never sleeps. It sleeps in ppoll on
// the socket, an eventfd that interrupt() signals and the cancellation's
// descriptor (taken only when it sleeps).
func (b *batchSocket) readInline(w Wait, changed *atomic.Uint64, since uint64, once bool, use func(ds [][]byte)) error {
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.closed {
		return net.ErrClosed
	}
	wake, err := b.wakeFD()
	if err != nil {
		return err
	}
	// The poller may be reading: its turn is short and never waits, and
	// what it reads changes the connection, which ends this read at once.
	b.rdMu.Lock()
	rb := readBatches.Get().(*readBatch)
	defer b.releaseInline(rb, use)
	cancel := cancelWatch{w: w.Cancel, fd: -1}
	defer cancel.release()
	for changed.Load() == since && !w.Expired() && !cancel.fired {
		n, err := b.recvLocked(rb, use)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if once {
			return nil
		}
		// Sleeping here: the poller need not wake for this socket.
		if b.armed.Swap(false) {
			if r, _ := sharedReactor(); r != nil {
				r.disarm(b)
			}
		}
		b.polling.Store(true)
		if changed.Load() != since || b.closing.Load() {
			b.polling.Store(false)
			break
		}
		err = ppollIn(b.fd, wake, w.Deadline, &cancel)
		b.polling.Store(false)
		if err != nil {
			return err
		}
	}
	return nil
}

// cancelWatch holds a Wait's cancellation descriptor while a reader sleeps.
type cancelWatch struct {
	w     CancelFD
	fd    int
	fired bool
}

// pollFD is the descriptor to sleep on, taken at the first sleep; -1 for
// none.
func (c *cancelWatch) pollFD() int {
	if c.w != nil && c.fd < 0 {
		c.fd = c.w.FD()
		if c.fd < 0 {
			c.w = nil // none to be had: the caller checks after the wait
		}
	}
	return c.fd
}

func (c *cancelWatch) release() {
	if c.fd >= 0 {
		c.w.ReleaseFD()
		c.fd = -1
	}
}

// inlineDrainLimit bounds what a leaving inline reader takes for the
// poller; beyond it, the re-armed poller fires at once.
const inlineDrainLimit = 4

// releaseInline gives the socket back: it reads what the poller was woken
// for meanwhile, and re-arms the poller.
func (b *batchSocket) releaseInline(rb *readBatch, use func(ds [][]byte)) {
	b.rdMu.Unlock()
	for b.missed.Load() && b.rdMu.TryLock() {
		if b.missed.Swap(false) {
			for range inlineDrainLimit {
				if n, err := b.recvLocked(rb, use); n == 0 || err != nil {
					break
				}
			}
		}
		b.rdMu.Unlock()
	}
	readBatches.Put(rb)
	if b.paused.Load() || b.armed.Load() {
		return
	}
	if b.watchers.Load() > 0 {
		b.arm()
		return
	}
	b.releasedAt.Store(time.Now().UnixNano())
	if !b.later.Swap(true) {
		if r, _ := sharedReactor(); r != nil {
			r.armLater(b)
		}
	}
}

// armDelay is how long a socket an inline reader let go stays with no
// reader before the poller takes it over (unless watched).
const armDelay = time.Millisecond

// armIfQuiet is the poller's: it arms b once no inline reader has read it
// for armDelay (at now) and reports false, or reports true when b should be
// asked again later.
func (b *batchSocket) armIfQuiet(now int64) (again bool) {
	if now-b.releasedAt.Load() < int64(armDelay) {
		return true
	}
	b.later.Store(false)
	if !b.fdMu.TryRLock() {
		return false // closing
	}
	defer b.fdMu.RUnlock()
	if !b.rdMu.TryLock() {
		return false // an inline reader has it; it re-arms when it lets go
	}
	b.rdMu.Unlock()
	if !b.paused.Load() && !b.armed.Load() {
		b.arm()
	}
	return false
}

// watch counts a readiness source or wait that watches the socket: while
// one does, the poller reads whatever no receive reads, at once.
func (b *batchSocket) watch(on bool) {
	if !on {
		b.watchers.Add(-1)
		return
	}
	b.watchers.Add(1)
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.closed || b.paused.Load() || b.armed.Load() || !b.rdMu.TryLock() {
		return // an inline reader arms it when it lets go
	}
	b.rdMu.Unlock()
	b.arm()
}

// ppollIn sleeps until fd is readable, wake is signalled (then drained),
// cancel's descriptor is readable (it fired) or the deadline (zero: none)
// passes.
func ppollIn(fd, wake int, deadline time.Time, cancel *cancelWatch) error {
	fds := [3]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}, {Fd: -1}}
	nfds := 2
	if cfd := cancel.pollFD(); cfd >= 0 {
		fds[2] = unix.PollFd{Fd: int32(cfd), Events: unix.POLLIN}
		nfds = 3
	}
	var ts *unix.Timespec
	if !deadline.IsZero() {
		t := unix.NsecToTimespec(max(time.Until(deadline), 0).Nanoseconds())
		ts = &t
	}
	_, err := unix.Ppoll(fds[:nfds], ts, nil)
	if err != nil && err != unix.EINTR {
		return err
	}
	if fds[1].Revents&unix.POLLIN != 0 {
		var buf [8]byte
		_, _ = unix.Read(wake, buf[:])
	}
	if fds[2].Revents&unix.POLLIN != 0 {
		cancel.fired = true // the descriptor is the canceller's: not drained
	}
	return nil
}

func (b *batchSocket) wakeFD() (int, error) {
	b.wakeMu.Lock()
	defer b.wakeMu.Unlock()
	if b.wake < 0 {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return -1, err
		}
		b.wake = fd
	}
	return b.wake, nil
}

// interrupt ends an inline reader's (or a writer's) sleep: a state change,
// a cancelled context, a close.
func (b *batchSocket) interrupt() {
	b.wakeMu.Lock()
	defer b.wakeMu.Unlock()
	if b.wake >= 0 {
		one := [8]byte{7: 1}
		_, _ = unix.Write(b.wake, one[:])
	}
}

// wakeInline interrupts an inline reader if one sleeps.
func (b *batchSocket) wakeInline() {
	if b.polling.Load() {
		b.interrupt()
	}
}

// ---- Reading during the handshake -----------------------------------------

// readPolled reads what is queued, handing it to use, and waits in Go's
// poller when nothing is: pion's read loop calls it (through the
// transport) during the handshake, so a handshake datagram wakes the
// goroutine that handles it, not the shared poller and then that
// goroutine (each hop costs tens of microseconds, six hops a handshake).
// The wait ends at the deadline setPolledDeadline set
// (os.ErrDeadlineExceeded) and at stopPolled or close (net.ErrClosed).
func (b *batchSocket) readPolled(use func(ds [][]byte)) error {
	f, err := b.polledFile()
	if err != nil {
		return err
	}
	defer b.pollActive.Done()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	rb := readBatches.Get().(*readBatch)
	defer readBatches.Put(rb)
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, rerr = recvmmsg(int(fd), rb, true)
		return n > 0 || rerr != nil
	})
	if err != nil {
		b.pollMu.Lock()
		stopped := b.pollStop
		b.pollMu.Unlock()
		if stopped {
			return net.ErrClosed
		}
		return err
	}
	if rerr != nil {
		return rerr
	}
	use(rb.datagrams(n))
	return nil
}

// polledFile returns the duplicate in Go's poller, made on first use, and
// counts a polled read in progress (pollActive) unless it fails.
func (b *batchSocket) polledFile() (*os.File, error) {
	b.pollMu.Lock()
	defer b.pollMu.Unlock()
	if b.pollStop {
		return nil, net.ErrClosed
	}
	if b.polled == nil {
		b.fdMu.RLock()
		defer b.fdMu.RUnlock()
		if b.closed {
			return nil, net.ErrClosed
		}
		fd, err := unix.FcntlInt(uintptr(b.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		// Non-blocking (the flag belongs to the socket, shared by every
		// duplicate): os.NewFile registers it with the poller.
		b.polled = os.NewFile(uintptr(fd), "dtlsgo-handshake")
	}
	b.pollActive.Add(1)
	return b.polled, nil
}

// setPolledDeadline bounds the polled reads, in progress or to come.
func (b *batchSocket) setPolledDeadline(d time.Time) {
	if f, err := b.polledFile(); err == nil {
		_ = f.SetReadDeadline(d)
		b.pollActive.Done()
	}
}

// stopPolled ends polled reads for good and returns once none is in
// progress: the shared poller or an inline reader may read from then on.
func (b *batchSocket) stopPolled() {
	b.pollMu.Lock()
	b.pollStop = true
	if b.polled != nil {
		_ = b.polled.Close() // leaves Go's poller, wakes a read in progress
		b.polled = nil
	}
	b.pollMu.Unlock()
	b.pollActive.Wait()
}

// ---- The BaseSocket basics -------------------------------------------------

// readDatagram blocks for one datagram; the transport never needs it for
// a batch socket, but BaseSocket promises it.
func (b *batchSocket) readDatagram(p []byte) (int, error) {
	for {
		var n int
		var got atomic.Uint64
		err := b.readInline(Wait{}, &got, 0, false, func(ds [][]byte) {
			if n == 0 && len(ds) > 0 {
				n = copy(p, ds[0])
				got.Store(1)
			}
		})
		if errors.Is(err, ErrReaderBusy) {
			time.Sleep(time.Millisecond)
			continue
		}
		return n, err
	}
}

// close leaves the poller, waits for readers and writers to leave, then
// closes the descriptor and the eventfd.
func (b *batchSocket) close() error {
	// closing first: a reader or writer that missed the interrupt (its
	// eventfd did not exist yet) sees it before it sleeps.
	b.closing.Store(true)
	b.interrupt()
	b.stopPolled()
	if b.started.Load() {
		if r, _ := sharedReactor(); r != nil {
			r.remove(b)
		}
	}
	b.fdMu.Lock()
	if b.closed {
		b.fdMu.Unlock()
		return nil
	}
	b.closed = true
	err := unix.Close(b.fd)
	b.fdMu.Unlock()
	b.wakeMu.Lock()
	if b.wake >= 0 {
		unix.Close(b.wake)
		b.wake = -1
	}
	b.wakeMu.Unlock()
	return err
}

// netBatchSocket is a batchSocket as a BaseSocket.
type netBatchSocket struct{ b *batchSocket }

func (s *netBatchSocket) ReadDatagram(p []byte) (int, net.Addr, error) {
	n, err := s.b.readDatagram(p)
	return n, nil, err
}
func (s *netBatchSocket) WriteDatagram(p []byte, _ net.Addr) error {
	_, err := s.b.writeBatch([][]byte{p}, true)
	return err
}
func (s *netBatchSocket) WriteDatagrams(ds [][]byte) (int, error) { return s.b.writeBatch(ds, false) }
func (s *netBatchSocket) StartReading(use func(ds [][]byte) bool, ended func(error)) error {
	return s.b.startReading(use, ended)
}
func (s *netBatchSocket) ResumeReading() { s.b.resumeReading() }
func (s *netBatchSocket) ReadInline(w Wait, changed *atomic.Uint64, since uint64, once bool, use func(ds [][]byte)) error {
	return s.b.readInline(w, changed, since, once, use)
}
func (s *netBatchSocket) WakeInline()                            { s.b.wakeInline() }
func (s *netBatchSocket) ReadPolled(use func(ds [][]byte)) error { return s.b.readPolled(use) }
func (s *netBatchSocket) SetPolledDeadline(d time.Time)          { s.b.setPolledDeadline(d) }
func (s *netBatchSocket) StopPolled()                            { s.b.stopPolled() }
func (s *netBatchSocket) Watch(on bool)                          { s.b.watch(on) }
func (s *netBatchSocket) Close() error                           { return s.b.close() }

// batchSocketOf is c as a batch socket, or nil when c has no descriptor.
func batchSocketOf(c net.Conn) BaseSocket {
	if b := newBatchSocket(c); b != nil {
		return &netBatchSocket{b}
	}
	return nil
}

// connectedBatchSocketOf is a batch socket over a duplicate of fd, or nil
// when fd is not a connected datagram socket.
func connectedBatchSocketOf(fd int) BaseSocket {
	if b := connectedBatchSocket(fd); b != nil {
		return &netBatchSocket{b}
	}
	return nil
}
