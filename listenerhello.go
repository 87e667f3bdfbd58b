package dtlsgo

import (
	"bytes"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"net"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/pion/dtls/v3"
)

// ListenerPeer is a BaseSocket a listener (internal/listener) made for a
// client that already returned a valid cookie: the connection's handshake
// starts from that ClientHello instead of making the client repeat the
// cookie exchange (a round trip, and the first retransmission timeout).
type ListenerPeer interface {
	BaseSocket
	// VerifiedHello returns the verified ClientHello (message_seq 1, a
	// cookie) and the cookie-less one the client sent before it
	// (message_seq 0), each one record.
	VerifiedHello() (first, second []byte)
	// Cookie is the cookie the verified hello returned.
	Cookie() []byte
	// Handshaken tells the listener the handshake completed.
	Handshaken()
	// ConnectionID is the connection ID the listener routes the client's
	// records by (nil: none); the connection asks the client for it.
	ConnectionID() []byte
	// PeerAddr is the client's address: the peer of a socket that says
	// where datagrams come from, from the start (the verified hello came
	// from there).
	PeerAddr() net.Addr
}

// helloAdoption makes pion's server take a ClientHello whose cookie
// exchange the listener made. pion has no way to start from a second
// ClientHello: its fragment buffer waits for message_seq 0, its own
// HelloVerifyRequest must be the server's message 0 so that its ServerHello
// is message 1 as the client expects (RFC 6347 4.2.2), and it checks the
// cookie against the one it drew itself. So pion is shown the first hello,
// its HelloVerifyRequest is kept off the wire, its cookie is set to the
// listener's, and then it reads the verified hello, which begins the
// handshake's transcript on both sides (RFC 6347 4.2.1).
type helloAdoption struct {
	first, second, cookie []byte
	pion                  atomic.Pointer[dtls.Conn]
	done                  atomic.Bool // pion has been given the verified hello
}

func newHelloAdoption(p ListenerPeer) *helloAdoption {
	first, second := p.VerifiedHello()
	return &helloAdoption{first: first, second: second, cookie: bytes.Clone(p.Cookie())}
}

// isHelloVerifyRequest reports whether d is a plaintext
// HelloVerifyRequest record.
func isHelloVerifyRequest(d []byte) bool {
	return len(d) > record.HeaderLen && d[0] == record.ContentHandshake && d[3] == 0 && d[4] == 0 &&
		d[record.HeaderLen] == handshakeTypeHelloVerifyRequest
}

const handshakeTypeHelloVerifyRequest = 3

// First is the client's cookie-less hello, which pion reads first.
func (a *helloAdoption) First() []byte { return a.first }

// Adopted reports whether pion has been given the verified hello.
func (a *helloAdoption) Adopted() bool { return a.done.Load() }

// Swallow takes pion's outgoing datagram d: a HelloVerifyRequest never
// leaves (the client has its cookie), and the first one hands pion the
// verified hello, returned to be queued for pion's reads.
func (a *helloAdoption) Swallow(d []byte) (handled bool, verified []byte, err error) {
	if !isHelloVerifyRequest(d) {
		return false, nil, nil
	}
	if a.done.Swap(true) {
		return true, nil, nil
	}
	// pion's handshake goroutine writes its HelloVerifyRequest and reads
	// the cookie later on the same goroutine: setting it here is ordered.
	if err := setPionCookie(a.pion.Load(), a.cookie); err != nil {
		return true, nil, err
	}
	return true, a.second, nil
}

var errPionLayout = errors.New("dtlsgo: this pion version keeps its cookie elsewhere; a listener cannot hand it a verified ClientHello")

// setPionCookie sets the cookie pion's server compares the second
// ClientHello's with (Conn.state.cookie, pion v3). go.mod pins pion; the
// listener's tests fail if a new version moves it.
func setPionCookie(pc *dtls.Conn, cookie []byte) error {
	if pc == nil {
		return errPionLayout
	}
	state := reflect.ValueOf(pc).Elem().FieldByName("state")
	if !state.IsValid() || state.Kind() != reflect.Struct {
		return errPionLayout
	}
	field := state.FieldByName("cookie")
	if !field.IsValid() || field.Type() != reflect.TypeFor[[]byte]() {
		return errPionLayout
	}
	*(*[]byte)(unsafe.Pointer(field.UnsafeAddr())) = bytes.Clone(cookie)
	return nil
}
