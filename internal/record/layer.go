package record

import (
	"bytes"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3/pkg/crypto/prf"
)

// Layer is dtlsgo's own record layer for application data once pion's
// handshake is done: pion writes each record through a goroutine and a
// channel hop and reads through two more, which costs several times the
// cipher's work itself. It takes over after every handshake, whatever the
// suite (protection.go) and with or without connection IDs.
//
// Sequence numbers (the AEAD nonce) belong to Layer alone from the
// takeover on: pion still writes its own epoch-1 records after the
// handshake (a retransmitted Finished), and the transport reseals each of
// them under the next number of Layer's counter, which starts well beyond
// pion's (SeqGap). No nonce is ever used twice and the peer sees one
// increasing sequence. Incoming records of the current epoch are opened
// here, under a replay window that starts where pion's left off.
type Layer struct {
	Epoch         uint16
	local, remote *protection
	// Connection IDs (RFC 9146), nil when none: sendCID is the peer's
	// choice, in every record we send; recvCID ours, in every record it
	// sends.
	sendCID, recvCID []byte
	nextSeq          atomic.Uint64

	replayMu sync.Mutex
	replay   replayWindow
	replay0  replayWindow // the peer's plaintext handshake records, after the takeover
}

const (
	HeaderLen     = 13
	explicitNonce = 8

	ContentAppData = 23
	MaxSeq         = 1<<48 - 1
	// SeqGap is Layer's first sequence number: beyond the few epoch-1
	// records pion sends (its Finished, retransmitted at most a few dozen
	// times in a handshake's minute, and whatever it sends meanwhile).
	SeqGap = 1 << 16
)

var ErrNoTakeover = errors.New("dtlsgo: the record layer cannot take over")

// NewLayer keys the record layer of session sess, whose handshake sec
// watched (the peer's application-data records pion was given are never
// accepted again); it is ErrNoTakeover when the keys do not fit.
func NewLayer(sess *Session, isClient bool, sec *Secrets) (*Layer, error) {
	suite := sess.Suite
	keys, err := sess.Keys()
	if err != nil {
		return nil, ErrNoTakeover
	}
	sendCID, recvCID := sess.IDs.Server, sess.IDs.Client
	if !isClient {
		sendCID, recvCID = recvCID, sendCID
	}
	a, err := newLayer(suite, keys, isClient, sendCID, recvCID)
	if err != nil {
		return nil, ErrNoTakeover
	}
	// What pion delivered is never accepted again.
	for _, raw := range sec.earlyRecords() {
		if r, _, ok := NextCID(raw, len(recvCID)); ok {
			a.Open(nil, r)
		}
	}
	return a, nil
}

// newLayer keys a record layer for epoch 1 from the key block.
func newLayer(suite Cipher, keys *prf.EncryptionKeys, isClient bool, sendCID, recvCID []byte) (*Layer, error) {
	localKey, localIV, localMAC := keys.ClientWriteKey, keys.ClientWriteIV, keys.ClientMACKey
	remoteKey, remoteIV, remoteMAC := keys.ServerWriteKey, keys.ServerWriteIV, keys.ServerMACKey
	if !isClient {
		localKey, localIV, localMAC, remoteKey, remoteIV, remoteMAC = remoteKey, remoteIV, remoteMAC, localKey, localIV, localMAC
	}
	a := &Layer{Epoch: 1}
	if len(sendCID) > 0 {
		a.sendCID = bytes.Clone(sendCID)
	}
	if len(recvCID) > 0 {
		a.recvCID = bytes.Clone(recvCID)
	}
	var err error
	if a.local, err = newProtection(suite, localKey, localIV, localMAC); err != nil {
		return nil, err
	}
	if a.remote, err = newProtection(suite, remoteKey, remoteIV, remoteMAC); err != nil {
		return nil, err
	}
	// pion has sent a Finished and perhaps its retransmissions under
	// epoch 1: far fewer than the gap.
	a.nextSeq.Store(SeqGap)
	return a, nil
}

var errSequenceExhausted = errors.New("dtlsgo: DTLS sequence numbers exhausted")

// ConnectionIDs are the IDs of the records the layer sends and of those
// it opens, nil when none (RFC 9146).
func (a *Layer) ConnectionIDs() (send, recv []byte) { return a.sendCID, a.recvCID }

// Overhead is what a record adds to n bytes of payload.
func (a *Layer) Overhead(n int) int {
	inner := n
	if a.sendCID != nil {
		inner++ // the inner plaintext's content type
	}
	return HeaderLen + len(a.sendCID) + inner - n + a.local.overhead(inner)
}

// zeros is room for a record's explicit nonce or IV, filled when sealed.
var zeros [16]byte

// Seal appends to dst one record of content type typ holding payload,
// under the next sequence number; with connection IDs, a tls12_cid record
// whose inner plaintext carries typ (RFC 9146, no padding).
// sc is the caller's scratch (see Layer).
func (a *Layer) Seal(dst []byte, typ byte, payload []byte, sc *Scratch) ([]byte, error) {
	seq := a.nextSeq.Add(1) - 1
	if seq > MaxSeq {
		return dst, errSequenceExhausted
	}
	return a.sealAt(dst, typ, uint64(a.Epoch)<<48|seq, payload, sc), nil
}

