package record

import (
	"bytes"
	"sync"
)

// LastFlight keeps the datagrams of a server's last handshake flight as
// pion wrote them: the last datagram that holds a ChangeCipherSpec, and
// the handshake records pion wrote after it (its Finished, if apart).
type LastFlight struct {
	mu        sync.Mutex
	datagrams [][]byte
}

// Datagram looks at one datagram crossing before the takeover (a transport
// tap): those pion writes (sent).
func (f *LastFlight) Datagram(d []byte, sent bool) {
	if !sent {
		return
	}
	ccs, handshakeOnly := false, true
	for rest := d; len(rest) > 0; {
		r, next, ok := Next(rest)
		if !ok {
			return // not one of pion's datagrams: keep nothing
		}
		rest = next
		switch r.Type {
		case ContentChangeCipherSpec:
			ccs = true
		case ContentHandshake:
		default:
			handshakeOnly = false
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case ccs && handshakeOnly:
		f.datagrams = [][]byte{bytes.Clone(d)}
	case handshakeOnly && f.datagrams != nil:
		f.datagrams = append(f.datagrams, bytes.Clone(d))
	}
}

func (f *LastFlight) Get() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.datagrams
}
