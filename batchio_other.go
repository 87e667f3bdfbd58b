//go:build !linux

package dtlsgo

import (
	"context"
	"net"
)

// Batched datagram I/O is Linux-only; elsewhere datagrams move one by one.
type batchSocket struct{}

func newBatchSocket(net.Conn) *batchSocket { return nil }

func (*batchSocket) writeBatch([][]byte) (int, error)  { panic("unreachable") }
func (*batchSocket) readBatch(func(ds [][]byte)) error { panic("unreachable") }
func (*batchSocket) wakeInline()                       { panic("unreachable") }
func (*batchSocket) close(func() error) error          { panic("unreachable") }
func (*batchSocket) readInline(context.Context, func() bool, bool, func(ds [][]byte)) error {
	panic("unreachable")
}
