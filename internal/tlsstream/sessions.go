package tlsstream

import (
	"crypto/tls"
	"sync"
	"time"
)

// The client side of session resumption, as glib-networking keeps it: one
// cache for the process, keyed by what the caller says identifies a server
// (GLib's key: its address, the identity checked, our certificate), holding
// a few tickets per key, each taken once. A connection offers a ticket of
// its key, or the one copy_session_state gave it.

const (
	// sessionCacheKeys bounds the servers the cache remembers; the one
	// stored longest ago goes first.
	sessionCacheKeys = 256
	// sessionCacheTickets bounds the tickets kept per server (a TLS 1.3
	// server may send several); the oldest goes first.
	sessionCacheTickets = 4
	// sessionCacheLifetime is how long a server's tickets stay after the
	// last one arrived, as in glib-networking.
	sessionCacheLifetime = 10 * time.Minute
)

// sessionCache is the process's store of client sessions.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]*sessionEntry
	now     func() time.Time
}

type sessionEntry struct {
	tickets []*tls.ClientSessionState // oldest first
	expires time.Time
}

var clientSessionCache = newSessionCache(time.Now)

func newSessionCache(now func() time.Time) *sessionCache {
	return &sessionCache{entries: map[string]*sessionEntry{}, now: now}
}

// put keeps cs under key.
func (c *sessionCache) put(key string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e := c.entries[key]
	if e == nil {
		if len(c.entries) >= sessionCacheKeys {
			c.evictLocked(now)
		}
		e = &sessionEntry{}
		c.entries[key] = e
	}
	e.tickets = append(e.tickets, cs)
	if n := len(e.tickets); n > sessionCacheTickets {
		e.tickets = append(e.tickets[:0], e.tickets[n-sessionCacheTickets:]...)
	}
	e.expires = now.Add(sessionCacheLifetime)
}

// evictLocked drops every expired entry, or else the one closest to
// expiring (the one stored longest ago).
func (c *sessionCache) evictLocked(now time.Time) {
	var oldest string
	for key, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, key)
		} else if oldest == "" || e.expires.Before(c.entries[oldest].expires) {
			oldest = key
		}
	}
	if len(c.entries) >= sessionCacheKeys {
		delete(c.entries, oldest)
	}
}

// take removes and returns the newest ticket under key, nil when none.
// Tickets are single-use (RFC 8446 appendix C.4): offering one twice links
// the two connections.
func (c *sessionCache) take(key string) *tls.ClientSessionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		return nil
	}
	cs := e.tickets[len(e.tickets)-1]
	e.tickets = e.tickets[:len(e.tickets)-1]
	if len(e.tickets) == 0 {
		delete(c.entries, key)
	}
	return cs
}

// forget drops what is kept under key.
func (c *sessionCache) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// ClientSessions is one client connection's sessions: where it looks for
// one to resume, and the newest it used or learnt (what copy_session_state
// hands on). It is crypto/tls's ClientSessionCache for the connection,
// whatever key crypto/tls names (a host name, or an address that need not
// be one).
type ClientSessions struct {
	cache *sessionCache

	mu     sync.Mutex
	key    string                  // the cache's key; "" keeps the connection out of the cache
	copied *tls.ClientSessionState // from another connection: offered first
	last   *tls.ClientSessionState
}

// NewClientSessions is a connection's view of the process's cache; it
// takes part once SetKey named its server.
func NewClientSessions() *ClientSessions {
	return &ClientSessions{cache: clientSessionCache}
}

// SetKey names the server the connection's sessions are kept under; ""
// (the default) neither offers nor keeps sessions in the process's cache.
// The key must tell apart everything that would judge the server's
// certificate differently: a session is offered only under its own key.
func (s *ClientSessions) SetKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Get gives crypto/tls the session to offer: one copied from another
// connection, else a ticket of the connection's key.
func (s *ClientSessions) Get(string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	cs, key := s.copied, s.key
	s.mu.Unlock()
	if cs == nil && key != "" {
		cs = s.cache.take(key)
	}
	if cs == nil {
		return nil, false
	}
	s.mu.Lock()
	s.last = cs
	s.mu.Unlock()
	return cs, true
}

// Put keeps a session the server gave (cs), or, with nil, forgets the
// server's sessions: crypto/tls says so when one failed to resume or
// expired.
func (s *ClientSessions) Put(_ string, cs *tls.ClientSessionState) {
	s.mu.Lock()
	key := s.key
	if cs == nil {
		s.copied, s.last = nil, nil
	} else {
		s.last = cs
	}
	s.mu.Unlock()
	switch {
	case key == "":
	case cs == nil:
		s.cache.forget(key)
	default:
		s.cache.put(key, cs)
	}
}

// CopyFrom makes the connection offer src's session (GLib's
// copy_session_state): an unused ticket of src's key if the cache has one,
// else the one src last used or learnt, though offering a ticket again
// links the two connections. Nothing changes when src has no session.
func (s *ClientSessions) CopyFrom(src *ClientSessions) {
	src.mu.Lock()
	key, last := src.key, src.last
	src.mu.Unlock()
	cs := last
	if key != "" {
		if fresh := src.cache.take(key); fresh != nil {
			cs = fresh
		}
	}
	if cs == nil {
		return
	}
	s.mu.Lock()
	s.copied = cs
	s.mu.Unlock()
}
