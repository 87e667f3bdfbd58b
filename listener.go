package dtlsgo

import (
	"net"

	"github.com/dtlsgo/dtlsgo/internal/listener"
)

// The listener (internal/listener) under the names export/ uses: the same
// types and functions, documented there.

type (
	Listener        = listener.Listener
	ListenerLimits  = listener.Limits
	PeerSocket      = listener.Peer
	BatchPeerSocket = listener.BatchPeer
)

// ErrListenerClosed is what Accept returns once the listener is closed.
var ErrListenerClosed = listener.ErrClosed

func NewListener(conn *net.UDPConn, limits ListenerLimits) *Listener {
	return listener.New(conn, limits)
}

func NewBatchPeerSocket(p *PeerSocket) *BatchPeerSocket { return listener.NewBatchPeer(p) }
