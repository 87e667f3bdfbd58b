package dtlsgo

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"sync"
)

// sessionSecrets gathers, during one handshake, what dtlsgo's record layer
// needs and pion shows only sideways: the master secret and client random
// from the NSS key log line pion writes, the server randoms of the
// ServerHellos on the wire (a stale peer may send one of another session:
// newAppLayer keeps the one pion's exporter confirms), and the peer's
// application-data records pion was given before the takeover (those that
// open under the session's keys are marked seen in the replay window).
// Asking pion for its whole state instead (State.MarshalBinary, gob) costs
// about a tenth of a handshake's CPU.
type sessionSecrets struct {
	mu            sync.Mutex
	clientRandom  []byte
	master        []byte
	serverRandoms [][]byte // distinct, at most maxCandidates
	early         [][]byte // application-data records pion got, at most maxCandidates
}

const maxCandidates = 64

// Write takes pion's key log lines ("CLIENT_RANDOM <hex> <hex>\n").
func (s *sessionSecrets) Write(p []byte) (int, error) {
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

const handshakeServerHello = 2

// observe looks at one datagram on its way to or from pion; incoming says
// which.
func (s *sessionSecrets) observe(d []byte, incoming bool) {
	for r := range records(d) {
		switch {
		case incoming && r.epoch == 1 && r.typ == contentAppData:
			s.mu.Lock()
			if len(s.early) < maxCandidates {
				s.early = append(s.early, bytes.Clone(r.raw))
			}
			s.mu.Unlock()
		case r.epoch == 0 && r.typ == contentHandshake:
			s.serverHello(r.body)
		}
	}
}

// serverHello keeps the random of an unfragmented ServerHello: handshake
// header (12 bytes), server_version (2), random (32).
func (s *sessionSecrets) serverHello(b []byte) {
	const off = 12 + 2
	if len(b) < off+32 || b[0] != handshakeServerHello {
		return
	}
	if fragOff := uint32(b[6])<<16 | uint32(binary.BigEndian.Uint16(b[7:9])); fragOff != 0 {
		return
	}
	random := b[off : off+32]
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

// get returns what was gathered.
func (s *sessionSecrets) get() (clientRandom, master []byte, serverRandoms, early [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientRandom, s.master, s.serverRandoms, s.early
}
