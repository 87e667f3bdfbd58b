// Package cshim is dtlsgo's C side: the GObject types GIO sees (backend,
// certificate, databases, connections), their vtables, properties, signals
// and the GTask/GSource/main-context plumbing. It holds no TLS policy: every
// decision is delegated to the Go core through the functions declared in
// dtlsgo-core.h, which package export implements.
package cshim

// #cgo pkg-config: gio-2.0
// #cgo CFLAGS: -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_72 -Wall -Wno-unused-function -Wno-deprecated-declarations
import "C"
