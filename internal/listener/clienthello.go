package listener

import "encoding/binary"

// DTLS 1.2 wire constants (RFC 6347 4.1 and 4.2.2).
const (
	recordHeaderLen    = 13
	handshakeHeaderLen = 12

	contentHandshake = 22
	typeClientHello  = 1
	typeHelloVerify  = 3

	// A ClientHello's body starts with client_version (2) and random (32).
	helloFixedLen = 2 + 32
)

// clientHello is a datagram whose first record is an unfragmented epoch-0
// ClientHello, with the offsets of the parts the cookie exchange needs.
type clientHello struct {
	datagram  []byte // the whole datagram
	record    []byte // the first record, header included
	recordSeq uint64 // the record's sequence number (epoch 0)
	msgSeq    uint16 // the handshake message_seq
	// params are the fields RFC 6347 4.2.1 says the second ClientHello
	// repeats: client_version, random, session_id (the cookie binds them).
	params []byte
	// cookieAt and cookie locate the cookie's length byte and the cookie
	// itself inside record.
	cookieAt int
	cookie   []byte
	// suites is cipher_suites and compression_methods, length prefixes
	// included: also repeated, also bound by the cookie.
	suites []byte
}

// parseClientHello recognises an epoch-0 ClientHello; ok is false for
// anything else (including a fragmented one: no DTLS 1.2 ClientHello
// without a large extension needs fragments, and reassembling them would
// need state for unverified senders).
func parseClientHello(d []byte) (h clientHello, ok bool) {
	if len(d) < recordHeaderLen+handshakeHeaderLen+helloFixedLen+4 {
		return h, false
	}
	if d[0] != contentHandshake || d[1] != 0xfe || (d[2] != 0xff && d[2] != 0xfd) {
		return h, false
	}
	if binary.BigEndian.Uint16(d[3:5]) != 0 { // epoch
		return h, false
	}
	recLen := int(binary.BigEndian.Uint16(d[11:13]))
	if recordHeaderLen+recLen > len(d) || recLen < handshakeHeaderLen {
		return h, false
	}
	rec := d[:recordHeaderLen+recLen]
	hs := rec[recordHeaderLen:]
	msgLen := uint24(hs[1:4])
	fragOff, fragLen := uint24(hs[6:9]), uint24(hs[9:12])
	if hs[0] != typeClientHello || fragOff != 0 || fragLen != msgLen || handshakeHeaderLen+msgLen > len(hs) {
		return h, false
	}
	body := hs[handshakeHeaderLen : handshakeHeaderLen+msgLen]
	// client_version, random, session_id<0..32>
	at := helloFixedLen
	if len(body) < at+1 {
		return h, false
	}
	sidLen := int(body[at])
	at += 1 + sidLen
	if sidLen > 32 || len(body) < at+1 {
		return h, false
	}
	params := body[:at]
	cookieAt := at
	cookieLen := int(body[at])
	at += 1 + cookieLen
	if len(body) < at+2 {
		return h, false
	}
	cookie := body[cookieAt+1 : at]
	suitesAt := at
	suitesLen := int(binary.BigEndian.Uint16(body[at:]))
	at += 2 + suitesLen
	if suitesLen == 0 || suitesLen%2 != 0 || len(body) < at+1 {
		return h, false
	}
	compLen := int(body[at])
	at += 1 + compLen
	if compLen == 0 || len(body) < at {
		return h, false
	}
	seq := uint64(binary.BigEndian.Uint16(d[5:7]))<<32 | uint64(binary.BigEndian.Uint32(d[7:11]))
	base := recordHeaderLen + handshakeHeaderLen
	return clientHello{
		datagram:  d,
		record:    rec,
		recordSeq: seq,
		msgSeq:    binary.BigEndian.Uint16(hs[4:6]),
		params:    params,
		cookieAt:  base + cookieAt,
		cookie:    cookie,
		suites:    body[suitesAt:at],
	}, true
}

// withoutCookie rebuilds h as the client's first ClientHello: the same
// record with an empty cookie, message_seq 0 and record sequence number
// recordSeq. A server that did not make the cookie exchange itself sees
// it as the hello that came before the verified one.
func (h clientHello) withoutCookie(recordSeq uint64) []byte {
	n := len(h.cookie)
	out := make([]byte, 0, len(h.record)-n)
	out = append(out, h.record[:h.cookieAt]...)
	out = append(out, 0)
	out = append(out, h.record[h.cookieAt+1+n:]...)
	putUint48(out[5:11], recordSeq)
	binary.BigEndian.PutUint16(out[11:13], uint16(len(out)-recordHeaderLen))
	hs := out[recordHeaderLen:]
	msgLen := len(hs) - handshakeHeaderLen
	putUint24(hs[1:4], msgLen)
	binary.BigEndian.PutUint16(hs[4:6], 0)
	putUint24(hs[9:12], msgLen)
	return out
}

func uint24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

func putUint24(b []byte, v int) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

func putUint48(b []byte, v uint64) {
	binary.BigEndian.PutUint16(b[0:2], uint16(v>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(v))
}
