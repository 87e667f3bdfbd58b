package dtlsgo

import (
	"errors"
	"testing"
	"time"
)

// waitReadable waits (at most 5 s) until c reports a record to receive,
// without receiving: only the shared poller can have read it.
func waitReadable(t *testing.T, c *Conn, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if in, _ := c.Readiness(); in {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready without a receive", what)
		}
	}
}

// The shared poller reads what no receive takes: a record that arrives
// after a receive returned, while nobody receives, becomes ready without
// another receive, whether or not a readiness source watches.
func TestPollerTakesOverFromAReceive(t *testing.T) {
	client, server := udpEstablished(t)
	op := OpWithin(5*time.Second, nil)
	var got string
	exchange := func(payload string) {
		t.Helper()
		// A receive that waits in vain sleeps on the socket on this thread
		// (the poller leaves it meanwhile), then lets it go.
		if n, err := server.Receive(OpWithin(10*time.Millisecond, nil), 1, nil); n != 0 || !errors.Is(err, ErrTimedOut) {
			t.Fatalf("receive with nothing sent: %d %v", n, err)
		}
		if n, err := client.Send(op, [][]byte{[]byte(payload)}); n != 1 {
			t.Fatalf("send %q: %d %v", payload, n, err)
		}
		waitReadable(t, server, payload)
		if n, err := server.Receive(op, 1, func(_ int, rec []byte) { got = string(rec) }); n != 1 || got != payload {
			t.Fatalf("receive: %d %q %v, want %q", n, got, err, payload)
		}
	}
	exchange("unwatched") // the poller takes over once the socket stays quiet
	exchange("unwatched, again")
	server.Watch(true)
	defer server.Watch(false)
	exchange("watched") // at once
	exchange("watched, after a receive")
}
