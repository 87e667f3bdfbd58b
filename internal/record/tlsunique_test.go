package record

import (
	"bytes"
	"testing"

	"github.com/pion/dtls/v3/pkg/crypto/prf"
)

// FuzzTLSUniqueRecords feeds arbitrary datagrams to the watch that keeps
// encrypted handshake records, then opens what it kept with each kind of
// cipher: nothing may panic, and what is kept is the input's.
func FuzzTLSUniqueRecords(f *testing.F) {
	f.Add(rawRecord(ContentHandshake, 1, 0, make([]byte, 40)), true)
	f.Add(append(rawRecord(ContentHandshake, 0, 1, []byte{2}), rawRecord(ContentCID, 1, 3, make([]byte, 30))...), false)
	f.Add(rawRecord(ContentCID, 1, 3, []byte{0, 1, 2, 3, 0, 0}), true)
	keys := &prf.EncryptionKeys{ClientWriteKey: make([]byte, 32), ServerWriteKey: make([]byte, 32),
		ClientWriteIV: make([]byte, 16), ServerWriteIV: make([]byte, 16), ClientMACKey: make([]byte, 32), ServerMACKey: make([]byte, 32)}
	f.Fuzz(func(t *testing.T, d []byte, incoming bool) {
		var s Secrets
		s.Datagram(d, !incoming)
		for _, r := range s.sealed {
			if r.Incoming != incoming || !bytes.Contains(d, r.Raw) {
				t.Fatalf("kept %x, not the input's", r.Raw)
			}
			for _, suite := range []Cipher{aes128GCM, chacha20Poly1305, aes128CCM8, aes128CBCSHA256} {
				op, err := suite.Opener(keys, incoming)
				if err != nil {
					t.Fatal(err)
				}
				OpenSealed(op, r.Raw)
			}
		}
	})
}
