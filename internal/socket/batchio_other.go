//go:build !linux

package socket

import (
	"net"
)

// Batch sockets are Linux-only; elsewhere datagrams move one by one through
// Go's net package and a reader goroutine.

func batchSocketOf(net.Conn) BaseSocket     { return nil }
func connectedBatchSocketOf(int) BaseSocket { return nil }
