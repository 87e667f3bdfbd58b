package dtlsgo

import (
	"bytes"

	"github.com/dtlsgo/dtlsgo/internal/record"
)

// Records and datagrams built by hand for the tests.

// rawRecord builds one DTLS 1.2 record.
func rawRecord(typ byte, epoch uint16, seq uint64, body []byte) []byte {
	return append(record.AppendHeader(nil, typ, uint64(epoch)<<48|seq, len(body)), body...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
