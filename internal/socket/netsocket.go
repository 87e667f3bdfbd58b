package socket

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"io"
	"net"
	"os"
	"syscall"
)

// The sockets Go's net package serves, one datagram at a time: a connected
// one without a descriptor a batch socket could take over, and an
// unconnected UDP socket, which serves one peer.

// netBaseSocket serves a connected datagram net.Conn that this adapter owns,
// e.g. a duplicate of a GSocket's descriptor: closing it closes only the
// duplicate.
type netBaseSocket struct {
	Unbatched
	conn net.Conn
}

// NewNetBaseSocket adapts a connected datagram socket. Close closes conn.
// A socket with a descriptor is taken over as a batch socket (conn is
// closed at once, its duplicate kept).
func NewNetBaseSocket(conn net.Conn) BaseSocket {
	if b := batchSocketOf(conn); b != nil {
		return b
	}
	return &netBaseSocket{conn: conn}
}

// NewPlainBaseSocket adapts a connected datagram socket through Go's net
// package alone, even one with a descriptor a batch socket would take over
// (tests that want the plain path). Close closes conn.
func NewPlainBaseSocket(conn net.Conn) BaseSocket { return &netBaseSocket{conn: conn} }

// NewFDBaseSocket adapts a duplicate of the datagram socket fd; fd itself
// is left alone. An unconnected UDP socket serves the peer that speaks
// first (see NewAddressedBaseSocket).
func NewFDBaseSocket(fd int) (BaseSocket, error) {
	if b := connectedBatchSocketOf(fd); b != nil {
		return b, nil
	}
	conn, err := DupConn(fd, "cannot duplicate the base socket",
		"the base socket is not a datagram socket Go can use")
	if err != nil {
		return nil, err
	}
	if udp, ok := conn.(*net.UDPConn); ok && udp.RemoteAddr() == nil {
		return &udpBaseSocket{conn: udp}, nil
	}
	return NewNetBaseSocket(conn), nil
}

// DupConn is a net.Conn, in Go's poller, over a duplicate of the socket fd
// (close-on-exec); fd itself is left alone. Its errors are ErrFailed
// (dupFailed: the cause) and ErrNotSupported (notUsable: the cause), in
// the caller's words.
func DupConn(fd int, dupFailed, notUsable string) (net.Conn, error) {
	dup, err := syscall.Dup(fd)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrFailed, "%s: %w", dupFailed, err)
	}
	syscall.CloseOnExec(dup)
	f := os.NewFile(uintptr(dup), "dtlsgo-base")
	defer f.Close() // FileConn duplicates again
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrNotSupported, "%s: %w", notUsable, err)
	}
	return conn, nil
}

func (s *netBaseSocket) ReadDatagram(p []byte) (int, net.Addr, error) {
	n, err := s.conn.Read(p)
	switch {
	case err == nil:
		return n, nil, nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return 0, nil, errRefused
	case errors.Is(err, net.ErrClosed):
		return 0, nil, net.ErrClosed
	case errors.Is(err, io.EOF):
		return 0, nil, io.EOF
	}
	return 0, nil, err
}

func (s *netBaseSocket) WriteDatagram(p []byte, _ net.Addr) error {
	_, err := s.conn.Write(p)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errRefused
	}
	return err
}

func (s *netBaseSocket) Close() error { return s.conn.Close() }

// udpBaseSocket serves an unconnected UDP socket this adapter owns (a
// duplicate of a GSocket's descriptor), whose datagrams each come from and
// go to an explicit address. A server may serve one client from such a
// socket: its peer is whoever sent the first DTLS datagram, and with
// connection IDs the peer's address follows the client as RFC 9146 §6 says
// (pion moves it on an authenticated record that carries the connection ID
// from a new address). Which datagrams are the peer's is the transport's
// decision.
type udpBaseSocket struct {
	Unbatched
	conn *net.UDPConn
}

// NewAddressedBaseSocket adapts an unconnected UDP socket. Close closes conn.
func NewAddressedBaseSocket(conn *net.UDPConn) BaseSocket {
	return &udpBaseSocket{conn: conn}
}

func (s *udpBaseSocket) ReadDatagram(p []byte) (int, net.Addr, error) {
	n, addr, err := s.conn.ReadFromUDP(p)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, nil, net.ErrClosed
		}
		return 0, nil, err
	}
	return n, addr, nil
}

func (s *udpBaseSocket) WriteDatagram(p []byte, to net.Addr) error {
	if to == nil {
		return errNoPeer
	}
	_, err := s.conn.WriteTo(p, to)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil
	}
	return err
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
