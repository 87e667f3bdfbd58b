package main

// #include "dtlsgo-core.h"
import "C"

import (
	"errors"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

//export dtlsgo_core_connection_send
func dtlsgo_core_connection_send(h C.DtlsGoHandle, msgs *C.GOutputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, count *C.gint, gerr **C.GError) (status C.DtlsGoStatus) {
	defer guardStatus(&status, gerr)
	messages := unsafe.Slice(msgs, int(n))
	var onStack [sendBatch][]byte
	payloads := onStack[:0]
	if len(messages) > len(onStack) {
		payloads = make([][]byte, 0, len(messages))
	}
	for i := range messages {
		payloads = append(payloads, payload(&messages[i]))
	}
	d, err := dtlsFrom(h)
	if err != nil {
		return opStatus(err, gerr)
	}
	sent, err := d.Send(opOf(timeoutUS, cancellable), payloads)
	if err == nil {
		for i := range sent {
			messages[i].bytes_sent = C.guint(len(payloads[i]))
		}
		*count = C.gint(sent)
	}
	return opStatus(err, gerr)
}

// sendBatch is how many messages a send takes without allocating.
const sendBatch = 64

// payload is a message's record payload: its one vector itself (the core
// seals it before the call returns), or its vectors copied into one.
func payload(m *C.GOutputMessage) []byte {
	vectors := unsafe.Slice(m.vectors, int(m.num_vectors))
	if len(vectors) == 1 {
		return unsafe.Slice((*byte)(vectors[0].buffer), int(vectors[0].size))
	}
	size := 0
	for _, v := range vectors {
		size += int(v.size)
	}
	p := make([]byte, 0, size)
	for _, v := range vectors {
		if v.size > 0 {
			p = append(p, unsafe.Slice((*byte)(v.buffer), int(v.size))...)
		}
	}
	return p
}

//export dtlsgo_core_connection_receive
func dtlsgo_core_connection_receive(h C.DtlsGoHandle, msgs *C.GInputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, count *C.gint, gerr **C.GError) (status C.DtlsGoStatus) {
	defer guardStatus(&status, gerr)
	messages := unsafe.Slice(msgs, int(n))
	d, err := dtlsFrom(h)
	if err != nil {
		return opStatus(err, gerr)
	}
	received, err := d.Receive(opOf(timeoutUS, cancellable), len(messages), func(i int, rec []byte) {
		scatter(&messages[i], rec)
	})
	if err == nil {
		*count = C.gint(received)
	}
	return opStatus(err, gerr)
}

// guardStatus is guard for an export that returns a DtlsGoStatus: a panic
// is DTLSGO_STATUS_ERROR.
func guardStatus(status *C.DtlsGoStatus, gerr **C.GError) {
	if r := recover(); r != nil {
		reportPanic(r, gerr)
		*status = C.DTLSGO_STATUS_ERROR
	}
}

// opStatus is how a send or receive that returned err ended, with the
// GError set where the status says so.
func opStatus(err error, gerr **C.GError) C.DtlsGoStatus {
	switch {
	case err == nil:
		return C.DTLSGO_STATUS_OK
	case errors.Is(err, dtlsgo.ErrNeedHandshake):
		return C.DTLSGO_STATUS_NEED_HANDSHAKE
	}
	setError(gerr, err)
	switch {
	case errors.Is(err, dtlsgo.ErrWouldBlock):
		return C.DTLSGO_STATUS_WOULD_BLOCK
	case errors.Is(err, dtlsgo.ErrTimedOut):
		return C.DTLSGO_STATUS_TIMED_OUT
	}
	return C.DTLSGO_STATUS_ERROR
}

// scatter copies one record into a message's vectors, in order; what does
// not fit is cut, as a datagram socket cuts it.
func scatter(m *C.GInputMessage, rec []byte) {
	if m.address != nil {
		*m.address = nil
	}
	if m.control_messages != nil {
		*m.control_messages = nil
	}
	if m.num_control_messages != nil {
		*m.num_control_messages = 0
	}
	m.flags = 0
	copied := 0
	for _, v := range unsafe.Slice(m.vectors, int(m.num_vectors)) {
		if copied == len(rec) {
			break
		}
		if v.size > 0 {
			copied += copy(unsafe.Slice((*byte)(v.buffer), int(v.size)), rec[copied:])
		}
	}
	m.bytes_received = C.gsize(copied)
}

//export dtlsgo_core_connection_shutdown
func dtlsgo_core_connection_shutdown(h C.DtlsGoHandle, read, write C.gboolean, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	d, err := dtlsFrom(h)
	if err == nil {
		err = d.Shutdown(read != 0, write != 0)
	}
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}
