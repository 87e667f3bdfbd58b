package dtlsgo

import "github.com/dtlsgo/dtlsgo/internal/record"

// maxExportLength bounds one export: RFC 5705 lengths are 16-bit fields.
const maxExportLength = 65535

// ExportKeyingMaterial returns length bytes of RFC 5705 keying material for
// label, the same on both peers. pion implements only the empty context
// (RFC 5705's "no context" and a zero-length context differ: only the
// former is available), so a non-empty context is refused.
func (c *Conn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	keys, err := c.exporter()
	if err != nil {
		return nil, err
	}
	if len(context) > 0 {
		return nil, Errorf(ErrNotSupported, "Keying material export with a context is not supported "+
			"(pion/dtls implements only an empty context)")
	}
	if record.ReservedLabel(label) {
		return nil, Errorf(ErrInvalidArgument, "The label %q is reserved by TLS and cannot be exported", label)
	}
	if length <= 0 || length > maxExportLength {
		return nil, Errorf(ErrInvalidArgument, "Cannot export %d bytes of keying material (1 to %d)", length, maxExportLength)
	}
	return exportKeyingMaterial(keys, label, length)
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

func exportKeyingMaterial(sess *record.Session, label string, length int) ([]byte, error) {
	km, err := sess.ExportKeyingMaterial(label, nil, length)
	if err != nil {
		return nil, Errorf(ErrChannelBindingGeneral, "Cannot export keying material: %v", err)
	}
	return km, nil
}
