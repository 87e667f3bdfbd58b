package main

// #include <stdlib.h>
// #include "dtlsgo-core.h"
import "C"

import (
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// glibTrace sends the handshake trace to GLib's debug log (see
// cshim/dtlsgo-trace.c for why its default writer).
type glibTrace struct{}

func (glibTrace) Enabled() bool { return C.dtlsgo_shim_trace_enabled() != 0 }

func (glibTrace) Write(id uint64, client bool, line string) {
	cline := C.CString(line)
	defer C.free(unsafe.Pointer(cline))
	var isClient C.gboolean
	if client {
		isClient = 1
	}
	C.dtlsgo_shim_trace(C.guint64(id), isClient, cline)
}

func init() { dtlsgo.SetTraceSink(glibTrace{}) }
