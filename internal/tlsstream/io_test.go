package tlsstream

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// readFull reads n bytes from c with reads of at most step bytes.
func readFull(t *testing.T, c *Conn, n, step int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make([]byte, 0, n)
	buf := make([]byte, step)
	for len(got) < n {
		k, err := c.Read(ctx, buf[:min(step, n-len(got))], false)
		if err != nil || k == 0 {
			t.Fatalf("read after %d of %d bytes: %d %v", len(got), n, k, err)
		}
		got = append(got, buf[:k]...)
	}
	return got
}

func writeAll(t *testing.T, c *Conn, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n, err := c.Write(context.Background(), p, false)
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		p = p[n:]
	}
}

// Writes around the reader's buffer sizes (its small buffer, a chunk, the
// read-ahead limit, the write queue's) arrive whole and in order, read in
// small and large pieces.
func TestEveryWriteSizeArrivesInOrder(t *testing.T) {
	client, server, _ := pair(t, nil)
	sizes := []int{1, smallChunk - 1, smallChunk, smallChunk + 1, chunkSize - smallChunk,
		chunkSize - 1, chunkSize, chunkSize + 1, readAheadLimit + 3, writeQueueLimit + 5, 7}
	var sent []byte
	for i, size := range sizes {
		p := make([]byte, size)
		for j := range p {
			p[j] = byte(i*31 + j)
		}
		sent = append(sent, p...)
	}
	go func() {
		for off, size := 0, 0; len(sizes) > 0; off += size {
			size, sizes = sizes[0], sizes[1:]
			writeAll(t, server, sent[off:off+size])
		}
	}()
	var got []byte
	for _, step := range []int{7, 64 << 10} {
		half := len(sent) / 2
		if step != 7 {
			half = len(sent) - len(got)
		}
		got = append(got, readFull(t, client, half, step)...)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("the bytes read are not the bytes written")
	}
}

// A record that exactly fills the reader's small buffer, or a chunk, is
// readable at once: the reader does not keep it while it waits for more.
func TestARecordEndingAtABufferEdgeIsReadableAtOnce(t *testing.T) {
	client, server, _ := pair(t, nil)
	// Past crypto/tls's first, smaller records, so that later writes of a
	// chunk go as one full record each.
	ramp := make([]byte, 256<<10)
	writeAll(t, server, ramp)
	readFull(t, client, len(ramp), 64<<10)
	// A short record first each time, after which the reader waits with its
	// small buffer; after a full one, with a chunk.
	for _, size := range []int{100, smallChunk, chunkSize, chunkSize, 100, smallChunk, 100, chunkSize} {
		p := bytes.Repeat([]byte{byte(size)}, size)
		writeAll(t, server, p)
		if got := readFull(t, client, size, 64<<10); !bytes.Equal(got, p) {
			t.Fatalf("a write of %d bytes arrived changed", size)
		}
	}
}

// A blocking read on the caller's thread that times out or is cancelled
// reports it, and the connection reads on: what comes later arrives whole.
func TestAnInterruptedReadLosesNothing(t *testing.T) {
	client, server, _ := pair(t, nil)
	buf := make([]byte, 64)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := client.Read(ctx, buf, false); code(err) != CodeTimedOut {
		t.Fatalf("a read that timed out: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := client.Read(ctx, buf, false); code(err) != CodeCancelled {
		t.Fatalf("a cancelled read: %v", err)
	}
	p := bytes.Repeat([]byte("after "), 5000)
	writeAll(t, server, p)
	if got := readFull(t, client, len(p), 100); !bytes.Equal(got, p) {
		t.Fatal("the bytes after the interrupted reads arrived changed")
	}
}

// Closing the read side wakes a blocked read, which reports CLOSED.
func TestShutdownReadWakesABlockedRead(t *testing.T) {
	client, _, _ := pair(t, nil)
	assertWakesABlockedRead(t, client, client.ShutdownRead)
}

// Asking for readiness while a read waits on the caller's thread starts
// the reader, which reads only after that read: the bytes stay in order,
// and readiness then tells when there is something to read.
func TestReadinessDuringABlockedReadKeepsTheOrder(t *testing.T) {
	client, server, _ := pair(t, nil)
	first := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 10)
		n, err := client.Read(context.Background(), buf, false)
		if err != nil {
			t.Errorf("the first read: %v", err)
		}
		first <- buf[:n]
	}()
	time.Sleep(50 * time.Millisecond)
	if in, _ := client.Readiness(); in {
		t.Fatal("readable before anything was sent")
	}
	p := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	writeAll(t, server, p)
	got := <-first
	deadline := time.Now().Add(10 * time.Second)
	for {
		if in, _ := client.Readiness(); in {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never readable")
		}
		time.Sleep(time.Millisecond)
	}
	rest := make([]byte, 64)
	n, err := client.Read(context.Background(), rest, true)
	if err != nil {
		t.Fatalf("a non-blocking read once readable: %v", err)
	}
	got = append(got, rest[:n]...)
	if !bytes.Equal(got, p) {
		t.Fatalf("read %q, sent %q", got, p)
	}
}

// A peer that does not read: writes fill the socket, then the backlog up
// to the queue's limit; then a non-blocking write would block, a blocking
// one waits until its context ends, and the connection is not writable.
// Once the peer reads, every byte taken arrives, in order, and the close
// that follows comes after them.
func TestWritesToAPeerThatDoesNotReadStopCleanly(t *testing.T) {
	client, server, _ := pair(t, nil)
	var sent []byte
	block := make([]byte, 16<<10)
	for i := 0; ; i++ {
		for j := range block {
			block[j] = byte(i + j/7)
		}
		n, err := client.Write(context.Background(), block, true)
		if code(err) == CodeWouldBlock {
			break
		}
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		sent = append(sent, block[:n]...)
		if len(sent) > 256<<20 {
			t.Fatal("writes never stopped")
		}
	}
	if _, out := client.Readiness(); out {
		t.Fatal("writable with the queue full")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := client.Write(ctx, block, false); code(err) != CodeTimedOut {
		t.Fatalf("a blocking write to a full queue: %v", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- client.Close(context.Background()) }()
	if got := readFull(t, server, len(sent), 64<<10); !bytes.Equal(got, sent) {
		t.Fatal("the bytes read are not the bytes written")
	}
	if n, err := server.Read(context.Background(), block, false); n != 0 || err != nil {
		t.Fatalf("after the last byte: %d %v, not the end of the stream", n, err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
}
