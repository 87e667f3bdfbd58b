package tlsstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"slices"
	"time"
)

// ClientAuth is how a server asks for client certificates, as
// GTlsAuthenticationMode says it.
type ClientAuth int

const (
	ClientAuthNone ClientAuth = iota
	ClientAuthRequested
	ClientAuthRequired
)

// Config is what one handshake needs. Trust is the caller's: the engine
// asks VerifyPeer about every chain the peer sends and never judges one.
type Config struct {
	IsClient bool
	// Certificate gives, on a server, the certificate and key to send,
	// asked during the handshake (opening a key may need a password). A
	// client's comes from ClientCertificate.
	Certificate func(ctx context.Context) (*tls.Certificate, error)
	// ClientCertificate is asked, on a client, when the server requests a
	// certificate; it returns the one to send, or nil for none.
	ClientCertificate func(ctx context.Context, acceptableCAs [][]byte) (*tls.Certificate, error)
	// VerifyPeer judges the peer's chain (DER, leaf first); nil accepts.
	VerifyPeer func(ctx context.Context, chain [][]byte) error
	// ServerName is the client's SNI; empty for none.
	ServerName string
	// ALPN lists the protocols to offer (client) or accept, in order of
	// preference (server); nil leaves ALPN out.
	ALPN []string
	// ClientAuth and ClientCAs: a server's request for a client certificate
	// and the CA names it lists.
	ClientAuth ClientAuth
	ClientCAs  *x509.CertPool
	// KeyLog receives the session's secrets in NSS key log format, or nil.
	KeyLog io.Writer
	// HandshakeTimeout bounds the handshake; 0 means no bound but ctx's.
	HandshakeTimeout time.Duration
	// SessionKey, on a client, names the server in the process's session
	// cache (see ClientSessions.SetKey); "" neither offers nor keeps
	// sessions there (one copied from another connection is still offered).
	SessionKey string
	// SessionContext, on a server, is what its sessions were authenticated
	// with (its certificate): a ticket resumes only under the same context.
	SessionContext []byte

	maxVersion uint16 // tests: 0 for crypto/tls's highest
	// ECHConfigList makes a client use Encrypted Client Hello with one of
	// its configs (TLS 1.3 only); ECHKeys are a server's keys for it.
	ECHConfigList []byte
	ECHKeys       []tls.EncryptedClientHelloKey
}

// tlsConfig is the one place crypto/tls is configured. hookErr records the
// first error a hook returned: crypto/tls turns it into an alert, and the
// caller's error is what the handshake reports.
func (cfg *Config) tlsConfig(ctx context.Context, hookErr *error) *tls.Config {
	keep := func(err error) error {
		if err != nil && *hookErr == nil {
			*hookErr = err
		}
		return err
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Trust decisions are the caller's (GLib's database and
		// accept-certificate), made through VerifyPeer.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			// A server that only requested a certificate and got none
			// has nothing to judge.
			if len(raw) == 0 || cfg.VerifyPeer == nil {
				return nil
			}
			return keep(cfg.VerifyPeer(ctx, raw))
		},
		// A resumed session's peer certificates come from the session,
		// and crypto/tls does not show them to VerifyPeerCertificate:
		// they are judged again as a full handshake's would be (the
		// database, identity and accept-certificate of this connection).
		VerifyConnection: func(cs tls.ConnectionState) error {
			if !cs.DidResume || len(cs.PeerCertificates) == 0 || cfg.VerifyPeer == nil {
				return nil
			}
			chain := make([][]byte, len(cs.PeerCertificates))
			for i, c := range cs.PeerCertificates {
				chain[i] = c.Raw
			}
			return keep(cfg.VerifyPeer(ctx, chain))
		},
		ServerName:   cfg.ServerName,
		NextProtos:   cfg.ALPN,
		KeyLogWriter: cfg.KeyLog,
		MaxVersion:   cfg.maxVersion,
	}
	if cfg.IsClient {
		if cfg.ECHConfigList != nil {
			tc.EncryptedClientHelloConfigList = cfg.ECHConfigList
			tc.MinVersion = tls.VersionTLS13 // ECH exists in TLS 1.3 only
			// A rejection ends the handshake with ECHRejectionError
			// whatever this says, before any application data; without
			// it crypto/tls would judge the outer certificate against the
			// system roots, bypassing the connection's database.
			// Nothing of the outer handshake is trusted or kept.
			tc.EncryptedClientHelloRejectionVerify = func(tls.ConnectionState) error { return nil }
		}
		tc.GetClientCertificate = func(req *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if cfg.ClientCertificate == nil {
				return &tls.Certificate{}, nil
			}
			cert, err := cfg.ClientCertificate(ctx, req.AcceptableCAs)
			if err != nil {
				return nil, keep(err)
			}
			if cert == nil {
				return &tls.Certificate{}, nil // sends none
			}
			return cert, nil
		}
		return tc
	}
	if cfg.Certificate != nil {
		tc.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			cert, err := cfg.Certificate(ctx)
			return cert, keep(err)
		}
	}
	// Clients that do not use ECH (TLS 1.2 ones too) are served as before.
	tc.EncryptedClientHelloKeys = cfg.ECHKeys
	switch cfg.ClientAuth {
	case ClientAuthRequested:
		tc.ClientAuth = tls.RequestClientCert
	case ClientAuthRequired:
		tc.ClientAuth = tls.RequireAnyClientCert
	}
	tc.ClientCAs = cfg.ClientCAs
	bindTickets(tc, cfg.SessionContext)
	// GLib's servers finish the handshake without ALPN when they share no
	// protocol with the client; crypto/tls would fail it
	// (no_application_protocol). Offer it only what both sides know.
	if len(cfg.ALPN) > 0 {
		tc.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			common := slices.DeleteFunc(slices.Clone(cfg.ALPN), func(p string) bool {
				return !slices.Contains(hello.SupportedProtos, p)
			})
			if len(common) == len(cfg.ALPN) {
				return nil, nil
			}
			narrowed := tc.Clone()
			narrowed.GetConfigForClient = nil
			narrowed.NextProtos = common
			return narrowed, nil
		}
	}
	return tc
}
