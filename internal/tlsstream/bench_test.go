package tlsstream

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
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

// BenchmarkIdleConnection reports the Go heap an idle, handshaken pair of
// connections keeps (after a collection), per connection: tls-bench's idle
// mode without GIO.
func BenchmarkIdleConnection(b *testing.B) {
	const pairs = 200
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conns := make([]*Conn, 0, 2*pairs)
		for j := 0; j < pairs; j++ {
			client, server, _ := pair(b, nil)
			conns = append(conns, client, server)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if path := os.Getenv("TLSSTREAM_HEAPPROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		perConn := func(after, before uint64) float64 {
			return float64(after-before) / 1024 / float64(len(conns))
		}
		b.ReportMetric(perConn(after.HeapInuse, before.HeapInuse), "heap-KiB/conn")
		b.ReportMetric(perConn(after.StackInuse, before.StackInuse), "stack-KiB/conn")
		for _, c := range conns {
			c.Abort()
		}
	}
}
