package listener

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// cookieLen is the size of a cookie: a truncated HMAC-SHA256. 20 bytes is
// what pion and OpenSSL's examples use, and keeps a HelloVerifyRequest at
// 48 bytes, below any ClientHello.
const cookieLen = 20

// secretLifetime is how long a cookie secret signs new cookies; cookies of
// the previous secret stay valid for as long again, so a client that got
// its cookie just before a rotation still gets in.
const secretLifetime = 2 * time.Minute

// cookieJar makes and checks the stateless cookies of RFC 6347 4.2.1: an
// HMAC of the client's address and of the ClientHello fields the second
// hello must repeat, keyed by a secret that rotates.
type cookieJar struct {
	mu       sync.Mutex
	current  [32]byte
	previous [32]byte
	rotated  time.Time
	now      func() time.Time // time.Now; tests move it
}

func newCookieJar() *cookieJar {
	j := &cookieJar{now: time.Now}
	_, _ = rand.Read(j.current[:])
	_, _ = rand.Read(j.previous[:])
	j.rotated = j.now()
	return j
}

// secrets returns the secret that signs now and the one before it,
// rotating first when the current one is old.
func (j *cookieJar) secrets() (current, previous [32]byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if now := j.now(); now.Sub(j.rotated) >= secretLifetime {
		j.previous = j.current
		if now.Sub(j.rotated) >= 2*secretLifetime {
			_, _ = rand.Read(j.previous[:]) // both expired
		}
		_, _ = rand.Read(j.current[:])
		j.rotated = now
	}
	return j.current, j.previous
}

func cookieFor(secret [32]byte, from netip.AddrPort, h clientHello) []byte {
	m := hmac.New(sha256.New, secret[:])
	ip := from.Addr().As16()
	m.Write(ip[:])
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], from.Port())
	m.Write(port[:])
	m.Write([]byte(from.Addr().Zone()))
	m.Write(h.params)
	m.Write(h.suites)
	return m.Sum(nil)[:cookieLen]
}

// cookie is the cookie to send to a ClientHello from from.
func (j *cookieJar) cookie(from netip.AddrPort, h clientHello) []byte {
	current, _ := j.secrets()
	return cookieFor(current, from, h)
}

// valid reports whether h carries a cookie this jar gave to from.
func (j *cookieJar) valid(from netip.AddrPort, h clientHello) bool {
	if len(h.cookie) != cookieLen {
		return false
	}
	current, previous := j.secrets()
	return hmac.Equal(h.cookie, cookieFor(current, from, h)) ||
		hmac.Equal(h.cookie, cookieFor(previous, from, h))
}

// helloVerifyRequest answers h with cookie: one record (RFC 6347 4.2.1:
// the record's sequence number copies the ClientHello's, message_seq 0,
// server_version DTLS 1.0 as the RFC recommends for any version).
func helloVerifyRequest(h clientHello, cookie []byte) []byte {
	bodyLen := 2 + 1 + len(cookie)
	out := make([]byte, recordHeaderLen+handshakeHeaderLen+bodyLen)
	out[0] = contentHandshake
	out[1], out[2] = 0xfe, 0xff
	putUint48(out[5:11], h.recordSeq)
	binary.BigEndian.PutUint16(out[11:13], uint16(handshakeHeaderLen+bodyLen))
	hs := out[recordHeaderLen:]
	hs[0] = typeHelloVerify
	putUint24(hs[1:4], bodyLen)
	putUint24(hs[9:12], bodyLen)
	body := hs[handshakeHeaderLen:]
	body[0], body[1] = 0xfe, 0xff
	body[2] = byte(len(cookie))
	copy(body[3:], cookie)
	return out
}
