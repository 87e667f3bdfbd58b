package record

// Wire is the record format as the transport adapter asks about it
// (transport.Wire): the transport moves datagrams without knowing it.
type Wire struct{}

// Screen drops the records no peer sends (see DropForgedPlaintext).
func (Wire) Screen(d []byte) []byte { return DropForgedPlaintext(d) }

// Shaped reports whether d starts like a DTLS record.
func (Wire) Shaped(d []byte) bool { return LooksLikeDTLS(d) }

// CarriesConnectionID reports whether d starts with a connection-ID record
// (RFC 9146), whose sender pion authenticates and may move the peer to.
func (Wire) CarriesConnectionID(d []byte) bool { return len(d) > 0 && d[0] == ContentCID }

// SplitHeld hands take each encrypted alert record of d (raw, still
// sealed) and returns the rest; d itself when it holds none. Only alerts
// of a later epoch than 0 are held: a plaintext alert ends a handshake at
// once, as it must.
func (Wire) SplitHeld(d []byte, take func(rec []byte)) []byte {
	if !hasHeldAlert(d) {
		return d
	}
	return SplitOff(d, func(r Record) bool {
		if !heldAlert(r) {
			return false
		}
		take(r.Raw)
		return true
	})
}

func heldAlert(r Record) bool { return r.Type == ContentAlert && r.Epoch != 0 }

func hasHeldAlert(d []byte) bool {
	for r := range All(d) {
		if heldAlert(r) {
			return true
		}
	}
	return false
}
