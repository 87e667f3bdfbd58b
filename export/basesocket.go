package main

// #include "dtlsgo-core.h"
//
// static gboolean dtlsgo_is_plain_socket (GDatagramBased *base)
// {
//   return G_OBJECT_TYPE (base) == G_TYPE_SOCKET;
// }
import "C"

import (
	"io"
	"net"
	"sync"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// newBaseSocket picks the transport under a connection. A plain GSocket is
// read and written through a duplicate of its descriptor with Go's poller:
// no thread blocks per connection and no GLib call sits on the data path.
// Any other GDatagramBased (a wrapper, a Python subclass) is driven through
// its interface by GLib threads, never by Go threads.
func newBaseSocket(base *C.GDatagramBased) (dtlsgo.BaseSocket, error) {
	// A listener's peer socket is read and written in Go directly: as a
	// batch socket (no goroutine once established) unless its address may
	// move with a connection ID.
	if h := C.dtlsgo_shim_peer_socket_handle(base); h != 0 {
		p := peerFrom(h)
		if p.ConnectionID() != nil {
			return p, nil
		}
		return dtlsgo.NewBatchPeerSocket(p), nil
	}
	if C.dtlsgo_is_plain_socket(base) != 0 {
		fd := C.g_socket_get_fd((*C.GSocket)(unsafe.Pointer(base)))
		return dtlsgo.NewFDBaseSocket(int(fd))
	}
	return newGIOBaseSocket(base), nil
}

// gioBaseSocket is a BaseSocket over any GDatagramBased, pumped by
// cshim/dtlsgo-base-io.c; its GLib threads start with the first read.
type gioBaseSocket struct {
	dtlsgo.Unbatched // its GLib threads move one datagram at a time
	base             *C.GDatagramBased
	inbound          chan []byte
	refused          chan error // the base's refusal (capacity 1), see dtlsgo's errRefused
	ended            chan struct{}
	endErr           error // io.EOF or the base's error; set before ended closes
	handle           C.DtlsGoHandle

	endOnce sync.Once

	mu     sync.Mutex
	io     *C.DtlsGoBaseIO
	closed bool
}

func newGIOBaseSocket(base *C.GDatagramBased) *gioBaseSocket {
	s := &gioBaseSocket{base: base, inbound: make(chan []byte, 64), refused: make(chan error, 1),
		ended: make(chan struct{})}
	s.handle = newHandle(s)
	return s
}

// pump starts the GLib threads on first use.
func (s *gioBaseSocket) pump() (*C.DtlsGoBaseIO, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, net.ErrClosed
	}
	if s.io == nil {
		s.io = C.dtlsgo_shim_base_io_start(s.base, s.handle)
	}
	return s.io, nil
}

func (s *gioBaseSocket) ReadDatagram(p []byte) (int, net.Addr, error) {
	if _, err := s.pump(); err != nil {
		return 0, nil, err
	}
	select {
	case d := <-s.inbound:
		return copy(p, d), nil, nil
	case err := <-s.refused:
		return 0, nil, err
	case <-s.ended:
		select {
		case d := <-s.inbound:
			return copy(p, d), nil, nil
		default:
			return 0, nil, s.endErr
		}
	}
}

// WriteDatagram sends p to the base's peer: a GDatagramBased is connected.
func (s *gioBaseSocket) WriteDatagram(p []byte, _ net.Addr) error {
	io, err := s.pump()
	if err != nil {
		return err
	}
	if len(p) > 0 {
		C.dtlsgo_shim_base_io_send(io, (*C.guint8)(unsafe.Pointer(&p[0])), C.gsize(len(p)))
	}
	return nil
}

func (s *gioBaseSocket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	io := s.io
	s.mu.Unlock()
	s.end(net.ErrClosed) // first: a deliver waiting for room returns
	if io != nil {
		// Joins the GLib threads: after this, deliver is never called again.
		C.dtlsgo_shim_base_io_stop(io)
	}
	dtlsgo_core_handle_free(s.handle)
	return nil
}

func (s *gioBaseSocket) end(err error) {
	s.endOnce.Do(func() {
		s.endErr = err
		close(s.ended)
	})
}

//export dtlsgo_core_base_io_deliver
func dtlsgo_core_base_io_deliver(sink C.DtlsGoHandle, data *C.guint8, n C.gssize, gerr *C.GError) {
	defer guard(nil)
	s := handleValue[*gioBaseSocket](sink)
	if s == nil {
		return
	}
	switch {
	case data != nil:
		d := C.GoBytes(unsafe.Pointer(data), C.int(n))
		select {
		case s.inbound <- d:
		case <-s.ended:
		}
	case gerr == nil:
		s.end(io.EOF)
	case C.g_error_matches(gerr, C.g_io_error_quark(), C.G_IO_ERROR_CONNECTION_REFUSED) != 0:
		// Not the end: the transport decides what a refusal means.
		select {
		case s.refused <- dtlsgo.Errorf(dtlsgo.ErrConnectionRefused, "%s", C.GoString(gerr.message)):
		default: // one is pending: it says the same
		}
	default:
		s.end(errorFromC(gerr)) // the base's own error, as GLib's backends pass it on
	}
}
