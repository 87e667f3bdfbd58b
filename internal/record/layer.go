package record

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
)

// Layer is dtlsgo's own record layer for application data once pion's
// handshake is done: pion writes each record through a goroutine and a
// channel hop and reads through two more, which costs several times the
// AES-GCM work itself. It takes over only the common case, the AES-GCM
// suites without connection IDs; everything else stays pion's.
//
// Sequence numbers (the GCM nonce) belong to Layer alone from the
// takeover on: pion still writes its own epoch-1 records after the
// handshake (close_notify, alerts, a retransmitted Finished), and the
// transport reseals each of them under the next number of Layer's
// counter, which starts well beyond pion's (SeqGap). No nonce is ever used twice and
// the peer sees one increasing sequence. Incoming application-data
// records of the current epoch are opened here, under a replay window that
// starts where pion's left off; every other record goes on to pion.
type Layer struct {
	Epoch         uint16
	local, remote cipher.AEAD
	localIV       [4]byte
	remoteIV      [4]byte
	nextSeq       atomic.Uint64

	replayMu sync.Mutex
	replay   replayWindow
	replay0  replayWindow // the peer's plaintext handshake records, after the takeover

	// Nonce and additional data of the hot paths, kept here because the
	// AEAD interface makes stack arrays escape: sendScratch belongs to the
	// connection's writer (under its write lock), openScratch to the
	// transport's reader.
	SendScratch, openScratch Scratch
}

type Scratch struct {
	nonce [12]byte
	aad   [13]byte
}

const (
	HeaderLen     = 13
	explicitNonce = 8
	gcmTag        = 16
	// Overhead is what a record adds to its payload.
	Overhead = HeaderLen + explicitNonce + gcmTag

	ContentAppData = 23
	MaxSeq         = 1<<48 - 1
	// SeqGap is Layer's first sequence number: beyond the few epoch-1
	// records pion sends (its Finished, retransmitted at most a few dozen
	// times in a handshake's minute, and whatever it sends meanwhile).
	SeqGap = 1 << 16
)

var ErrNoTakeover = errors.New("dtlsgo: record layer stays with pion")

