package trust

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// verifyCache remembers the chains an anchor set verified: a client that
// connects to the same server again and again is shown the same chain
// every time, and checking its signatures again is a good part of a
// handshake's CPU (each is a public-key verification). An
// entry is a successful verdict of verifyChain for one presented chain
// (every certificate, in order) and one purpose, against the set it
// belongs to (the database; a database's anchors never change); it holds
// only while the time is within the validity of every certificate of the
// path that verified, so no certificate can expire (or become valid) under
// it. Failures are not kept: they are rare, and stay exactly as judged. The
// identity is checked on every call (it is cheap, and callers differ).
type verifyCache struct {
	mu      sync.Mutex
	entries map[verifyKey]validity
}

type verifyKey struct {
	chain   [sha256.Size]byte
	purpose string
}

// validity is when a cached verdict holds: the latest NotBefore and the
// earliest NotAfter of its path.
type validity struct{ from, until time.Time }

// maxVerifyCache bounds the entries; when full the cache starts over.
const maxVerifyCache = 256

// verify is verifyChain through the set's cache.
func (s *anchorSet) verify(chain *Certificate, purpose string, now time.Time) CertificateFlags {
	key := verifyKey{chain: chainDigest(chain), purpose: purpose}
	c := &s.verified
	c.mu.Lock()
	v, ok := c.entries[key]
	c.mu.Unlock()
	if ok && !now.Before(v.from) && !now.After(v.until) {
		return 0
	}
	flags, path := verifyChainPath(chain, s, purpose, now)
	if flags != 0 || len(path) == 0 {
		return flags
	}
	v = validity{from: path[0].NotBefore, until: path[0].NotAfter}
	for _, p := range path[1:] {
		if p.NotBefore.After(v.from) {
			v.from = p.NotBefore
		}
		if p.NotAfter.Before(v.until) {
			v.until = p.NotAfter
		}
	}
	c.mu.Lock()
	if len(c.entries) >= maxVerifyCache || c.entries == nil {
		c.entries = make(map[verifyKey]validity)
	}
	c.entries[key] = v
	c.mu.Unlock()
	return 0
}

// chainDigest identifies a presented chain: the SHA-256 of its
// certificates' DER, each preceded by its length.
func chainDigest(chain *Certificate) [sha256.Size]byte {
	h := sha256.New()
	var n [4]byte
	for _, c := range chain.chain() {
		binary.BigEndian.PutUint32(n[:], uint32(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	return [sha256.Size]byte(h.Sum(nil))
}
