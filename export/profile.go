package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

// Profiles of the Go side of any GLib program, for performance work. (A
// c-shared library hears nothing of its host's exit, hence the bounds.)
//   - DTLSGO_CPUPROFILE=<file> profiles the CPU from the module's load for
//     DTLSGO_CPUPROFILE_SECONDS (default 10), then writes the file.
//   - DTLSGO_HEAPPROFILE=<file> writes, DTLSGO_HEAPPROFILE_SECONDS (default
//     10) after the module's load, a profile of the live heap (one sample
//     per 64 KiB allocated), and <file>.txt, the same as text with the
//     runtime's memory statistics at its end.
func init() {
	if path := os.Getenv("DTLSGO_CPUPROFILE"); path != "" {
		startCPUProfile(path, profileSeconds("DTLSGO_CPUPROFILE_SECONDS"))
	}
	if path := os.Getenv("DTLSGO_HEAPPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		time.AfterFunc(profileSeconds("DTLSGO_HEAPPROFILE_SECONDS"), func() { writeHeapProfile(path) })
	}
}

func profileSeconds(name string) time.Duration {
	secs, err := strconv.ParseFloat(os.Getenv(name), 64)
	if err != nil || secs <= 0 {
		secs = 10
	}
	return time.Duration(secs * float64(time.Second))
}

func startCPUProfile(path string, d time.Duration) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	time.AfterFunc(d, func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}

func writeHeapProfile(path string) {
	runtime.GC() // the profile shows the heap as of the last collection
	for debug, name := range []string{path, path + ".txt"} {
		if f, err := os.Create(name); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, debug)
			f.Close()
		}
	}
}
