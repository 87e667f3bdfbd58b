package listener

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// hello builds an epoch-0 ClientHello datagram with cookie and record
// sequence number seq.
func hello(cookie []byte, msgSeq uint16, seq uint64) []byte {
	body := []byte{0xfe, 0xfd}
	body = append(body, bytes.Repeat([]byte{7}, 32)...) // random
	body = append(body, 0)                              // session_id
	body = append(body, byte(len(cookie)))
	body = append(body, cookie...)
	body = append(body, 0, 2, 0xc0, 0x2b)  // one suite
	body = append(body, 1, 0)              // null compression
	body = append(body, 0, 4, 0, 23, 0, 0) // extended_master_secret
	hs := make([]byte, handshakeHeaderLen, handshakeHeaderLen+len(body))
	hs[0] = typeClientHello
	putUint24(hs[1:4], len(body))
	hs[4], hs[5] = byte(msgSeq>>8), byte(msgSeq)
	putUint24(hs[9:12], len(body))
	hs = append(hs, body...)
	rec := make([]byte, recordHeaderLen, recordHeaderLen+len(hs))
	rec[0], rec[1], rec[2] = contentHandshake, 0xfe, 0xfd
	putUint48(rec[5:11], seq)
	rec[11], rec[12] = byte(len(hs)>>8), byte(len(hs))
	return append(rec, hs...)
}

func TestCookieExchange(t *testing.T) {
	j := newCookieJar()
	now := time.Now()
	j.now = func() time.Time { return now }
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	first, ok := parseClientHello(hello(nil, 0, 0))
	if !ok {
		t.Fatal("a ClientHello not recognised")
	}
	hvr := helloVerifyRequest(first, j.cookie(from, first))
	if len(hvr) > len(first.datagram) || len(hvr) != 48 {
		t.Fatalf("HelloVerifyRequest of %d bytes for a %d-byte hello", len(hvr), len(first.datagram))
	}
	cookie := hvr[len(hvr)-cookieLen:]
	second, ok := parseClientHello(hello(cookie, 1, 1))
	if !ok || !bytes.Equal(second.cookie, cookie) || second.msgSeq != 1 || second.recordSeq != 1 {
		t.Fatalf("second hello parsed as %+v", second)
	}
	if !j.valid(from, second) {
		t.Fatal("the cookie it was given is refused")
	}
	if j.valid(netip.MustParseAddrPort("127.0.0.1:4001"), second) {
		t.Fatal("a cookie is valid from another address")
	}
	forged, _ := parseClientHello(hello(bytes.Repeat([]byte{1}, cookieLen), 1, 1))
	if j.valid(from, forged) {
		t.Fatal("a forged cookie is valid")
	}
	// One rotation later the cookie still holds; two, it does not.
	now = now.Add(secretLifetime)
	if !j.valid(from, second) {
		t.Fatal("a cookie of the previous secret is refused")
	}
	now = now.Add(secretLifetime)
	if j.valid(from, second) {
		t.Fatal("a cookie two secrets old is valid")
	}
}

func TestFirstHelloRebuiltFromTheSecond(t *testing.T) {
	cookie := bytes.Repeat([]byte{9}, cookieLen)
	second, _ := parseClientHello(hello(cookie, 1, 1))
	if got, want := second.withoutCookie(0), hello(nil, 0, 0); !bytes.Equal(got, want) {
		t.Fatalf("rebuilt first hello\n%x\nwant\n%x", got, want)
	}
}

func TestNotAClientHello(t *testing.T) {
	good := hello(nil, 0, 0)
	for name, d := range map[string][]byte{
		"empty":      nil,
		"truncated":  good[:40],
		"epoch 1":    append(append([]byte{}, good[:3]...), append([]byte{0, 1}, good[5:]...)...),
		"fragment":   append(append([]byte{}, good[:recordHeaderLen+9]...), append([]byte{0, 0, 1}, good[recordHeaderLen+12:]...)...),
		"alert":      append([]byte{21}, good[1:]...),
		"TLS record": append([]byte{22, 3, 3}, good[3:]...),
	} {
		if _, ok := parseClientHello(d); ok {
			t.Errorf("%s: taken for a ClientHello", name)
		}
	}
}
