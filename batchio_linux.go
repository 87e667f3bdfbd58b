package dtlsgo

import (
	"errors"
	"net"
	"sync"
	"syscall"
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

	// The reader's state between readBatch and its callback.
	readFn func(fd uintptr) bool
	rb     *readBatch
	rn     int
	rerr   error
	ds     [readBatchLen][]byte
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
	return &batchSocket{rc: rc}
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

// recv is the poller's callback: false means "wait until readable".
func (b *batchSocket) recv(fd uintptr) bool {
	if b.rb == nil {
		rb := readBatches.Get().(*readBatch)
		for i := range rb.hdrs {
			rb.iov[i].Base = &rb.bufs[i][0]
			rb.iov[i].SetLen(readSlot)
			rb.hdrs[i] = mmsghdr{}
			rb.hdrs[i].hdr.Iov = &rb.iov[i]
			rb.hdrs[i].hdr.SetIovlen(1)
		}
		b.rb = rb
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.rb.hdrs[0])),
			readBatchLen, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			b.rn = int(r)
			return true
		case unix.EINTR, unix.ECONNREFUSED:
			// An ICMP error for an earlier send: not a datagram.
		case unix.EAGAIN:
			// Idle: give the scratch back while waiting.
			readBatches.Put(b.rb)
			b.rb = nil
			return false
		default:
			b.rerr = e
			return true
		}
	}
}

func mapReadError(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return net.ErrClosed
	}
	return err
}
