package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// protection seals or opens the records of one direction with one suite's
// cipher and keys. Each record format differs only in the body around the
// payload:
//   - AES-GCM and AES-CCM (RFC 5288, RFC 6655): an 8-byte explicit nonce
//     (the epoch and sequence number) after the 4-byte implicit salt, then
//     the ciphertext and its tag (16 bytes, 8 for CCM_8);
//   - ChaCha20-Poly1305 (RFC 7905): no explicit nonce, the nonce being the
//     12-byte IV XORed with the epoch and sequence number;
//   - CBC (RFC 5246 6.2.3.2): a random IV, then the payload, its HMAC and
//     padding, encrypted together (MAC-then-encrypt).
//
// Every AEAD authenticates the same additional data: the epoch and
// sequence number, the content type, the version and the payload's length
// (RFC 5246 6.2.3.3), or for a connection-ID record RFC 9146 section 5's.
type protection struct {
	kind     cipherKind
	aead     cipher.AEAD
	iv       [12]byte // GCM, CCM: the 4-byte salt first; ChaCha20: all 12
	explicit int      // bytes of nonce or IV the record carries
	tag      int      // AEAD tag, or CBC's MAC

	// CBC's state is not safe for concurrent use: mu guards it.
	mu    sync.Mutex
	block cipher.Block
	enc   cbcMode
	dec   cbcMode
	mac   hash.Hash
}

// cbcMode is Go's CBC mode, whose IV can be set for each record.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

var errBadKeys = errors.New("dtlsgo: the suite's keys do not fit its cipher")

// newProtection keys one direction of suite: key and iv from the key block
// (iv is the implicit salt or IV; unused for CBC), macKey for CBC.
func newProtection(suite Cipher, key, iv, macKey []byte) (*protection, error) {
	p := &protection{kind: suite.kind}
	var err error
	switch suite.kind {
	case cipherChaCha20Poly1305:
		p.aead, err = chacha20poly1305.New(key)
	case cipherGCM, cipherCCM, cipherCCM8:
		var block cipher.Block
		if block, err = aes.NewCipher(key); err != nil {
			return nil, err
		}
		switch suite.kind {
		case cipherGCM:
			p.aead, err = cipher.NewGCM(block)
		case cipherCCM:
			p.aead = newCCM(block, 16)
		default:
			p.aead = newCCM(block, 8)
		}
		p.explicit = explicitNonce
	case cipherCBC:
		if p.block, err = aes.NewCipher(key); err != nil {
			return nil, err
		}
		zero := make([]byte, aes.BlockSize)
		enc, ok1 := cipher.NewCBCEncrypter(p.block, zero).(cbcMode)
		dec, ok2 := cipher.NewCBCDecrypter(p.block, zero).(cbcMode)
		if !ok1 || !ok2 {
			return nil, errBadKeys
		}
		p.enc, p.dec = enc, dec
		p.mac = hmac.New(suite.macHash, macKey)
		p.explicit, p.tag = aes.BlockSize, p.mac.Size()
		return p, nil
	default:
		return nil, errBadKeys
	}
	if err != nil {
		return nil, err
	}
	if len(iv) > len(p.iv) {
		return nil, errBadKeys
	}
	copy(p.iv[:], iv)
	p.tag = p.aead.Overhead()
	return p, nil
}

// overhead is the most a record's body adds to n bytes of payload.
func (p *protection) overhead(n int) int {
	if p.kind == cipherCBC {
		return p.explicit + p.tag + aes.BlockSize - (n+p.tag)%aes.BlockSize
	}
	return p.explicit + p.tag
}

// nonce fills sc.nonce for the record of epochSeq.
func (p *protection) nonce(sc *Scratch, epochSeq uint64) {
	sc.nonce = p.iv
	if p.kind == cipherChaCha20Poly1305 {
		for i := range 8 {
			sc.nonce[4+i] ^= byte(epochSeq >> (56 - 8*i))
		}
		return
	}
	binary.BigEndian.PutUint64(sc.nonce[4:], epochSeq)
}

// seal protects a record in place: rec[start:] is the body, explicit
// bytes left for the nonce or IV and then the payload, which is encrypted
// and followed by its tag (CBC: MAC and padding). h is the record's header.
func (p *protection) seal(rec []byte, start int, h aadHeader, sc *Scratch) []byte {
	payload := rec[start+p.explicit:]
	aad := sc.additionalData(h, len(payload))
	if p.kind == cipherCBC {
		return p.sealCBC(rec, start, aad, sc)
	}
	p.nonce(sc, h.epochSeq)
	copy(rec[start:], sc.nonce[4:4+p.explicit])
	return p.aead.Seal(rec[:start+p.explicit], sc.nonce[:], payload, aad)
}

