package socket

import (
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"sync"

	"golang.org/x/sys/unix"
)

// reactor is the one poller goroutine behind every batch socket: an epoll
// instance of its own, each socket armed one-shot while nobody reads it on
// its own thread. A connection thus costs no goroutine for reading, and a
// socket read inline never wakes it.
type reactor struct {
	epfd int

	mu    sync.Mutex
	socks map[uint32]*batchSocket
	next  uint32
}

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
		r := &reactor{epfd: fd, socks: make(map[uint32]*batchSocket)}
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

func (r *reactor) run() {
	events := make([]unix.EpollEvent, 64)
	for {
		n, err := unix.EpollWait(r.epfd, events, -1)
		if err != nil {
			continue // EINTR
		}
		for _, ev := range events[:n] {
			r.mu.Lock()
			b := r.socks[uint32(ev.Fd)]
			r.mu.Unlock()
			if b != nil {
				b.readable()
			}
		}
	}
}
