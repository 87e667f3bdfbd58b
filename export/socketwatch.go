package main

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A stream connection reads its GSocket through a duplicate descriptor, which
// keeps the TCP connection open after the application closed the GSocket
// (GLib's documented unclean close, or a GTcpWrapperConnection's close):
// the peer would wait for an end that never comes. One goroutine checks,
// every socketWatchPeriod, whether each watched GSocket's descriptor still
// names the socket its duplicate does, and closes the duplicate of those
// that do not (the peer then sees the end, without close_notify).
const socketWatchPeriod = time.Second

// watchedSocket is a duplicate of a GSocket's descriptor, closed when the
// GSocket's own descriptor is.
type watchedSocket struct {
	net.Conn
	fd       int // the GSocket's
	dev, ino uint64
	onClose  atomic.Pointer[func()]
}

var socketWatch struct {
	mu      sync.Mutex
	sockets map[*watchedSocket]struct{}
	running bool
}

// watchSocket wraps conn, a duplicate of fd, and watches fd.
func watchSocket(conn net.Conn, fd int) (net.Conn, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, err
	}
	w := &watchedSocket{Conn: conn, fd: fd, dev: st.Dev, ino: st.Ino}
	socketWatch.mu.Lock()
	defer socketWatch.mu.Unlock()
	if socketWatch.sockets == nil {
		socketWatch.sockets = make(map[*watchedSocket]struct{})
	}
	socketWatch.sockets[w] = struct{}{}
	if !socketWatch.running {
		socketWatch.running = true
		go watchSockets()
	}
	return w, nil
}

// SyscallConn is the duplicate's: the engine reads a socket on the
// caller's thread, interrupting it with deadlines, only when it is one, and
// drains it before it closes.
func (w *watchedSocket) SyscallConn() (syscall.RawConn, error) {
	sc, ok := w.Conn.(syscall.Conn)
	if !ok {
		return nil, syscall.EINVAL
	}
	return sc.SyscallConn()
}

// OnClose has f called after every close: a read or write waiting in the
// shim polls the GSocket's descriptor, which the duplicate's close does
// not wake.
func (w *watchedSocket) OnClose(f func()) { w.onClose.Store(&f) }

func (w *watchedSocket) Close() error {
	socketWatch.mu.Lock()
	delete(socketWatch.sockets, w)
	socketWatch.mu.Unlock()
	err := w.Conn.Close()
	if f := w.onClose.Load(); f != nil {
		(*f)()
	}
	return err
}

// gone reports whether the GSocket's descriptor was closed (or now names
// another file).
func (w *watchedSocket) gone() bool {
	var st syscall.Stat_t
	return syscall.Fstat(w.fd, &st) != nil || st.Dev != w.dev || st.Ino != w.ino
}

// watchSockets runs while any socket is watched.
func watchSockets() {
	for {
		time.Sleep(socketWatchPeriod)
		socketWatch.mu.Lock()
		var gone []*watchedSocket
		for w := range socketWatch.sockets {
			if w.gone() {
				gone = append(gone, w)
			}
		}
		if len(socketWatch.sockets) == 0 {
			socketWatch.running = false
			socketWatch.mu.Unlock()
			return
		}
		socketWatch.mu.Unlock()
		for _, w := range gone {
			_ = w.Close()
		}
	}
}
