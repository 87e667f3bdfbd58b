package dtlsgo

import (
	"net"

	"github.com/dtlsgo/dtlsgo/internal/socket"
)

// The base socket (internal/socket) under the names the façade's callers
// use, documented there.

type (
	BaseSocket = socket.BaseSocket
	Unbatched  = socket.Unbatched
)

const MaxDatagramSize = socket.MaxDatagramSize

func NewNetBaseSocket(conn net.Conn) BaseSocket { return socket.NewNetBaseSocket(conn) }

func NewFDBaseSocket(fd int) (BaseSocket, error) { return socket.NewFDBaseSocket(fd) }

func DupConn(fd int, dupFailed, notUsable string) (net.Conn, error) {
	return socket.DupConn(fd, dupFailed, notUsable)
}
