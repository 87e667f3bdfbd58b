package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"crypto/tls"
	"net"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// The stream TLS rows of the seam: a connection over a GIOStream, its reads,
// writes and closes. The handshake and everything it established go through
// the rows both kinds of connection share (export/connection.go).

//export dtlsgo_core_stream_connection_new
func dtlsgo_core_stream_connection_new(gobj C.gpointer, fd C.int, base *C.GIOStream, isClient C.gboolean, gerr **C.GError) (h C.DtlsGoHandle) {
	defer guard(gerr)
	var transport net.Conn
	var gio *gioStreamTransport
	var err error
	if fd >= 0 {
		transport, err = socketTransport(int(fd))
	} else {
		gio = newGIOStreamTransport(base)
		transport = gio
	}
	if err != nil {
		setError(gerr, err)
		return 0
	}
	core := dtlsgo.NewStreamConn(transport, isClient != 0)
	core.SetOnChange(func() { C.dtlsgo_shim_connection_changed(gobj) })
	return newHandle(&connection{core: core, gio: gio})
}

// socketTransport reads and writes a duplicate of a GSocket's descriptor:
// without waiting for a caller that waits in the shim, with Go's poller
// otherwise; no thread per connection, no GLib call on the data path.
// Closing it closes only the duplicate; so does closing the GSocket (see
// watchSocket).
func socketTransport(fd int) (net.Conn, error) {
	conn, err := dtlsgo.DupConn(fd, "Cannot duplicate the base socket",
		"The base socket is not a stream socket Go can use")
	if err != nil {
		return nil, err
	}
	watched, err := watchSocket(conn, fd)
	if err != nil {
		conn.Close()
		return nil, dtlsgo.Errorf(dtlsgo.ErrFailed, "Cannot watch the base socket: %v", err)
	}
	return watched, nil
}

func streamFrom(h C.DtlsGoHandle) *dtlsgo.StreamConn {
	s, ok := connectionFrom(h).core.(*dtlsgo.StreamConn)
	if !ok {
		panic("dtlsgo: not a stream TLS connection")
	}
	return s
}

// releaseBase returns once nothing of h uses its base stream: the GLib
// threads of a generic base have ended (a plain socket's duplicate needs
// no wait).
func releaseBase(h C.DtlsGoHandle) {
	if gio := connectionFrom(h).gio; gio != nil {
		gio.release()
	}
}

// bufferOf is the C buffer as a slice (nil when empty).
func bufferOf(buf *C.guint8, count C.gsize) []byte {
	if count == 0 || buf == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(count))
}

// streamIO runs one read or write of count bytes at buf (op), or, with
// wait, a blocking one over a socket as far as it goes without waiting
// (try): the shim waits for the socket (see dtlsgo-core.h). A timeout of
// 0 never blocks (WOULD_BLOCK); < 0 waits without bound.
func streamIO(try func(*dtlsgo.StreamConn, []byte, int, dtlsgo.SocketWaited) (int, dtlsgo.SocketNeed, error),
	op func(*dtlsgo.StreamConn, context.Context, []byte, bool) (int, error),
	h C.DtlsGoHandle, buf *C.guint8, count C.gsize, timeoutUS C.gint64, cancellable *C.GCancellable,
	wait *C.DtlsGoSocketWait, moved *C.gssize, gerr **C.GError) C.DtlsGoStatus {
	s := streamFrom(h)
	p := bufferOf(buf, count)
	var n int
	var err error
	need := dtlsgo.NeedGoWait
	if wait != nil && timeoutUS != 0 {
		n, need, err = try(s, p, int(wait.wake), socketWaited(wait.waited))
		switch need {
		case dtlsgo.NeedInput:
			wait.condition = C.G_IO_IN
			return C.DTLSGO_STATUS_WAIT
		case dtlsgo.NeedOutput:
			wait.condition = C.G_IO_OUT
			return C.DTLSGO_STATUS_WAIT
		}
	}
	if need == dtlsgo.NeedGoWait {
		ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
		defer release()
		n, err = op(s, ctx, p, timeoutUS == 0)
	}
	if err == nil {
		*moved = C.gssize(n)
	}
	return opStatus(err, gerr)
}

// socketWaited is the shim's DtlsGoWaited as the core's.
func socketWaited(w C.DtlsGoWaited) dtlsgo.SocketWaited {
	switch w {
	case C.DTLSGO_WAITED_READY:
		return dtlsgo.WaitedReady
	case C.DTLSGO_WAITED_TIMED_OUT:
		return dtlsgo.WaitedTimedOut
	case C.DTLSGO_WAITED_CANCELLED:
		return dtlsgo.WaitedCancelled
	}
	return dtlsgo.WaitedNothing
}

//export dtlsgo_core_stream_read
func dtlsgo_core_stream_read(h C.DtlsGoHandle, buf *C.guint8, count C.gsize, timeoutUS C.gint64, cancellable *C.GCancellable, wait *C.DtlsGoSocketWait, moved *C.gssize, gerr **C.GError) (status C.DtlsGoStatus) {
	defer guardStatus(&status, gerr)
	return streamIO((*dtlsgo.StreamConn).ReadOrWait, (*dtlsgo.StreamConn).Read, h, buf, count, timeoutUS, cancellable, wait, moved, gerr)
}

//export dtlsgo_core_stream_write
func dtlsgo_core_stream_write(h C.DtlsGoHandle, buf *C.guint8, count C.gsize, timeoutUS C.gint64, cancellable *C.GCancellable, wait *C.DtlsGoSocketWait, moved *C.gssize, gerr **C.GError) (status C.DtlsGoStatus) {
	defer guardStatus(&status, gerr)
	return streamIO((*dtlsgo.StreamConn).WriteOrWait, (*dtlsgo.StreamConn).Write, h, buf, count, timeoutUS, cancellable, wait, moved, gerr)
}

//export dtlsgo_core_stream_close_write
func dtlsgo_core_stream_close_write(h C.DtlsGoHandle, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	if err := streamFrom(h).CloseWrite(ctx); err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}

//export dtlsgo_core_stream_shutdown_read
func dtlsgo_core_stream_shutdown_read(h C.DtlsGoHandle) {
	defer guard(nil)
	streamFrom(h).ShutdownRead()
	if gio := connectionFrom(h).gio; gio != nil {
		gio.stopReading()
	}
}

//export dtlsgo_core_stream_close
func dtlsgo_core_stream_close(h C.DtlsGoHandle, sendCloseNotify C.gboolean, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	defer releaseBase(h)
	if sendCloseNotify == 0 {
		streamFrom(h).Abort()
		return 1
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	if err := streamFrom(h).CloseContext(ctx); err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}

//export dtlsgo_core_connection_protocol_version
func dtlsgo_core_connection_protocol_version(h C.DtlsGoHandle) (v C.GTlsProtocolVersion) {
	defer guard(nil)
	c := connectionFrom(h)
	if _, done := c.core.Info(); !done {
		return C.G_TLS_PROTOCOL_VERSION_UNKNOWN
	}
	s, ok := c.core.(*dtlsgo.StreamConn)
	switch {
	case !ok:
		return C.G_TLS_PROTOCOL_VERSION_DTLS_1_2
	case s.TLSVersion() == tls.VersionTLS13:
		return C.G_TLS_PROTOCOL_VERSION_TLS_1_3
	case s.TLSVersion() == tls.VersionTLS12:
		return C.G_TLS_PROTOCOL_VERSION_TLS_1_2
	}
	return C.G_TLS_PROTOCOL_VERSION_UNKNOWN
}