// open appends the payload of body, the body of a record with header h,
// to dst; ok is false when it does not authenticate.
func (p *protection) open(dst []byte, h aadHeader, body []byte, sc *Scratch) ([]byte, bool) {
	if p.kind == cipherCBC {
		return p.openCBC(dst, h, body, sc)
	}
	if len(body) < p.explicit+p.tag {
		return dst, false
	}
	p.nonce(sc, h.epochSeq)
	if p.explicit > 0 {
		// GCM and CCM take the nonce the record carries.
		copy(sc.nonce[4:], body[:p.explicit])
	}
	ct := body[p.explicit:]
	out, err := p.aead.Open(dst, sc.nonce[:], ct, sc.additionalData(h, len(ct)-p.tag))
	if err != nil {
		return dst, false
	}
	return out, true
}

func (p *protection) sealCBC(rec []byte, start int, aad []byte, sc *Scratch) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mac.Reset()
	p.mac.Write(aad)
	p.mac.Write(rec[start+p.explicit:])
	rec = append(rec, p.mac.Sum(sc.mac[:0])...)
	pad := aes.BlockSize - (len(rec)-start-p.explicit)%aes.BlockSize
	for range pad {
		rec = append(rec, byte(pad-1))
	}
	iv := rec[start : start+p.explicit] // after the appends, which may move rec
	if _, err := rand.Read(iv); err != nil {
		panic(err) // crypto/rand does not fail (Go 1.24)
	}
	p.enc.SetIV(iv)
	p.enc.CryptBlocks(rec[start+p.explicit:], rec[start+p.explicit:])
	return rec
}

// openCBC decrypts into dst and checks padding and MAC without branching
// on either (a padding oracle must learn nothing from the time taken
// beyond the record's length).
func (p *protection) openCBC(dst []byte, h aadHeader, body []byte, sc *Scratch) ([]byte, bool) {
	n := len(body) - p.explicit
	if n <= 0 || n%aes.BlockSize != 0 || n < p.tag+1 {
		return dst, false
	}
	start := len(dst)
	dst = append(dst, body[p.explicit:]...)
	plain := dst[start:]
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dec.SetIV(body[:p.explicit])
	p.dec.CryptBlocks(plain, plain)

	padLen, good := checkPadding(plain, p.tag)
	end := len(plain) - p.tag - padLen
	p.mac.Reset()
	p.mac.Write(sc.additionalData(h, end))
	p.mac.Write(plain[:end])
	mac := p.mac.Sum(sc.mac[:0])
	good &= subtle.ConstantTimeCompare(mac, plain[end:end+p.tag])
	if good != 1 {
		return dst[:start], false
	}
	return dst[:start+end], true
}

// checkPadding returns the length of plain's padding (its last byte plus
// one) and 1 when every padding byte holds that value and tag bytes of MAC
// fit before it; with bad padding, a length of 0 (the MAC then fails).
func checkPadding(plain []byte, tag int) (int, int) {
	last := int(plain[len(plain)-1])
	padLen := last + 1
	good := subtle.ConstantTimeLessOrEq(padLen+tag, len(plain))
	// Look at the last 256 bytes whatever the padding says.
	for i := 1; i <= 256 && i <= len(plain); i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, padLen)
		same := subtle.ConstantTimeByteEq(plain[len(plain)-i], byte(last))
		good &= same | (inPad ^ 1)
	}
	return subtle.ConstantTimeSelect(good, padLen, 0), good
}

// aadHeader is what a record's additional data (CBC: its MAC's header)
// covers besides the payload's length.
type aadHeader struct {
	epochSeq uint64
	typ      byte   // the record's type: ContentCID for a connection-ID record
	cid      []byte // a connection-ID record's ID
}

// Scratch holds the nonce, additional data and MAC of one record being
// sealed or opened, kept by its caller because the cipher interfaces make
// stack arrays escape: one per goroutine that seals or opens at a time.
// Callers borrow it for a call (a pool, or a pooled buffer holding one):
// kept by each connection, it would be a tenth of an idle one's heap.
type Scratch struct {
	nonce [12]byte
	mac   [32]byte // CBC: up to SHA-256
	aad   [8 + 3 + 2 + 8 + MaxConnectionIDLength + 2]byte
}

var scratches = sync.Pool{New: func() any { return new(Scratch) }}

// additionalData builds h's additional data for n bytes of payload (RFC
// 5246 6.2.3.3; RFC 9146 section 5 for a connection-ID record, where n
// counts the inner plaintext).
func (sc *Scratch) additionalData(h aadHeader, n int) []byte {
	a := sc.aad[:0]
	if h.typ == ContentCID {
		a = binary.BigEndian.AppendUint64(a, 1<<64-1)
		a = append(a, ContentCID, byte(len(h.cid)), ContentCID, 0xfe, 0xfd)
		a = binary.BigEndian.AppendUint64(a, h.epochSeq)
		a = append(a, h.cid...)
	} else {
		a = binary.BigEndian.AppendUint64(a, h.epochSeq)
		a = append(a, h.typ, 0xfe, 0xfd)
	}
	return binary.BigEndian.AppendUint16(a, uint16(n))
}
