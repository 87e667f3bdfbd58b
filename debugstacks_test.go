package dtlsgo

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// stderrOf runs f with os.Stderr captured.
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	f()
	os.Stderr = saved
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

func TestDumpStacksOnTimeout(t *testing.T) {
	timedOut := handshakeDeadlineError(time.Second)

	t.Setenv("DTLSGO_DEBUG_STACKS", "")
	if out := stderrOf(t, func() { dumpStacksOnTimeout(timedOut) }); out != "" {
		t.Fatalf("wrote without DTLSGO_DEBUG_STACKS: %q", out)
	}

	t.Setenv("DTLSGO_DEBUG_STACKS", "1")
	if out := stderrOf(t, func() { dumpStacksOnTimeout(errors.New("refused")) }); out != "" {
		t.Fatalf("wrote for an error that is not a timeout: %q", out)
	}
	out := stderrOf(t, func() { dumpStacksOnTimeout(timedOut) })
	if !strings.Contains(out, "handshake timed out; goroutines:") || !strings.Contains(out, "TestDumpStacksOnTimeout") {
		t.Fatalf("no goroutine dump: %q", out[:min(len(out), 200)])
	}
}
