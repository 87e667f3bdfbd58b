package main

// #include "dtlsgo-core.h"
import "C"

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// gioStreamTransport is a net.Conn over any GIOStream, read and written by
// the GLib threads of cshim/dtlsgo-stream-base-io.c: the base's methods
// (perhaps Python) never run on a Go thread.
type gioStreamTransport struct {
	handle   C.DtlsGoHandle
	io       *C.DtlsGoStreamIO
	inbound  chan []byte // unbuffered: the reader thread waits until a chunk is taken
	timedOut chan error  // unbuffered: the base's read timed out (and reading goes on)
	rest     []byte      // of the last chunk, not yet read

	ended   chan struct{}
	endErr  error // io.EOF or the base's error; set before ended closes
	endOnce sync.Once

	readStop     chan struct{} // closed by stopReading: a chunk waiting to go up is dropped
	readStopOnce sync.Once

	writeMu sync.Mutex // one write at a time, each answered on written
	written chan error

	closed      chan struct{}
	closeOnce   sync.Once
	stopped     chan struct{} // closed once the GLib threads ended
	releaseOnce sync.Once
}

func newGIOStreamTransport(base *C.GIOStream) *gioStreamTransport {
	t := &gioStreamTransport{
		inbound:  make(chan []byte),
		timedOut: make(chan error),
		ended:    make(chan struct{}),
		written:  make(chan error, 1),
		closed:   make(chan struct{}),
		stopped:  make(chan struct{}),
		readStop: make(chan struct{}),
	}
	t.handle = newHandle(t)
	t.io = C.dtlsgo_shim_stream_io_start(base, t.handle)
	return t
}

func (t *gioStreamTransport) Read(p []byte) (int, error) {
	if len(t.rest) == 0 {
		select {
		case d := <-t.inbound:
			t.rest = d
		case err := <-t.timedOut:
			return 0, err
		case <-t.ended:
			return 0, t.endErr
		case <-t.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(p, t.rest)
	t.rest = t.rest[n:]
	return n, nil
}

func (t *gioStreamTransport) Write(p []byte) (int, error) {
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	select {
	case <-t.closed:
		return 0, net.ErrClosed
	default:
	}
	if len(p) == 0 {
		return 0, nil
	}
	C.dtlsgo_shim_stream_io_write(t.io, (*C.guint8)(unsafe.Pointer(&p[0])), C.gsize(len(p)))
	select {
	case err := <-t.written:
		if err != nil {
			return 0, err
		}
		return len(p), nil
	case <-t.closed:
		return 0, net.ErrClosed
	}
}

// Close stops the GLib threads (they end on their own); the base stream
// stays open.
func (t *gioStreamTransport) Close() error {
	t.closeOnce.Do(func() {
		close(t.closed)
		C.dtlsgo_shim_stream_io_stop(t.io)
	})
	return nil
}

// release makes the GLib threads let go of the base and waits for it (after
// Close, on the application's thread: it cancels what the base is blocked
// in, a write to a peer that does not read for one).
func (t *gioStreamTransport) release() {
	t.releaseOnce.Do(func() {
		_ = t.Close()
		C.dtlsgo_shim_stream_io_cancel(t.io)
		<-t.stopped
		C.dtlsgo_shim_stream_io_free(t.io)
	})
}

// stopReading ends the reader thread (called on a GLib thread: the base's
// read is cancelled here).
func (t *gioStreamTransport) stopReading() {
	t.end(net.ErrClosed)
	// The reader thread may be waiting in deliver, not in the base's read.
	t.readStopOnce.Do(func() { close(t.readStop) })
	C.dtlsgo_shim_stream_io_stop_reading(t.io)
}

func (t *gioStreamTransport) end(err error) {
	t.endOnce.Do(func() {
		t.endErr = err
		close(t.ended)
	})
}

// The base is driven through GIO, which has no deadlines; crypto/tls sets
// them only around close_notify.
func (t *gioStreamTransport) SetDeadline(time.Time) error      { return nil }
func (t *gioStreamTransport) SetReadDeadline(time.Time) error  { return nil }
func (t *gioStreamTransport) SetWriteDeadline(time.Time) error { return nil }
func (t *gioStreamTransport) LocalAddr() net.Addr              { return gioStreamAddr{} }
func (t *gioStreamTransport) RemoteAddr() net.Addr             { return gioStreamAddr{} }

type gioStreamAddr struct{}

func (gioStreamAddr) Network() string { return "gio" }
func (gioStreamAddr) String() string  { return "GIOStream" }

// baseStreamError is a GError of the base stream as the engine classifies
// it: a connection the peer cut as ECONNRESET (reading) or EPIPE (writing),
// a timeout as one.
func baseStreamError(gerr *C.GError, doing string, cut syscall.Errno) error {
	msg := fmt.Sprintf("Error %s the base stream: %s", doing, C.GoString(gerr.message))
	if gerr.domain == C.g_io_error_quark() {
		switch gerr.code {
		case C.G_IO_ERROR_BROKEN_PIPE:
			return fmt.Errorf("%s: %w", msg, cut)
		case C.G_IO_ERROR_TIMED_OUT:
			return fmt.Errorf("%s: %w", msg, os.ErrDeadlineExceeded)
		case C.G_IO_ERROR_CLOSED:
			return fmt.Errorf("%s: %w", msg, net.ErrClosed)
		}
	}
	return fmt.Errorf("%s", msg)
}

// baseTimedOut is a read of the base that timed out (its GSocket's
// timeout): a net.Error crypto/tls passes on without failing the connection
// for good, as GLib's backends let the next read go on.
type baseTimedOut string

func (e baseTimedOut) Error() string   { return "Error reading the base stream: " + string(e) }
func (e baseTimedOut) Timeout() bool   { return true }
func (e baseTimedOut) Temporary() bool { return true }
func (e baseTimedOut) Unwrap() error   { return os.ErrDeadlineExceeded }

//export dtlsgo_core_stream_io_deliver
func dtlsgo_core_stream_io_deliver(sink C.DtlsGoHandle, data *C.guint8, n C.gssize, gerr *C.GError) {
	defer guard(nil)
	t := handleValue[*gioStreamTransport](sink)
	switch {
	case t == nil:
	case n > 0:
		select {
		case t.inbound <- C.GoBytes(unsafe.Pointer(data), C.int(n)):
		case <-t.closed:
		case <-t.readStop:
		}
	case n == 0:
		t.end(io.EOF)
	case gerr.domain == C.g_io_error_quark() && gerr.code == C.G_IO_ERROR_TIMED_OUT:
		select {
		case t.timedOut <- baseTimedOut(C.GoString(gerr.message)):
		case <-t.closed:
		case <-t.readStop:
		}
	default:
		t.end(baseStreamError(gerr, "reading", syscall.ECONNRESET))
	}
}

//export dtlsgo_core_stream_io_written
func dtlsgo_core_stream_io_written(sink C.DtlsGoHandle, gerr *C.GError) {
	defer guard(nil)
	t := handleValue[*gioStreamTransport](sink)
	if t == nil {
		return
	}
	var err error
	if gerr != nil {
		err = baseStreamError(gerr, "writing to", syscall.EPIPE)
	}
	select {
	case t.written <- err:
	default: // a write abandoned by Close
	}
}

//export dtlsgo_core_stream_io_stopped
func dtlsgo_core_stream_io_stopped(sink C.DtlsGoHandle) {
	defer guard(nil)
	if t := handleValue[*gioStreamTransport](sink); t != nil {
		close(t.stopped)
	}
	dtlsgo_core_handle_free(sink)
}
