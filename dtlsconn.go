// Package dtlsgo is the connection façade of dtlsgo, a GIO TLS backend that
// gives GLib programs GDtlsConnection over pion/dtls v3. It knows nothing of
// cgo: package export adapts it to the C shim.
//
// Layers, each importing only those below it (layers_test.go checks): export/
// (the cgo boundary) imports this package and no internal/ one; this package
// drives the engine under internal/; no internal/ package imports this one or
// export/. Names export/ uses from the engine (error kinds, the trust store)
// are re-exported here.
package dtlsgo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/elliptic"
	"github.com/pion/logging"
)

// HandshakeState is where a connection is in its (single) handshake.
type HandshakeState int

const (
	HandshakeIdle HandshakeState = iota
	HandshakeRunning
	HandshakeDone
	HandshakeFailed
)

// HandshakeHooks are the handshake's calls up to the GLib side. They run on
// pion's goroutines and must hand the work to the right main context.
type HandshakeHooks interface {
	// VerifyPeer judges the peer's chain (DER, leaf first): the
	// verification's flags, and nil when the chain is accepted.
	VerifyPeer(ctx context.Context, chain [][]byte) (CertificateFlags, error)
	// RequestCertificate is asked, on a client with no certificate, when the
	// server requests one. It returns the certificate to send, or nil; an
	// error is the interaction's (the handshake goes on without one).
	RequestCertificate(ctx context.Context, acceptableCAs [][]byte) (*Certificate, error)
	// UnlockCertificate asks for the password of cert's encrypted private
	// key and returns cert with the key opened.
	UnlockCertificate(ctx context.Context, cert *Certificate) (*Certificate, error)
}

// MaxPayload is the largest datagram payload a connection sends: one record
// must fit the 8192-byte datagram pion reads, whatever the cipher suite's
// overhead (at most 77 bytes for CBC suites, plus a connection ID).
const MaxPayload = 8192 - 128

// recvQueueLimit bounds the decrypted records waiting for the application:
// beyond it the transport stops reading, as a full socket buffer would.
const recvQueueLimit = 1024

// Conn is one DTLS connection over a BaseSocket: a single handshake, then
// records, then close. It is safe for one reader, one writer and any number
// of observers at once.
type Conn struct {
	isClient bool
	tr       *transport.Transport

	readLock, writeLock opLock

	mu              sync.Mutex
	state           HandshakeState
	hsErr           error         // sticky once the handshake failed
	hsDone          chan struct{} // closed when the handshake ends
	hsCancel        context.CancelCauseFunc
	pc              *dtls.Conn      // until pion is retired
	session         *record.Session // once the handshake is done
	info            Info
	records         recordQueue // decrypted, waiting for receive
	eos             bool        // no record will follow the queued ones
	eosErr          error       // reported at end of stream instead of 0 messages
	readShut        bool
	writeShut       bool
	closeNotifySent bool
	peerNotified    bool // the peer's close_notify ended its direction; ours stays open
	peerFatal       bool // the peer's fatal alert ended the connection
	requireNotify   bool
	draining        bool          // the record layer took over, pion's records are not all queued yet
	lateAlerts      [][2]byte     // the peer's alerts the record layer opened while draining
	gen             atomic.Uint64 // counts state changes (changedLocked)
	changed         chan struct{} // closed at the next state change; nil until a waiter asks
	onChange        func()

	onChangeMu sync.Mutex    // guards onChange and its calls
	app        *record.Layer // dtlsgo's record layer, once it took over from pion (then retired)

	lastResend atomic.Int64                 // when the last flight was last sent again (UnixNano)
	flight     *record.LastFlight           // a server\'s last flight, set before the handshake
	layer      atomic.Pointer[record.Layer] // the record layer, once it took over
	trace      *tracer                      // set when the handshake begins; nil: no trace
}

// NewConn wraps base; nothing is read or sent before the first handshake.
func NewConn(base BaseSocket, isClient bool) *Conn {
	return &Conn{
		isClient:      isClient,
		tr:            transport.New(base, record.Wire{}),
		readLock:      newOpLock(),
		writeLock:     newOpLock(),
		requireNotify: true,
	}
}