func (a *Layer) sealAt(dst []byte, typ byte, epochSeq uint64, payload []byte, sc *Scratch) []byte {
	h := aadHeader{epochSeq: epochSeq, typ: typ}
	inner := len(payload)
	if a.sendCID != nil {
		h.typ, h.cid = ContentCID, a.sendCID
		inner++
	}
	dst = appendHeaderCID(dst, h.typ, epochSeq, h.cid, inner+a.local.overhead(inner))
	start := len(dst)
	dst = append(dst, zeros[:a.local.explicit]...)
	dst = append(dst, payload...)
	if a.sendCID != nil {
		dst = append(dst, typ)
	}
	return a.local.seal(dst, start, h, sc)
}

// SplitOff is record.SplitOff for a datagram from the peer.
func (a *Layer) SplitOff(d []byte, take func(r Record) bool) []byte {
	return SplitOffCID(d, len(a.recvCID), take)
}

// Next splits the first record off d, a datagram from the peer.
func (a *Layer) Next(d []byte) (Record, []byte, bool) { return NextCID(d, len(a.recvCID)) }

// All yields the records of d, a datagram from the peer.
func (a *Layer) All(d []byte) iter.Seq[Record] { return AllCID(d, len(a.recvCID)) }

// Open decrypts a record of the current epoch into dst (appending),
// checking and then updating the replay window; typ is its content type
// (a connection-ID record's inner one); ok is false for a record to drop.
func (a *Layer) Open(dst []byte, r Record) (typ byte, out []byte, ok bool) {
	sc := scratches.Get().(*Scratch)
	typ, out, ok = a.OpenWith(dst, r, sc)
	scratches.Put(sc)
	return typ, out, ok
}

// OpenWith is Open with the caller's scratch.
func (a *Layer) OpenWith(dst []byte, r Record, sc *Scratch) (typ byte, out []byte, ok bool) {
	// The additional data spells the version as DTLS 1.2, so check the
	// record says so: a changed version must not pass as authentic.
	if r.Epoch != a.Epoch || r.Raw[1] != 0xfe || r.Raw[2] != 0xfd ||
		(r.Type == ContentCID) != (a.recvCID != nil) || !bytes.Equal(r.CID, a.recvCID) {
		return 0, dst, false
	}
	seq := r.EpochSeq & MaxSeq
	a.replayMu.Lock()
	fresh := a.replay.check(seq)
	a.replayMu.Unlock()
	if !fresh {
		return 0, dst, false
	}
	typ, out, ok = open(a.remote, dst, r, sc)
	if !ok {
		return 0, dst, false // forged or corrupt: dropped silently (RFC 6347 4.1.2.7)
	}
	a.replayMu.Lock()
	a.replay.mark(seq)
	a.replayMu.Unlock()
	return typ, out, true
}

// open decrypts r with p, appending its content to dst: a connection-ID
// record's inner plaintext loses its zeros and real type.
func open(p *protection, dst []byte, r Record, sc *Scratch) (typ byte, out []byte, ok bool) {
	start := len(dst)
	out, ok = p.open(dst, aadHeader{epochSeq: r.EpochSeq, typ: r.Type, cid: r.CID}, r.Body, sc)
	if !ok || r.Type != ContentCID {
		return r.Type, out, ok
	}
	end := len(out)
	for end > start && out[end-1] == 0 {
		end--
	}
	if end == start {
		return 0, dst, false // no content type: RFC 9146 says unexpected_message
	}
	return out[end-1], out[:end-1], true
}

// FreshHandshake reports whether r is a plaintext handshake record the
// peer sent that was not seen before: the peer sending its last flight
// again (its later records are opened as any other, see Open).
func (a *Layer) FreshHandshake(r Record) bool {
	if r.Epoch != 0 || r.Type != ContentHandshake {
		return false
	}
	seq := r.EpochSeq & MaxSeq
	a.replayMu.Lock()
	defer a.replayMu.Unlock()
	if !a.replay0.check(seq) {
		return false
	}
	a.replay0.mark(seq)
	return true
}

// Peek opens r as Open would, leaving the replay window alone: what a
// record will open as before it arrives (tests).
func (a *Layer) Peek(r Record) ([]byte, bool) {
	_, plain, ok := open(a.remote, nil, r, new(Scratch))
	return plain, ok
}

// Reseal rewrites a datagram pion wrote after the takeover: each record of
// the current epoch is opened with pion's sequence number and sealed again
// under Layer's next one; other records are copied as they are. A
// datagram it cannot parse is returned unchanged.
func (a *Layer) Reseal(d []byte) []byte {
	if !a.hasEpochRecord(d) {
		return d
	}
	out := make([]byte, 0, len(d)+64)
	sc := new(Scratch) // pion's writes are rare and may run concurrently
	for rest := d; len(rest) > 0; {
		r, next, ok := NextCID(rest, len(a.sendCID))
		if !ok {
			return d
		}
		rest = next
		if r.Epoch != a.Epoch {
			out = append(out, r.Raw...)
			continue
		}
		typ, plain, ok := open(a.local, nil, r, sc)
		if !ok {
			return d
		}
		var err error
		if out, err = a.Seal(out, typ, plain, sc); err != nil {
			return d
		}
	}
	return out
}

func (a *Layer) hasEpochRecord(d []byte) bool {
	for r := range AllCID(d, len(a.sendCID)) {
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
