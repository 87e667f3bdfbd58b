package tlsstream

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"sync"
	"time"
)

// The server side of session resumption: session tickets (RFC 5077 for TLS
// 1.2, RFC 8446 for 1.3) sealed with keys that live for the process, so
// that a client resumes with any server connection of the process, and
// bound to what the session was authenticated with, so that it resumes
// only where that still holds.

const (
	// ticketKeyRotation is how often a new key starts sealing tickets.
	ticketKeyRotation = time.Hour
	// ticketKeyLifetime is how long a key still opens the tickets it
	// sealed. A TLS 1.2 session resumed with a ticket has no forward
	// secrecy against its key, so keys go after a day; a client with an
	// older ticket gets a full handshake.
	ticketKeyLifetime = 24 * time.Hour
)

// ticketKeys seals and opens the process's tickets.
type ticketKeys struct {
	mu      sync.Mutex
	sealer  *tls.Config // holds the keys; used for EncryptTicket and DecryptTicket only
	keys    [][32]byte  // newest first
	created []time.Time
	now     func() time.Time
}

var serverTicketKeys = &ticketKeys{sealer: &tls.Config{}, now: time.Now}

// current returns the sealer, with a new key first when the newest is
// older than ticketKeyRotation, and without keys older than
// ticketKeyLifetime.
func (t *ticketKeys) current() *tls.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.keys) > 0 && now.Sub(t.created[0]) < ticketKeyRotation {
		return t.sealer
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic("dtlsgo: no randomness for a session ticket key: " + err.Error())
	}
	keys, created := [][32]byte{key}, []time.Time{now}
	for i, k := range t.keys {
		if now.Sub(t.created[i]) < ticketKeyLifetime {
			keys, created = append(keys, k), append(created, t.created[i])
		}
	}
	t.keys, t.created = keys, created
	// Safe while other handshakes seal and open with the sealer.
	t.sealer.SetSessionTicketKeys(keys)
	return t.sealer
}

// sessionContextTag marks the entry of SessionState.Extra that binds a
// ticket to its server's context.
var sessionContextTag = []byte("dtlsgo session context\x00")

// contextEntry is the Extra entry for a server context.
func contextEntry(context []byte) []byte {
	sum := sha256.Sum256(context)
	return append(append([]byte(nil), sessionContextTag...), sum[:]...)
}

// bindTickets makes the server configuration seal its tickets with the
// process's keys, each bound to context, and resume only tickets bound to
// the same context.
func bindTickets(tc *tls.Config, context []byte) {
	entry := contextEntry(context)
	tc.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(withoutContext(ss.Extra), entry)
		return serverTicketKeys.current().EncryptTicket(cs, ss)
	}
	tc.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := serverTicketKeys.current().DecryptTicket(identity, cs)
		if ss == nil || err != nil {
			return nil, err // (nil, nil): not ours, or its key has gone
		}
		for _, e := range ss.Extra {
			if bytes.Equal(e, entry) {
				ss.Extra = withoutContext(ss.Extra)
				return ss, nil
			}
		}
		return nil, nil // another server's session: a full handshake
	}
}

func withoutContext(extra [][]byte) [][]byte {
	var kept [][]byte
	for _, e := range extra {
		if !bytes.HasPrefix(e, sessionContextTag) {
			kept = append(kept, e)
		}
	}
	return kept
}
