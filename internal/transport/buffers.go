package transport

import (
	"sync"
)

// Queued is a decrypted record waiting for receive; buf, when set, is the
// pooled buffer data lives in, returned once the record was copied out.
type Queued struct {
	Data []byte
	Buf  *[]byte
}

// recordBufferSize fits the common record (1200-byte datagrams and up to a
// 1500-byte MTU); larger records get a buffer of their own.
const recordBufferSize = 2048

var recordBuffers = sync.Pool{New: func() any {
	b := make([]byte, recordBufferSize)
	return &b
}}

// GetRecordBuffer returns a buffer of at least n bytes.
func GetRecordBuffer(n int) *[]byte {
	if n > recordBufferSize {
		b := make([]byte, n)
		return &b
	}
	return recordBuffers.Get().(*[]byte)
}

func PutRecordBuffer(b *[]byte) {
	if b != nil && cap(*b) == recordBufferSize {
		*b = (*b)[:recordBufferSize]
		recordBuffers.Put(b)
	}
}
