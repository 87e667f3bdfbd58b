package record

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
)

// Secrets gathers, during one handshake, what dtlsgo's record layer
// needs and pion shows only sideways: the master secret and client random
// from the NSS key log line pion writes, the server randoms of the
// ServerHellos on the wire (a stale peer may send one of another session:
// Keys keeps the one pion's exporter confirms), the peer's
// application-data records pion was given before the takeover (those that
// open under the session's keys are marked seen in the replay window), and
// the encrypted handshake records both ways, in the order they crossed
// (the first Finished among them is tls-unique).
// Asking pion for its whole state instead (State.MarshalBinary, gob) would
// cost a good part of a handshake's CPU.
type Secrets struct {
	mu            sync.Mutex
	clientRandom  []byte
	master        []byte
	serverRandoms [][]byte // distinct, at most maxCandidates
	early         [][]byte // application-data records pion got, at most maxCandidates
	sealed        []SealedRecord
	ems           atomic.Int32 // emsUnknown until a whole ServerHello was seen
}

// SealedRecord is an encrypted handshake record, or a connection-ID record
// and what follows it in its datagram, and who sent it.
type SealedRecord struct {
	Raw      []byte
	Incoming bool
}

const maxCandidates = 64

// Write takes pion's key log lines ("CLIENT_RANDOM <hex> <hex>\n").
func (s *Secrets) Write(p []byte) (int, error) {
	f := bytes.Fields(p)
	if len(f) == 3 && string(f[0]) == "CLIENT_RANDOM" {
		cr, err1 := hex.DecodeString(string(f[1]))
		ms, err2 := hex.DecodeString(string(f[2]))
		if err1 == nil && err2 == nil && len(cr) == 32 && len(ms) == 48 {
			s.mu.Lock()
			s.clientRandom, s.master = cr, ms
			s.mu.Unlock()
		}
	}
	return len(p), nil
}

// Datagram looks at one datagram on its way to or from pion (sent: from
// pion), as a transport tap.
func (s *Secrets) Datagram(d []byte, sent bool) {
	incoming := !sent
	off := 0 // where r starts
	for r := range All(d) {
		if r.Type == ContentCID {
			break // its header's length is unknown here: see below
		}
		switch {
		case incoming && r.Epoch == 1 && r.Type == ContentAppData:
			s.mu.Lock()
			if len(s.early) < maxCandidates {
				s.early = append(s.early, bytes.Clone(r.Raw))
			}
			s.mu.Unlock()
		case r.Epoch == 0 && r.Type == ContentHandshake:
			s.serverHello(r.Body)
		case r.Epoch == 1 && r.Type == ContentHandshake:
			s.keepSealed(r.Raw, incoming)
		}
		off += len(r.Raw)
	}
	// A connection-ID record (RFC 9146) holds an ID of a length only pion
	// knows, and hides its content type inside the encryption: the rest of
	// the datagram is kept, to be delimited when opened (tlsunique.go).
	if rest := d[off:]; len(rest) >= HeaderLen && rest[0] == ContentCID &&
		binary.BigEndian.Uint16(rest[3:5]) == 1 {
		s.keepSealed(rest, incoming)
	}
}

func (s *Secrets) keepSealed(raw []byte, incoming bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sealed) < maxCandidates {
		s.sealed = append(s.sealed, SealedRecord{bytes.Clone(raw), incoming})
	}
}

// serverHello keeps the random of a ServerHello (distinct ones: a stale
// peer may send one of another session) and the extended master secret
// verdict of the first whole one.
func (s *Secrets) serverHello(b []byte) {
	random, ems, ok := parseServerHello(b)
	if !ok {
		return
	}
	if ems != emsUnknown {
		s.ems.CompareAndSwap(emsUnknown, ems)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seen := range s.serverRandoms {
		if bytes.Equal(seen, random) {
			return
		}
	}
	if len(s.serverRandoms) < maxCandidates {
		s.serverRandoms = append(s.serverRandoms, bytes.Clone(random))
	}
}

// ExtendedMasterSecret reports whether the first whole ServerHello seen
// carried the extension; false when none was seen whole.
func (s *Secrets) ExtendedMasterSecret() bool { return s.ems.Load() == emsNegotiated }

// earlyRecords returns the peer's application-data records pion was given.
func (s *Secrets) earlyRecords() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// SealedRecords returns the encrypted handshake records seen.
func (s *Secrets) SealedRecords() []SealedRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealed
}

var errSecretsUnknown = errors.New("dtlsgo: the session's secrets were not seen")

// Keys derives the key block of the completed handshake st from what was
// gathered, checked against pion's exporter: the server random is the one
// with which the master secret gives the exporter's value.
func (s *Secrets) Keys(st *dtls.State) (Cipher, *prf.EncryptionKeys, error) {
	suite, ok := Ciphers[dtls.CipherSuiteID(st.CipherSuiteID)]
	if !ok {
		return suite, nil, errSecretsUnknown
	}
	s.mu.Lock()
	clientRandom, master, serverRandoms := s.clientRandom, s.master, s.serverRandoms
	s.mu.Unlock()
	if clientRandom == nil || master == nil {
		return suite, nil, errSecretsUnknown
	}
	want, err := st.ExportKeyingMaterial(keysCheckLabel, nil, 16)
	if err != nil {
		return suite, nil, errSecretsUnknown
	}
	for _, sr := range serverRandoms {
		seed := append(append([]byte(keysCheckLabel), clientRandom...), sr...)
		if got, err := prf.PHash(master, seed, 16, suite.prfHash); err == nil && bytes.Equal(got, want) {
			keys, err := prf.GenerateEncryptionKeys(master, clientRandom, sr, suite.macLen, suite.keyLen, suite.ivLen, suite.prfHash)
			if err != nil {
				return suite, nil, errSecretsUnknown
			}
			return suite, keys, nil
		}
	}
	return suite, nil, errSecretsUnknown
}

// keysCheckLabel names the exporter value that confirms the gathered
// secrets are the session's.
const keysCheckLabel = "EXPERIMENTAL-dtlsgo-record-layer"