// SetOnChange installs f, called (on any goroutine, never under a lock)
// after every change of readiness; nil removes it. Once SetOnChange(nil)
// returns, f is no longer running nor called again.
func (c *Conn) SetOnChange(f func()) {
	c.onChangeMu.Lock()
	c.onChange = f
	c.onChangeMu.Unlock()
}

// SetRequireCloseNotify mirrors the require-close-notify property: whether
// a base socket ending without the peer's close_notify is an error.
func (c *Conn) SetRequireCloseNotify(require bool) {
	c.mu.Lock()
	c.requireNotify = require
	c.mu.Unlock()
}

// changedLocked wakes every waiter; call with c.mu held, then c.notify().
func (c *Conn) changedLocked() {
	c.gen.Add(1)
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
	c.tr.WakeInline()
}

// changedChanLocked returns a channel closed at the next change, made only
// for a waiter that selects (a receive that reads inline watches gen and
// costs no channel); call with c.mu held.
func (c *Conn) changedChanLocked() chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

// notify runs the change callback. It holds onChangeMu while calling so
// that SetOnChange(nil) can guarantee the callback has finished; not c.mu,
// which the C side may wait for while it holds its own lock, the lock the
// callback takes.
func (c *Conn) notify() {
	c.onChangeMu.Lock()
	defer c.onChangeMu.Unlock()
	if c.onChange != nil {
		c.onChange()
	}
}

// State reports the handshake's progress and, once failed, its error.
func (c *Conn) State() (HandshakeState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.hsErr
}

// BeginHandshake claims the handshake for the caller when none has started;
// the caller must then call RunHandshake. It returns false when a handshake
// is running or over (see State and WaitHandshake).
func (c *Conn) BeginHandshake() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Once closed, a handshake is refused even after one completed: GLib
	// says every operation but close then returns G_IO_ERROR_CLOSED.
	if c.readShut || c.writeShut {
		return false, Errorf(ErrClosed, "Connection is closed")
	}
	if c.state != HandshakeIdle {
		return false, nil
	}
	c.state = HandshakeRunning
	c.hsDone = make(chan struct{})
	c.changedLocked()
	return true, nil
}

// RunHandshake performs the handshake claimed by BeginHandshake, bounded by
// ctx (the starting call's) and the configured handshake timeout. Its error
// is sticky (see stickyHandshakeError).
func (c *Conn) RunHandshake(ctx context.Context, cfg Config, hooks HandshakeHooks) error {
	opCtx := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bound := cfg.handshakeTimeout()
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, bound, handshakeDeadlineError(bound))
	defer cancelTimeout()

	c.mu.Lock()
	closed := c.readShut || c.writeShut
	c.hsCancel = cancel
	c.mu.Unlock()

	var facts handshakeFacts
	var err error
	if closed {
		err = Errorf(ErrClosed, "Connection is closed")
	} else {
		c.trace = newTracer(c.isClient)
		if c.trace != nil {
			c.trace.begin(cfg)
		}
		err = c.handshake(ctx, cfg, hooks, &facts)
		if err != nil && c.trace != nil {
			c.trace.printf("handshake failed after %s: %v", c.trace.elapsed(), err)
		}
		dumpStacksOnTimeout(err)
	}

	c.mu.Lock()
	c.hsCancel = nil
	if err != nil {
		c.state, c.hsErr = HandshakeFailed, stickyHandshakeError(opCtx, err)
	} else {
		c.state = HandshakeDone
	}
	close(c.hsDone)
	c.changedLocked()
	c.mu.Unlock()
	c.notify()
	return err
}

