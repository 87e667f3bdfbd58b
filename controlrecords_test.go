package dtlsgo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tappedSocket records every datagram its connection writes.
type tappedSocket struct {
	*memSocket
	mu      sync.Mutex
	written [][]byte
}

func (s *tappedSocket) WriteDatagram(p []byte, to net.Addr) error {
	s.mu.Lock()
	s.written = append(s.written, append([]byte(nil), p...))
	s.mu.Unlock()
	return s.memSocket.WriteDatagram(p, to)
}

// since returns what was written from index i on, waiting up to wait for
// at least one datagram.
func (s *tappedSocket) since(i int, wait time.Duration) [][]byte {
	for end := time.Now().Add(wait); ; time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		out := append([][]byte(nil), s.written[i:]...)
		s.mu.Unlock()
		if len(out) > 0 || time.Now().After(end) {
			return out
		}
	}
}

func (s *tappedSocket) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.written)
}

// tappedPair handshakes a client and a server over an in-memory pipe whose
// writes are recorded.
func tappedPair(t *testing.T) (client, server *Conn, ct, st *tappedSocket) {
	cs, ss := memPipe()
	ct, st = &tappedSocket{memSocket: cs}, &tappedSocket{memSocket: ss}
	client, server = NewConn(ct, true), NewConn(st, false)
	errs := make(chan error, 1)
	go func() {
		server.BeginHandshake()
		errs <- server.RunHandshake(context.Background(), Config{Certificate: testCert(t)}, &acceptAll{})
	}()
	client.BeginHandshake()
	cerr := client.RunHandshake(context.Background(), Config{IsClient: true}, &acceptAll{})
	if serr := <-errs; cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	if client.app == nil || server.app == nil {
		t.Fatal("the record layer did not take over")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, ct, st
}

// firstWith returns the first datagram whose first record has type typ
// and the given epoch.
func firstWith(t *testing.T, ds [][]byte, typ byte, epoch uint16) []byte {
	t.Helper()
	for _, d := range ds {
		if r, _, ok := record.Next(d); ok && r.Type == typ && r.Epoch == epoch {
			return d
		}
	}
	t.Fatalf("no datagram starting with a type %d record of epoch %d", typ, epoch)
	return nil
}

func receiveOne(c *Conn) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Receive(opFor(ctx), 1, func(int, []byte) {})
}

// Once the record layer serves both ends, pion's goroutines
// are gone: an established pair over batch sockets holds no goroutine.
func TestRetiredPionLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	var conns []*Conn
	for range 10 {
		client, server, cerr, serr := handshakePair(t, Config{}, Config{Certificate: testCert(t)})
		if cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		conns = append(conns, client, server)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var now int
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		// The shared poller may have started meanwhile.
		if now = runtime.NumGoroutine(); now <= before+1 {
			return
		}
	}
	t.Fatalf("%d goroutines for 20 established connections (%d before)", now, before)
}

// A server whose last flight was lost hears the client's flight again and
// sends its own again (epoch-1 records resealed, so the client could open
// them); at most once per resendInterval, and never for a replay. A
// client answers nothing.
func TestServerResendsItsLastFlight(t *testing.T) {
	client, server, ct, st := tappedPair(t)
	clientFlight := firstWith(t, ct.since(0, 0), record.ContentHandshake, 0)
	n := st.count()
	st.inject(clientFlight)
	resent := st.since(n, 2*time.Second)
	if len(resent) == 0 {
		t.Fatal("the server did not send its last flight again")
	}
	if r, _, ok := record.Next(resent[0]); !ok || r.Type != record.ContentChangeCipherSpec {
		t.Fatalf("resent %x, not the ChangeCipherSpec flight", resent[0])
	}
	finished := 0
	for _, d := range resent {
		for rest := d; len(rest) > 0; {
			r, next, _ := record.Next(rest)
			rest = next
			if r.Epoch != 1 {
				continue
			}
			finished++
			if r.EpochSeq&record.MaxSeq < record.SeqGap {
				t.Errorf("an epoch-1 record went out under pion's sequence number %d", r.EpochSeq&record.MaxSeq)
			}
			if _, ok := client.app.Peek(r); !ok { // its reader may have opened it already
				t.Errorf("the client cannot open the resent %d-byte record", len(r.Raw))
			}
		}
	}
	if finished != 1 {
		t.Errorf("%d epoch-1 records resent, want the Finished", finished)
	}
	n = st.count()
	time.Sleep(2 * resendInterval)
	st.inject(clientFlight) // a replay
	if got := st.since(n, 3*resendInterval); len(got) != 0 {
		t.Errorf("a replayed flight was answered: %x", got)
	}
	n = ct.count()
	ct.inject(firstWith(t, st.since(0, 0), record.ContentHandshake, 0))
	if got := ct.since(n, 3*resendInterval); len(got) != 0 {
		t.Errorf("the client answered a server flight: %x", got)
	}
	probeEcho(t, client, server)
}

