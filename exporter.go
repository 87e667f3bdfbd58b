package dtlsgo

import (
	"crypto/tls"

	"github.com/dtlsgo/dtlsgo/internal/record"
)

// maxExportLength bounds one export: RFC 5705 lengths are 16-bit fields.
const maxExportLength = 65535

// ExportKeyingMaterial returns length bytes of RFC 5705 keying material for
// label and context, the same on both peers. A nil context is RFC 5705's
// "no context", which differs from an empty one.
func (c *Conn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	sess, err := c.exporter()
	if err != nil {
		return nil, err
	}
	if err := checkExport(label, context, length); err != nil {
		return nil, err
	}
	km, err := sess.ExportKeyingMaterial(label, context, length)
	if err != nil {
		return nil, Errorf(ErrChannelBindingGeneral, "Cannot export keying material: %v", err)
	}
	return km, nil
}

// checkExport refuses what RFC 5705 forbids whatever the protocol.
func checkExport(label string, context []byte, length int) error {
	if record.ReservedLabel(label) {
		return Errorf(ErrInvalidArgument, "The label %q is reserved by TLS and cannot be exported", label)
	}
	if length <= 0 || length > maxExportLength {
		return Errorf(ErrInvalidArgument, "Cannot export %d bytes of keying material (1 to %d)", length, maxExportLength)
	}
	if len(context) > maxExportLength {
		return Errorf(ErrInvalidArgument, "An exporter context holds at most %d bytes, not %d", maxExportLength, len(context))
	}
	return nil
}

// ExportKeyingMaterial returns length bytes of keying material for label
// and context (RFC 5705 for TLS 1.2, RFC 8446 section 7.5 for 1.3), the
// same on both peers. A nil context is RFC 5705's "no context", which
// differs from an empty one on TLS 1.2 (on 1.3 both are the same).
func (s *StreamConn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	cs, ok := s.tc.ConnectionState()
	if !ok {
		return nil, Errorf(ErrChannelBindingInvalid, "Keying material is available only after a successful TLS handshake")
	}
	if err := checkExport(label, context, length); err != nil {
		return nil, err
	}
	km, err := cs.ExportKeyingMaterial(label, context, length)
	if err != nil {
		if cs.Version == tls.VersionTLS12 {
			// crypto/tls refuses it without the extended master secret:
			// the value would not be unique to the connection (the
			// triple handshake attack; RFC 7627).
			return nil, Errorf(ErrChannelBindingNotAvail, "Keying material export needs TLS 1.3 or the extended "+
				"master secret (RFC 7627), which this TLS 1.2 connection did not negotiate")
		}
		return nil, Errorf(ErrChannelBindingGeneral, "Cannot export keying material: %v", err)
	}
	return km, nil
}

// exporter returns the session once the handshake completed; it stays
// after close, so exports stay possible then.
func (c *Conn) exporter() (*record.Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != HandshakeDone || c.session == nil {
		return nil, Errorf(ErrChannelBindingInvalid, "Keying material is available only after a successful DTLS handshake")
	}
	return c.session, nil
}
