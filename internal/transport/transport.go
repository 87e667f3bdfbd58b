package transport

import (
	"bytes"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/socket"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Transport adapts a BaseSocket to the net.PacketConn pion reads and writes.
// A reader (pion's reads, then the shared poller, for a socket that
// batches; else a goroutine of the transport's) owns all reads of the base
// socket and queues whole datagrams for pion, so
// deadlines (pion's way of cancelling a read) are plain Go timers and never
// disturb a read of the base socket in progress. Once dtlsgo's record layer
// took over, pion is retired (see retire) and nothing goes its way again.
// Closing the transport stops the reader but never closes the base
// socket's underlying object.
type Transport struct {
	base    socket.BaseSocket
	wire    Wire
	stopped chan struct{} // closed when the reader has ended
	eof     bool          // the base reported end of stream (set before stopped)
	readErr error         // why the reader ended, if not EOF or Close

	polled              bool                        // pion reads the base socket itself until the takeover
	looping             atomic.Bool                 // the base cannot batch: readLoop reads it
	layer               atomic.Pointer[RecordLayer] // set once the record layer took over
	deliver             func([]Queued, bool) bool   // set before layer
	inline              func(ds [][]byte)           // readInline's use
	appRecs             []Queued                    // opened, not yet delivered (reader only)
	keep                func(Queued)                // appends to appRecs; set before layer
	flushKept           func()                      // delivers appRecs; set before layer
	taps                atomic.Pointer[[]Tap]       // set before start; dropped at the takeover
	handshaking, sentOK atomic.Bool                 // see refused.go
	aborted             atomic.Bool                 // dtlsgo sent a fatal alert: pion sends nothing more

	adopt Adoption // set before start for a listener's peer

	peers peerFilter // an unconnected base socket's one peer (see peerfilter.go)

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

// Wire is what the transport asks of the record format, which it does not
// know itself (record.Wire answers).
type Wire interface {
	// Screen returns d without the records no peer sends; empty when none
	// is left.
	Screen(d []byte) []byte
	// SplitHeld hands take each record of d to hold back from pion (the
	// peer's encrypted alerts, see heldalerts.go) and returns the rest.
	SplitHeld(d []byte, take func(rec []byte)) []byte
	// Shaped reports whether d starts like a record of the protocol.
	Shaped(d []byte) bool
	// CarriesConnectionID reports whether d starts with a record whose
	// sender pion authenticates by a connection ID and may move the peer to.
	CarriesConnectionID(d []byte) bool
}

// RecordLayer is dtlsgo's record layer as the transport hands it datagrams
// once it took over from pion.
type RecordLayer interface {
	// Take opens the records of d it serves, handing the application
	// data to keep (on the transport's reader), and returns the rest of d
	// and whether a record authenticated (the peer sent d). Before it acts
	// on any other record it calls flush, which delivers what was kept:
	// a close_notify must not end the stream ahead of the data before it
	// (in the same datagram or an earlier one of the same batch).
	Take(d []byte, keep func(Queued), flush func()) (rest []byte, authentic bool)
	// Reseal rewrites a datagram pion writes after the takeover.
	Reseal(d []byte) []byte
}

// Adoption lets a server's handshake start from a ClientHello whose
// cookie exchange was made elsewhere (a listener's, see the root's
// listenerhello.go).
type Adoption interface {
	// First is the datagram pion reads first (the client's cookie-less
	// hello).
	First() []byte
	// Adopted reports whether pion has been given the verified hello;
	// until then the client's own hellos are not pion's.
	Adopted() bool
	// Swallow takes a datagram pion writes: handled, it does not go out,
	// and verified, when not nil, is queued for pion's reads.
	Swallow(d []byte) (handled bool, verified []byte, err error)
}

// Adopt makes a the adoption of this handshake, whose client is at peer;
// before start.
func (t *Transport) Adopt(a Adoption, peer net.Addr) {
	t.adopt = a
	t.peers.peer = peer
}

// Base is the base socket under the transport.
func (t *Transport) Base() socket.BaseSocket { return t.base }

// Tap sees the datagrams of a handshake as they cross, received ones as
// read, sent ones as pion wrote them, and learns what pion does not tell
// (the session's secrets, a server's last flight, the trace). Taps are set
// before start and are left behind at the takeover, when pion's part ends.
type Tap interface{ Datagram(d []byte, sent bool) }

// SetTaps plugs taps in; before start.
func (t *Transport) SetTaps(taps ...Tap) { t.taps.Store(&taps) }

// tapped hands a handshake datagram to each tap: with none, it costs an
// empty loop (BenchmarkTraceDisabled).
func (t *Transport) tapped(d []byte, sent bool) {
	if taps := t.taps.Load(); taps != nil {
		for _, tap := range *taps {
			tap.Datagram(d, sent)
		}
	}
}

func New(base socket.BaseSocket, wire Wire) *Transport {
	return &Transport{
		base:        base,
		wire:        wire,
		peers:       peerFilter{wire: wire},
		queued:      make(chan struct{}, 1),
		room:        make(chan struct{}, 1),
		stopped:     make(chan struct{}),
		deadlineSet: make(chan struct{}),
		closed:      make(chan struct{}),
	}
}

// Start begins reading the base socket; the first handshake calls it, so a
// connection never reads its base before the user asks for DTLS. pion's
// reads read the base themselves until the takeover (see readPolled),
// when the shared poller takes over (startBackground); a base socket that
// cannot batch is read by a goroutine instead (startLoop).
func (t *Transport) Start() {
	t.startOnce.Do(func() {
		if t.adopt != nil {
			first := t.adopt.First()
			t.tapped(first, false)
			t.toPion(datagram{data: first}, false)
		}
		t.polled = true
	})
}

// startLoop falls back to a reader goroutine, once: the base socket cannot
// batch, or its background reader cannot start.
func (t *Transport) startLoop() {
	if !t.looping.Swap(true) {
		go t.readLoop()
	}
}

// startBackground ends pion's reads of the base socket and has the shared
// poller read it instead.
func (t *Transport) startBackground() {
	if !t.polled || t.looping.Load() {
		return
	}
	t.base.StopPolled()
	if t.base.StartReading(t.background, t.readEnded) != nil {
		t.startLoop()
	}
}

// readPolled reads the base socket on pion's read goroutine until a
// datagram came, the deadline passed, or the takeover began; handled is
// false when it did not read (a reader goroutine or the shared poller
// reads, and the caller waits for what it queues).
func (t *Transport) readPolled() (handled bool, err error) {
	if !t.polled || t.looping.Load() || t.layer.Load() != nil {
		return false, nil
	}
	err = t.base.ReadPolled(func(ds [][]byte) { t.background(ds) })
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, socket.ErrUnbatched):
		t.startLoop()
		return false, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return true, errTimeout
	case errors.Is(err, errkind.ErrConnectionRefused):
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
func (t *Transport) background(ds [][]byte) bool {
	for _, d := range ds {
		t.received(d, nil, false)
	}
	return t.flushApp(false)
}

func (t *Transport) ResumeReading() { t.base.ResumeReading() }

// readEnded reports a batch socket that failed.
func (t *Transport) readEnded(err error) {
	t.readErr = err
	t.stop()
}

// stop marks the reader's end, and tells the record layer once pion is
// retired.
func (t *Transport) stop() {
	t.mu.Lock()
	close(t.stopped)
	ended := t.ended
	t.mu.Unlock()
	if ended != nil {
		ended()
	}
}

func (t *Transport) readLoop() {
	defer t.stop()
	var err error
	buf := make([]byte, socket.MaxDatagramSize)
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

// read takes the next datagram; from an unconnected socket (one that says
// where each datagram came from), only what the peer filter admits.
func (t *Transport) read(buf []byte) (int, net.Addr, error) {
	for {
		n, from, err := t.base.ReadDatagram(buf)
		if err != nil || from == nil {
			return n, nil, err
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
func (t *Transport) received(d []byte, from net.Addr, wait bool) {
	if t.layer.Load() == nil {
		t.tapped(d, false)
	}
	if t.adopt != nil && !t.adopt.Adopted() {
		return // the client's retransmitted hellos: pion is given the verified one
	}
	if d = t.wire.Screen(d); len(d) == 0 {
		return
	}
	if layer := t.layer.Load(); layer != nil {
		var authentic bool
		d, authentic = (*layer).Take(d, t.keep, t.flushKept)
		if authentic && from != nil {
			// A connection-ID record from a new address: the peer moved
			// (RFC 9146 6), and our records follow it.
			t.peers.follow(from)
		}
		if len(d) == 0 {
			return
		}
		// Keep order: data before the alert that may follow it.
		t.flushApp(wait)
	}
	if d = t.hold(d); len(d) == 0 {
		return
	}
	if ctl := t.toPion(datagram{data: bytes.Clone(d), from: from}, wait); ctl != nil {
		// pion is retired: what it would have read is the record layer's.
		rest, _ := (*t.layer.Load()).Take(d, t.keep, t.flushKept)
		t.flushApp(wait)
		ctl(rest)
	}
}

// toPion queues d for pion's reads; wait: whether to wait for room (else a
// full queue drops it, as a full socket buffer would). Once pion is
// retired it takes nothing and returns the record layer's control.
func (t *Transport) toPion(d datagram, wait bool) (control func([]byte)) {
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

// Retire ends pion's reads once it has read what was queued for it:
// pion's read loop then ends (net.ErrClosed: no close_notify) and its
// handshake state machine with it. From then on the rest of every datagram
// (after the record layer opened its application data) goes to control;
// ReleaseAlerts then ends the hold of alerts and names what the end of the
// base socket calls.
func (t *Transport) Retire(control func(d []byte)) {
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

// flushApp hands the records opened so far to the connection and reports
// whether its queue is full.
func (t *Transport) flushApp(wait bool) (full bool) {
	if len(t.appRecs) == 0 {
		return false
	}
	full = t.deliver(t.appRecs, wait)
	clear(t.appRecs)
	t.appRecs = t.appRecs[:0]
	return full
}

// TakeOver makes app the record layer from now on: opened records go to
// deliver (on the reader goroutine, which it may block for backpressure),
// pion's own records of the epoch are resealed, and a batch socket is read
// by the shared poller.
func (t *Transport) TakeOver(layer RecordLayer, deliver func([]Queued, bool) bool) {
	t.deliver = deliver
	t.keep = func(q Queued) { t.appRecs = append(t.appRecs, q) } // one closure, not one per datagram
	// Never waiting for room: a flush before an alert is rare, and what
	// it adds to a full queue pauses the reader at the next batch.
	t.flushKept = func() { t.flushApp(false) }
	t.inline = func(ds [][]byte) { t.background(ds) }
	t.layer.Store(&layer)
	t.taps.Store(nil) // what they gathered is the handshake's
	t.startBackground()
}

// ReadInline reads the base socket on the calling thread until *changed
// differs from since or w ends (once: only what is queued); handled is false when it
// cannot (no record layer, a base that cannot batch, the reader goroutine busy), and
// the caller waits for the reader goroutine instead.
func (t *Transport) ReadInline(w socket.Wait, changed *atomic.Uint64, since uint64, once bool) (handled bool, err error) {
	if t.layer.Load() == nil {
		return false, nil
	}
	err = t.base.ReadInline(w, changed, since, once, t.inline)
	if errors.Is(err, socket.ErrReaderBusy) || errors.Is(err, socket.ErrUnbatched) || errors.Is(err, net.ErrClosed) {
		// Closed: how the stream ended comes through the connection.
		return false, nil
	}
	return true, err
}

// Watch counts a watcher of the connection's readiness, or ends one (see
// socket.BaseSocket.Watch).
func (t *Transport) Watch(on bool) { t.base.Watch(on) }

// WakeInline ends the sleep of an inline reader: the connection changed.
func (t *Transport) WakeInline() { t.base.WakeInline() }

// EndError is why the reader ended, once it has.
func (t *Transport) EndError() error {
	switch {
	case t.readErr != nil:
		return t.readErr
	case t.eof:
		return io.EOF
	}
	return net.ErrClosed
}

// SawEOF reports whether the base socket ended its stream (as opposed to
// the peer's close_notify, which pion reports with the same io.EOF).
func (t *Transport) SawEOF() bool {
	select {
	case <-t.stopped:
		return t.eof
	default:
		return false
	}
}

func (t *Transport) ReadFrom(p []byte) (int, net.Addr, error) {
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
		return PeerAddr{}
	}
	return d.from
}

func (t *Transport) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-t.closed:
		return 0, net.ErrClosed
	default:
	}
	if t.aborted.Load() {
		return len(p), nil
	}
	if t.adopt != nil {
		if handled, verified, err := t.adopt.Swallow(p); handled {
			if err != nil {
				return 0, err
			}
			if verified != nil {
				// The hello pion answers: the taps learn its connection ID.
				t.tapped(verified, false)
				t.toPion(datagram{data: bytes.Clone(verified)}, false)
			}
			return len(p), nil
		}
	}
	d := p
	if layer := t.layer.Load(); layer != nil {
		d = (*layer).Reseal(p)
	} else {
		t.tapped(p, true)
	}
	if err := t.writeReporting(d, addr); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Write sends one datagram to addr: the peer unless pion names another.
func (t *Transport) Write(d []byte, addr net.Addr) error {
	return t.base.WriteDatagram(d, t.peers.destination(addr))
}

// WriteDatagrams sends records sealed by the record layer, in one batch
// when the base socket can.
func (t *Transport) WriteDatagrams(ds [][]byte) (int, error) {
	select {
	case <-t.closed:
		return 0, net.ErrClosed
	default:
	}
	if n, err := t.base.WriteDatagrams(ds); !errors.Is(err, socket.ErrUnbatched) {
		return n, err
	}
	for i, d := range ds {
		if err := t.Write(d, nil); err != nil {
			return i, err
		}
	}
	return len(ds), nil
}

// Close stops reading; pion calls it when its connection ends. The base
// socket adapter is released, which never closes the user's base socket.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		close(t.closed)
		_ = t.base.Close()
	})
	return nil
}

func (t *Transport) LocalAddr() net.Addr { return PeerAddr{} }

func (t *Transport) SetDeadline(d time.Time) error {
	_ = t.SetWriteDeadline(d)
	return t.SetReadDeadline(d)
}

func (t *Transport) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	t.readDeadline = d
	close(t.deadlineSet)
	t.deadlineSet = make(chan struct{})
	t.mu.Unlock()
	if t.polled {
		t.base.SetPolledDeadline(d)
	}
	return nil
}

// Writes to a datagram socket complete at once; there is nothing to bound.
func (t *Transport) SetWriteDeadline(time.Time) error { return nil }

// PeerAddr stands for the one peer of the base socket, which GLib's DTLS
// connections never address explicitly.
type PeerAddr struct{}

func (PeerAddr) Network() string { return "dtlsgo" }
func (PeerAddr) String() string  { return "base-socket-peer" }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errTimeout net.Error = timeoutError{}

// Closed reports whether the transport was closed (pion closes it when its
// connection ends).
func (t *Transport) Closed() bool { return isClosed(t.closed) }