func probeEcho(t *testing.T, client, server *Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := client.Send(opFor(ctx), [][]byte{[]byte("still here")}); n != 1 {
		t.Fatal(n, err)
	}
	if n, err := receiveOne(server); n != 1 {
		t.Fatal(n, err)
	}
}

// Half-close: shutting the write side sends close_notify at once; it ends
// the peer's stream (0 records, no error, every time) and nothing else.
// The peer does not answer it, still sends, and the shut side still
// receives, until the peer closes too and its close_notify goes out.
func TestCloseNotifyEndsOneDirection(t *testing.T) {
	client, server, ct, st := tappedPair(t)
	n := ct.count()
	if err := client.Shutdown(false, true); err != nil {
		t.Fatal(err)
	}
	if sent := ct.since(n, 2*time.Second); len(sent) != 1 || !isCloseNotify(server, sent[0]) {
		t.Fatalf("shutting the write side sent %x, want one close_notify", sent)
	}
	for range 2 {
		if got, err := receiveOne(server); got != 0 || err != nil {
			t.Fatalf("after close_notify: %d records, %v", got, err)
		}
	}
	n = st.count()
	if got := st.since(n, 100*time.Millisecond); len(got) != 0 {
		t.Fatalf("the server answered the client's close_notify: %x", got)
	}
	if _, err := client.Send(Op{}, [][]byte{[]byte("x")}); !errors.Is(err, ErrClosed) {
		t.Errorf("send after shutting the write side: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if sent, err := server.Send(opFor(ctx), [][]byte{[]byte("late")}); sent != 1 {
		t.Fatalf("send after the peer's close_notify: %d, %v", sent, err)
	}
	var got []byte
	if k, err := client.Receive(opFor(ctx), 1, func(_ int, rec []byte) { got = bytes.Clone(rec) }); k != 1 || string(got) != "late" {
		t.Fatalf("the half-closed side received %d %q, %v", k, got, err)
	}
	server.Close()
	if sent := st.since(n, 2*time.Second); len(sent) != 2 || !isCloseNotify(client, sent[1]) {
		t.Fatalf("the server's close sent %x, want its close_notify after the data", sent)
	}
	if k, err := receiveOne(client); k != 0 || err != nil {
		t.Fatalf("after the server's close_notify: %d records, %v", k, err)
	}
	n = ct.count()
	client.Close()
	if got := ct.since(n, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("closing after the half-close sent %d more datagrams", len(got))
	}
}

// A close_notify the record layer opens while the records pion read before
// the takeover are still being queued waits behind them: the datagram sent
// before it is received first, then the end of stream.
func TestCloseNotifyWaitsForPionsRecords(t *testing.T) {
	client, server, _, st := tappedPair(t)
	server.mu.Lock()
	server.draining = true // as between the takeover and retirePion's queueing
	server.mu.Unlock()
	closeNotify, _ := client.app.Seal(nil, record.ContentAlert, []byte{alertWarning, alertCloseNotify}, &record.Scratch{})
	st.inject(closeNotify)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		server.mu.Lock()
		deferred := len(server.lateAlerts)
		server.mu.Unlock()
		if deferred == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the close_notify never reached the record layer")
		}
	}
	if k, err := server.Receive(Op{Poll: true}, 1, func(int, []byte) {}); k != 0 || !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("while draining: %d records, %v; want nothing yet", k, err)
	}
	server.push([]transport.Queued{{Data: []byte("read by pion")}}, false)
	server.releaseLateAlerts()
	var got []byte
	if k, err := receiveOne(server); k != 1 || err != nil {
		t.Fatalf("first receive: %d records, %v", k, err)
	} else if k, err = server.Receive(Op{Poll: true}, 1, func(_ int, rec []byte) { got = rec }); k != 0 || err != nil || got != nil {
		t.Fatalf("after the record: %d records %q, %v; want the end of stream", k, got, err)
	}
}

