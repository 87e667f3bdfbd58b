package dtlsgo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// transport adapts a BaseSocket to the net.PacketConn pion reads and writes.
// A reader (the shared poller for a batch socket, else a goroutine) owns
// all reads of the base socket and queues whole datagrams for pion, so
// deadlines (pion's way of cancelling a read) are plain Go timers and never
// disturb a read of the base socket in progress. Once dtlsgo's record layer
// took over, pion is retired (see retire) and nothing goes its way again.
// Closing the transport stops the reader but never closes the base
// socket's underlying object.
type transport struct {
	base    BaseSocket
	stopped chan struct{} // closed when the reader has ended
	eof     bool          // the base reported end of stream (set before stopped)
	readErr error         // why the reader ended, if not EOF or Close

	datagrams, dtlsLike atomic.Int64 // read so far, and of those, DTLS-shaped
	handshaking, sentOK atomic.Bool  // see refused.go
	aborted             atomic.Bool  // dtlsgo sent a fatal alert: pion sends nothing more
	hello               serverHelloWatch

	polled  batchBaseSocket           // a batch socket pion reads itself until the takeover
	secrets *sessionSecrets           // set before start: watches the handshake
	flight  *lastFlight               // set before start on a server: its last flight
	app     atomic.Pointer[appLayer]  // set once the record layer took over
	deliver func([]queued, bool) bool // set before app
	inline  func(ds [][]byte)         // readInline's use
	appRecs []queued                  // opened, not yet delivered (reader only)
	trace   *tracer                   // set before start; nil: no trace

	adopt *helloAdoption // set before start for a listener's peer (listenerhello.go)

	// Set for an unconnected base socket (see peersocket.go).
	addressed AddressedBaseSocket
	peers     peerFilter

	mu           sync.Mutex
	queue        []datagram    // for pion, at most inboundQueue (under mu)
	queued       chan struct{} // signalled when queue stops being empty
	room         chan struct{} // signalled when queue has room again
	retired      bool          // pion reads nothing more (under mu)
	control      func(d []byte)
	ended        func()   // called once the reader ended, after the hold (see heldalerts.go)
	holding      bool     // encrypted alerts are held back (heldalerts.go)
	held         [][]byte // the alert records held back
	readDeadline time.Time
	deadlineSet  chan struct{} // closed and replaced whenever the deadline changes
	closed       chan struct{}
	closeOnce    sync.Once
	startOnce    sync.Once
}

// inboundQueue datagrams may wait for pion: beyond it the reader stops
// reading (or, on a batch socket, drops them, as a full socket buffer
// would).
const inboundQueue = 128

// datagram is one read for pion: its bytes and, from an unconnected
// socket, the address pion should see (nil: the peer).
type datagram struct {
	data []byte
	from net.Addr
}

func newTransport(base BaseSocket) *transport {
	addressed, _ := base.(AddressedBaseSocket)
	return &transport{
		base:        base,
		addressed:   addressed,
		queued:      make(chan struct{}, 1),
		room:        make(chan struct{}, 1),
		stopped:     make(chan struct{}),
		deadlineSet: make(chan struct{}),
		closed:      make(chan struct{}),
	}
}

// start begins reading the base socket; the first handshake calls it, so a
// connection never reads its base before the user asks for DTLS. pion's
// reads read a batch socket themselves until the takeover (see
// readPolled), when the shared poller takes over (startBackground); any
// other base socket gets a reader goroutine.
func (t *transport) start() {
	t.startOnce.Do(func() {
		if t.adopt != nil {
			t.toPion(datagram{data: t.adopt.first}, false)
		}
		if bb, ok := t.base.(batchBaseSocket); ok {
			t.polled = bb
			return
		}
		go t.readLoop()
	})
}

// startBackground ends pion's reads of a batch socket and has the shared
// poller read it instead.
func (t *transport) startBackground() {
	if t.polled == nil {
		return
	}
	t.polled.StopPolled()
	if t.polled.StartReading(t.background, t.readEnded) != nil {
		go t.readLoop()
	}
}

