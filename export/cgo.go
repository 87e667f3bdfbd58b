package main

// #cgo pkg-config: gio-2.0
// #cgo CFLAGS: -I${SRCDIR}/../cshim -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_72
import "C"