// isCloseNotify reports whether d is one record that opens, with the
// receiver's keys, as a close_notify alert (leaving the receiver's replay
// window alone: the record is still to arrive).
func isCloseNotify(receiver *Conn, d []byte) bool {
	r, rest, ok := record.Next(d)
	if !ok || len(rest) != 0 || r.Type != record.ContentAlert || r.Epoch != 1 {
		return false
	}
	plain, ok := receiver.app.Peek(r)
	return ok && string(plain) == "\x01\x00"
}

// A fatal alert from the peer ends the stream with G_TLS_ERROR_MISC naming
// it; a warning alert changes nothing.
func TestPeerAlerts(t *testing.T) {
	client, server, _, st := tappedPair(t)
	warning, _ := client.app.Seal(nil, record.ContentAlert, []byte{alertWarning, 100}, &record.Scratch{})
	st.inject(warning)
	probeEcho(t, client, server)

	fatal, _ := client.app.Seal(nil, record.ContentAlert, []byte{alertFatal, 40}, &record.Scratch{})
	n := st.count()
	st.inject(fatal)
	for range 2 {
		_, err := receiveOne(server)
		if !errors.Is(err, ErrTLSMisc) || !strings.Contains(err.Error(), "fatal DTLS alert") {
			t.Fatalf("after a fatal alert: %v", err)
		}
	}
	server.Close()
	if got := st.since(n, 100*time.Millisecond); len(got) != 0 {
		t.Errorf("close after a fatal alert sent %d datagrams", len(got))
	}
}

// A close_notify behind application data in what one read took (here
// one datagram; a batch of datagrams is the same) ends the stream only
// after that data was handed on: a receive in another thread must never
// see the end of stream with the data still to come.
func TestCloseNotifyFollowsTheDataBeforeIt(t *testing.T) {
	client, server, _, _ := tappedPair(t)
	data, _ := client.app.Seal(nil, record.ContentAppData, []byte("last"), &record.Scratch{})
	closeNotify, _ := client.app.Seal(nil, record.ContentAlert, []byte{alertWarning, alertCloseNotify}, &record.Scratch{})
	var kept []transport.Queued
	var events []string
	keep := func(q transport.Queued) { kept = append(kept, q); events = append(events, "keep "+string(q.Data)) }
	flush := func() {
		server.mu.Lock()
		ended := server.eos
		server.mu.Unlock()
		events = append(events, fmt.Sprintf("flush %d (ended %v)", len(kept), ended))
		server.push(kept, false)
		kept = nil
	}
	rest, authentic := recordLayer{server.app, server}.Take(append(data, closeNotify...), keep, flush)
	if len(rest) != 0 || !authentic {
		t.Fatalf("Take left %x, authentic %v", rest, authentic)
	}
	if want := []string{"keep last", "flush 1 (ended false)"}; !slices.Equal(events, want) {
		t.Fatalf("events %q, want %q", events, want)
	}
	var got []byte
	if k, err := server.Receive(Op{Poll: true}, 1, func(_ int, rec []byte) { got = bytes.Clone(rec) }); k != 1 || string(got) != "last" {
		t.Fatalf("first receive: %d %q, %v", k, got, err)
	}
	if k, err := receiveOne(server); k != 0 || err != nil {
		t.Fatalf("after the data: %d records, %v; want the end of stream", k, err)
	}
}
