package tlsstream

import "sync"

// chunkSize is one full TLS record's plaintext: the most the reader reads
// at a time, and the most a queued write's chunk holds.
const chunkSize = 16 << 10

// chunk is bytes on their way through a Conn, in a buffer shared between
// connections (so that a stream of reads and writes allocates nothing and
// an idle connection holds no buffer of its own but the reader's), or, for
// a small write, in a copy of their own.
type chunk struct {
	buf  *[chunkSize]byte // pooled, or nil
	data []byte           // what is left to take
}

var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// smallChunk: fewer bytes than this get a copy of their own, so that many
// small writes queued, or small reads not yet taken, do not hold a pooled
// buffer each. The reader waits for the peer with a buffer this size.
const smallChunk = 1 << 10

func newChunk() chunk {
	buf := chunkPool.Get().(*[chunkSize]byte)
	return chunk{buf: buf, data: buf[:]}
}

// copyChunk holds a copy of p (at most chunkSize bytes of it).
func copyChunk(p []byte) chunk {
	if len(p) < smallChunk {
		return chunk{data: append([]byte(nil), p...)}
	}
	c := newChunk()
	c.data = c.data[:copy(c.data, p)]
	return c
}

// release gives a pooled buffer back; c's bytes are not used again.
func (c *chunk) release() {
	if c.buf != nil {
		chunkPool.Put(c.buf)
	}
	*c = chunk{}
}
