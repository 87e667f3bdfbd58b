package tlsstream

import (
	"context"
	"testing"
)

// BenchmarkThroughput is tls-bench's throughput mode without GIO: 16 KiB
// writes through one connection, read 64 KiB at a time on another
// goroutine.
func BenchmarkThroughput(b *testing.B) {
	client, server, _ := pair(b, nil)
	ctx := context.Background()
	payload := make([]byte, 16<<10)
	total := b.N * len(payload)
	done := make(chan error, 1)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		buf := make([]byte, 64<<10)
		for got := 0; got < total; {
			n, err := server.Read(ctx, buf, false)
			if err != nil {
				done <- err
				return
			}
			got += n
		}
		done <- nil
	}()
	for i := 0; i < b.N; i++ {
		for p := payload; len(p) > 0; {
			n, err := client.Write(ctx, p, false)
			if err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
