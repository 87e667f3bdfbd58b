package main

// #include "dtlsgo-core.h"
import "C"

import (
	"context"
	"time"

	"github.com/dtlsgo/dtlsgo"
)

// opContext is the context of one GLib call: its timeout in microseconds
// (-1 none; 0 means poll, which the core handles itself) and its
// GCancellable. release must be called when the call ends.
func opContext(parent context.Context, timeoutUS int64, cancellable *C.GCancellable) (context.Context, func()) {
	ctx := parent
	var releases []func()
	if timeoutUS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = dtlsgo.WithCallerTimeout(ctx, time.Duration(timeoutUS)*time.Microsecond)
		releases = append(releases, cancel)
	}
	if cancellable != nil {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		h := newHandle(cancel)
		id := C.dtlsgo_shim_cancellable_connect(cancellable, h)
		releases = append(releases, func() {
			C.dtlsgo_shim_cancellable_disconnect(cancellable, id)
			dtlsgo_core_handle_free(h)
			cancel(nil)
		})
	}
	return ctx, func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
}

// gCancellable is a GCancellable as the core's Canceller: a pointer type,
// so making the interface value allocates nothing.
type gCancellable C.GCancellable

func (c *gCancellable) FD() int    { return int(C.g_cancellable_get_fd((*C.GCancellable)(c))) }
func (c *gCancellable) ReleaseFD() { C.g_cancellable_release_fd((*C.GCancellable)(c)) }
func (c *gCancellable) Cancelled() bool {
	return C.g_cancellable_is_cancelled((*C.GCancellable)(c)) != 0
}
func (c *gCancellable) Watch(cancel func()) (stop func()) {
	h := newHandle(context.CancelCauseFunc(func(error) { cancel() }))
	id := C.dtlsgo_shim_cancellable_connect((*C.GCancellable)(c), h)
	return func() {
		C.dtlsgo_shim_cancellable_disconnect((*C.GCancellable)(c), id)
		dtlsgo_core_handle_free(h)
	}
}

// opOf is the Op of a send or receive: its timeout in microseconds (-1
// none, 0 poll) and its GCancellable.
func opOf(timeoutUS C.gint64, cancellable *C.GCancellable) dtlsgo.Op {
	var cancel dtlsgo.Canceller
	if cancellable != nil {
		cancel = (*gCancellable)(cancellable)
	}
	return dtlsgo.OpWithin(time.Duration(timeoutUS)*time.Microsecond, cancel)
}

var errCancelled = dtlsgo.Errorf(dtlsgo.ErrCancelled, "Operation was cancelled")

//export dtlsgo_core_cancel
func dtlsgo_core_cancel(h C.DtlsGoHandle) {
	defer guard(nil)
	if cancel := handleValue[context.CancelCauseFunc](h); cancel != nil {
		cancel(errCancelled)
	}
}
