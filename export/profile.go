package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

// A CPU profile of the Go side of any GLib program, for performance work:
// DTLSGO_CPUPROFILE=<file> profiles from the module's load for
// DTLSGO_CPUPROFILE_SECONDS (default 10), then writes the file. (A
// c-shared library hears nothing of its host's exit, hence the bound.)
func init() {
	path := os.Getenv("DTLSGO_CPUPROFILE")
	if path == "" {
		return
	}
	secs, err := strconv.ParseFloat(os.Getenv("DTLSGO_CPUPROFILE_SECONDS"), 64)
	if err != nil || secs <= 0 {
		secs = 10
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	time.AfterFunc(time.Duration(secs*float64(time.Second)), func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}
