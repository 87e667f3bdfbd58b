package dtlsgo

import (
	"bytes"

	"github.com/dtlsgo/dtlsgo/internal/record"
	"github.com/pion/dtls/v3"
)

// Connection IDs (RFC 9146). Config.ConnectionIDLength says what a side
// asks for: 0 nothing (no connection_id extension), n > 0 that the peer put
// an n-byte ID in every record it sends, so that its records are recognised
// from any address; ConnectionIDSendOnly that the side sends the IDs its
// peer asks for without asking for one itself.
const (
	ConnectionIDSendOnly  = -1
	MaxConnectionIDLength = record.MaxConnectionIDLength
)

// fixed is the ID to ask for, when someone else (a listener) chose it and
// it has the length asked for.
func cidOptions(length int, fixed []byte) ([]dtls.Option, error) {
	switch {
	case length > 0 && len(fixed) == length:
		return []dtls.Option{dtls.WithConnectionIDGenerator(func() []byte { return bytes.Clone(fixed) })}, nil
	case length == 0:
		return nil, nil
	case length == ConnectionIDSendOnly:
		return []dtls.Option{dtls.WithConnectionIDGenerator(dtls.OnlySendCIDGenerator())}, nil
	case length > 0 && length <= MaxConnectionIDLength:
		return []dtls.Option{dtls.WithConnectionIDGenerator(dtls.RandomCIDGenerator(length))}, nil
	}
	return nil, Errorf(ErrInvalidArgument, "Invalid connection ID length %d (-1, 0 or 1 to %d)", length, MaxConnectionIDLength)
}
