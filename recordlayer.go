package dtlsgo

import (
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
)

// recordLayer is dtlsgo's record layer as the transport hands it datagrams
// (transport.RecordLayer): the peer's application data of the current
// epoch is opened into pooled buffers for receive; pion's writes are
// resealed (record.Layer.Reseal).
type recordLayer struct{ *record.Layer }

func (l recordLayer) Take(d []byte, keep func(transport.Queued)) []byte {
	return record.SplitOff(d, func(r record.Record) bool {
		if r.Type != record.ContentAppData || r.Epoch != l.Epoch {
			return false
		}
		buf := transport.GetRecordBuffer(len(r.Body))
		if rec, ok := l.Open((*buf)[:0], r); ok {
			keep(transport.Queued{Data: rec, Buf: buf})
		} else {
			transport.PutRecordBuffer(buf)
		}
		return true
	})
}
