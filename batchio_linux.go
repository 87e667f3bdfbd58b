package dtlsgo

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batched datagram I/O (sendmmsg/recvmmsg) on a socket Go's poller owns:
// one system call moves a whole send_messages batch, and one read takes
// every datagram already queued.

type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// batchSocket does batched I/O on rc. Writes are serialized by the
// connection's write lock and reads by its single reader, but a mutex
// each keeps misuse harmless.
type batchSocket struct {
	rc syscall.RawConn

	wmu     sync.Mutex
	whdrs   []mmsghdr
	wiov    []unix.Iovec
	wn      int
	wsent   int
	werr    error
	writeFn func(fd uintptr) bool

	// The reader goroutine's state between readBatch and its callback.
	readFn func(fd uintptr) bool
	rb     *readBatch
	rn     int
	rerr   error
	locked bool // the callback holds rdMu for readBatch to release
	ds     [readBatchLen][]byte

	// A caller waiting for records reads the socket on its own thread
	// (readInline) instead of waiting for the reader goroutine to hand them
	// over: one wake-up per datagram instead of three or four.
	fd      int          // the socket, valid until closed (under fdMu)
	rdMu    sync.Mutex   // one reads at a time, in order
	fdMu    sync.RWMutex // inline readers hold it shared; close exclusively
	closed  bool         // under fdMu
	polling atomic.Bool  // an inline reader sleeps in ppoll
	missed  atomic.Bool  // the reader goroutine found rdMu taken
	wakeMu  sync.Mutex
	wake    int // eventfd that ends an inline reader's ppoll; -1 none
	ids     [readBatchLen][]byte
}

func newBatchSocket(c net.Conn) *batchSocket {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	b := &batchSocket{rc: rc, fd: -1, wake: -1}
	_ = rc.Control(func(fd uintptr) { b.fd = int(fd) })
	if b.fd < 0 {
		return nil
	}
	return b
}

// writeBatch sends each of ds as one datagram and returns how many went.
// A datagram refused by ICMP port-unreachable counts as sent (and lost),
// as for single writes.
func (b *batchSocket) writeBatch(ds [][]byte) (int, error) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if cap(b.whdrs) < len(ds) {
		b.whdrs = make([]mmsghdr, len(ds))
		b.wiov = make([]unix.Iovec, len(ds))
	}
	hdrs, iov := b.whdrs[:len(ds)], b.wiov[:len(ds)]
	b.wn = len(ds)
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
	b.wsent, b.werr = 0, nil
	if b.writeFn == nil {
		b.writeFn = b.send // one closure for the socket's life
	}
	err := b.rc.Write(b.writeFn)
	clear(iov) // drop references to the caller's buffers
	if err == nil {
		err = b.werr
	}
	if b.wsent > 0 {
		return b.wsent, nil
	}
	return 0, err
}

// send is the poller's callback for writeBatch: false means "wait until
// writable".
func (b *batchSocket) send(fd uintptr) bool {
	hdrs := b.whdrs[:len(b.whdrs)]
	for b.wsent < b.wn {
		n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[b.wsent])),
			uintptr(b.wn-b.wsent), 0, 0, 0)
		switch e {
		case 0:
			b.wsent += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		case unix.ECONNREFUSED:
			b.wsent++ // the peer is not listening: that datagram is lost
		default:
			b.werr = e
			return true
		}
	}
	return true
}

// readSlot is the most one datagram may be read as: pion reads 8192 bytes
// at most, so nothing a DTLS peer can use is longer.
const readSlot = 8192

// readBatch is the scratch of one recvmmsg call, pooled across connections
// so that an idle connection holds none.
type readBatch struct {
	hdrs  [readBatchLen]mmsghdr
	iov   [readBatchLen]unix.Iovec
	bufs  [readBatchLen][readSlot]byte
	sizes [readBatchLen]int
}

const readBatchLen = 16

var readBatches = sync.Pool{New: func() any { return new(readBatch) }}

// readBatch blocks until at least one datagram is queued, then takes all
// that are (up to readBatchLen) and hands them to use before returning.
// Only one goroutine reads.
func (b *batchSocket) readBatch(use func(ds [][]byte)) error {
	if b.readFn == nil {
		b.readFn = b.recv // one closure for the socket's life
	}
	b.rerr = nil
	err := b.rc.Read(b.readFn)
	rb := b.rb
	b.rb = nil
	if b.locked {
		b.locked = false
		defer b.rdMu.Unlock() // after use: records stay in order
	}
	if err == nil {
		err = b.rerr
	}
	if rb == nil || err != nil {
		if rb != nil {
			readBatches.Put(rb)
		}
		return mapReadError(err)
	}
	defer readBatches.Put(rb)
	for i := 0; i < b.rn; i++ {
		b.ds[i] = rb.bufs[i][:min(int(rb.hdrs[i].n), readSlot)]
	}
	use(b.ds[:b.rn])
	clear(b.ds[:])
	return nil
}

