package dtlsgo

import (
	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/dtlsgo/dtlsgo/internal/transport"
)

// recordLayer is dtlsgo's record layer as the transport hands it datagrams
// (transport.RecordLayer): every record of the current epoch is opened
// once, application data into pooled buffers for receive, alerts and the
// peer's repeated last flight to the connection (controlrecords.go);
// pion's writes are resealed (record.Layer.Reseal).
type recordLayer struct {
	*record.Layer
	c *Conn
}

func (l recordLayer) Take(d []byte, keep func(transport.Queued), flush func()) (rest []byte, authentic bool) {
	rest = l.SplitOff(d, func(r record.Record) bool {
		if r.Epoch != l.Epoch {
			return false
		}
		buf := transport.GetRecordBuffer(len(r.Body))
		typ, rec, ok := l.Open((*buf)[:0], r)
		authentic = authentic || ok
		if ok && typ == record.ContentAppData {
			keep(transport.Queued{Data: rec, Buf: buf})
			return true
		}
		if ok {
			flush()
			l.c.controlRecord(l.Layer, typ, rec)
		}
		transport.PutRecordBuffer(buf)
		return true
	})
	return rest, authentic
}
