// Package listener serves many DTLS clients on one UDP socket: a stateless
// cookie exchange for unknown senders, routing of datagrams to per-client
// peers by source address, and limits on what unproven clients may cost.
package listener

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Limits bound what clients may cost a listener. Zero fields take the
// defaults below.
type Limits struct {
	// MaxPending bounds peers that returned a valid cookie but have not
	// completed their handshake (queued for Accept or handshaking).
	MaxPending int
	// MaxConnections bounds all peers at once.
	MaxConnections int
	// HandshakeTimeout is how long a peer may stay pending before the
	// listener drops it.
	HandshakeTimeout time.Duration
	// ConnectionIDLength > 0 gives each peer a connection ID of that many
	// bytes (RFC 9146) and routes records carrying it from any address.
	ConnectionIDLength int
}

// Defaults: a pending peer costs a connection's handshake state (about
// 25 KiB and a few goroutines), so 128 of them bound an attack to a few
// MiB; 30 s covers the retransmission back-off of a lossy link's
// handshake.
const (
	DefaultMaxPending       = 128
	DefaultMaxConnections   = 4096
	DefaultHandshakeTimeout = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxPending <= 0 {
		l.MaxPending = DefaultMaxPending
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = DefaultMaxConnections
	}
	if l.HandshakeTimeout <= 0 {
		l.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return l
}

// ErrClosed is what Accept returns once the listener was closed.
var ErrClosed = errors.New("the listener is closed")

// Listener reads one UDP socket and hands each client that proved its
// address (by returning a cookie) to Accept as a Peer.
type Listener struct {
	conn *net.UDPConn
	jar  *cookieJar
	// Debugf reports what the listener refused (set before Serve).
	Debugf func(format string, args ...any)

	mu      sync.Mutex
	limits  Limits
	peers   map[netip.AddrPort]*Peer
	cids    map[string]*Peer // by connection ID
	pending int              // peers queued or handshaking
	queue   []*Peer          // verified, not yet accepted
	queued  chan struct{}
	closing bool          // Close was called: no new peers
	closed  chan struct{} // closed by Close
}

// New serves conn, a bound unconnected UDP socket the listener owns from
// now on (it closes it once it was closed and its last peer is gone).
func New(conn *net.UDPConn, limits Limits) *Listener {
	raiseReadBuffer(conn)
	l := &Listener{
		conn:   conn,
		jar:    newCookieJar(),
		limits: limits.withDefaults(),
		peers:  make(map[netip.AddrPort]*Peer),
		cids:   make(map[string]*Peer),
		queued: make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	go l.serve()
	return l
}

// readBuffer is the receive buffer a listener asks for: every client's
// datagrams wait in the one socket's buffer, and the default (208 KiB,
// about 160 small datagrams) overflowed under one client's burst, losing
// other clients' datagrams. The kernel caps it at net.core.rmem_max.
const readBuffer = 4 << 20

// raiseReadBuffer enlarges the socket's receive buffer, never shrinks it.
func raiseReadBuffer(conn *net.UDPConn) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	current := 0
	_ = rc.Control(func(fd uintptr) {
		current, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	if current < readBuffer {
		_ = conn.SetReadBuffer(readBuffer)
	}
}

// SetLimits changes the limits for peers that arrive from now on.
func (l *Listener) SetLimits(limits Limits) {
	l.mu.Lock()
	l.limits = limits.withDefaults()
	l.mu.Unlock()
}

// LocalAddr is the socket's address.
func (l *Listener) LocalAddr() net.Addr { return l.conn.LocalAddr() }

func (l *Listener) debugf(format string, args ...any) {
	if l.Debugf != nil {
		l.Debugf(format, args...)
	}
}

// Accept waits for the next verified client.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	for {
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			return nil, ErrClosed
		}
		if len(l.queue) > 0 {
			p := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			l.mu.Unlock()
			if p.setState(peerHandshaking) == peerQueued {
				return p, nil
			}
			continue // expired meanwhile
		}
		l.mu.Unlock()
		select {
		case <-l.queued:
		case <-l.closed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// Close stops accepting: queued clients are dropped, accepted peers live
// on until they are closed.
func (l *Listener) Close() {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return
	}
	l.closing = true
	close(l.closed)
	queue := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, p := range queue {
		l.unroute(p, net.ErrClosed)
	}
	l.stopIfIdle()
}

func (l *Listener) isClosing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

// PeerCount returns how many peers are routed and how many of them are
// pending.
func (l *Listener) PeerCount() (peers, pending int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.peers), l.pending
}

// stopIfIdle closes the socket once the listener is closed and no peer is
// left: the read loop then ends.
func (l *Listener) stopIfIdle() {
	l.mu.Lock()
	idle := l.closing && len(l.peers) == 0
	l.mu.Unlock()
	if idle {
		_ = l.conn.Close()
	}
}

func (l *Listener) serve() {
	buf := make([]byte, 65535)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// An ICMP error for an earlier send, or a datagram too large:
			// neither ends a datagram socket.
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EMSGSIZE) {
				continue
			}
			l.debugf("listener: reading the socket failed: %v", err)
			continue
		}
		l.route(buf[:n], from)
	}
}

