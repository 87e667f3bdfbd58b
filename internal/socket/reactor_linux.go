package socket

import (
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// reactor is the one poller goroutine behind every batch socket: an epoll
// instance of its own, each socket armed one-shot while nobody reads it on
// its own thread. A connection thus costs no goroutine for reading, and a
// socket read inline never wakes it. Sockets an inline reader let go wait
// on a list until they stayed quiet for armDelay (see releaseInline).
type reactor struct {
	epfd int
	wake int // eventfd: the list of sockets to arm stopped being empty

	mu    sync.Mutex
	socks map[uint32]*batchSocket
	next  uint32

	laterMu sync.Mutex
	later   []*batchSocket // to arm once quiet (batchSocket.armIfQuiet)
}

// wakeID stands for the reactor's eventfd in its epoll set; sockets count
// from 1.
const wakeID = 0

var reactorOnce struct {
	sync.Once
	r   *reactor
	err error
}

func sharedReactor() (*reactor, error) {
	reactorOnce.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			reactorOnce.err = errkind.Errorf(errkind.ErrFailed, "cannot create the socket poller: %v", err)
			return
		}
		wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err == nil {
			ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeID}
			err = unix.EpollCtl(fd, unix.EPOLL_CTL_ADD, wake, &ev)
		}
		if err != nil {
			unix.Close(fd)
			reactorOnce.err = errkind.Errorf(errkind.ErrFailed, "cannot create the socket poller: %v", err)
			return
		}
		r := &reactor{epfd: fd, wake: wake, socks: make(map[uint32]*batchSocket)}
		reactorOnce.r = r
		go r.run()
	})
	return reactorOnce.r, reactorOnce.err
}

func (r *reactor) add(b *batchSocket) error {
	r.mu.Lock()
	r.next++
	b.id = r.next
	r.socks[b.id] = b
	r.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLONESHOT, Fd: int32(b.id)}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, b.fd, &ev); err != nil {
		r.mu.Lock()
		delete(r.socks, b.id)
		r.mu.Unlock()
		return errkind.Errorf(errkind.ErrFailed, "cannot poll the base socket: %v", err)
	}
	return nil
}

func (r *reactor) arm(b *batchSocket) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(b.id)}
	_ = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, b.fd, &ev)
}

func (r *reactor) disarm(b *batchSocket) {
	ev := unix.EpollEvent{Events: unix.EPOLLONESHOT, Fd: int32(b.id)}
	_ = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_MOD, b.fd, &ev)
}

// remove forgets b; the caller closes its descriptor afterwards.
func (r *reactor) remove(b *batchSocket) {
	r.mu.Lock()
	delete(r.socks, b.id)
	r.mu.Unlock()
	b.fdMu.RLock()
	if !b.closed {
		_ = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, b.fd, nil)
	}
	b.fdMu.RUnlock()
}

// armLater puts b on the list of sockets to arm once quiet.
func (r *reactor) armLater(b *batchSocket) {
	r.laterMu.Lock()
	r.later = append(r.later, b)
	first := len(r.later) == 1
	r.laterMu.Unlock()
	if first {
		one := [8]byte{7: 1}
		_, _ = unix.Write(r.wake, one[:])
	}
}

// armQuiet arms the listed sockets that stayed quiet and returns how long
// to wait before looking again (-1: none is listed).
func (r *reactor) armQuiet() (timeoutMS int) {
	r.laterMu.Lock()
	defer r.laterMu.Unlock()
	if len(r.later) == 0 {
		return -1
	}
	now := time.Now().UnixNano()
	keep := r.later[:0]
	for _, b := range r.later {
		if b.armIfQuiet(now) {
			keep = append(keep, b)
		}
	}
	clear(r.later[len(keep):])
	r.later = keep
	if len(keep) == 0 {
		return -1
	}
	return int(armDelay / time.Millisecond)
}

func (r *reactor) run() {
	events := make([]unix.EpollEvent, 64)
	timeout := -1
	for {
		n, err := unix.EpollWait(r.epfd, events, timeout)
		if err != nil {
			n = 0 // EINTR
		}
		for _, ev := range events[:n] {
			if ev.Fd == wakeID {
				var buf [8]byte
				_, _ = unix.Read(r.wake, buf[:])
				continue
			}
			r.mu.Lock()
			b := r.socks[uint32(ev.Fd)]
			r.mu.Unlock()
			if b != nil {
				b.readable()
			}
		}
		timeout = r.armQuiet()
	}
}