func (c *Conn) handshake(ctx context.Context, cfg Config, hooks HandshakeHooks, facts *handshakeFacts) error {
	opts, err := c.options(ctx, cfg, hooks, facts)
	if err != nil {
		return err
	}
	sec := &record.Secrets{}
	cfg.keyCapture = sec
	// A listener's client: it made the cookie exchange and routes by the
	// connection ID it chose (listenerhello.go).
	peer, fromListener := c.tr.Base().(ListenerPeer)
	fromListener = fromListener && !c.isClient
	if fromListener {
		cfg.connectionID = peer.ConnectionID()
	}
	var watch *pskWatch
	if !c.isClient && cfg.usesPSK() {
		watch = &pskWatch{c: c}
		opts = append(opts, dtls.WithLoggerFactory(decryptWatchFactory{logging.NewDefaultLoggerFactory(), watch.recordUnreadable}))
	}
	if c.isClient && cfg.usesPSK() {
		facts.pskIdentity = cfg.PSKIdentity
	}
	extra, keyLog, err := featureOptions(ctx, cfg, hooks, watch)
	if err != nil {
		return err
	}
	if keyLog != nil {
		defer keyLog.Close()
	}
	opts = append(opts, extra...)
	counts := &datagramCounts{}
	taps := []transport.Tap{counts, sec}
	if c.trace != nil {
		taps = append(taps, c.trace)
	}
	if !c.isClient {
		c.flight = &record.LastFlight{}
		taps = append(taps, c.flight)
	}
	c.tr.SetTaps(taps...)
	c.tr.HoldAlerts()
	c.tr.BeginHandshake()
	var adopt *helloAdoption
	if fromListener {
		adopt = newHelloAdoption(peer)
		c.tr.Adopt(adopt, peer.PeerAddr())
	}
	c.tr.Start()
	var pc *dtls.Conn
	if c.isClient {
		pc, err = dtls.ClientWithOptions(c.tr, transport.PeerAddr{}, clientOptions(opts)...)
	} else {
		pc, err = dtls.ServerWithOptions(c.tr, transport.PeerAddr{}, serverOptions(opts, cfg)...)
	}
	if err != nil {
		return Errorf(ErrHandshake, "Cannot set up the DTLS handshake: %v", err)
	}
	c.mu.Lock()
	c.pc = pc
	c.mu.Unlock()
	if adopt != nil {
		adopt.pion.Store(pc)
	}

	err = pc.HandshakeContext(ctx)
	c.tr.EndHandshake()
	if adopt != nil {
		adopt.pion.Store(nil) // pion's connection is retired after the handshake
	}
	if err != nil {
		facts.datagrams, facts.dtlsRecords = int(counts.datagrams.Load()), int(counts.dtlsLike.Load())
		facts.baseEOF = c.tr.SawEOF()
		_ = pc.Close()
		return handshakeError(ctx, err, *facts)
	}
	keys, ok := pc.ConnectionState()
	if !ok {
		_ = pc.Close()
		return Errorf(ErrHandshake, "DTLS handshake finished without a connection state")
	}
	if fromListener {
		peer.Handshaken()
	}
	sess, err := sec.Session(&keys)
	if err != nil {
		_ = pc.Close()
		return Errorf(ErrHandshake, "DTLS handshake finished without the session's keys in sight")
	}
	info := c.infoFrom(pc, &keys, cfg, sec, sess)
	app, err := c.takeOver(sess, sec)
	if err != nil {
		_ = pc.Close()
		return err
	}
	if c.trace != nil {
		c.trace.completed(info)
	}
	c.mu.Lock()
	info.AcceptableCAs = facts.acceptableCAs
	c.info = info
	c.session = sess
	c.app = app
	c.mu.Unlock()
	c.retirePion(pc)
	// Nothing needs pion's connection now: let it go.
	c.mu.Lock()
	c.pc = nil
	c.mu.Unlock()
	return nil
}

// takeOver hands the records to dtlsgo's own record layer (see
// record.Layer), keyed from what the handshake showed; pion only ran the
// handshake.
func (c *Conn) takeOver(sess *record.Session, sec *record.Secrets) (*record.Layer, error) {
	app, err := record.NewLayer(sess, c.isClient, sec)
	if err != nil {
		return nil, Errorf(ErrHandshake, "DTLS handshake finished without the session's keys in sight")
	}
	c.layer.Store(app)
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
	c.tr.TakeOver(recordLayer{app, c}, c.push)
	return app, nil
}

