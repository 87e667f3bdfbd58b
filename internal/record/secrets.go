package record

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
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
	mu           sync.Mutex
	clientRandom []byte
	master       []byte
	servers      []hello  // distinct randoms, at most maxCandidates
	clients      []hello  // the ClientHellos, at most maxCandidates
	early        [][]byte // application-data records pion got, at most maxCandidates
	sealed       []SealedRecord
	ems          atomic.Int32 // emsUnknown until a whole ServerHello was seen
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
			s.hello(r.Body)
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

// hello keeps what a hello says: a ServerHello's random (distinct ones: a
// stale peer may send one of another session) and the extended master
// secret verdict of the first whole one; a ClientHello's connection ID.
func (s *Secrets) hello(b []byte) {
	h, ok := parseHello(b)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !h.server {
		if len(s.clients) < maxCandidates {
			h.random = bytes.Clone(h.random)
			s.clients = append(s.clients, h)
		}
		return
	}
	if h.ems != emsUnknown {
		s.ems.CompareAndSwap(emsUnknown, h.ems)
	}
	for i, seen := range s.servers {
		if bytes.Equal(seen.random, h.random) {
			if seen.ems == emsUnknown && h.ems != emsUnknown {
				s.servers[i].cid, s.servers[i].ems = h.cid, h.ems // now seen whole
			}
			return
		}
	}
	if len(s.servers) < maxCandidates {
		h.random = bytes.Clone(h.random)
		s.servers = append(s.servers, h)
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

var errSecretsUnknown = errors.New("dtlsgo: the session's secrets were not seen")

// ConnectionIDs are the connection IDs of the session, nil when none:
// what the client puts in the records it sends (the server's choice, in
// its ServerHello) and what the server puts in its own (the client's, in
// its ClientHello). The IDs are in use only when the ServerHello carries
// the extension (RFC 9146 3).
type ConnectionIDs struct{ Server, Client []byte }
