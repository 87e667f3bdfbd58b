package listener

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/socket"
)

// inboxLimit datagrams may wait for a peer's reader; beyond it they are
// dropped, as a full socket buffer would drop them.
const inboxLimit = 128

// datagram is one datagram from the client and where it came from.
type datagram struct {
	data []byte
	from netip.AddrPort
}

// peerState is where a peer is in its life at the listener.
type peerState int

const (
	peerQueued      peerState = iota // verified, waiting for Accept
	peerHandshaking                  // accepted, handshake not done
	peerEstablished                  // handshake done
	peerClosed                       // unrouted
)

// Peer is one client of a Listener: a datagram socket that receives only
// that client's datagrams and sends through the listener's socket. It
// is a BaseSocket that moves one datagram at a time (BatchPeer batches)
// and carries the ClientHello the listener verified, which the
// connection's handshake starts from.
type Peer struct {
	socket.Unbatched
	l      *Listener
	hello  clientHello // the verified ClientHello (a copy)
	cid    []byte      // the connection ID the peer's records carry, or nil
	expiry *time.Timer // ends a peer still not handshaken after the limit

	mu    sync.Mutex
	addr  netip.AddrPort // where the client is (moves with connection IDs)
	state peerState
	inbox []datagram
	ready chan struct{} // signalled when inbox stops being empty
	// onDeliver runs after a datagram was queued (a BatchPeer's pump).
	onDeliver func()
	closed    chan struct{}
	endErr    error // why reads end, once closed
}

func newPeer(l *Listener, addr netip.AddrPort, hello clientHello) *Peer {
	d := append([]byte(nil), hello.datagram...)
	h, _ := parseClientHello(d)
	return &Peer{l: l, addr: addr, hello: h, ready: make(chan struct{}, 1), closed: make(chan struct{})}
}

// RemoteAddr is the client's address.
func (p *Peer) RemoteAddr() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// VerifiedHello returns the client's ClientHello that returned a valid
// cookie, and the cookie-less hello it must have sent before it (the same
// record with message_seq 0 and an empty cookie), so a DTLS server that did
// not exchange the cookie itself can start its handshake from them.
func (p *Peer) VerifiedHello() (first, second []byte) {
	seq := p.hello.recordSeq + 1
	if p.hello.recordSeq > 0 {
		seq = p.hello.recordSeq - 1
	}
	return p.hello.withoutCookie(seq), p.hello.record
}

// ConnectionID is the connection ID the listener routes the client's
// records by (RFC 9146), nil without.
func (p *Peer) ConnectionID() []byte { return p.cid }

// PeerAddr is RemoteAddr as a net.Addr.
func (p *Peer) PeerAddr() net.Addr { return net.UDPAddrFromAddrPort(p.RemoteAddr()) }

// Cookie is the cookie the verified ClientHello returned.
func (p *Peer) Cookie() []byte { return p.hello.cookie }

// Handshaken tells the listener the peer's handshake completed: it no
// longer counts as pending.
func (p *Peer) Handshaken() {
	p.l.settle(p)
}

// deliver queues one datagram from the client (at from); false when it
// was dropped.
func (p *Peer) deliver(d []byte, from netip.AddrPort) bool {
	p.mu.Lock()
	if p.state == peerClosed || len(p.inbox) >= inboxLimit {
		p.mu.Unlock()
		return false
	}
	p.inbox = append(p.inbox, datagram{data: append([]byte(nil), d...), from: from})
	onDeliver := p.onDeliver
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
	if onDeliver != nil {
		onDeliver()
	}
	return true
}

// ReadDatagram waits for the client's next datagram and says where it came
// from: with connection IDs, the client's new address after a NAT
// rebinding.
func (p *Peer) ReadDatagram(b []byte) (int, net.Addr, error) {
	n, from, err := p.read(context.Background(), b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadDatagramContext waits for the client's next datagram until ctx
// ends; net.ErrClosed once the peer was closed.
func (p *Peer) ReadDatagramContext(ctx context.Context, b []byte) (int, error) {
	n, _, err := p.read(ctx, b)
	return n, err
}

func (p *Peer) read(ctx context.Context, b []byte) (int, netip.AddrPort, error) {
	for {
		p.mu.Lock()
		if len(p.inbox) > 0 {
			d := p.inbox[0]
			p.inbox[0] = datagram{}
			if p.inbox = p.inbox[1:]; len(p.inbox) == 0 {
				p.inbox = nil
			}
			p.mu.Unlock()
			return copy(b, d.data), d.from, nil
		}
		endErr := p.endErr
		p.mu.Unlock()
		if endErr != nil {
			return 0, netip.AddrPort{}, endErr
		}
		select {
		case <-p.ready:
		case <-p.closed:
		case <-ctx.Done():
			return 0, netip.AddrPort{}, context.Cause(ctx)
		}
	}
}

// Readable reports whether a datagram waits (or reads would end at once).
func (p *Peer) Readable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inbox) > 0 || p.endErr != nil
}

// WriteDatagram sends d to the client through the listener's socket; to
// (nil: where the client is) names a new address once the connection
// authenticated a record with its connection ID from there, and the
// client's datagrams are routed from that address from now on.
func (p *Peer) WriteDatagram(d []byte, to net.Addr) error {
	if ua, ok := to.(*net.UDPAddr); ok {
		if addr := ua.AddrPort(); addr != p.RemoteAddr() {
			p.l.move(p, addr)
		}
	}
	return p.send(d)
}

// send sends d to where the client is.
func (p *Peer) send(d []byte) error {
	p.mu.Lock()
	addr, closed := p.addr, p.state == peerClosed
	p.mu.Unlock()
	if closed {
		return net.ErrClosed
	}
	return p.l.send(d, addr)
}

// Close unroutes the peer: its reads end, and a new ClientHello from its
// address makes a new peer. The listener's socket stays open.
func (p *Peer) Close() error {
	p.l.unroute(p, net.ErrClosed)
	return nil
}

// end marks the peer closed with err (under the listener's lock).
func (p *Peer) end(err error) (was peerState) {
	p.mu.Lock()
	was = p.state
	if was != peerClosed {
		p.state = peerClosed
		p.endErr = err
		close(p.closed)
	}
	p.mu.Unlock()
	if p.expiry != nil {
		p.expiry.Stop()
	}
	return was
}

func (p *Peer) setState(s peerState) (was peerState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	was = p.state
	if was != peerClosed {
		p.state = s
	}
	return was
}

func (p *Peer) getState() peerState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}
