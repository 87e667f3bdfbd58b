package dtlsgo

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// AddressedBaseSocket is a BaseSocket over an unconnected socket, whose
// datagrams each come from and go to an explicit address. A server may
// serve one client from such a socket: its peer is whoever sent the first
// DTLS datagram, and with connection IDs the peer's address follows the
// client as RFC 9146 §6 says (pion moves it on an authenticated record
// that carries the connection ID from a new address).
type AddressedBaseSocket interface {
	BaseSocket
	ReadDatagramFrom(p []byte) (int, net.Addr, error)
	WriteDatagramTo(p []byte, addr net.Addr) error
}

// udpBaseSocket serves an unconnected UDP socket this adapter owns (a
// duplicate of a GSocket's descriptor).
type udpBaseSocket struct{ conn *net.UDPConn }

func (s *udpBaseSocket) ReadDatagramFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := s.conn.ReadFromUDP(p)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, nil, net.ErrClosed
		}
		return 0, nil, err
	}
	return n, addr, nil
}

func (s *udpBaseSocket) ReadDatagram(p []byte) (int, error) {
	n, _, err := s.ReadDatagramFrom(p)
	return n, err
}

func (s *udpBaseSocket) WriteDatagramTo(p []byte, addr net.Addr) error {
	_, err := s.conn.WriteTo(p, addr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil
	}
	return err
}

func (s *udpBaseSocket) WriteDatagram([]byte) error {
	return Errorf(ErrNotSupported, "The unconnected base socket has no peer to send to")
}

func (s *udpBaseSocket) Close() error { return s.conn.Close() }

// sameAddr compares two UDP addresses by value.
func sameAddr(a, b net.Addr) bool {
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if !ok1 || !ok2 {
		return a == b
	}
	return ua.Port == ub.Port && ua.IP.Equal(ub.IP) && ua.Zone == ub.Zone
}

// contentTypeCID is the record type of RFC 9146 records (tls12_cid).
const contentTypeCID = 25

// peerFilter keeps an unconnected socket's traffic to one peer, as a
// connected socket's kernel filter would, except for records carrying a
// connection ID, which pion authenticates and may move the peer to.
type peerFilter struct {
	mu   sync.Mutex
	peer net.Addr // nil until the first DTLS datagram
}

// admit decides on a datagram from addr and returns the address pion
// should see: peerAddr{} for the current peer, addr for another.
func (f *peerFilter) admit(d []byte, addr net.Addr) (net.Addr, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.peer == nil && looksLikeDTLS(d):
		f.peer = addr
		return peerAddr{}, true
	case f.peer != nil && sameAddr(addr, f.peer):
		return peerAddr{}, true
	case f.peer != nil && len(d) > 0 && d[0] == contentTypeCID:
		return addr, true
	}
	return nil, false
}

// destination is where pion's write to addr goes; a real address means
// pion moved the peer there.
func (f *peerFilter) destination(addr net.Addr) (net.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := addr.(*net.UDPAddr); ok {
		f.peer = addr
		return addr, nil
	}
	if f.peer == nil {
		return nil, Errorf(ErrFailed, "No peer has sent a datagram to the unconnected base socket yet")
	}
	return f.peer, nil
}
