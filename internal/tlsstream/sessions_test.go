package tlsstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// resumptionPeers describes both ends of one connection of a resumption
// test; the zero value is a TLS 1.3 client and server with no cache key.
type resumptionPeers struct {
	version    uint16 // 0: TLS 1.3
	key        string // the client's SessionKey
	context    []byte // the server's SessionContext
	cert       *tls.Certificate
	clientAuth ClientAuth
	clientCert *tls.Certificate
	verify     func(context.Context, [][]byte) error // the client's VerifyPeer
	before     func(client *Conn)                    // runs before the client's handshake
}

// connect handshakes a client and a server as p says, sends a byte from
// the server to the client (a TLS 1.3 ticket comes before it, so the
// client has stored it once the byte is read) and returns both, or the
// client's handshake error.
func connect(t testing.TB, p resumptionPeers) (client, server *Conn, err error) {
	t.Helper()
	client, server, _, err, serverErr := handshake(t, Config{
		ServerName: "localhost",
		VerifyPeer: p.verify,
		SessionKey: p.key,
		ClientCertificate: func(context.Context, [][]byte) (*tls.Certificate, error) {
			return p.clientCert, nil
		},
		maxVersion: p.version,
	}, Config{
		Certificate:    func(context.Context) (*tls.Certificate, error) { return p.cert, nil },
		SessionContext: p.context,
		ClientAuth:     p.clientAuth,
		VerifyPeer:     func(context.Context, [][]byte) error { return nil },
		maxVersion:     p.version,
	}, p.before)
	if err != nil {
		return client, server, err
	}
	if serverErr != nil {
		t.Fatalf("server handshake: %v", serverErr)
	}
	ctx := context.Background()
	if _, err := server.Write(ctx, []byte{1}, false); err != nil {
		t.Fatalf("server write: %v", err)
	}
	if _, err := client.Read(ctx, make([]byte, 1), false); err != nil {
		t.Fatalf("client read: %v", err)
	}
	return client, server, nil
}

func resumed(t *testing.T, client, server *Conn) bool {
	t.Helper()
	cs, _ := client.ConnectionState()
	ss, _ := server.ConnectionState()
	if cs.DidResume != ss.DidResume {
		t.Fatalf("the client says resumed %v, the server %v", cs.DidResume, ss.DidResume)
	}
	return cs.DidResume
}

// uniqueKey is a cache key no other test uses.
func uniqueKey(t *testing.T) string {
	return fmt.Sprintf("%s/%d", t.Name(), time.Now().UnixNano())
}

func TestAClientResumesTLS12AndTLS13(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			var chains [][][]byte
			p := resumptionPeers{
				version: version, key: uniqueKey(t), cert: testCertificate(t), context: []byte("ctx"),
				verify: func(_ context.Context, chain [][]byte) error {
					chains = append(chains, chain)
					return nil
				},
			}
			c1, s1, err := connect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if resumed(t, c1, s1) {
				t.Fatal("the first connection resumed")
			}
			c2, s2, err := connect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if !resumed(t, c2, s2) {
				t.Fatal("the second connection did not resume")
			}
			cs, _ := c2.ConnectionState()
			ss, _ := s2.ConnectionState()
			if cs.Version != version {
				t.Fatalf("version %x", cs.Version)
			}
			// The resumed session's chain was judged again, and is the
			// one the first connection verified.
			if len(chains) != 2 || !bytes.Equal(chains[1][0], chains[0][0]) ||
				!bytes.Equal(cs.PeerCertificates[0].Raw, p.cert.Certificate[0]) {
				t.Fatalf("verified chains: %d", len(chains))
			}
			if version == tls.VersionTLS12 && (len(cs.TLSUnique) == 0 || !bytes.Equal(cs.TLSUnique, ss.TLSUnique)) {
				t.Fatalf("tls-unique after resumption: %x / %x", cs.TLSUnique, ss.TLSUnique)
			}
			ce, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
			se, err2 := ss.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
			if err != nil || err2 != nil || !bytes.Equal(ce, se) {
				t.Fatalf("tls-exporter after resumption: %v %v", err, err2)
			}
		})
	}
}

func TestASessionIsOfferedOnlyUnderItsKey(t *testing.T) {
	p := resumptionPeers{key: uniqueKey(t) + "/A", cert: testCertificate(t)}
	if _, _, err := connect(t, p); err != nil {
		t.Fatal(err)
	}
	other := p
	other.key = uniqueKey(t) + "/B"
	c, s, err := connect(t, other)
	if err != nil {
		t.Fatal(err)
	}
	if resumed(t, c, s) {
		t.Fatal("identity B resumed identity A's session")
	}
	// A's ticket is still there for A.
	c, s, err = connect(t, p)
	if err != nil || !resumed(t, c, s) {
		t.Fatalf("A did not resume its own session: %v", err)
	}
}

func TestNoKeyNoCache(t *testing.T) {
	p := resumptionPeers{cert: testCertificate(t)}
	for i := 0; i < 2; i++ {
		c, s, err := connect(t, p)
		if err != nil || resumed(t, c, s) {
			t.Fatalf("connection %d without a key: resumed or failed (%v)", i, err)
		}
	}
}

func TestCopySessionStateResumesTheSourcesSession(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			// No key: only the copy can make the second connection resume.
			p := resumptionPeers{version: version, cert: testCertificate(t)}
			source, _, err := connect(t, p)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ { // the source's last session serves twice
				copied := p
				copied.before = func(c *Conn) { c.CopySessionState(source) }
				c, s, err := connect(t, copied)
				if err != nil || !resumed(t, c, s) {
					t.Fatalf("copy %d: not resumed (%v)", i, err)
				}
			}
		})
	}
}

