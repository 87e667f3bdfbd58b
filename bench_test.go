package dtlsgo

import (
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the data path between two connected Conns over loopback
// UDP (both ends in this process, so CPU is both sides'). The C benchmark
// (bench/) measures the same through GIO; these isolate the Go core.

func benchPair(b *testing.B) (*Conn, *Conn) {
	b.Helper()
	cert := testCert(b)
	client, server, cerr, serr := handshakePair(b, Config{}, Config{Certificate: cert})
	if cerr != nil || serr != nil {
		b.Fatal(cerr, serr)
	}
	b.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// drain receives records on c until n arrived or none came for 200 ms,
// counting them in received, and then reports the count on got.
func drain(c *Conn, n int, received *atomic.Int64, got chan<- int) {
	for received.Load() < int64(n) {
		k, err := c.Receive(OpWithin(200*time.Millisecond, nil), 64, func(int, []byte) {})
		if err != nil {
			break
		}
		received.Add(int64(k))
	}
	got <- int(received.Load())
}

// BenchmarkSendReceive1200 moves 1200-byte records one way in batches of
// 32, the receiver draining as fast as it can; per op = one record.
func BenchmarkSendReceive1200(b *testing.B) {
	client, server := benchPair(b)
	payload := make([]byte, 1200)
	batch := make([][]byte, 32)
	for i := range batch {
		batch[i] = payload
	}
	op := OpWithin(time.Minute, nil)
	got := make(chan int, 1)
	var received atomic.Int64
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	go drain(server, b.N, &received, got)
	for sent := 0; sent < b.N; {
		n := min(len(batch), b.N-sent)
		k, err := client.Send(op, batch[:n])
		if err != nil {
			b.Fatal(err)
		}
		sent += k
		// Flow control: at most 64 records in flight (the default socket buffer holds ~90), so loss cannot
		// flatter the rate (lost ones are written off after 200 ms).
		for stall := time.Now(); int64(sent)-received.Load() > 64 && time.Since(stall) < 200*time.Millisecond; {
			time.Sleep(10 * time.Microsecond)
		}
	}
	n := <-got
	b.StopTimer()
	b.ReportMetric(float64(b.N-n)/float64(b.N), "lost/op")
}

// BenchmarkRoundTrip64 is a 64-byte ping-pong; per op = one round trip.
func BenchmarkRoundTrip64(b *testing.B) {
	client, server := benchPair(b)
	op := OpWithin(time.Minute, nil)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := server.Receive(op, 1, func(_ int, rec []byte) { copy(buf, rec) })
			if err != nil || n == 0 {
				return
			}
			if _, err := server.Send(op, [][]byte{buf}); err != nil {
				return
			}
		}
	}()
	ping := [][]byte{make([]byte, 64)}
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := client.Send(op, ping); err != nil {
			b.Fatal(err)
		}
		if n, err := client.Receive(op, 1, func(int, []byte) {}); n != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdleConnection opens handshaken pairs and reports the Go heap
// and goroutine stacks each idle connection holds (the C benchmark's idle
// mode measures the whole process).
func BenchmarkIdleConnection(b *testing.B) {
	cert := testCert(b)
	benchmarkIdle(b, func() (*Conn, *Conn) {
		client, server, cerr, serr := handshakePair(b, Config{}, Config{Certificate: cert})
		if cerr != nil || serr != nil {
			b.Fatal(cerr, serr)
		}
		return client, server
	})
}

// benchmarkIdle opens 100 handshaken pairs made by pair and reports what
// each idle connection holds.
func benchmarkIdle(b *testing.B, pair func() (*Conn, *Conn)) {
	const pairs = 100
	if os.Getenv("DTLSGO_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for a per-connection profile
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < b.N; i++ {
		var conns []*Conn
		for j := 0; j < pairs; j++ {
			client, server := pair()
			conns = append(conns, client, server)
		}
		time.Sleep(100 * time.Millisecond)
		// Each GC halves the stacks that idle goroutines no longer need.
		for range 5 {
			runtime.GC()
		}
		runtime.ReadMemStats(&after)
		perConn := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / float64(len(conns))
		b.ReportMetric(perConn/1024, "KiB/conn")
		b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/float64(len(conns))/1024, "stackKiB/conn")
		b.ReportMetric(float64(runtime.NumGoroutine())/float64(len(conns)), "goroutines/conn")
		if os.Getenv("DTLSGO_GOROUTINES") != "" {
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		}
		if os.Getenv("DTLSGO_HEAPPROFILE") != "" {
			f, _ := os.Create(os.Getenv("DTLSGO_HEAPPROFILE"))
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

// BenchmarkHandshake is one full handshake between two Conns (ECDSA P-256
// server certificate, no client certificate), both sides in this process.
func BenchmarkHandshake(b *testing.B) {
	cert := testCert(b)
	b.ReportAllocs()
	for b.Loop() {
		client, server, cerr, serr := handshakePair(b, Config{}, Config{Certificate: cert})
		if cerr != nil || serr != nil {
			b.Fatal(cerr, serr)
		}
		client.Close()
		server.Close()
	}
}
