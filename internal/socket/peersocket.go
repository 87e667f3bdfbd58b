package socket

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"net"
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

// NewAddressedBaseSocket adapts an unconnected UDP socket. Close closes conn.
func NewAddressedBaseSocket(conn *net.UDPConn) AddressedBaseSocket {
	return &udpBaseSocket{conn: conn}
}

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
	return errkind.Errorf(errkind.ErrNotSupported, "The unconnected base socket has no peer to send to")
}

func (s *udpBaseSocket) Close() error { return s.conn.Close() }

// SameAddr compares two UDP addresses by value.
func SameAddr(a, b net.Addr) bool {
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if !ok1 || !ok2 {
		return a == b
	}
	return ua.Port == ub.Port && ua.IP.Equal(ub.IP) && ua.Zone == ub.Zone
}
