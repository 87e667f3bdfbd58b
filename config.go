package dtlsgo

import (
	"crypto/tls"

	"github.com/dtlsgo/dtlsgo/internal/record"
	"io"
	"os"
	"strconv"
	"time"
)

// AuthenticationMode mirrors GTlsAuthenticationMode: how a server asks for
// client certificates.
type AuthenticationMode int

const (
	AuthenticationNone      AuthenticationMode = 0
	AuthenticationRequested AuthenticationMode = 1
	AuthenticationRequired  AuthenticationMode = 2
)

// DefaultHandshakeTimeout bounds every handshake: pion retransmits forever,
// and a silent peer must end in an error (ErrHandshake, see
// handshakeDeadlineError), never a hang. It matches
// GnuTLS's DTLS total timeout. The environment variable
// DTLSGO_HANDSHAKE_TIMEOUT (seconds, fractions allowed) overrides it.
const DefaultHandshakeTimeout = 60 * time.Second

// DefaultMTU is the largest datagram the handshake is fragmented to.
const DefaultMTU = 1200

// handshakeFragmentOverhead is what a handshake fragment's datagram adds
// to its bytes: the record header and the handshake header (12).
const handshakeFragmentOverhead = record.HeaderLen + 12

// Config is what a handshake needs from the connection's properties, read
// when the handshake starts (GLib lets users set them after construction).
type Config struct {
	IsClient bool
	// Certificate is the local certificate (with its key), or nil.
	Certificate *Certificate
	// ServerName is sent as SNI; empty for IP literals or no identity.
	ServerName string
	// ALPN lists the protocols to advertise; nil disables ALPN.
	ALPN []string
	// AuthenticationMode is the server's request for client certificates.
	AuthenticationMode AuthenticationMode
	// ClientCAs is the trust store whose anchors' subjects a server lists
	// in its CertificateRequest (what the client sees as accepted-cas), or
	// nil for an empty list.
	ClientCAs *Database
	// HandshakeTimeout bounds the handshake; 0 means the default.
	HandshakeTimeout time.Duration
	// MTU for handshake fragmentation; 0 means DefaultMTU.
	MTU int
	// RetransmitInterval is the delay before a handshake flight is first
	// sent again (it doubles after each retransmission); 0 means
	// DefaultRetransmitInterval.
	RetransmitInterval time.Duration

	// SRTPProfiles are offered (client) or accepted (server) for DTLS-SRTP
	// (RFC 5764), in preference order; none leaves use_srtp out.
	SRTPProfiles []SRTPProfile
	// PSKIdentity and PSK are a client's pre-shared key (RFC 4279); a
	// non-nil PSK makes the client offer PSK cipher suites only (plus
	// certificate suites when it has a certificate).
	PSKIdentity string
	PSK         []byte
	// ServerPSK makes a server accept PSK suites, asking the hooks
	// (PSKResolver) for each client identity's key; PSKIdentityHint is
	// sent to clients when not empty.
	ServerPSK       bool
	PSKIdentityHint string
	// ConnectionIDLength asks for RFC 9146 connection IDs (see cid.go).
	ConnectionIDLength int
	// SessionKey, on a stream client, names its server in the process's
	// session cache (GLib's key: address, identity, our certificate, the
	// database); "" keeps the connection out of that cache.
	SessionKey string
	// KeyLogFile, when not empty, receives the session's secrets in NSS key
	// log format (what SSLKEYLOGFILE names).
	KeyLogFile string

	// echConfigList (a client's) and echKeys (a server's): Encrypted
	// Client Hello on stream TLS, set through SetECHConfigList and
	// SetECHKeys (ech.go); DTLS has no ECH and ignores them.
	echConfigList []byte
	echKeys       []tls.EncryptedClientHelloKey

	keyCapture   io.Writer // the handshake's own key log reader (record.Secrets)
	connectionID []byte    // the ID to ask for (a listener routes by it), else random
}

// DefaultRetransmitInterval is pion's first retransmission delay.
const DefaultRetransmitInterval = time.Second

func (c *Config) handshakeTimeout() time.Duration {
	if c.HandshakeTimeout > 0 {
		return c.HandshakeTimeout
	}
	return envHandshakeTimeout()
}

func envHandshakeTimeout() time.Duration {
	if v := os.Getenv("DTLSGO_HANDSHAKE_TIMEOUT"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			return time.Duration(s * float64(time.Second))
		}
	}
	return DefaultHandshakeTimeout
}

func (c *Config) mtu() int {
	if c.MTU > 0 {
		return c.MTU
	}
	return DefaultMTU
}