// route hands one datagram to its peer, or runs the cookie exchange for a
// ClientHello from an address with no peer; anything else is dropped.
func (l *Listener) route(d []byte, from netip.AddrPort) {
	l.mu.Lock()
	p := l.peers[from]
	if p == nil {
		p = l.byConnectionID(d)
	}
	l.mu.Unlock()
	if p != nil && p.getState() != peerEstablished {
		p.deliver(d, from)
		return
	}
	h, isHello := parseClientHello(d)
	if p != nil && !isHello {
		p.deliver(d, from)
		return
	}
	if !isHello || l.isClosing() {
		return
	}
	// A ClientHello from an established peer's address is a client that
	// restarted: it is served after the application closed the old
	// connection (its retransmissions come back until then).
	if !l.jar.valid(from, h) {
		l.answerCookie(h, from)
		return
	}
	if p != nil {
		l.debugf("listener: %v restarted while its connection is open; waiting for it to close", from)
		return
	}
	l.admit(h, from)
}

// contentTypeCID is the record type of RFC 9146 records (tls12_cid).
const contentTypeCID = 25

// byConnectionID finds the peer whose connection ID a tls12_cid record
// carries (its header: type, version, epoch, sequence number, then the
// ID); its connection authenticates the record before it moves the peer
// to the new address (see Peer.WriteDatagram).
func (l *Listener) byConnectionID(d []byte) *Peer {
	n := l.limits.ConnectionIDLength
	if n == 0 || len(d) < 11+n || d[0] != contentTypeCID {
		return nil
	}
	return l.cids[string(d[11:11+n])]
}

// newConnectionID draws an ID no peer has (under l.mu).
func (l *Listener) newConnectionID() []byte {
	for {
		cid := make([]byte, l.limits.ConnectionIDLength)
		_, _ = rand.Read(cid)
		if l.cids[string(cid)] == nil {
			return cid
		}
	}
}

// move routes p's datagrams from addr from now on.
func (l *Listener) move(p *Peer, addr netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.getState() == peerClosed || l.peers[addr] != nil {
		return
	}
	if old := p.RemoteAddr(); l.peers[old] == p {
		delete(l.peers, old)
	}
	p.mu.Lock()
	p.addr = addr
	p.mu.Unlock()
	l.peers[addr] = p
}

// answerCookie sends a HelloVerifyRequest, never larger than the hello.
func (l *Listener) answerCookie(h clientHello, from netip.AddrPort) {
	hvr := helloVerifyRequest(h, l.jar.cookie(from, h))
	if len(hvr) > len(h.datagram) {
		return
	}
	_ = l.send(hvr, from)
}

// admit makes a peer for a client that returned a valid cookie, within the
// limits.
func (l *Listener) admit(h clientHello, from netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closing:
		return
	case l.peers[from] != nil:
		return
	case len(l.peers) >= l.limits.MaxConnections:
		l.debugf("listener: %v refused: %d connections (the maximum)", from, len(l.peers))
		return
	case l.pending >= l.limits.MaxPending:
		l.debugf("listener: %v refused: %d handshakes pending (the maximum)", from, l.pending)
		return
	}
	p := newPeer(l, from, h)
	if l.limits.ConnectionIDLength > 0 {
		p.cid = l.newConnectionID()
		l.cids[string(p.cid)] = p
	}
	p.expiry = time.AfterFunc(l.limits.HandshakeTimeout, func() {
		if s := p.getState(); s == peerQueued || s == peerHandshaking {
			l.debugf("listener: %v dropped: no handshake within %v", from, l.limits.HandshakeTimeout)
			l.unroute(p, fmt.Errorf("the listener's handshake timeout (%v) passed", l.limits.HandshakeTimeout))
		}
	})
	l.peers[from] = p
	l.pending++
	l.queue = append(l.queue, p)
	select {
	case l.queued <- struct{}{}:
	default:
	}
}

// settle moves a pending peer to established.
func (l *Listener) settle(p *Peer) {
	l.mu.Lock()
	if was := p.setState(peerEstablished); was == peerQueued || was == peerHandshaking {
		l.pending--
		p.expiry.Stop()
	}
	l.mu.Unlock()
}

// unroute forgets p; its reads end with err.
func (l *Listener) unroute(p *Peer, err error) {
	l.mu.Lock()
	if addr := p.RemoteAddr(); l.peers[addr] == p {
		delete(l.peers, addr)
	}
	if p.cid != nil && l.cids[string(p.cid)] == p {
		delete(l.cids, string(p.cid))
	}
	if was := p.end(err); was == peerQueued || was == peerHandshaking {
		l.pending--
	}
	l.mu.Unlock()
	l.stopIfIdle()
}

// send writes one datagram to addr.
func (l *Listener) send(d []byte, addr netip.AddrPort) error {
	_, err := l.conn.WriteToUDPAddrPort(d, addr)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil
	}
	return err
}
