package main

// #include "dtlsgo-core.h"
import "C"

import (
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// connection is what a DtlsGoConnection's handle holds.
type connection struct {
	core *dtlsgo.Conn
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
