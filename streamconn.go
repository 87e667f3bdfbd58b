package dtlsgo

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/dtlsgo/dtlsgo/internal/tlsstream"
)

// StreamConn is a stream TLS connection (TLS 1.2 and 1.3 through
// internal/tlsstream) with the handshake calls, hooks, Info and channel
// binding of a DTLS Conn, so that the module drives both alike.
type StreamConn struct {
	tc       *tlsstream.Conn
	isClient bool

	mu         sync.Mutex
	hsErr      error // the handshake's failure, as the caller sees it
	info       Info
	version    uint16
	serverLeaf []byte // DER of the server's certificate
}

// NewStreamConn wraps transport, which the StreamConn owns (Close closes
// it); nothing is sent before the first handshake.
func NewStreamConn(transport net.Conn, isClient bool) *StreamConn {
	return &StreamConn{tc: tlsstream.New(transport, isClient), isClient: isClient}
}

// streamErrorKinds is where each of the engine's failures lands among the
// core's sentinels.
var streamErrorKinds = map[tlsstream.Code]error{
	tlsstream.CodeFailed:                ErrFailed,
	tlsstream.CodeNotTLS:                ErrNotTLS,
	tlsstream.CodeHandshake:             ErrHandshake,
	tlsstream.CodeMisc:                  ErrTLSMisc,
	tlsstream.CodeCertificateRequired:   ErrCertificateRequired,
	tlsstream.CodeEOF:                   ErrEOF,
	tlsstream.CodeInappropriateFallback: ErrInappropriateFallback,
	tlsstream.CodeClosed:                ErrClosed,
	tlsstream.CodeCancelled:             ErrCancelled,
	tlsstream.CodeTimedOut:              ErrTimedOut,
	tlsstream.CodeWouldBlock:            ErrWouldBlock,
	tlsstream.CodeBrokenPipe:            ErrBrokenPipe,
}

// fromStream gives an engine error its sentinel; the hooks' own errors and
// the caller's context causes pass as they are.
func fromStream(err error) error {
	var e *tlsstream.Error
	if errors.As(err, &e) {
		return Errorf(streamErrorKinds[e.Code], "%s", e.Msg)
	}
	return err
}

// SetOnChange: see Conn.SetOnChange.
func (s *StreamConn) SetOnChange(f func()) { s.tc.SetOnChange(f) }

// SetRequireCloseNotify: see Conn.SetRequireCloseNotify.
func (s *StreamConn) SetRequireCloseNotify(require bool) { s.tc.SetRequireCloseNotify(require) }

// State reports the handshake's progress and, once failed, its error.
func (s *StreamConn) State() (HandshakeState, error) {
	st, _ := s.tc.State()
	if st == tlsstream.StateFailed {
		return HandshakeFailed, s.failure()
	}
	return HandshakeState(st), nil
}

// failure is the failed handshake's error, as RunHandshake returned it.
func (s *StreamConn) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hsErr != nil {
		return s.hsErr
	}
	_, err := s.tc.State()
	return fromStream(err)
}

// BeginHandshake: see Conn.BeginHandshake.
func (s *StreamConn) BeginHandshake() (bool, error) {
	begun, err := s.tc.Begin()
	return begun, fromStream(err)
}

