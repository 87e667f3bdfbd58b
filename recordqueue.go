package dtlsgo

import (
	"sync"
)

// queued is a decrypted record waiting for receive; buf, when set, is the
// pooled buffer data lives in, returned once the record was copied out.
type queued struct {
	data []byte
	buf  *[]byte
}

// recordBufferSize fits the common record (1200-byte datagrams and up to a
// 1500-byte MTU); larger records get a buffer of their own.
const recordBufferSize = 2048

var recordBuffers = sync.Pool{New: func() any {
	b := make([]byte, recordBufferSize)
	return &b
}}

// getRecordBuffer returns a buffer of at least n bytes.
func getRecordBuffer(n int) *[]byte {
	if n > recordBufferSize {
		b := make([]byte, n)
		return &b
	}
	return recordBuffers.Get().(*[]byte)
}

func putRecordBuffer(b *[]byte) {
	if b != nil && cap(*b) == recordBufferSize {
		*b = (*b)[:recordBufferSize]
		recordBuffers.Put(b)
	}
}

// recordQueue is a FIFO of records that reuses its backing array.
type recordQueue struct {
	q    []queued
	head int
}

func (r *recordQueue) len() int { return len(r.q) - r.head }

func (r *recordQueue) push(recs ...queued) {
	if r.head > 0 && r.head >= len(r.q)/2 {
		n := copy(r.q, r.q[r.head:])
		clear(r.q[n:])
		r.q, r.head = r.q[:n], 0
	}
	r.q = append(r.q, recs...)
}

func (r *recordQueue) pop() queued {
	rec := r.q[r.head]
	r.q[r.head] = queued{}
	r.head++
	if r.head == len(r.q) {
		r.q, r.head = r.q[:0], 0
	}
	return rec
}

// drop releases every queued record.
func (r *recordQueue) drop() {
	for r.len() > 0 {
		putRecordBuffer(r.pop().buf)
	}
	r.q = nil
}
