package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// connection is what a DtlsGoConnection's handle holds: a DTLS Conn or a
// stream TLS StreamConn, driven alike through engine.
type connection struct {
	core engine
	gio  *gioStreamTransport // the GLib threads of a stream connection's generic base, or nil
}

// engine is what both kinds of connection share: the handshake, what it
// established, readiness and close.
type engine interface {
	SetOnChange(f func())
	SetRequireCloseNotify(require bool)
	State() (dtlsgo.HandshakeState, error)
	BeginHandshake() (bool, error)
	RunHandshake(ctx context.Context, cfg dtlsgo.Config, hooks dtlsgo.HandshakeHooks) error
	WaitHandshake(ctx context.Context) error
	Info() (dtlsgo.Info, bool)
	ChannelBinding(kind dtlsgo.ChannelBindingType) ([]byte, error)
	Readiness() (in, out bool)
	Close() error
}

// dtlsFrom is h's DTLS connection, for the datagram calls.
func dtlsFrom(h C.DtlsGoHandle) (*dtlsgo.Conn, error) {
	if d, ok := connectionFrom(h).core.(*dtlsgo.Conn); ok {
		return d, nil
	}
	return nil, dtlsgo.Errorf(dtlsgo.ErrNotSupported, "This is a stream TLS connection, not a DTLS one")
}

func connectionFrom(h C.DtlsGoHandle) *connection {
	c := handleValue[*connection](h)
	if c == nil {
		panic("dtlsgo: invalid connection handle")
	}
	return c
}

//export dtlsgo_core_connection_new
func dtlsgo_core_connection_new(gobj C.gpointer, base *C.GDatagramBased, isClient C.gboolean, gerr **C.GError) (h C.DtlsGoHandle) {
	defer guard(gerr)
	bs, err := newBaseSocket(base)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	core := dtlsgo.NewConn(bs, isClient != 0)
	core.SetOnChange(func() { C.dtlsgo_shim_connection_changed(gobj) })
	return newHandle(&connection{core: core})
}

//export dtlsgo_core_connection_free
func dtlsgo_core_connection_free(h C.DtlsGoHandle) {
	defer guard(nil)
	c := connectionFrom(h)
	// After this the GObject is gone: no more change callbacks.
	c.core.SetOnChange(nil)
	_ = c.core.Close()
	dtlsgo_core_handle_free(h)
}

//export dtlsgo_core_connection_set_require_close_notify
func dtlsgo_core_connection_set_require_close_notify(h C.DtlsGoHandle, require C.gboolean) {
	defer guard(nil)
	connectionFrom(h).core.SetRequireCloseNotify(require != 0)
}

//export dtlsgo_core_connection_ciphersuite
func dtlsgo_core_connection_ciphersuite(h C.DtlsGoHandle) (s *C.char) {
	defer guard(nil)
	if info, ok := connectionFrom(h).core.Info(); ok {
		return gstrdup(info.CipherSuite)
	}
	return nil
}

//export dtlsgo_core_connection_negotiated_protocol
func dtlsgo_core_connection_negotiated_protocol(h C.DtlsGoHandle) (s *C.char) {
	defer guard(nil)
	if info, ok := connectionFrom(h).core.Info(); ok && info.NegotiatedProtocol != "" {
		return gstrdup(info.NegotiatedProtocol)
	}
	return nil
}

//export dtlsgo_core_connection_accepted_cas
func dtlsgo_core_connection_accepted_cas(h C.DtlsGoHandle) (arr *C.GPtrArray) {
	defer guard(nil)
	info, _ := connectionFrom(h).core.Info()
	return bytesArrayToC(info.AcceptableCAs)
}

//export dtlsgo_core_connection_channel_binding
func dtlsgo_core_connection_channel_binding(h C.DtlsGoHandle, kind C.GTlsChannelBindingType, data *C.GByteArray, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	b, err := connectionFrom(h).core.ChannelBinding(dtlsgo.ChannelBindingType(kind))
	if err != nil {
		setError(gerr, err)
		return 0
	}
	if data != nil {
		C.g_byte_array_set_size(data, 0)
		C.g_byte_array_append(data, (*C.guint8)(unsafe.Pointer(&b[0])), C.guint(len(b)))
	}
	return 1
}
