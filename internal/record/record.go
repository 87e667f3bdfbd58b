package record

import (
	"encoding/binary"
	"iter"
)

// ContentCID is the record type of RFC 9146 records (tls12_cid).
const ContentCID = 25

// MaxConnectionIDLength is the longest connection ID a record may carry
// (RFC 9146: one length byte).
const MaxConnectionIDLength = 255

// Record is one DTLS record inside a datagram.
type Record struct {
	Type     byte
	Epoch    uint16
	EpochSeq uint64 // epoch<<48 | sequence number
	CID      []byte // a connection-ID record's ID
	Body     []byte // after the header
	Raw      []byte // header and body
}

// AppendHeader appends a DTLS 1.2 record header: type typ, epoch and
// sequence number epochSeq (epoch<<48 | sequence number), n bytes of body.
func AppendHeader(dst []byte, typ byte, epochSeq uint64, n int) []byte {
	return appendHeaderCID(dst, typ, epochSeq, nil, n)
}

// appendHeaderCID is AppendHeader with a connection ID after the sequence
// number (RFC 9146; typ is then ContentCID).
func appendHeaderCID(dst []byte, typ byte, epochSeq uint64, cid []byte, n int) []byte {
	dst = append(dst, typ, 0xfe, 0xfd)
	dst = binary.BigEndian.AppendUint64(dst, epochSeq)
	dst = append(dst, cid...)
	return binary.BigEndian.AppendUint16(dst, uint16(n))
}

// Next splits the first record off d; ok is false when d does not
// start with a whole record. A connection-ID record is read as one with
// an empty ID.
func Next(d []byte) (r Record, rest []byte, ok bool) { return NextCID(d, 0) }

// NextCID is Next where connection-ID records carry IDs of cidLen bytes
// (RFC 9146: the ID sits between the sequence number and the length).
func NextCID(d []byte, cidLen int) (r Record, rest []byte, ok bool) {
	if len(d) < HeaderLen {
		return r, nil, false
	}
	hl := HeaderLen
	if d[0] == ContentCID {
		hl += cidLen
		if len(d) < hl {
			return r, nil, false
		}
		r.CID = d[11 : 11+cidLen]
	}
	n := int(binary.BigEndian.Uint16(d[hl-2 : hl]))
	if len(d) < hl+n {
		return r, nil, false
	}
	r.Type = d[0]
	r.EpochSeq = binary.BigEndian.Uint64(d[3:11])
	r.Epoch = uint16(r.EpochSeq >> 48)
	r.Body = d[hl : hl+n]
	r.Raw = d[:hl+n]
	return r, d[hl+n:], true
}

// All yields the whole records d starts with, up to the first that is
// cut short.
func All(d []byte) iter.Seq[Record] { return AllCID(d, 0) }

// AllCID is All where connection-ID records carry IDs of cidLen bytes.
func AllCID(d []byte, cidLen int) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for len(d) > 0 {
			r, rest, ok := NextCID(d, cidLen)
			if !ok || !yield(r) {
				return
			}
			d = rest
		}
	}
}

// SplitOff hands each whole record of d to take and returns, in order,
// those it did not take and any tail that is not a whole record.
func SplitOff(d []byte, take func(r Record) bool) (rest []byte) {
	return SplitOffCID(d, 0, take)
}

// SplitOffCID is SplitOff where connection-ID records carry IDs of cidLen
// bytes.
func SplitOffCID(d []byte, cidLen int, take func(r Record) bool) (rest []byte) {
	for len(d) > 0 {
		r, next, ok := NextCID(d, cidLen)
		if !ok {
			return append(rest, d...)
		}
		d = next
		if !take(r) {
			rest = append(rest, r.Raw...)
		}
	}
	return rest
}

// LooksLikeDTLS checks the first record header: a known content type and a
// DTLS version (1.0 or 1.2).
func LooksLikeDTLS(d []byte) bool {
	const headerLen = 13
	if len(d) < headerLen || d[0] < 20 || d[0] > 25 {
		return false
	}
	return d[1] == 0xfe && (d[2] == 0xff || d[2] == 0xfd)
}