// RunHandshake performs the handshake BeginHandshake claimed; its error is
// sticky.
func (s *StreamConn) RunHandshake(ctx context.Context, cfg Config, hooks HandshakeHooks) error {
	facts := &handshakeFacts{}
	sc := tlsstream.Config{
		IsClient:   s.isClient,
		ServerName: cfg.ServerName,
		ALPN:       cfg.ALPN,
		VerifyPeer: func(ctx context.Context, chain [][]byte) error {
			_, err := hooks.VerifyPeer(ctx, chain) // the flags are for the DTLS trace
			return err
		},
		HandshakeTimeout: cfg.handshakeTimeout(),
		SessionKey:       cfg.SessionKey,
		ECHConfigList:    cfg.echConfigList, // ech.go
		ECHKeys:          cfg.echKeys,
	}
	if s.isClient {
		sc.ClientCertificate = func(ctx context.Context, cas [][]byte) (*tls.Certificate, error) {
			return clientCertificate(ctx, cfg.Certificate, hooks, facts, cas)
		}
	} else {
		if cfg.Certificate != nil {
			sc.Certificate = func(ctx context.Context) (*tls.Certificate, error) {
				return usableCertificate(ctx, cfg.Certificate, hooks)
			}
			s.mu.Lock()
			s.serverLeaf = cfg.Certificate.DER()
			s.mu.Unlock()
			// A session resumes only with the certificate that
			// authenticated it (the leaf the client verified, and the
			// tls-server-end-point binding both sides compute).
			sc.SessionContext = cfg.Certificate.DER()
		}
		sc.ClientAuth = tlsstream.ClientAuth(cfg.AuthenticationMode)
		if cfg.ClientCAs != nil {
			// A store that cannot load lists no names; verification reports it.
			if pool, err := cfg.ClientCAs.AnchorPool(); err == nil {
				sc.ClientCAs = pool
			}
		}
	}
	// SSLKEYLOGFILE: crypto/tls logs every TLS 1.3 secret (and the TLS
	// 1.2 master secret) during the handshake.
	if f := openKeyLog(cfg.KeyLogFile); f != nil {
		sc.KeyLog = f
		defer f.Close()
	}
	err := s.tc.Run(ctx, sc)
	if err != nil {
		err = s.handshakeError(err, facts)
		s.mu.Lock()
		s.hsErr = err
		s.mu.Unlock()
		return err
	}
	cs, _ := s.tc.ConnectionState()
	info := Info{
		CipherSuite:        tls.CipherSuiteName(cs.CipherSuite),
		NegotiatedProtocol: cs.NegotiatedProtocol,
		AcceptableCAs:      facts.acceptableCAs,
		Resumed:            cs.DidResume,
	}
	for _, c := range cs.PeerCertificates {
		info.PeerCertificates = append(info.PeerCertificates, c.Raw)
	}
	s.mu.Lock()
	s.info, s.version = info, cs.Version
	if s.isClient && len(info.PeerCertificates) > 0 {
		s.serverLeaf = info.PeerCertificates[0]
	}
	s.mu.Unlock()
	return nil
}

// CopySessionState makes this client offer src's session in its handshake
// (GLib's copy_session_state); nothing happens unless both are clients.
func (s *StreamConn) CopySessionState(src *StreamConn) { s.tc.CopySessionState(src.tc) }

// handshakeError prefers the interaction's error to the peer's complaint
// that we sent no certificate, as the DTLS side does.
func (s *StreamConn) handshakeError(err error, facts *handshakeFacts) error {
	var e *tlsstream.Error
	if errors.As(err, &e) && facts.interactionErr != nil &&
		(e.Code == tlsstream.CodeCertificateRequired || (e.Alert >= 0 && facts.sentNoCertificate)) {
		return facts.interactionErr
	}
	return fromStream(err)
}

// WaitHandshake: see Conn.WaitHandshake.
func (s *StreamConn) WaitHandshake(ctx context.Context) error {
	if err := s.tc.Wait(ctx); err != nil {
		if st, _ := s.tc.State(); st == tlsstream.StateFailed {
			return s.failure()
		}
		return fromStream(err)
	}
	return nil
}

// Info returns what the handshake established; ok is false before it
// completed.
func (s *StreamConn) Info() (Info, bool) {
	st, _ := s.tc.State()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info, st == tlsstream.StateDone
}