// readPolled reads the batch socket on pion's read goroutine until a
// datagram came, the deadline passed, or the takeover began; handled is
// false when it did not read (a reader goroutine or the shared poller
// reads, and the caller waits for what it queues).
func (t *transport) readPolled() (handled bool, err error) {
	if t.polled == nil || t.app.Load() != nil {
		return false, nil
	}
	err = t.polled.ReadPolled(func(ds [][]byte) { t.background(ds) })
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return true, errTimeout
	case errors.Is(err, ErrConnectionRefused):
		if t.ignoredRefusal(err) {
			return true, nil
		}
		return true, err
	case errors.Is(err, net.ErrClosed):
		if isClosed(t.closed) {
			return true, net.ErrClosed
		}
		return true, nil // the takeover: wait for what is queued
	}
	t.readErr = err
	t.stop()
	return true, err
}

// background takes a batch of datagrams (from the shared poller, pion's
// polled reads or an inline reader); true asks the poller to stop reading
// until the connection's queue has room (resumeReading).
func (t *transport) background(ds [][]byte) bool {
	for _, d := range ds {
		t.received(d, nil, false)
	}
	return t.flushApp(false)
}

func (t *transport) resumeReading() {
	if bb, ok := t.base.(batchBaseSocket); ok {
		bb.ResumeReading()
	}
}

// readEnded reports a batch socket that failed.
func (t *transport) readEnded(err error) {
	t.readErr = err
	t.stop()
}

// stop marks the reader's end, and tells the record layer once pion is
// retired.
func (t *transport) stop() {
	t.mu.Lock()
	close(t.stopped)
	ended := t.ended
	t.mu.Unlock()
	if ended != nil {
		ended()
	}
}

func (t *transport) readLoop() {
	defer t.stop()
	var err error
	buf := make([]byte, MaxDatagramSize)
	for err == nil {
		var n int
		var from net.Addr
		if n, from, err = t.read(buf); err == nil {
			t.received(buf[:n], from, true)
			t.flushApp(true)
		} else if t.ignoredRefusal(err) {
			err = nil
		}
	}
	switch {
	case errors.Is(err, io.EOF):
		t.eof = true
	case errors.Is(err, net.ErrClosed):
	default:
		t.readErr = err
	}
}

// read takes the next datagram; from an unconnected socket, only what the
// peer filter admits.
func (t *transport) read(buf []byte) (int, net.Addr, error) {
	if t.addressed == nil {
		n, err := t.base.ReadDatagram(buf)
		return n, nil, err
	}
	for {
		n, from, err := t.addressed.ReadDatagramFrom(buf)
		if err != nil {
			return 0, nil, err
		}
		if from, ok := t.peers.admit(buf[:n], from); ok {
			return n, from, nil
		}
	}
}

// received takes one datagram: application data for the record layer that
// took over goes straight to the connection, the rest (all of it before the
// takeover) to pion. wait: whether delivery may wait for room in the
// connection's queue (not on the thread of the receive that empties it).
func (t *transport) received(d []byte, from net.Addr, wait bool) {
	t.datagrams.Add(1)
	if looksLikeDTLS(d) {
		t.dtlsLike.Add(1)
		t.hello.observe(d)
	}
	if t.adopt != nil && !t.adopt.done.Load() {
		return // the client's retransmitted hellos: pion is given the verified one
	}
	if d = dropForgedPlaintext(d); len(d) == 0 {
		return
	}
	if app := t.app.Load(); app != nil {
		if d = t.takeApp(app, d); len(d) == 0 {
			return
		}
		// Keep order: data before the alert that may follow it.
		t.flushApp(wait)
	} else {
		if t.secrets != nil {
			t.secrets.observe(d, true)
		}
		t.traced(d, false)
	}
	if d = t.hold(d); len(d) == 0 {
		return
	}
	if ctl := t.toPion(datagram{data: bytes.Clone(d), from: from}, wait); ctl != nil {
		// pion is retired: what it would have read is the record layer's.
		rest := t.takeApp(t.app.Load(), d)
		t.flushApp(wait)
		ctl(rest)
	}
}

// toPion queues d for pion's reads; wait: whether to wait for room (else a
// full queue drops it, as a full socket buffer would). Once pion is
// retired it takes nothing and returns the record layer's control.
func (t *transport) toPion(d datagram, wait bool) (control func([]byte)) {
	for {
		t.mu.Lock()
		if t.retired {
			t.mu.Unlock()
			return t.control
		}
		if len(t.queue) < inboundQueue {
			t.queue = append(t.queue, d)
			t.mu.Unlock()
			signal(t.queued)
			return nil
		}
		t.mu.Unlock()
		if !wait {
			return nil
		}
		select {
		case <-t.room:
		case <-t.closed:
			return nil
		}
	}
}

