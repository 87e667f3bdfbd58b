package dtlsgo

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
)

// appLayer is dtlsgo's own record layer for application data once pion's
// handshake is done: pion writes each record through a goroutine and a
// channel hop and reads through two more, which costs several times the
// AES-GCM work itself. It takes over only the common case, the AES-GCM
// suites without connection IDs; everything else stays pion's.
//
// Sequence numbers (the GCM nonce) belong to appLayer alone from the
// takeover on: pion still writes its own epoch-1 records after the
// handshake (close_notify, alerts, a retransmitted Finished), and the
// transport reseals each of them under the next number of appLayer's
// counter, which starts well beyond pion's (seqGap). No nonce is ever used twice and
// the peer sees one increasing sequence. Incoming application-data
// records of the current epoch are opened here, under a replay window that
// starts where pion's left off; every other record goes on to pion.
type appLayer struct {
	epoch         uint16
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
	sendScratch, openScratch aeadScratch
}

type aeadScratch struct {
	nonce [12]byte
	aad   [13]byte
}

const (
	recordHeaderLen = 13
	explicitNonce   = 8
	gcmTag          = 16
	// appOverhead is what a record adds to its payload.
	appOverhead = recordHeaderLen + explicitNonce + gcmTag

	contentAppData = 23
	maxSeq         = 1<<48 - 1
	// seqGap is appLayer's first sequence number: beyond the few epoch-1
	// records pion sends (its Finished, retransmitted at most a few dozen
	// times in a handshake's minute, and whatever it sends meanwhile).
	seqGap = 1 << 16
)

var errNoTakeover = errors.New("dtlsgo: record layer stays with pion")

