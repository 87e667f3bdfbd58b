package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// The seam of DtlsGo.Listener (cshim/dtlsgo-listener.c) and of its
// per-client base sockets (cshim/dtlsgo-peer-socket.c).

//export dtlsgo_core_listener_new
func dtlsgo_core_listener_new(fd C.gint, gerr **C.GError) (h C.DtlsGoHandle) {
	defer guard(gerr)
	dup, err := syscall.Dup(int(fd))
	if err != nil {
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrFailed, "Cannot duplicate the listener's socket: %v", err))
		return 0
	}
	syscall.CloseOnExec(dup)
	f := os.NewFile(uintptr(dup), "dtlsgo-listener")
	defer f.Close() // FilePacketConn duplicates again
	pc, err := net.FilePacketConn(f)
	if err != nil {
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrInvalidArgument, "The listener's socket is not a datagram socket: %v", err))
		return 0
	}
	udp, ok := pc.(*net.UDPConn)
	if !ok || udp.RemoteAddr() != nil {
		pc.Close()
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrInvalidArgument, "A listener needs a bound, unconnected UDP socket"))
		return 0
	}
	l := dtlsgo.NewListener(udp, dtlsgo.ListenerLimits{})
	l.Debugf = debugf
	return newHandle(l)
}

// debugf writes a debug line as g_debug would with GLib's default
// handler: Go threads never call GLib's log handlers, which may be
// application code.
func debugf(format string, args ...any) {
	domains := os.Getenv("G_MESSAGES_DEBUG")
	if !strings.Contains(domains, "all") && !strings.Contains(domains, "dtlsgo") {
		return
	}
	fmt.Fprintf(os.Stderr, "(process:%d): dtlsgo-DEBUG: %s\n", os.Getpid(), fmt.Sprintf(format, args...))
}

func listenerFrom(h C.DtlsGoHandle) *dtlsgo.Listener {
	l := handleValue[*dtlsgo.Listener](h)
	if l == nil {
		panic("dtlsgo: invalid listener handle")
	}
	return l
}

//export dtlsgo_core_listener_set_limits
func dtlsgo_core_listener_set_limits(h C.DtlsGoHandle, maxPending, maxConnections, handshakeTimeoutMS C.guint, cidLength C.gint) {
	defer guard(nil)
	listenerFrom(h).SetLimits(dtlsgo.ListenerLimits{
		MaxPending:         int(maxPending),
		MaxConnections:     int(maxConnections),
		HandshakeTimeout:   time.Duration(handshakeTimeoutMS) * time.Millisecond,
		ConnectionIDLength: max(int(cidLength), 0),
	})
}

//export dtlsgo_core_listener_accept
func dtlsgo_core_listener_accept(h C.DtlsGoHandle, cancellable *C.GCancellable, gerr **C.GError) (peer C.DtlsGoHandle) {
	defer guard(gerr)
	ctx, release := opContext(context.Background(), -1, cancellable)
	defer release()
	p, err := listenerFrom(h).Accept(ctx)
	switch {
	case errors.Is(err, dtlsgo.ErrListenerClosed):
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrClosed, "The listener is closed"))
		return 0
	case err != nil:
		setError(gerr, dtlsgo.ContextError(ctx, "accepting a DTLS client"))
		return 0
	}
	return newHandle(p)
}

//export dtlsgo_core_listener_close
func dtlsgo_core_listener_close(h C.DtlsGoHandle) {
	defer guard(nil)
	listenerFrom(h).Close()
}

//export dtlsgo_core_listener_peer_count
func dtlsgo_core_listener_peer_count(h C.DtlsGoHandle, pending *C.guint) C.guint {
	defer guard(nil)
	peers, p := listenerFrom(h).PeerCount()
	*pending = C.guint(p)
	return C.guint(peers)
}

func peerFrom(h C.DtlsGoHandle) *dtlsgo.PeerSocket {
	p := handleValue[*dtlsgo.PeerSocket](h)
	if p == nil {
		panic("dtlsgo: invalid peer handle")
	}
	return p
}

//export dtlsgo_core_peer_address
func dtlsgo_core_peer_address(h C.DtlsGoHandle, port *C.guint16) *C.gchar {
	defer guard(nil)
	ap := peerFrom(h).RemoteAddr()
	*port = C.guint16(ap.Port())
	return (*C.gchar)(C.CString(ap.Addr().Unmap().String()))
}

//export dtlsgo_core_peer_free
func dtlsgo_core_peer_free(h C.DtlsGoHandle) {
	defer guard(nil)
	_ = peerFrom(h).Close()
	dtlsgo_core_handle_free(h)
}

//export dtlsgo_core_peer_send
func dtlsgo_core_peer_send(h C.DtlsGoHandle, data *C.guint8, n C.gsize, gerr **C.GError) C.gboolean {
	defer guard(gerr)
	d := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))
	if err := peerFrom(h).WriteDatagram(d, nil); err != nil {
		if errors.Is(err, net.ErrClosed) {
			err = dtlsgo.Errorf(dtlsgo.ErrClosed, "The peer socket is closed")
		} else {
			err = dtlsgo.Errorf(dtlsgo.ErrFailed, "Error sending data: %v", err)
		}
		setError(gerr, err)
		return 0
	}
	return 1
}

// dtlsgo_core_peer_receive reads one datagram into buf (truncated to size)
// and returns its length, waiting as GDatagramBased says.
//
//export dtlsgo_core_peer_receive
func dtlsgo_core_peer_receive(h C.DtlsGoHandle, buf *C.guint8, size C.gsize, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) C.gssize {
	defer guard(gerr)
	p := peerFrom(h)
	if timeoutUS == 0 && !p.Readable() {
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrWouldBlock, "Operation would block"))
		return -1
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	b := make([]byte, dtlsgo.MaxDatagramSize)
	n, err := p.ReadDatagramContext(ctx, b)
	switch {
	case errors.Is(err, net.ErrClosed):
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrClosed, "The peer socket is closed"))
		return -1
	case err != nil && ctx.Err() != nil:
		setError(gerr, dtlsgo.ContextError(ctx, "receiving from the peer"))
		return -1
	case err != nil:
		setError(gerr, dtlsgo.Errorf(dtlsgo.ErrClosed, "The peer socket is closed: %v", err))
		return -1
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size)), b[:n])
	return C.gssize(n)
}

//export dtlsgo_core_peer_readable
func dtlsgo_core_peer_readable(h C.DtlsGoHandle) C.gboolean {
	defer guard(nil)
	if peerFrom(h).Readable() {
		return 1
	}
	return 0
}