// options turns cfg into pion options shared by both roles.
func (c *Conn) options(ctx context.Context, cfg Config, hooks HandshakeHooks, facts *handshakeFacts) ([]dtls.Option, error) {
	opts := []dtls.Option{
		// pion cuts handshake messages into MTU-sized fragments, then adds
		// their headers: leave room for them.
		dtls.WithMTU(cfg.mtu() - handshakeFragmentOverhead),
		// Trust decisions are GLib's (the connection's database and
		// accept-certificate), made through hooks.VerifyPeer.
		dtls.WithInsecureSkipVerify(true),
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			flags, err := hooks.VerifyPeer(ctx, raw)
			c.trace.verdict(raw, flags, err)
			return err
		}),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		// P-256 first: Go's P-256 has a precomputed base table and
		// assembly, so a key pair plus a shared secret cost much less
		// than X25519's, on both sides of a handshake.
		// The server picks from the client's list (pion does), so every
		// peer still gets X25519 if it prefers it.
		dtls.WithEllipticCurves(elliptic.P256, elliptic.X25519, elliptic.P384),
	}
	// A client's certificate goes through WithGetClientCertificate, its key
	// opened only if the server asks for it.
	if cfg.Certificate != nil && !c.isClient {
		tc, err := usableCertificate(ctx, cfg.Certificate, hooks)
		if err != nil {
			return nil, err
		}
		opts = append(opts, dtls.WithCertificates(*tc))
	}
	if len(cfg.ALPN) > 0 {
		opts = append(opts, dtls.WithSupportedProtocols(cfg.ALPN...))
	}
	if cfg.ServerName != "" && c.isClient {
		opts = append(opts, dtls.WithServerName(cfg.ServerName))
	}
	if c.isClient && !cfg.pskOnly() {
		local := cfg.Certificate
		opts = append(opts, dtls.WithGetClientCertificate(func(req *dtls.CertificateRequestInfo) (*tls.Certificate, error) {
			return clientCertificate(ctx, local, hooks, facts, req.AcceptableCAs)
		}))
	}
	return opts, nil
}

// clientCertificate is what a client sends when the server asks for a
// certificate: its own (local), else the interaction's, else none (an
// empty one). Both kinds of connection ask it.
func clientCertificate(ctx context.Context, local *Certificate, hooks HandshakeHooks, facts *handshakeFacts, acceptableCAs [][]byte) (*tls.Certificate, error) {
	facts.acceptableCAs = acceptableCAs
	cert := local
	if cert == nil {
		var err error
		cert, err = hooks.RequestCertificate(ctx, acceptableCAs)
		if ctx.Err() != nil {
			return nil, err
		}
		if err != nil {
			// As GLib does: go on without a certificate (the server
			// may not need one); the interaction's error is what
			// the handshake reports if it fails for the lack of it.
			facts.interactionErr = err
			cert = nil
		}
	}
	if cert == nil {
		facts.sentNoCertificate = true
		return &tls.Certificate{}, nil
	}
	return usableCertificate(ctx, cert, hooks)
}

// usableCertificate is cert as crypto/tls and pion take it, its private
// key opened (asking for the password of an encrypted one).
func usableCertificate(ctx context.Context, cert *Certificate, hooks HandshakeHooks) (*tls.Certificate, error) {
	cert, err := unlocked(ctx, cert, hooks)
	if err != nil {
		return nil, err
	}
	tc, err := tlsCertificate(cert)
	if err != nil {
		return nil, err
	}
	return &tc, nil
}

// unlocked returns cert with its private key usable, asking for the
// password of an encrypted one.
func unlocked(ctx context.Context, cert *Certificate, hooks HandshakeHooks) (*Certificate, error) {
	if !cert.NeedsPassword() {
		return cert, nil
	}
	return hooks.UnlockCertificate(ctx, cert)
}

func clientOptions(opts []dtls.Option) []dtls.ClientOption {
	out := make([]dtls.ClientOption, 0, len(opts))
	for _, o := range opts {
		out = append(out, o)
	}
	return out
}

func serverOptions(opts []dtls.Option, cfg Config) []dtls.ServerOption {
	out := make([]dtls.ServerOption, 0, len(opts)+2)
	for _, o := range opts {
		out = append(out, o)
	}
	// pion only checks presence; verification is GLib's (VerifyPeer).
	auth := dtls.NoClientCert
	switch cfg.AuthenticationMode {
	case AuthenticationRequested:
		auth = dtls.RequestClientCert
	case AuthenticationRequired:
		auth = dtls.RequireAnyClientCert
	}
	out = append(out, dtls.WithClientAuth(auth))
	if cfg.ClientCAs != nil {
		// A store that cannot load lists no names; verification reports it.
		if pool, err := cfg.ClientCAs.AnchorPool(); err == nil {
			out = append(out, dtls.WithClientCAs(pool))
		}
	}
	return out
}