// recv is the poller's callback: false means "wait until readable". It
// takes rdMu, which readBatch releases once the datagrams were used.
func (b *batchSocket) recv(fd uintptr) bool {
	if !b.rdMu.TryLock() {
		// An inline reader has the socket and will read what woke us once
		// it lets go (releaseInline); unless it let go just now.
		b.missed.Store(true)
		if !b.rdMu.TryLock() {
			return false
		}
	}
	b.missed.Store(false)
	b.locked = true
	if b.rb == nil {
		b.rb = readBatches.Get().(*readBatch)
		b.rb.prepare()
	}
	b.rn, b.rerr = recvmmsg(int(fd), b.rb)
	if b.rn == 0 && b.rerr == nil {
		// Idle: give the scratch and the socket back while waiting.
		readBatches.Put(b.rb)
		b.rb = nil
		b.locked = false
		b.rdMu.Unlock()
		return false
	}
	return true
}

// readInline reads datagrams on the calling thread, handing them to use,
// until ready() holds or ctx ends; with once it reads what is queued and
// never sleeps. It sleeps in ppoll on the socket and an eventfd that
// interrupt() signals. errReaderBusy when the reader goroutine holds the
// socket.
func (b *batchSocket) readInline(ctx context.Context, ready func() bool, once bool, use func(ds [][]byte)) error {
	b.fdMu.RLock()
	defer b.fdMu.RUnlock()
	if b.closed {
		return net.ErrClosed
	}
	wake, err := b.wakeFD()
	if err != nil {
		return err
	}
	if !once && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, b.interrupt)
		defer stop()
	}
	if !b.rdMu.TryLock() {
		return errReaderBusy
	}
	rb := readBatches.Get().(*readBatch)
	rb.prepare()
	// The socket stays this thread's until it returns, sleeps included:
	// the reader goroutine, woken by the same datagrams, finds it taken
	// and leaves them here (see recv and releaseInline).
	defer b.releaseInline(rb, use)
	for !ready() && ctx.Err() == nil {
		n, err := b.recvInline(rb, use)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if once {
			return nil
		}
		b.polling.Store(true)
		if ready() || ctx.Err() != nil {
			b.polling.Store(false)
			break
		}
		err = ppollIn(b.fd, wake, ctx)
		b.polling.Store(false)
		if err != nil {
			return err
		}
	}
	return nil
}

// recvInline reads what is queued into rb and hands it to use; under rdMu.
func (b *batchSocket) recvInline(rb *readBatch, use func(ds [][]byte)) (int, error) {
	n, err := recvmmsg(b.fd, rb)
	if n > 0 {
		for i := 0; i < n; i++ {
			b.ids[i] = rb.bufs[i][:min(int(rb.hdrs[i].n), readSlot)]
		}
		use(b.ids[:n])
		clear(b.ids[:n])
	}
	return n, err
}

// inlineDrainLimit bounds what a leaving inline reader takes for the reader
// goroutine: beyond it, datagrams keep arriving and wake that goroutine.
const inlineDrainLimit = 64

// releaseInline gives the socket back. If the reader goroutine was woken
// meanwhile and found it taken, the edge that woke it is spent, so what is
// queued is read here: nothing is left unread without a wake-up to come.
func (b *batchSocket) releaseInline(rb *readBatch, use func(ds [][]byte)) {
	b.rdMu.Unlock()
	for b.missed.Load() && b.rdMu.TryLock() {
		if b.missed.Swap(false) {
			for range inlineDrainLimit {
				if n, err := b.recvInline(rb, use); n == 0 || err != nil {
					break
				}
			}
		}
		b.rdMu.Unlock()
	}
	readBatches.Put(rb)
}

func (rb *readBatch) prepare() {
	for i := range rb.hdrs {
		rb.iov[i].Base = &rb.bufs[i][0]
		rb.iov[i].SetLen(readSlot)
		rb.hdrs[i] = mmsghdr{}
		rb.hdrs[i].hdr.Iov = &rb.iov[i]
		rb.hdrs[i].hdr.SetIovlen(1)
	}
}

// recvmmsg takes the datagrams queued on fd without waiting (0 when none).
func recvmmsg(fd int, rb *readBatch) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&rb.hdrs[0])),
			readBatchLen, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR, unix.ECONNREFUSED:
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, e
		}
	}
}

// ppollIn sleeps until fd is readable, wake is signalled (then drained) or
// ctx's deadline passes.
func ppollIn(fd, wake int, ctx context.Context) error {
	fds := [2]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	var ts *unix.Timespec
	if d, ok := ctx.Deadline(); ok {
		left := max(time.Until(d), 0)
		t := unix.NsecToTimespec(left.Nanoseconds())
		ts = &t
	}
	_, err := unix.Ppoll(fds[:], ts, nil)
	if err != nil && err != unix.EINTR {
		return err
	}
	if fds[1].Revents&unix.POLLIN != 0 {
		var buf [8]byte
		_, _ = unix.Read(wake, buf[:])
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

// interrupt ends an inline reader's sleep (a state change, a cancelled
// context, a close).
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

// close waits for inline readers to leave, then closes the socket with
// closeConn and the eventfd.
func (b *batchSocket) close(closeConn func() error) error {
	b.interrupt()
	b.fdMu.Lock()
	b.closed = true
	err := closeConn()
	b.fdMu.Unlock()
	b.wakeMu.Lock()
	if b.wake >= 0 {
		unix.Close(b.wake)
		b.wake = -1
	}
	b.wakeMu.Unlock()
	return err
}

func mapReadError(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return net.ErrClosed
	}
	return err
}
