package record

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
)

// ccm is AES-CCM (RFC 3610) with the 12-byte nonce of the DTLS suites
// (RFC 6655: a 3-byte length field) and a 16- or 8-byte tag. Go has no
// CCM, and pion's allocates several buffers per record; this one keeps
// its blocks in the struct, so sealing and opening allocate nothing. The
// blocks are shared, hence the mutex: each record direction has its own
// ccm, and a direction seals or opens one record at a time anyway.
type ccm struct {
	block cipher.Block
	tag   int

	mu            sync.Mutex
	mac, ctr, key [16]byte // CBC-MAC state, counter block, its keystream
}

const ccmNonce, ccmLenField = 12, 3

func newCCM(block cipher.Block, tag int) *ccm { return &ccm{block: block, tag: tag} }

func (c *ccm) NonceSize() int { return ccmNonce }
func (c *ccm) Overhead() int  { return c.tag }

var errCCMOpen = errors.New("dtlsgo: CCM record does not authenticate")

func (c *ccm) Seal(dst, nonce, plaintext, aad []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	ret, out := grow(dst, len(plaintext)+c.tag)
	c.cbcMAC(nonce, plaintext, aad) // before out overwrites an in-place plaintext
	var tag [16]byte
	c.xorStream(nonce, 0, tag[:c.tag], c.mac[:c.tag])
	c.xorStream(nonce, 1, out[:len(plaintext)], plaintext)
	copy(out[len(plaintext):], tag[:c.tag])
	return ret
}

func (c *ccm) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < c.tag {
		return nil, errCCMOpen
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(ciphertext) - c.tag
	var want [16]byte
	c.xorStream(nonce, 0, want[:c.tag], ciphertext[n:])
	ret, out := grow(dst, n)
	c.xorStream(nonce, 1, out, ciphertext[:n])
	c.cbcMAC(nonce, out, aad)
	if subtle.ConstantTimeCompare(c.mac[:c.tag], want[:c.tag]) != 1 {
		clear(out)
		return nil, errCCMOpen
	}
	return ret, nil
}

// cbcMAC leaves in c.mac the CBC-MAC of the nonce's first block B0, the
// additional data (with its 2-byte length, the DTLS AAD being short) and
// msg, each padded with zeros to whole blocks.
func (c *ccm) cbcMAC(nonce, msg, aad []byte) {
	c.mac[0] = byte(8*((c.tag-2)/2) + ccmLenField - 1)
	if len(aad) > 0 {
		c.mac[0] |= 0x40
	}
	copy(c.mac[1:], nonce)
	c.mac[13], c.mac[14], c.mac[15] = byte(len(msg)>>16), byte(len(msg)>>8), byte(len(msg))
	c.block.Encrypt(c.mac[:], c.mac[:])
	if len(aad) > 0 {
		// The length, then as much of the data as fits the first block.
		var head [2]byte
		binary.BigEndian.PutUint16(head[:], uint16(len(aad)))
		c.mac[0] ^= head[0]
		c.mac[1] ^= head[1]
		k := subtle.XORBytes(c.mac[2:], c.mac[2:], aad)
		c.block.Encrypt(c.mac[:], c.mac[:])
		c.absorb(aad[k:])
	}
	c.absorb(msg)
}

// absorb runs the CBC-MAC over b, zero-padded to whole blocks.
func (c *ccm) absorb(b []byte) {
	for len(b) > 0 {
		k := subtle.XORBytes(c.mac[:], c.mac[:], b)
		c.block.Encrypt(c.mac[:], c.mac[:])
		b = b[k:]
	}
}

// xorStream XORs src into dst with the CTR keystream from counter i on.
func (c *ccm) xorStream(nonce []byte, i uint32, dst, src []byte) {
	c.ctr[0] = ccmLenField - 1
	copy(c.ctr[1:], nonce)
	for len(src) > 0 {
		c.ctr[13], c.ctr[14], c.ctr[15] = byte(i>>16), byte(i>>8), byte(i)
		c.block.Encrypt(c.key[:], c.ctr[:])
		k := subtle.XORBytes(dst, src, c.key[:])
		dst, src = dst[k:], src[k:]
		i++
	}
}

// grow extends dst by n bytes: the whole slice and the new part.
func grow(dst []byte, n int) (whole, tail []byte) {
	if total := len(dst) + n; cap(dst) >= total {
		whole = dst[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, dst)
	}
	return whole, whole[len(dst):]
}
