package dtlsgo

import (
	"github.com/dtlsgo/dtlsgo/internal/record"
	"strings"
	"sync"
	"testing"
)

// recordingSink keeps every trace line; enabled says whether it reads them.
type recordingSink struct {
	enabled bool
	mu      sync.Mutex
	lines   []string
}

func (s *recordingSink) Enabled() bool { return s.enabled }

func (s *recordingSink) Write(id uint64, client bool, line string) {
	role := "server"
	if client {
		role = "client"
	}
	s.mu.Lock()
	s.lines = append(s.lines, role+": "+line)
	s.mu.Unlock()
}

func (s *recordingSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

func withTraceSink(t testing.TB, s TraceSink) {
	saved := traceSink.Load()
	SetTraceSink(s)
	t.Cleanup(func() { traceSink.Store(saved) })
}

func TestTraceShowsEachFlightAndTheOutcome(t *testing.T) {
	sink := &recordingSink{enabled: true}
	withTraceSink(t, sink)
	client, server, cerr, serr := handshakePair(t, Config{ALPN: []string{"x"}},
		Config{Certificate: testCert(t), ALPN: []string{"x"}, ConnectionIDLength: 4})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	client.Close()
	server.Close()
	text := sink.text()
	for _, want := range []string{
		"client: sent flight 1: ClientHello", "server: received flight 1: ClientHello",
		"server: sent flight 2: HelloVerifyRequest", "client: sent flight 3: ClientHello",
		"server: sent flight 4: ServerHello", "client: received flight 4: ServerHello",
		"client: sent flight 5: ClientKeyExchange, ChangeCipherSpec, Finished (encrypted)",
		"server: sent flight 6: ChangeCipherSpec, Finished (encrypted)",
		"client: peer certificate CN=localhost (chain of 1): verification flags none, accepted",
		"client: handshake complete after", "ALPN x, SRTP profile none",
		// Only the server asked for an ID; the client did not offer the extension.
		"connection IDs none",
		"client: sent alert Warning CloseNotify",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the trace:\n%s", want, text)
		}
	}
}

func TestTraceNamesNegotiatedConnectionIDs(t *testing.T) {
	sink := &recordingSink{enabled: true}
	withTraceSink(t, sink)
	client, server, cerr, serr := handshakePair(t, Config{ConnectionIDLength: 3},
		Config{Certificate: testCert(t), ConnectionIDLength: ConnectionIDSendOnly})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	client.Close()
	server.Close()
	// The client receives 3-byte IDs; the send-only server asks for none.
	if text := sink.text(); !strings.Contains(text, "connection IDs client receives ") ||
		!strings.Contains(text, ", server receives (empty)") {
		t.Errorf("no connection IDs in the trace:\n%s", text)
	}
}

func TestNoTraceWhenTheSinkIsOff(t *testing.T) {
	sink := &recordingSink{}
	withTraceSink(t, sink)
	client, server, cerr, serr := handshakePair(t, Config{}, Config{Certificate: testCert(t)})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	client.Close()
	server.Close()
	if client.trace != nil || server.trace != nil || sink.text() != "" {
		t.Errorf("traced while off: %q", sink.text())
	}
}

func TestFlightNumbers(t *testing.T) {
	hello := func(cookie bool) handshakeMessage {
		body := make([]byte, 2+32+1+1)
		if cookie {
			body[len(body)-1] = 1
			body = append(body, 0xaa)
		}
		return handshakeMessage{typ: 1, body: body}
	}
	cases := []struct {
		fromClient bool
		m          handshakeMessage
		want       int
	}{
		{true, hello(false), 1}, {false, handshakeMessage{typ: 3}, 2}, {true, hello(true), 3},
		{false, handshakeMessage{typ: 2}, 4}, {false, handshakeMessage{typ: 11}, 4},
		{true, handshakeMessage{typ: 11}, 5}, {true, handshakeMessage{typ: 16}, 5},
		{false, handshakeMessage{typ: 20}, 6},
	}
	for _, tc := range cases {
		if got := flightOf(tc.fromClient, tc.m); got != tc.want {
			t.Errorf("client %t, type %d: flight %d, want %d", tc.fromClient, tc.m.typ, got, tc.want)
		}
	}
}

// offSink is a sink nobody reads, as GLib's is without G_MESSAGES_DEBUG.
type offSink struct{}

func (offSink) Enabled() bool              { return false }
func (offSink) Write(uint64, bool, string) {}

// The trace's cost while off, per handshake datagram (the trace point: no
// tap is even plugged in then, so this is an upper bound) and per handshake
// (asking the sink once): no allocation, and a nil check.
func BenchmarkTraceDisabled(b *testing.B) {
	withTraceSink(b, offSink{})
	d := handshakeDatagram(b)
	b.Run("datagram", func(b *testing.B) {
		var tr *tracer // what newTracer gives while off
		b.ReportAllocs()
		for b.Loop() {
			tr.Datagram(d, true)
		}
	})
	b.Run("handshake", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if newTracer(true) != nil {
				b.Fatal("a tracer while off")
			}
		}
	})
}

// For comparison: what a traced datagram costs (formatting, and a sink
// that drops the line).
func BenchmarkTraceEnabled(b *testing.B) {
	withTraceSink(b, &discardSink{})
	d := handshakeDatagram(b)
	tr := newTracer(true)
	b.ReportAllocs()
	for b.Loop() {
		tr.Datagram(d, true)
	}
}

type discardSink struct{}

func (*discardSink) Enabled() bool              { return true }
func (*discardSink) Write(uint64, bool, string) {}

// handshakeDatagram is a ClientHello record as a client's first flight
// carries it.
func handshakeDatagram(b *testing.B) []byte {
	body := make([]byte, 2+32+1+1+2+2+1+1)
	msg := append([]byte{1, 0, 0, byte(len(body)), 0, 0, 0, 0, 0, 0, 0, byte(len(body))}, body...)
	rec := append([]byte{record.ContentHandshake, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(msg))}, msg...)
	return rec
}
