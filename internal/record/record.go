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
	Body     []byte // after the header
	Raw      []byte // header and body
}

// AppendHeader appends a DTLS 1.2 record header: type typ, epoch and
// sequence number epochSeq (epoch<<48 | sequence number), n bytes of body.
func AppendHeader(dst []byte, typ byte, epochSeq uint64, n int) []byte {
	dst = append(dst, typ, 0xfe, 0xfd)
	dst = binary.BigEndian.AppendUint64(dst, epochSeq)
	return binary.BigEndian.AppendUint16(dst, uint16(n))
}

// Next splits the first record off d; ok is false when d does not
// start with a whole record.
func Next(d []byte) (r Record, rest []byte, ok bool) {
	if len(d) < HeaderLen {
		return r, nil, false
	}
	n := int(binary.BigEndian.Uint16(d[11:13]))
	if len(d) < HeaderLen+n {
		return r, nil, false
	}
	r.Type = d[0]
	r.EpochSeq = binary.BigEndian.Uint64(d[3:11])
	r.Epoch = uint16(r.EpochSeq >> 48)
	r.Body = d[HeaderLen : HeaderLen+n]
	r.Raw = d[:HeaderLen+n]
	return r, d[HeaderLen+n:], true
}

// All yields the whole records d starts with, up to the first that is
// cut short.
func All(d []byte) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for len(d) > 0 {
			r, rest, ok := Next(d)
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
	for len(d) > 0 {
		r, next, ok := Next(d)
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
