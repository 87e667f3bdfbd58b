//go:build !linux

package dtlsgo

import "net"

// Batched datagram I/O is Linux-only; elsewhere datagrams move one by one.
type batchSocket struct{}

func newBatchSocket(net.Conn) *batchSocket { return nil }

func (*batchSocket) writeBatch([][]byte) (int, error)  { panic("unreachable") }
func (*batchSocket) readBatch(func(ds [][]byte)) error { panic("unreachable") }