// newAppLayer derives the application-data keys of a completed handshake
// (st) from what sec gathered; it is errNoTakeover when the suite is not
// one it serves (AES-GCM) or the secrets do not check out.
func newAppLayer(st *dtls.State, isClient bool, sec *sessionSecrets) (*appLayer, error) {
	suite, keys, err := sec.keys(st)
	if err != nil || suite.kind != cipherGCM {
		return nil, errNoTakeover
	}
	localKey, localIV, remoteKey, remoteIV := keys.ClientWriteKey, keys.ClientWriteIV, keys.ServerWriteKey, keys.ServerWriteIV
	if !isClient {
		localKey, localIV, remoteKey, remoteIV = remoteKey, remoteIV, localKey, localIV
	}
	a := &appLayer{epoch: 1}
	if a.local, err = newGCM(localKey); err != nil {
		return nil, errNoTakeover
	}
	if a.remote, err = newGCM(remoteKey); err != nil {
		return nil, errNoTakeover
	}
	copy(a.localIV[:], localIV)
	copy(a.remoteIV[:], remoteIV)
	// pion has sent a Finished and perhaps its retransmissions under
	// epoch 1: far fewer than the gap.
	a.nextSeq.Store(seqGap)
	// What pion delivered is never accepted again.
	for _, raw := range sec.earlyRecords() {
		if r, _, ok := nextRecord(raw); ok {
			a.open(nil, r)
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

// seal appends to dst one record of content type typ holding payload,
// under the next sequence number.
// sc is the caller's scratch (see appLayer).
func (a *appLayer) seal(dst []byte, typ byte, payload []byte, sc *aeadScratch) ([]byte, error) {
	seq := a.nextSeq.Add(1) - 1
	if seq > maxSeq {
		return dst, errSequenceExhausted
	}
	es := uint64(a.epoch)<<48 | seq
	sc.setAAD(es, typ, len(payload))
	copy(sc.nonce[:4], a.localIV[:])
	binary.BigEndian.PutUint64(sc.nonce[4:], es)

	// The header is the additional data's first 11 bytes, then the length.
	dst = append(dst, typ, 0xfe, 0xfd)
	dst = binary.BigEndian.AppendUint64(dst, es)
	dst = binary.BigEndian.AppendUint16(dst, uint16(explicitNonce+len(payload)+gcmTag))
	dst = append(dst, sc.nonce[4:]...)
	return a.local.Seal(dst, sc.nonce[:], payload, sc.aad[:]), nil
}

func (sc *aeadScratch) setAAD(epochSeq uint64, typ byte, n int) {
	binary.BigEndian.PutUint64(sc.aad[0:8], epochSeq)
	sc.aad[8] = typ
	sc.aad[9], sc.aad[10] = 0xfe, 0xfd
	binary.BigEndian.PutUint16(sc.aad[11:13], uint16(n))
}

// record is one DTLS record inside a datagram.
type record struct {
	typ      byte
	epoch    uint16
	epochSeq uint64 // epoch<<48 | sequence number
	body     []byte // after the header
	raw      []byte // header and body
}

// nextRecord splits the first record off d; ok is false when d does not
// start with a whole record.
func nextRecord(d []byte) (r record, rest []byte, ok bool) {
	if len(d) < recordHeaderLen {
		return r, nil, false
	}
	n := int(binary.BigEndian.Uint16(d[11:13]))
	if len(d) < recordHeaderLen+n {
		return r, nil, false
	}
	r.typ = d[0]
	r.epochSeq = binary.BigEndian.Uint64(d[3:11])
	r.epoch = uint16(r.epochSeq >> 48)
	r.body = d[recordHeaderLen : recordHeaderLen+n]
	r.raw = d[:recordHeaderLen+n]
	return r, d[recordHeaderLen+n:], true
}

// records yields the whole records d starts with, up to the first that is
// cut short.
func records(d []byte) iter.Seq[record] {
	return func(yield func(record) bool) {
		for len(d) > 0 {
			r, rest, ok := nextRecord(d)
			if !ok || !yield(r) {
				return
			}
			d = rest
		}
	}
}

// splitOff hands each whole record of d to take and returns, in order,
// those it did not take and any tail that is not a whole record.
func splitOff(d []byte, take func(r record) bool) (rest []byte) {
	for len(d) > 0 {
		r, next, ok := nextRecord(d)
		if !ok {
			return append(rest, d...)
		}
		d = next
		if !take(r) {
			rest = append(rest, r.raw...)
		}
	}
	return rest
}

// open decrypts an application-data record of the current epoch into
// dst (appending), checking and then updating the replay window; ok is
// false for a record to drop.
func (a *appLayer) open(dst []byte, r record) ([]byte, bool) {
	return a.openWith(dst, r, &a.openScratch)
}

// openWith is open with the caller's scratch, for a goroutine other than
// the transport's reader.
func (a *appLayer) openWith(dst []byte, r record, sc *aeadScratch) ([]byte, bool) {
	// The additional data spells the version as DTLS 1.2, so check the
	// record says so: a changed version must not pass as authentic.
	if len(r.body) < explicitNonce+gcmTag || r.raw[1] != 0xfe || r.raw[2] != 0xfd {
		return dst, false
	}
	seq := r.epochSeq & maxSeq
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

// freshHandshake reports whether r is a handshake record the peer sent
// (epoch 0, unauthenticated, or ours, authenticated) and that was not seen
// before: the peer sending its last flight again.
func (a *appLayer) freshHandshake(r record) bool {
	switch r.epoch {
	case 0:
		seq := r.epochSeq & maxSeq
		a.replayMu.Lock()
		defer a.replayMu.Unlock()
		if !a.replay0.check(seq) {
			return false
		}
		a.replay0.mark(seq)
		return true
	case a.epoch:
		_, ok := a.open(nil, r)
		return ok
	}
	return false
}

// openRecord decrypts r (at least explicitNonce+gcmTag bytes of body)
// with aead and the implicit IV iv, appending to dst.
func openRecord(aead cipher.AEAD, iv *[4]byte, dst []byte, r record, sc *aeadScratch) ([]byte, error) {
	copy(sc.nonce[:4], iv[:])
	copy(sc.nonce[4:], r.body[:explicitNonce])
	ct := r.body[explicitNonce:]
	sc.setAAD(r.epochSeq, r.typ, len(ct)-gcmTag)
	return aead.Open(dst, sc.nonce[:], ct, sc.aad[:])
}

// reseal rewrites a datagram pion wrote after the takeover: each record of
// the current epoch is opened with pion's sequence number and sealed again
// under appLayer's next one; other records are copied as they are. A
// datagram it cannot parse is returned unchanged.
func (a *appLayer) reseal(d []byte) []byte {
	if !a.hasEpochRecord(d) {
		return d
	}
	out := make([]byte, 0, len(d))
	sc := new(aeadScratch) // pion's writes are rare and may run concurrently
	for rest := d; len(rest) > 0; {
		r, next, ok := nextRecord(rest)
		if !ok {
			return d
		}
		rest = next
		if r.epoch != a.epoch {
			out = append(out, r.raw...)
			continue
		}
		if len(r.body) < explicitNonce+gcmTag {
			return d
		}
		plain, err := openRecord(a.local, &a.localIV, nil, r, sc)
		if err != nil {
			return d
		}
		if out, err = a.seal(out, r.typ, plain, sc); err != nil {
			return d
		}
	}
	return out
}

func (a *appLayer) hasEpochRecord(d []byte) bool {
	for r := range records(d) {
		if r.epoch == a.epoch {
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
