package transport

import (
	"net"
	"sync"

	"github.com/dtlsgo/dtlsgo/internal/socket"
)

// peerFilter keeps an unconnected socket's traffic to one peer, as a
// connected socket's kernel filter would, except for records carrying a
// connection ID, which pion authenticates and may move the peer to.
type peerFilter struct {
	wire Wire
	mu   sync.Mutex
	peer net.Addr // nil until the first DTLS datagram
}

// admit decides on a datagram from addr and returns the address pion
// should see: PeerAddr{} for the current peer, addr for another.
func (f *peerFilter) admit(d []byte, addr net.Addr) (net.Addr, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.peer == nil && f.wire.Shaped(d):
		f.peer = addr
		return PeerAddr{}, true
	case f.peer != nil && socket.SameAddr(addr, f.peer):
		return PeerAddr{}, true
	case f.peer != nil && f.wire.CarriesConnectionID(d):
		return addr, true
	}
	return nil, false
}

// follow makes addr the peer: a record from it authenticated under the
// connection's ID.
func (f *peerFilter) follow(addr net.Addr) {
	if _, ok := addr.(*net.UDPAddr); !ok {
		return
	}
	f.mu.Lock()
	f.peer = addr
	f.mu.Unlock()
}

// destination is where pion's write to addr goes: nil for a connected
// socket's peer (or an unconnected one's that has not spoken, which the
// socket refuses); a real address means pion moved the peer there.
func (f *peerFilter) destination(addr net.Addr) net.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := addr.(*net.UDPAddr); ok {
		f.peer = addr
	}
	return f.peer
}
