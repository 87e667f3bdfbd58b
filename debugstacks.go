package dtlsgo

import (
	"os"
	"runtime"
)

// dumpStacksOnTimeout writes every goroutine's stack to standard error when
// a handshake ended in a timeout and DTLSGO_DEBUG_STACKS is set: it tells a
// hang (a goroutine parked where it should not be) from a slow peer.
func dumpStacksOnTimeout(err error) {
	if !timedOut(err) || os.Getenv("DTLSGO_DEBUG_STACKS") == "" {
		return
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	os.Stderr.WriteString("dtlsgo: handshake timed out; goroutines:\n")
	os.Stderr.Write(buf)
}