// signal wakes the one waiter of a channel of capacity 1.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// retire ends pion's reads once it has read what was queued for it:
// pion's read loop then ends (net.ErrClosed: no close_notify) and its
// handshake state machine with it. From then on the rest of every datagram
// (after the record layer opened its application data) goes to control;
// releaseAlerts then ends the hold of alerts and names what the end of the
// base socket calls.
func (t *transport) retire(control func(d []byte)) {
	t.mu.Lock()
	t.retired, t.control = true, control
	t.mu.Unlock()
	signal(t.queued) // a read waiting for pion returns
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// takeApp opens the datagram's application-data records into t.appRecs and
// returns what is left for pion.
func (t *transport) takeApp(app *appLayer, d []byte) []byte {
	return splitOff(d, func(r record) bool {
		if r.typ != contentAppData || r.epoch != app.epoch {
			return false
		}
		buf := getRecordBuffer(len(r.body))
		if rec, ok := app.open((*buf)[:0], r); ok {
			t.appRecs = append(t.appRecs, queued{data: rec, buf: buf})
		} else {
			putRecordBuffer(buf)
		}
		return true
	})
}

// flushApp hands the records opened so far to the connection and reports
// whether its queue is full.
func (t *transport) flushApp(wait bool) (full bool) {
	if len(t.appRecs) == 0 {
		return false
	}
	full = t.deliver(t.appRecs, wait)
	clear(t.appRecs)
	t.appRecs = t.appRecs[:0]
	return full
}

// takeOver makes app the record layer from now on: opened records go to
// deliver (on the reader goroutine, which it may block for backpressure),
// pion's own records of the epoch are resealed, and a batch socket is read
// by the shared poller.
func (t *transport) takeOver(app *appLayer, deliver func([]queued, bool) bool) {
	t.deliver = deliver
	t.inline = func(ds [][]byte) { t.background(ds) }
	t.app.Store(app)
	t.startBackground()
}

// readInline reads the base socket on the calling thread until wait is
// closed or ctx ends (once: only what is queued); handled is false when it
// cannot (no record layer, no batch socket, the reader goroutine busy), and
// the caller waits for the reader goroutine instead.
func (t *transport) readInline(ctx context.Context, wait <-chan struct{}, once bool) (handled bool, err error) {
	bb, ok := t.base.(batchBaseSocket)
	if !ok || t.app.Load() == nil {
		return false, nil
	}
	ready := func() bool {
		select {
		case <-wait:
			return true
		default:
			return false
		}
	}
	err = bb.ReadInline(ctx, ready, once, t.inline)
	if errors.Is(err, errReaderBusy) || errors.Is(err, net.ErrClosed) {
		// Closed: how the stream ended comes through the connection.
		return false, nil
	}
	return true, err
}

// wakeInline ends the sleep of an inline reader: the connection changed.
func (t *transport) wakeInline() {
	if bb, ok := t.base.(batchBaseSocket); ok {
		bb.WakeInline()
	}
}

// counts reports how many datagrams were read and how many of them began
// with a DTLS record header: a peer that sends only other things is not
// speaking DTLS.
func (t *transport) counts() (datagrams, dtlsLike int) {
	return int(t.datagrams.Load()), int(t.dtlsLike.Load())
}

// looksLikeDTLS checks the first record header: a known content type and a
// DTLS version (1.0 or 1.2).
func looksLikeDTLS(d []byte) bool {
	const headerLen = 13
	if len(d) < headerLen || d[0] < 20 || d[0] > 25 {
		return false
	}
	return d[1] == 0xfe && (d[2] == 0xff || d[2] == 0xfd)
}

// endError is why the reader ended, once it has.
func (t *transport) endError() error {
	switch {
	case t.readErr != nil:
		return t.readErr
	case t.eof:
		return io.EOF
	}
	return net.ErrClosed
}

// sawEOF reports whether the base socket ended its stream (as opposed to
// the peer's close_notify, which pion reports with the same io.EOF).
func (t *transport) sawEOF() bool {
	select {
	case <-t.stopped:
		return t.eof
	default:
		return false
	}
}

func (t *transport) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		t.mu.Lock()
		if len(t.queue) > 0 {
			d := t.queue[0]
			t.queue[0] = datagram{}
			if t.queue = t.queue[1:]; len(t.queue) == 0 {
				t.queue = nil // an idle connection keeps no queue
			}
			t.mu.Unlock()
			signal(t.room)
			return copy(p, d.data), d.source(), nil
		}
		retired, deadline, changed := t.retired, t.readDeadline, t.deadlineSet
		t.mu.Unlock()
		if retired {
			return 0, nil, net.ErrClosed
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, nil, errTimeout
		}
		if handled, err := t.readPolled(); handled {
			if err != nil {
				return 0, nil, err
			}
			continue
		}

		var timer <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, nil, errTimeout
			}
			tm := time.NewTimer(d)
			timer = tm.C
			defer tm.Stop() // at most one per deadline change
		}
		select {
		case <-t.queued:
		case <-t.stopped:
			// What was read before the end goes first.
			t.mu.Lock()
			more := len(t.queue) > 0
			t.mu.Unlock()
			switch {
			case more:
			case t.readErr != nil:
				return 0, nil, t.readErr
			case t.eof:
				return 0, nil, io.EOF
			default:
				return 0, nil, net.ErrClosed
			}
		case <-t.closed:
			return 0, nil, net.ErrClosed
		case <-timer:
			return 0, nil, errTimeout
		case <-changed:
		}
	}
}