// TLSVersion is the negotiated version (tls.VersionTLS12 or 13), 0 before
// the handshake completed.
func (s *StreamConn) TLSVersion() uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// ChannelBinding returns the channel binding data of kind (RFC 5929, RFC
// 9266) once the handshake has completed.
func (s *StreamConn) ChannelBinding(kind ChannelBindingType) ([]byte, error) {
	cs, ok := s.tc.ConnectionState()
	if !ok {
		return nil, Errorf(ErrChannelBindingInvalid, "Handshake is not finished, no channel binding information yet")
	}
	switch kind {
	case ChannelBindingTLSServerEndPoint:
		s.mu.Lock()
		leaf := s.serverLeaf
		s.mu.Unlock()
		return serverEndPoint(leaf)
	case ChannelBindingTLSUnique:
		if cs.Version == tls.VersionTLS13 {
			return nil, Errorf(ErrChannelBindingNotAvail, "tls-unique channel binding is not defined for TLS 1.3 (RFC 8446 section C.5)")
		}
		if len(cs.TLSUnique) == 0 {
			return nil, Errorf(ErrChannelBindingNotAvail, "tls-unique channel binding is not available for this session")
		}
		return append([]byte(nil), cs.TLSUnique...), nil
	case ChannelBindingTLSExporter:
		// RFC 9266 names a zero-length context, not RFC 5705's absent one:
		// on TLS 1.2 the two differ (the seed carries the context's
		// length), and GnuTLS, so glib-networking, computes the former.
		b, err := cs.ExportKeyingMaterial(exporterLabel, []byte{}, exporterLength)
		if err != nil {
			// TLS 1.2 without the extended master secret (RFC 9266 section 3).
			return nil, Errorf(ErrChannelBindingNotAvail, "tls-exporter channel binding is not available: %v", err)
		}
		return b, nil
	}
	return nil, Errorf(ErrChannelBindingNotImpl, "Channel binding type %d is not implemented", int(kind))
}

// Readiness: whether a read, and a write, would not block.
func (s *StreamConn) Readiness() (in, out bool) { return s.tc.Readiness() }

// Read: see tlsstream.Conn.Read; a failed handshake's error is sticky.
func (s *StreamConn) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	n, err := s.tc.Read(ctx, p, nonblock)
	return n, s.ioError(err)
}

// Write: see tlsstream.Conn.Write.
func (s *StreamConn) Write(ctx context.Context, p []byte, nonblock bool) (int, error) {
	n, err := s.tc.Write(ctx, p, nonblock)
	return n, s.ioError(err)
}

// What a caller that waits for the socket itself is told and tells back
// (see tlsstream.Conn.ReadOrWait).
type (
	SocketWaited = tlsstream.Waited
	SocketNeed   = tlsstream.Need
)

const (
	WaitedNothing   = tlsstream.WaitedNothing
	WaitedReady     = tlsstream.WaitedReady
	WaitedTimedOut  = tlsstream.WaitedTimedOut
	WaitedCancelled = tlsstream.WaitedCancelled

	NeedNothing = tlsstream.NeedNothing
	NeedInput   = tlsstream.NeedInput
	NeedOutput  = tlsstream.NeedOutput
	NeedGoWait  = tlsstream.NeedGoWait
)

// ReadOrWait: see tlsstream.Conn.ReadOrWait; errors as Read's.
func (s *StreamConn) ReadOrWait(p []byte, wake int, waited SocketWaited) (int, SocketNeed, error) {
	n, need, err := s.tc.ReadOrWait(p, wake, waited)
	return n, need, s.ioError(err)
}

// WriteOrWait: see tlsstream.Conn.WriteOrWait; errors as Write's.
func (s *StreamConn) WriteOrWait(p []byte, wake int, waited SocketWaited) (int, SocketNeed, error) {
	n, need, err := s.tc.WriteOrWait(p, wake, waited)
	return n, need, s.ioError(err)
}

func (s *StreamConn) ioError(err error) error {
	if err == nil {
		return nil
	}
	if st, _ := s.tc.State(); st == tlsstream.StateFailed {
		return s.failure()
	}
	return fromStream(err)
}

// CloseWrite sends close_notify after what was written (half-close).
func (s *StreamConn) CloseWrite(ctx context.Context) error {
	return fromStream(s.tc.CloseWrite(ctx))
}

// ShutdownRead makes reads fail CLOSED.
func (s *StreamConn) ShutdownRead() { s.tc.ShutdownRead() }

// CloseContext sends close_notify (after a completed handshake) and closes
// the transport; ctx bounds the wait for queued writes.
func (s *StreamConn) CloseContext(ctx context.Context) error {
	return fromStream(s.tc.Close(ctx))
}

// Close is CloseContext without a bound.
func (s *StreamConn) Close() error { return s.CloseContext(context.Background()) }

// Abort closes the transport without close_notify.
func (s *StreamConn) Abort() { s.tc.Abort() }
