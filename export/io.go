package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"unsafe"
)

//export dtlsgo_core_connection_send
func dtlsgo_core_connection_send(h C.DtlsGoHandle, msgs *C.GOutputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (sent C.gint) {
	defer guard(gerr)
	messages := unsafe.Slice(msgs, int(n))
	payloads := make([][]byte, len(messages))
	for i := range messages {
		payloads[i] = gather(&messages[i])
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	count, err := connectionFrom(h).core.Send(ctx, timeoutUS == 0, payloads)
	if err != nil {
		setError(gerr, err)
		return -1
	}
	for i := 0; i < count; i++ {
		messages[i].bytes_sent = C.guint(len(payloads[i]))
	}
	return C.gint(count)
}

// gather copies a message's vectors into one record payload.
func gather(m *C.GOutputMessage) []byte {
	vectors := unsafe.Slice(m.vectors, int(m.num_vectors))
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
func dtlsgo_core_connection_receive(h C.DtlsGoHandle, msgs *C.GInputMessage, n C.guint, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (received C.gint) {
	defer guard(gerr)
	messages := unsafe.Slice(msgs, int(n))
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	count, err := connectionFrom(h).core.Receive(ctx, timeoutUS == 0, len(messages), func(i int, rec []byte) {
		scatter(&messages[i], rec)
	})
	if err != nil {
		setError(gerr, err)
		return -1
	}
	return C.gint(count)
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
	if err := connectionFrom(h).core.Shutdown(read != 0, write != 0); err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}