// NewLayer derives the application-data keys of a completed handshake
// (st) from what sec gathered; it is errNoTakeover when the suite is not
// one it serves (AES-GCM) or the secrets do not check out.
func NewLayer(st *dtls.State, isClient bool, sec *Secrets) (*Layer, error) {
	suite, keys, err := sec.Keys(st)
	if err != nil || suite.kind != cipherGCM {
		return nil, ErrNoTakeover
	}
	localKey, localIV, remoteKey, remoteIV := keys.ClientWriteKey, keys.ClientWriteIV, keys.ServerWriteKey, keys.ServerWriteIV
	if !isClient {
		localKey, localIV, remoteKey, remoteIV = remoteKey, remoteIV, localKey, localIV
	}
	a := &Layer{Epoch: 1}
	if a.local, err = newGCM(localKey); err != nil {
		return nil, ErrNoTakeover
	}
	if a.remote, err = newGCM(remoteKey); err != nil {
		return nil, ErrNoTakeover
	}
	copy(a.localIV[:], localIV)
	copy(a.remoteIV[:], remoteIV)
	// pion has sent a Finished and perhaps its retransmissions under
	// epoch 1: far fewer than the gap.
	a.nextSeq.Store(SeqGap)
	// What pion delivered is never accepted again.
	for _, raw := range sec.earlyRecords() {
		if r, _, ok := Next(raw); ok {
			a.Open(nil, r)
		}
	}
	return a, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

var errSequenceExhausted = errors.New("dtlsgo: DTLS sequence numbers exhausted")

// Seal appends to dst one record of content type typ holding payload,
// under the next sequence number.
// sc is the caller's scratch (see Layer).
func (a *Layer) Seal(dst []byte, typ byte, payload []byte, sc *Scratch) ([]byte, error) {
	seq := a.nextSeq.Add(1) - 1
	if seq > MaxSeq {
		return dst, errSequenceExhausted
	}
	es := uint64(a.Epoch)<<48 | seq
	sc.setAAD(es, typ, len(payload))
	copy(sc.nonce[:4], a.localIV[:])
	binary.BigEndian.PutUint64(sc.nonce[4:], es)

	// The header is the additional data's first 11 bytes, then the length.
	dst = AppendHeader(dst, typ, es, explicitNonce+len(payload)+gcmTag)
	dst = append(dst, sc.nonce[4:]...)
	return a.local.Seal(dst, sc.nonce[:], payload, sc.aad[:]), nil
}

func (sc *Scratch) setAAD(epochSeq uint64, typ byte, n int) {
	binary.BigEndian.PutUint64(sc.aad[0:8], epochSeq)
	sc.aad[8] = typ
	sc.aad[9], sc.aad[10] = 0xfe, 0xfd
	binary.BigEndian.PutUint16(sc.aad[11:13], uint16(n))
}

// Open decrypts an application-data record of the current epoch into
// dst (appending), checking and then updating the replay window; ok is
// false for a record to drop.
func (a *Layer) Open(dst []byte, r Record) ([]byte, bool) {
	return a.OpenWith(dst, r, &a.openScratch)
}

// OpenWith is open with the caller's scratch, for a goroutine other than
// the transport's reader.
func (a *Layer) OpenWith(dst []byte, r Record, sc *Scratch) ([]byte, bool) {
	// The additional data spells the version as DTLS 1.2, so check the
	// record says so: a changed version must not pass as authentic.
	if len(r.Body) < explicitNonce+gcmTag || r.Raw[1] != 0xfe || r.Raw[2] != 0xfd {
		return dst, false
	}
	seq := r.EpochSeq & MaxSeq
	a.replayMu.Lock()
	fresh := a.replay.check(seq)
	a.replayMu.Unlock()
	if !fresh {
		return dst, false
	}
	out, err := openRecord(a.remote, &a.remoteIV, dst, r, sc)
	if err != nil {
		return dst, false // forged or corrupt: dropped silently (RFC 6347 4.1.2.7)
	}
	a.replayMu.Lock()
	a.replay.mark(seq)
	a.replayMu.Unlock()
	return out, true
}

// FreshHandshake reports whether r is a handshake record the peer sent
// (epoch 0, unauthenticated, or ours, authenticated) and that was not seen
// before: the peer sending its last flight again.
func (a *Layer) FreshHandshake(r Record) bool {
	switch r.Epoch {
	case 0:
		seq := r.EpochSeq & MaxSeq
		a.replayMu.Lock()
		defer a.replayMu.Unlock()
		if !a.replay0.check(seq) {
			return false
		}
		a.replay0.mark(seq)
		return true
	case a.Epoch:
		_, ok := a.Open(nil, r)
		return ok
	}
	return false
}

// Peek opens r as Open would, leaving the replay window alone: what a
// record will open as before it arrives (tests).
func (a *Layer) Peek(r Record) ([]byte, bool) {
	if len(r.Body) < explicitNonce+gcmTag {
		return nil, false
	}
	plain, err := openRecord(a.remote, &a.remoteIV, nil, r, new(Scratch))
	return plain, err == nil
}

// openRecord decrypts r (at least explicitNonce+gcmTag bytes of body)
// with aead and the implicit IV iv, appending to dst.
func openRecord(aead cipher.AEAD, iv *[4]byte, dst []byte, r Record, sc *Scratch) ([]byte, error) {
	copy(sc.nonce[:4], iv[:])
	copy(sc.nonce[4:], r.Body[:explicitNonce])
	ct := r.Body[explicitNonce:]
	sc.setAAD(r.EpochSeq, r.Type, len(ct)-gcmTag)
	return aead.Open(dst, sc.nonce[:], ct, sc.aad[:])
}

// Reseal rewrites a datagram pion wrote after the takeover: each record of
// the current epoch is opened with pion's sequence number and sealed again
// under Layer's next one; other records are copied as they are. A
// datagram it cannot parse is returned unchanged.
func (a *Layer) Reseal(d []byte) []byte {
	if !a.hasEpochRecord(d) {
		return d
	}
	out := make([]byte, 0, len(d))
	sc := new(Scratch) // pion's writes are rare and may run concurrently
	for rest := d; len(rest) > 0; {
		r, next, ok := Next(rest)
		if !ok {
			return d
		}
		rest = next
		if r.Epoch != a.Epoch {
			out = append(out, r.Raw...)
			continue
		}
		if len(r.Body) < explicitNonce+gcmTag {
			return d
		}
		plain, err := openRecord(a.local, &a.localIV, nil, r, sc)
		if err != nil {
			return d
		}
		if out, err = a.Seal(out, r.Type, plain, sc); err != nil {
			return d
		}
	}
	return out
}

func (a *Layer) hasEpochRecord(d []byte) bool {
	for r := range All(d) {
		if r.Epoch == a.Epoch {
			return true
		}
	}
	return false
}

// replayWindow is the sliding window of RFC 6347 4.1.2.6 over the 64
// sequence numbers up to the highest seen.
type replayWindow struct {
	top  uint64 // highest sequence number seen
	bits uint64 // bit i: top-i was seen
}

// init marks everything below next as seen (nothing, for 0).
func (w *replayWindow) init(next uint64) {
	if next == 0 {
		*w = replayWindow{}
		return
	}
	*w = replayWindow{top: next - 1, bits: ^uint64(0)}
}

func (w *replayWindow) check(seq uint64) bool {
	if seq > w.top {
		return true
	}
	d := w.top - seq
	return d < 64 && w.bits&(1<<d) == 0
}

func (w *replayWindow) mark(seq uint64) {
	if seq > w.top {
		shift := seq - w.top
		if shift >= 64 {
			w.bits = 0
		} else {
			w.bits <<= shift
		}
		w.top = seq
		w.bits |= 1
		return
	}
	if d := w.top - seq; d < 64 {
		w.bits |= 1 << d
	}
}
