package record

import (
	"encoding/binary"
)

// Content types of DTLS records (RFC 6347 4.1), besides ContentAppData
// and ContentCID.
const (
	ContentChangeCipherSpec = 20
	ContentAlert            = 21
	ContentHandshake        = 22
)

// DropForgedPlaintext removes from a datagram the unauthenticated records
// that no DTLS peer ever sends: epoch-0 application data, epoch-0 alerts
// of the wrong size, epoch-0 records of unknown types, and malformed
// ChangeCipherSpecs (never encrypted, at any epoch). No MAC covers them,
// so anyone on the path can forge them, and pion answers each with a
// fatal alert to the real peer (and an error on the connection): one
// spoofed 14-byte datagram would end a connection. RFC 6347 4.1.2.7 says
// invalid records are silently discarded; this does it before pion sees
// them. Records of later epochs
// pass (pion authenticates them and drops bad MACs), as do epoch-0
// handshake records (pion drops malformed ones silently). A record that
// cannot be delimited (cut short, or a connection-ID record whose header
// length is unknown here) ends the walk: the rest passes as it is, but
// for an epoch-0 connection-ID record, which is dropped with the rest.
//
// The datagram is returned unchanged when nothing is dropped, nil when
// nothing is left.
func DropForgedPlaintext(d []byte) []byte {
	var kept []byte // built only once something is dropped
	drop := func(off int) {
		if kept == nil {
			kept = make([]byte, 0, len(d))
			kept = append(kept, d[:off]...)
		}
	}
	off := 0
	for off < len(d) {
		rest := d[off:]
		if len(rest) < HeaderLen {
			break
		}
		if rest[0] == ContentCID {
			// Its header holds a connection ID of a length only pion
			// knows; it is always encrypted, so never valid at epoch 0.
			if binary.BigEndian.Uint16(rest[3:5]) == 0 {
				drop(off)
				off = len(d)
			}
			break
		}
		r, _, ok := Next(rest)
		if !ok {
			break
		}
		if forgedPlaintext(r) {
			drop(off)
		} else if kept != nil {
			kept = append(kept, r.Raw...)
		}
		off += len(r.Raw)
	}
	if kept == nil {
		return d
	}
	kept = append(kept, d[off:]...)
	if len(kept) == 0 {
		return nil
	}
	return kept
}

// forgedPlaintext reports whether a record is one no peer sends.
func forgedPlaintext(r Record) bool {
	if r.Type == ContentChangeCipherSpec {
		// Never encrypted, whatever its epoch (pion's cipher suites pass
		// it through), and always the single byte 1.
		return len(r.Body) != 1 || r.Body[0] != 1
	}
	if r.Epoch != 0 {
		return false
	}
	switch r.Type {
	case ContentHandshake:
		return false
	case ContentAlert:
		return len(r.Body) != 2
	}
	return true // application data or an unknown type, in the clear
}
