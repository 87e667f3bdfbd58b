package record

import (
	"bytes"
	"errors"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
)

// Session is what a completed handshake leaves for the connection's life:
// the suite, the master secret and both randoms (RFC 5705 exports, the key
// block), the connection IDs, and the encrypted handshake records that
// crossed (tls-unique). It is a few hundred bytes, where pion's whole
// state and the handshake's Secrets would be well over a kilobyte kept by
// every idle connection. It never changes once made.
type Session struct {
	Suite        Cipher
	IDs          ConnectionIDs
	master       [48]byte
	clientRandom [32]byte
	serverRandom [32]byte
	sealed       []SealedRecord
}

var (
	errContextTooLong     = errors.New("dtlsgo: an exporter context holds at most 65535 bytes")
	errReservedLabel      = errors.New("dtlsgo: the label is reserved by TLS")
)

// Keys derives the session's key block.
func (s *Session) Keys() (*prf.EncryptionKeys, error) {
	return prf.GenerateEncryptionKeys(s.master[:], s.clientRandom[:], s.serverRandom[:],
		s.Suite.macLen, s.Suite.keyLen, s.Suite.ivLen, s.Suite.prfHash)
}

// ExportKeyingMaterial is RFC 5705's exporter: PRF(master secret, label,
// client random + server random [+ context length + context]). A nil
// context is RFC 5705's "no context", which differs from an empty one (a
// zero length is part of the seed); RFC 9266's tls-exporter asks for the
// empty one.
func (s *Session) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	switch {
	case len(context) > maxContextLength:
		return nil, errContextTooLong
	case ReservedLabel(label):
		return nil, errReservedLabel
	}
	seed := make([]byte, 0, len(label)+64+2+len(context))
	seed = append(append(append(seed, label...), s.clientRandom[:]...), s.serverRandom[:]...)
	if context != nil {
		seed = append(seed, byte(len(context)>>8), byte(len(context)))
		seed = append(seed, context...)
	}
	return prf.PHash(s.master[:], seed, length, s.Suite.prfHash)
}

// maxContextLength is the most a context can hold: its length is a 16-bit
// field of the seed.
const maxContextLength = 65535

// ReservedLabel reports the PRF labels TLS itself uses, which RFC 5705 §4
// forbids exporting under.
func ReservedLabel(label string) bool {
	switch label {
	case "client finished", "server finished", "master secret", "key expansion",
		"extended master secret":
		return true
	}
	return false
}

// SealedRecords returns the encrypted handshake records seen, in the
// order they crossed.
func (s *Session) SealedRecords() []SealedRecord { return s.sealed }

// Session picks the session of the completed handshake st from what was
// gathered, checked against pion's exporter: the server random is the one
// with which the master secret gives the exporter's value.
func (s *Secrets) Session(st *dtls.State) (*Session, error) {
	suite, ok := Ciphers[dtls.CipherSuiteID(st.CipherSuiteID)]
	if !ok {
		return nil, errSecretsUnknown
	}
	s.mu.Lock()
	clientRandom, master, servers, clients, sealed := s.clientRandom, s.master, s.servers, s.clients, s.sealed
	s.mu.Unlock()
	if len(clientRandom) != 32 || len(master) != 48 {
		return nil, errSecretsUnknown
	}
	want, err := st.ExportKeyingMaterial(keysCheckLabel, nil, 16)
	if err != nil {
		return nil, errSecretsUnknown
	}
	for _, sh := range servers {
		if len(sh.random) != 32 {
			continue
		}
		seed := append(append([]byte(keysCheckLabel), clientRandom...), sh.random...)
		if got, err := prf.PHash(master, seed, 16, suite.prfHash); err != nil || !bytes.Equal(got, want) {
			continue
		}
		sess := &Session{Suite: suite, sealed: sealed}
		copy(sess.master[:], master)
		copy(sess.clientRandom[:], clientRandom)
		copy(sess.serverRandom[:], sh.random)
		if sh.cid != nil {
			sess.IDs.Server = sh.cid
			// The hello the server answered: its last with the session's
			// random (the first may have been a cookie-less one).
			for _, ch := range clients {
				if bytes.Equal(ch.random, clientRandom) {
					sess.IDs.Client = ch.cid
				}
			}
		}
		return sess, nil
	}
	return nil, errSecretsUnknown
}

// keysCheckLabel names the exporter value that confirms the gathered
// secrets are the session's.
const keysCheckLabel = "EXPERIMENTAL-dtlsgo-record-layer"
