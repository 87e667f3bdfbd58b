//go:build !linux

package dtlsgo

import (
	"context"
	"net"
	"time"
)

// Batch sockets are Linux-only; elsewhere datagrams move one by one through
// Go's net package and a reader goroutine.
type batchSocket struct{}

func newBatchSocket(net.Conn) *batchSocket  { return nil }
func connectedBatchSocket(int) *batchSocket { return nil }

func (*batchSocket) readDatagram([]byte) (int, error)                    { panic("unreachable") }
func (*batchSocket) writeBatch([][]byte, bool) (int, error)              { panic("unreachable") }
func (*batchSocket) startReading(func([][]byte) bool, func(error)) error { panic("unreachable") }
func (*batchSocket) resumeReading()                                      { panic("unreachable") }
func (*batchSocket) wakeInline()                                         { panic("unreachable") }
func (*batchSocket) close() error                                        { panic("unreachable") }
func (*batchSocket) readPolled(func([][]byte)) error                     { panic("unreachable") }
func (*batchSocket) setPolledDeadline(time.Time)                         { panic("unreachable") }
func (*batchSocket) stopPolled()                                         { panic("unreachable") }
func (*batchSocket) readInline(context.Context, func() bool, bool, func([][]byte)) error {
	panic("unreachable")
}