func (d datagram) source() net.Addr {
	if d.from == nil {
		return peerAddr{}
	}
	return d.from
}

func (t *transport) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-t.closed:
		return 0, net.ErrClosed
	default:
	}
	if t.aborted.Load() {
		return len(p), nil
	}
	if t.adopt != nil {
		if handled, verified, err := t.adopt.swallow(p); handled {
			if err != nil {
				return 0, err
			}
			if verified != nil {
				t.toPion(datagram{data: bytes.Clone(verified)}, false)
			}
			return len(p), nil
		}
	}
	t.hello.observe(p)
	d := p
	if app := t.app.Load(); app != nil {
		d = app.reseal(p)
	} else {
		if t.secrets != nil {
			t.secrets.observe(p, false)
		}
		if t.flight != nil {
			t.flight.observe(p)
		}
		t.traced(p, true)
	}
	if err := t.writeReporting(d, addr); err != nil {
		return 0, err
	}
	return len(p), nil
}

// traced hands a handshake datagram to the trace, when there is one: off,
// it costs a nil check (BenchmarkTraceDisabled).
func (t *transport) traced(d []byte, sent bool) {
	if t.trace != nil {
		t.trace.datagram(d, sent)
	}
}

// write sends one datagram to addr: the peer unless pion names another.
func (t *transport) write(d []byte, addr net.Addr) error {
	if t.addressed == nil {
		return t.base.WriteDatagram(d)
	}
	dest, err := t.peers.destination(addr)
	if err != nil {
		return err
	}
	return t.addressed.WriteDatagramTo(d, dest)
}

// writeDatagrams sends records sealed by the record layer, in one batch
// when the base socket can.
func (t *transport) writeDatagrams(ds [][]byte) (int, error) {
	select {
	case <-t.closed:
		return 0, net.ErrClosed
	default:
	}
	if bb, ok := t.base.(batchBaseSocket); ok {
		return bb.WriteDatagrams(ds)
	}
	for i, d := range ds {
		if err := t.write(d, nil); err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

// Close stops reading; pion calls it when its connection ends. The base
// socket adapter is released, which never closes the user's base socket.
func (t *transport) Close() error {
	t.closeOnce.Do(func() {
		close(t.closed)
		_ = t.base.Close()
	})
	return nil
}

func (t *transport) LocalAddr() net.Addr { return peerAddr{} }

func (t *transport) SetDeadline(d time.Time) error {
	_ = t.SetWriteDeadline(d)
	return t.SetReadDeadline(d)
}

func (t *transport) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	t.readDeadline = d
	close(t.deadlineSet)
	t.deadlineSet = make(chan struct{})
	t.mu.Unlock()
	if t.polled != nil {
		t.polled.SetPolledDeadline(d)
	}
	return nil
}

// Writes to a datagram socket complete at once; there is nothing to bound.
func (t *transport) SetWriteDeadline(time.Time) error { return nil }

// peerAddr stands for the one peer of the base socket, which GLib's DTLS
// connections never address explicitly.
type peerAddr struct{}

func (peerAddr) Network() string { return "dtlsgo" }
func (peerAddr) String() string  { return "base-socket-peer" }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errTimeout net.Error = timeoutError{}