func TestATicketResumesOnlyWithTheSameServerContext(t *testing.T) {
	p := resumptionPeers{key: uniqueKey(t), cert: testCertificate(t), context: []byte("certificate one")}
	if _, _, err := connect(t, p); err != nil {
		t.Fatal(err)
	}
	p.context = []byte("certificate two")
	c, s, err := connect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if resumed(t, c, s) {
		t.Fatal("a ticket of another server context resumed")
	}
	c, s, err = connect(t, p) // the full handshake left a ticket of the new context
	if err != nil || !resumed(t, c, s) {
		t.Fatalf("the new context's ticket did not resume: %v", err)
	}
}

func TestAResumedPeerRejectedNowFailsAndIsForgotten(t *testing.T) {
	var calls atomic.Int32
	rejected := errors.New("rejected on resumption")
	p := resumptionPeers{key: uniqueKey(t), cert: testCertificate(t),
		verify: func(context.Context, [][]byte) error {
			if calls.Add(1) == 2 {
				return rejected
			}
			return nil
		}}
	if _, _, err := connect(t, p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := connect(t, p); !errors.Is(err, rejected) {
		t.Fatalf("a resumption whose peer is rejected now: %v", err)
	}
	c, s, err := connect(t, p) // the rejected session's server was forgotten
	if err != nil || resumed(t, c, s) {
		t.Fatalf("after a rejected resumption: resumed or failed (%v)", err)
	}
}

func TestAServerResumesAClientCertificateSessionOnlyWhereItAsksForOne(t *testing.T) {
	clientCert := testCertificate(t)
	p := resumptionPeers{key: uniqueKey(t), cert: testCertificate(t), clientAuth: ClientAuthRequired, clientCert: clientCert}
	if _, _, err := connect(t, p); err != nil {
		t.Fatal(err)
	}
	c, s, err := connect(t, p)
	if err != nil || !resumed(t, c, s) {
		t.Fatalf("not resumed with client authentication: %v", err)
	}
	ss, _ := s.ConnectionState()
	if len(ss.PeerCertificates) != 1 || !bytes.Equal(ss.PeerCertificates[0].Raw, clientCert.Certificate[0]) {
		t.Fatal("the resumed server lost the client's certificate")
	}
	p.clientAuth = ClientAuthNone
	c, s, err = connect(t, p)
	if err != nil || resumed(t, c, s) {
		t.Fatalf("a session with a client certificate resumed on a server not asking for one (%v)", err)
	}
}

func TestTheSessionCacheIsBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	c := newSessionCache(func() time.Time { return now })
	tickets := make([]*tls.ClientSessionState, sessionCacheTickets+2)
	for i := range tickets {
		tickets[i] = &tls.ClientSessionState{}
		c.put("a", tickets[i])
	}
	// The newest first, and no more than sessionCacheTickets of them.
	for i := len(tickets) - 1; i >= 2; i-- {
		if got := c.take("a"); got != tickets[i] {
			t.Fatalf("take %d: not the newest ticket left", i)
		}
	}
	if c.take("a") != nil {
		t.Fatal("more tickets kept than sessionCacheTickets")
	}
	for i := 0; i < sessionCacheKeys+10; i++ {
		now = now.Add(time.Second)
		c.put(fmt.Sprint(i), &tls.ClientSessionState{})
	}
	if len(c.entries) != sessionCacheKeys {
		t.Fatalf("%d keys kept", len(c.entries))
	}
	if c.take("0") != nil || c.take(fmt.Sprint(sessionCacheKeys+9)) == nil {
		t.Fatal("not the oldest key evicted")
	}
	now = now.Add(sessionCacheLifetime)
	if c.take(fmt.Sprint(sessionCacheKeys+8)) != nil {
		t.Fatal("an expired ticket was taken")
	}
}

func TestTicketKeysRotate(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	k := &ticketKeys{sealer: &tls.Config{}, now: func() time.Time { return now }}
	k.current()
	first := k.keys[0]
	now = now.Add(ticketKeyRotation - time.Second)
	if k.current(); len(k.keys) != 1 {
		t.Fatal("rotated before ticketKeyRotation")
	}
	now = now.Add(time.Second)
	if k.current(); len(k.keys) != 2 || k.keys[0] == first || k.keys[1] != first {
		t.Fatal("no new key first after ticketKeyRotation")
	}
	now = now.Add(ticketKeyLifetime - ticketKeyRotation)
	if k.current(); len(k.keys) != 2 || k.keys[1] == first {
		t.Fatalf("a key older than ticketKeyLifetime still opens tickets (%d keys)", len(k.keys))
	}
}

// BenchmarkHandshakeTLS13 runs TLS 1.3 handshakes (ECDSA P-256, both ends
// in this process, over fresh loopback TCP connections), full and resumed:
// what resumption saves the engine.
func BenchmarkHandshakeTLS13(b *testing.B) {
	cert := testCertificate(b)
	for _, resume := range []bool{false, true} {
		name := map[bool]string{false: "full", true: "resumed"}[resume]
		b.Run(name, func(b *testing.B) {
			p := resumptionPeers{cert: cert}
			if resume {
				p.key = fmt.Sprintf("bench/%d", time.Now().UnixNano())
				connect(b, p) // the first session
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, s, err := connect(b, p)
				if err != nil {
					b.Fatal(err)
				}
				if cs, _ := c.ConnectionState(); cs.DidResume != resume {
					b.Fatalf("handshake %d: resumed %v", i, cs.DidResume)
				}
				c.Abort()
				s.Abort()
			}
		})
	}
}
