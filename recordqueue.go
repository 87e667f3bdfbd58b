package dtlsgo

import "github.com/dtlsgo/dtlsgo/internal/transport"

// recordQueue is a FIFO of records that reuses its backing array.
type recordQueue struct {
	q    []transport.Queued
	head int
}

func (r *recordQueue) len() int { return len(r.q) - r.head }

func (r *recordQueue) push(recs ...transport.Queued) {
	if r.head > 0 && r.head >= len(r.q)/2 {
		n := copy(r.q, r.q[r.head:])
		clear(r.q[n:])
		r.q, r.head = r.q[:n], 0
	}
	r.q = append(r.q, recs...)
}

func (r *recordQueue) pop() transport.Queued {
	rec := r.q[r.head]
	r.q[r.head] = transport.Queued{}
	r.head++
	if r.head == len(r.q) {
		r.q, r.head = r.q[:0], 0
	}
	return rec
}

// drop releases every queued record.
func (r *recordQueue) drop() {
	for r.len() > 0 {
		transport.PutRecordBuffer(r.pop().Buf)
	}
	r.q = nil
}
