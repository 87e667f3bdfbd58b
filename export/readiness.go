package main

// #include "dtlsgo-core.h"
import "C"

import "context"

//export dtlsgo_core_connection_condition
func dtlsgo_core_connection_condition(h C.DtlsGoHandle, cond C.GIOCondition) (ready C.GIOCondition) {
	defer guard(nil)
	in, out := connectionFrom(h).core.Readiness()
	if in {
		ready |= C.G_IO_IN
	}
	if out {
		ready |= C.G_IO_OUT
	}
	return ready & cond
}

// dtlsgo_core_connection_watch counts a readiness source of the connection
// (on), or ends one.
//
//export dtlsgo_core_connection_watch
func dtlsgo_core_connection_watch(h C.DtlsGoHandle, on C.gboolean) {
	defer guard(nil)
	// The stream cores' readiness follows their reader goroutine anyway.
	if w, ok := connectionFrom(h).core.(interface{ Watch(bool) }); ok {
		w.Watch(on != 0)
	}
}

//export dtlsgo_core_connection_condition_wait
func dtlsgo_core_connection_condition_wait(h C.DtlsGoHandle, cond C.GIOCondition, timeoutUS C.gint64, cancellable *C.GCancellable, gerr **C.GError) (ok C.gboolean) {
	defer guard(gerr)
	d, err := dtlsFrom(h)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	ctx, release := opContext(context.Background(), int64(timeoutUS), cancellable)
	defer release()
	err = d.WaitReady(ctx, timeoutUS == 0, cond&C.G_IO_IN != 0, cond&C.G_IO_OUT != 0)
	if err != nil {
		setError(gerr, err)
		return 0
	}
	return 1
}
