package dtlsgo

import (
	"context"
	"unicode/utf8"

	"github.com/pion/dtls/v3"
)

// PSKResolver is implemented by HandshakeHooks that give a server the key
// for the identity a client presents (RFC 4279). It is called on pion's
// goroutine; a nil key with no error means the identity is unknown.
type PSKResolver interface {
	ResolvePSK(ctx context.Context, identity string) ([]byte, error)
}

// usesPSK tells whether this side offers PSK cipher suites.
func (c *Config) usesPSK() bool {
	if c.IsClient {
		return c.PSK != nil
	}
	return c.ServerPSK
}

// pskOnly: a side with a key and no certificate does PSK handshakes only.
func (c *Config) pskOnly() bool {
	return c.usesPSK() && c.Certificate == nil
}

// pskOptions configures RFC 4279 pre-shared keys: a client sends its
// identity and uses its key whatever the server's hint; a server asks the
// hooks for the key of the identity it receives.
// watch, on a server, hears how each lookup went (nil: nobody listens).
func pskOptions(ctx context.Context, cfg Config, hooks HandshakeHooks, watch *pskWatch) ([]dtls.Option, error) {
	if !cfg.usesPSK() {
		return nil, nil
	}
	if cfg.IsClient {
		if cfg.PSKIdentity == "" || len(cfg.PSK) == 0 {
			return nil, Errorf(ErrInvalidArgument, "A pre-shared key needs a non-empty identity and key")
		}
		key := append([]byte(nil), cfg.PSK...)
		return []dtls.Option{
			dtls.WithPSK(func([]byte) ([]byte, error) { return key, nil }),
			dtls.WithPSKIdentityHint([]byte(cfg.PSKIdentity)),
		}, nil
	}
	resolver, ok := hooks.(PSKResolver)
	if !ok {
		return nil, Errorf(ErrNotSupported, "This connection cannot look up pre-shared keys")
	}
	opts := []dtls.Option{dtls.WithPSK(func(identity []byte) ([]byte, error) {
		if !utf8.Valid(identity) {
			return nil, Errorf(ErrHandshake, "The client's PSK identity is not UTF-8")
		}
		key, err := resolver.ResolvePSK(ctx, string(identity))
		if err != nil {
			return nil, err
		}
		if len(key) == 0 {
			err := Errorf(ErrHandshake, "Unknown PSK identity %q (sent unknown_psk_identity)", identity)
			if watch != nil {
				watch.identityUnknown(err)
			}
			return nil, err
		}
		if watch != nil {
			watch.keyFound(string(identity))
		}
		return key, nil
	})}
	if cfg.PSKIdentityHint != "" {
		opts = append(opts, dtls.WithPSKIdentityHint([]byte(cfg.PSKIdentityHint)))
	}
	return opts, nil
}
