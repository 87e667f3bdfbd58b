package main

// #include "dtlsgo-core.h"
import "C"

import "runtime/cgo"

// The one registry of Go objects that C holds: runtime/cgo handles, passed
// to C as DtlsGoHandle and released exactly once by dtlsgo_core_handle_free.

func newHandle(v any) C.DtlsGoHandle { return C.DtlsGoHandle(cgo.NewHandle(v)) }

// handleValue returns the Go value behind h, typed; zero when h is 0.
func handleValue[T any](h C.DtlsGoHandle) T {
	var zero T
	if h == 0 {
		return zero
	}
	v, _ := cgo.Handle(h).Value().(T)
	return v
}

//export dtlsgo_core_handle_free
func dtlsgo_core_handle_free(h C.DtlsGoHandle) {
	defer guard(nil)
	if h != 0 {
		cgo.Handle(h).Delete()
	}
}
