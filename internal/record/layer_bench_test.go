package record

import (
	"testing"
)

// BenchmarkLayer measures the one record path per suite, with and without
// connection IDs: sealing and opening a 1200-byte record (records/s, and
// allocs/op, which must stay 0: the scratch and the destination buffer are
// the caller's).
func BenchmarkLayer(b *testing.B) {
	payload := make([]byte, 1200)
	for name, suite := range testSuites() {
		for _, cid := range [][]byte{nil, []byte("8bytecid")} {
			label := name
			if cid != nil {
				label += "/cid"
			}
			keys := testKeys(suite)
			client, _ := newLayer(suite, keys, true, cid, cid)
			server, _ := newLayer(suite, keys, false, cid, cid)
			buf := make([]byte, 0, len(payload)+client.Overhead(len(payload)))
			var sc Scratch
			b.Run(label+"/seal", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(payload)))
				for b.Loop() {
					if _, err := client.Seal(buf[:0], ContentAppData, payload, &sc); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
			rec, _ := client.Seal(nil, ContentAppData, payload, &sc)
			r, _, _ := server.Next(rec)
			out := make([]byte, 0, len(rec))
			b.Run(label+"/open", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(payload)))
				for b.Loop() {
					server.replay = replayWindow{} // the same record, fresh each time
					if _, _, ok := server.Open(out[:0], r); !ok {
						b.Fatal("did not open")
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// Sealing and opening a record allocates nothing, whatever the suite and
// with connection IDs (the benchmark above shows it; this keeps it so).
func TestLayerAllocatesNothing(t *testing.T) {
	payload := make([]byte, 1200)
	for name, suite := range testSuites() {
		for _, cid := range [][]byte{nil, []byte("8bytecid")} {
			keys := testKeys(suite)
			client, _ := newLayer(suite, keys, true, cid, cid)
			server, _ := newLayer(suite, keys, false, cid, cid)
			var sc Scratch
			buf := make([]byte, 0, len(payload)+client.Overhead(len(payload)))
			out := make([]byte, 0, cap(buf))
			rec, _ := client.Seal(nil, ContentAppData, payload, &sc)
			r, _, _ := server.Next(rec)
			allocs := testing.AllocsPerRun(50, func() {
				if _, err := client.Seal(buf[:0], ContentAppData, payload, &sc); err != nil {
					t.Fatal(err)
				}
				server.replay = replayWindow{}
				if _, _, ok := server.Open(out[:0], r); !ok {
					t.Fatal("did not open")
				}
			})
			if allocs != 0 {
				t.Errorf("%s, connection ID %q: %.1f allocations per record sealed and opened", name, cid, allocs)
			}
		}
	}
}