// WaitHandshake blocks until a running handshake ends (or ctx does) and
// returns its result; it returns at once when no handshake is running.
func (c *Conn) WaitHandshake(ctx context.Context) error {
	c.mu.Lock()
	state, done, err := c.state, c.hsDone, c.hsErr
	c.mu.Unlock()
	switch state {
	case HandshakeIdle:
		return Errorf(ErrFailed, "No handshake was started")
	case HandshakeDone:
		return nil
	case HandshakeFailed:
		return err
	}
	select {
	case <-done:
		_, err := c.State()
		return err
	case <-ctx.Done():
		return contextError(ctx, "waiting for the DTLS handshake")
	}
}

// push queues records for receive, waiting (with wait) while the queue is
// full: the reader then stops reading, as a full socket buffer would.
// Records that arrive after the read side was shut are dropped. It reports
// whether the queue is full.
func (c *Conn) push(recs []transport.Queued, wait bool) (full bool) {
	c.mu.Lock()
	for wait && c.records.len() >= recvQueueLimit && !c.readShut {
		wait := c.changedChanLocked()
		c.mu.Unlock()
		<-wait
		c.mu.Lock()
	}
	if c.readShut {
		c.mu.Unlock()
		for _, r := range recs {
			transport.PutRecordBuffer(r.Buf)
		}
		return false
	}
	// Readiness changes only when the queue stops being empty.
	wasEmpty := c.records.len() == 0
	c.records.push(recs...)
	full = c.records.len() >= recvQueueLimit
	if wasEmpty {
		c.changedLocked()
	}
	c.mu.Unlock()
	if wasEmpty {
		c.notify()
	}
	return full
}

// endOfStream records why pion's stream ended: the peer's close_notify
// (clean), the base socket's end (an error if require-close-notify), or a
// failure.
func (c *Conn) endOfStream(err error) {
	c.mu.Lock()
	if c.eos {
		c.mu.Unlock()
		return
	}
	switch {
	case c.readShut:
	case c.tr.SawEOF():
		if c.requireNotify {
			c.eosErr = Errorf(ErrEOF, "TLS connection closed unexpectedly")
		}
	case errors.Is(err, io.EOF):
		// The peer's close_notify: pion answers nothing and closes.
	default:
		if desc, ok := peerAlert(err); ok {
			c.eosErr = Errorf(ErrTLSMisc, "Peer sent fatal DTLS alert: %s", desc)
		} else {
			c.eosErr = Errorf(ErrFailed, "Error reading data from the DTLS connection: %v", err)
		}
	}
	c.eos = true
	c.changedLocked()
	c.mu.Unlock()
	c.notify()
}

// Info is what the handshake established.
type Info struct {
	CipherSuite        string // IANA name
	NegotiatedProtocol string // ALPN, "" when none
	PeerCertificates   [][]byte
	AcceptableCAs      [][]byte // client: the DER names the server asked for
	ExtendedMaster     bool     // the extended master secret (RFC 7627) is in use
	SRTPProfile        string   // DTLS-SRTP, "" when none was selected
	Resumed            bool     // the handshake resumed an earlier session (stream TLS)
	bindings           *channelBindings
}

// Info returns what the handshake established; ok is false before it
// completed.
func (c *Conn) Info() (Info, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info, c.state == HandshakeDone
}

func (c *Conn) infoFrom(pc *dtls.Conn, st *dtls.State, cfg Config, sec *record.Secrets, sess *record.Session) Info {
	info := Info{
		CipherSuite:        suiteName(dtls.CipherSuiteID(st.CipherSuiteID)),
		NegotiatedProtocol: st.NegotiatedProtocol,
		PeerCertificates:   st.PeerCertificates,
		ExtendedMaster:     sec.ExtendedMasterSecret(),
	}
	if id, ok := pc.SelectedSRTPProtectionProfile(); ok {
		if p, ok := srtpProfileFor(id); ok {
			info.SRTPProfile = p.Name
		}
	}
	var serverLeaf []byte
	switch {
	case c.isClient && len(st.PeerCertificates) > 0:
		serverLeaf = st.PeerCertificates[0]
	case !c.isClient && cfg.Certificate != nil:
		serverLeaf = cfg.Certificate.DER()
	}
	info.bindings = &channelBindings{session: sess, isClient: c.isClient, serverLeaf: serverLeaf,
		extendedMaster: info.ExtendedMaster}
	return info
}
