// Command export is the cgo boundary of dtlsgo, built with
// -buildmode=c-shared into libgiodtlsgo.so. Every //export here is one row of
// the seam declared in cshim/dtlsgo-core.h: it recovers panics, converts C
// values, delegates to the Go core and reports errors as GErrors.
package main

import _ "github.com/dtlsgo/dtlsgo/cshim" // the GObject types and module entry points

func main() {}
