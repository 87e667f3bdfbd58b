package record

import (
	"bytes"
	"testing"
)

// rawRecord builds one DTLS 1.2 record.
func rawRecord(typ byte, epoch uint16, seq uint64, body []byte) []byte {
	return append(AppendHeader(nil, typ, uint64(epoch)<<48|seq, len(body)), body...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDropForgedPlaintext(t *testing.T) {
	hello := rawRecord(ContentHandshake, 0, 1, []byte{1, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9})
	ccs := rawRecord(ContentChangeCipherSpec, 0, 2, []byte{1})
	fin := rawRecord(ContentHandshake, 1, 0, bytes.Repeat([]byte{7}, 40))
	appData := rawRecord(23, 1, 5, bytes.Repeat([]byte{3}, 30))
	alert := rawRecord(ContentAlert, 0, 3, []byte{2, 40})
	clearData := rawRecord(23, 0, 9, []byte("in the clear"))
	cases := []struct {
		name    string
		in, out []byte
	}{
		{"a real flight passes as it is", cat(hello, ccs, fin), cat(hello, ccs, fin)},
		{"epoch-1 records pass", cat(appData, appData), cat(appData, appData)},
		{"a plaintext alert passes", alert, alert},
		{"epoch-0 application data is dropped", clearData, nil},
		{"only the forged record goes", cat(appData, clearData, appData), cat(appData, appData)},
		{"a short alert is dropped", cat(rawRecord(ContentAlert, 0, 1, []byte{2}), alert), alert},
		{"a long alert is dropped", rawRecord(ContentAlert, 0, 1, []byte{2, 40, 0}), nil},
		{"a bad ChangeCipherSpec at epoch 0", cat(rawRecord(ContentChangeCipherSpec, 0, 1, []byte{2}), fin), fin},
		{"a bad ChangeCipherSpec at epoch 1", rawRecord(ContentChangeCipherSpec, 1, 1, []byte{0xaa}), nil},
		{"an empty ChangeCipherSpec", rawRecord(ContentChangeCipherSpec, 1, 1, nil), nil},
		{"a ChangeCipherSpec at epoch 1 is harmless", rawRecord(ContentChangeCipherSpec, 1, 1, []byte{1}),
			rawRecord(ContentChangeCipherSpec, 1, 1, []byte{1})},
		{"unknown types at epoch 0", cat(rawRecord(24, 0, 1, []byte{1, 2}), rawRecord(0, 0, 1, nil), rawRecord(255, 0, 2, []byte{9})), nil},
		{"unknown types at epoch 1 are pion's to reject", rawRecord(24, 1, 1, []byte{1, 2}), rawRecord(24, 1, 1, []byte{1, 2})},
		{"a truncated tail passes", cat(clearData, appData[:20]), appData[:20]},
		{"a short tail passes", cat(appData, []byte{23, 0xfe}), cat(appData, []byte{23, 0xfe})},
		{"a connection-ID record ends the walk", cat(rawRecord(ContentCID, 1, 1, []byte{1, 2, 3}), clearData),
			cat(rawRecord(ContentCID, 1, 1, []byte{1, 2, 3}), clearData)},
		{"an epoch-0 connection-ID record goes with the rest", cat(appData, rawRecord(ContentCID, 0, 1, []byte{1}), alert), appData},
		{"empty", []byte{}, []byte{}},
		{"not DTLS at all", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), []byte("HTTP/1.1 400 Bad Request\r\n\r\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DropForgedPlaintext(tc.in)
			if !bytes.Equal(got, tc.out) || (tc.out == nil) != (got == nil) {
				t.Fatalf("got  %x\nwant %x", got, tc.out)
			}
		})
	}
	// Nothing dropped: no copy.
	in := cat(hello, ccs, fin)
	if got := DropForgedPlaintext(in); &got[0] != &in[0] {
		t.Error("a clean datagram was copied")
	}
}

func BenchmarkDropForgedPlaintext(b *testing.B) {
	d := rawRecord(23, 1, 5, bytes.Repeat([]byte{3}, 1200))
	b.SetBytes(int64(len(d)))
	for i := 0; i < b.N; i++ {
		DropForgedPlaintext(d)
	}
}
