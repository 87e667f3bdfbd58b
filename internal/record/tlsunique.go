package record

import (
	"bytes"
	"encoding/binary"
	"github.com/dtlsgo/dtlsgo/internal/errkind"

	"github.com/pion/dtls/v3/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// tls-unique (RFC 5929 section 3.1) is the verify_data of the first
// Finished message of the handshake: the client's in a full handshake, the
// server's in an abbreviated one. pion computes it but never shows it, and
// it crosses the transport encrypted (epoch 1), so dtlsgo opens the
// encrypted handshake records the transport saw (Secrets), each
// with its sender's write key, in the order they crossed. The first one
// that opens is the first Finished, on either peer and in either kind of
// handshake: a side sends its Finished only after it has read the peer's,
// or before it reads any. Records that do not open (another session's, or
// forged) are skipped.

// recordOpener decrypts one record: pion's ciphers, built with the
// sender's write key as their "remote" one.
type recordOpener interface {
	Decrypt(h recordlayer.Header, in []byte) ([]byte, error)
}

// TLSUnique returns the first Finished's verify_data of the session's
// handshake; isClient is the local side.
func TLSUnique(sess *Session, isClient bool) ([]byte, error) {
	suite := sess.Suite
	keys, err := sess.Keys()
	if err != nil {
		return nil, errkind.Errorf(errkind.ErrChannelBindingGeneral,
			"Cannot compute tls-unique channel binding data: the session's keys were not seen during the handshake")
	}
	var openers [2]recordOpener // by sender: client, server
	for i, clientSent := range []bool{true, false} {
		if openers[i], err = suite.Opener(keys, clientSent); err != nil {
			return nil, errkind.Errorf(errkind.ErrChannelBindingGeneral, "Cannot compute tls-unique channel binding data: %v", err)
		}
	}
	for _, r := range sess.SealedRecords() {
		clientSent := r.Incoming != isClient
		op := openers[1]
		if clientSent {
			op = openers[0]
		}
		typ, msg, ok := OpenSealed(op, r.Raw)
		if !ok {
			continue
		}
		if vd, ok := FinishedVerifyData(msg); ok && typ == ContentHandshake {
			return vd, nil
		}
		break
	}
	return nil, errkind.Errorf(errkind.ErrChannelBindingNotAvail,
		"tls-unique channel binding data is not available: the handshake's first Finished message was not seen whole")
}

// Opener builds the cipher that opens the records the client (clientSent)
// or the server sent.
func (s Cipher) Opener(keys *prf.EncryptionKeys, clientSent bool) (recordOpener, error) {
	key, iv, mac := keys.ServerWriteKey, keys.ServerWriteIV, keys.ServerMACKey
	if clientSent {
		key, iv, mac = keys.ClientWriteKey, keys.ClientWriteIV, keys.ClientMACKey
	}
	switch s.kind {
	case cipherGCM:
		return ciphersuite.NewGCM(key, iv, key, iv)
	case cipherChaCha20Poly1305:
		return ciphersuite.NewChaCha20Poly1305(key, iv, key, iv)
	case cipherCCM:
		return ciphersuite.NewCCM(ciphersuite.CCMTagLength, key, iv, key, iv)
	case cipherCCM8:
		return ciphersuite.NewCCM(ciphersuite.CCMTagLength8, key, iv, key, iv)
	default:
		return ciphersuite.NewCBC(key, iv, mac, key, iv, mac, s.macHash)
	}
}

// FinishedVerifyData returns the verify_data of msg when it is one whole
// Finished message (a DTLS handshake header, then verify_data).
func FinishedVerifyData(msg []byte) ([]byte, bool) {
	var h handshake.Header
	if h.Unmarshal(msg) != nil || h.Type != handshake.TypeFinished || h.Length == 0 ||
		h.FragmentOffset != 0 || h.FragmentLength != h.Length ||
		len(msg) < handshake.HeaderLength+int(h.Length) {
		return nil, false
	}
	return bytes.Clone(msg[handshake.HeaderLength : handshake.HeaderLength+int(h.Length)]), true
}

// OpenSealed decrypts the record raw starts with and returns its content
// type and content. A connection-ID record is tried with each ID length
// that delimits a record within raw: only the right one authenticates. Its
// plaintext is RFC 9146's inner plaintext: content, real type, zeros.
func OpenSealed(op recordOpener, raw []byte) (typ byte, content []byte, ok bool) {
	if raw[0] != ContentCID {
		// Decrypt works in place: the record stays as it was seen.
		plain, err := op.Decrypt(recordlayer.Header{}, bytes.Clone(raw))
		if err != nil {
			return 0, nil, false
		}
		return raw[0], plain[HeaderLen:], true
	}
	for idLen := 0; HeaderLen+idLen <= len(raw) && idLen <= MaxConnectionIDLength; idLen++ {
		end := HeaderLen + idLen + int(binary.BigEndian.Uint16(raw[11+idLen:]))
		if end > len(raw) {
			continue
		}
		plain, err := op.Decrypt(recordlayer.Header{ConnectionID: make([]byte, idLen)}, bytes.Clone(raw[:end]))
		if err != nil {
			continue
		}
		inner := bytes.TrimRight(plain[HeaderLen+idLen:], "\x00")
		if len(inner) == 0 {
			return 0, nil, false
		}
		return inner[len(inner)-1], inner[:len(inner)-1], true
	}
	return 0, nil, false
}
