package dtlsgo

import (
	"bytes"
	"context"
	"github.com/dtlsgo/dtlsgo/internal/record"
	"strings"
	"testing"

	"github.com/pion/dtls/v3"
)

// uniquePair runs one handshake between two of our connections (the
// server's hooks resolve PSK identities) and returns both tls-unique values.
func uniquePair(t *testing.T, ccfg, scfg Config) (client, server []byte, suite string) {
	t.Helper()
	cb, sb := udpPair(t)
	c, s := NewConn(cb, true), NewConn(sb, false)
	defer c.Close()
	defer s.Close()
	errs := make(chan error, 1)
	go func() {
		s.BeginHandshake()
		errs <- s.RunHandshake(context.Background(), scfg, &pskHooks{keys: map[string][]byte{"alice": ccfg.PSK}})
	}()
	c.BeginHandshake()
	cerr := c.RunHandshake(context.Background(), ccfg, &acceptAll{})
	if serr := <-errs; cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	client, err1 := c.ChannelBinding(ChannelBindingTLSUnique)
	server, err2 := s.ChannelBinding(ChannelBindingTLSUnique)
	if err1 != nil || err2 != nil {
		t.Fatalf("tls-unique: client %v, server %v", err1, err2)
	}
	info, _ := c.Info()
	return client, server, info.CipherSuite
}

func TestTLSUniqueAgreesAndDiffersPerSession(t *testing.T) {
	cert := testCert(t)
	c1, s1, _ := uniquePair(t, Config{IsClient: true}, Config{Certificate: cert})
	c2, s2, _ := uniquePair(t, Config{IsClient: true}, Config{Certificate: cert})
	if len(c1) != 12 || !bytes.Equal(c1, s1) || !bytes.Equal(c2, s2) {
		t.Fatalf("client %x server %x; client %x server %x", c1, s1, c2, s2)
	}
	if bytes.Equal(c1, c2) {
		t.Fatalf("two sessions share tls-unique %x", c1)
	}
}

// Every suite dtlsgo offers (with an ECDSA certificate or a pre-shared
// key) gives both peers the same tls-unique.
func TestTLSUniqueInEverySuite(t *testing.T) {
	cert := testCert(t)
	key := []byte("0123456789abcdef")
	saved := [2][]dtls.CipherSuiteID{certificateSuites, pskSuites}
	t.Cleanup(func() { certificateSuites, pskSuites = saved[0], saved[1] })
	for _, id := range append(append([]dtls.CipherSuiteID{}, saved[0]...), saved[1]...) {
		name := suiteName(id)
		if strings.Contains(name, "_RSA_") {
			continue // the same ciphers as the ECDSA suites
		}
		t.Run(name, func(t *testing.T) {
			certificateSuites, pskSuites = []dtls.CipherSuiteID{id}, []dtls.CipherSuiteID{id}
			ccfg, scfg := Config{IsClient: true}, Config{Certificate: cert}
			if strings.Contains(name, "PSK") {
				ccfg, scfg = Config{IsClient: true, PSKIdentity: "alice", PSK: key}, Config{ServerPSK: true}
			}
			c, s, got := uniquePair(t, ccfg, scfg)
			if got != name || len(c) != 12 || !bytes.Equal(c, s) {
				t.Fatalf("suite %s: client %x server %x", got, c, s)
			}
		})
	}
}

func TestEveryOfferedSuiteHasItsCipher(t *testing.T) {
	for _, id := range append(append([]dtls.CipherSuiteID{}, certificateSuites...), pskSuites...) {
		if _, ok := record.Ciphers[id]; !ok {
			t.Errorf("%s missing from the record layer's cipher table", suiteName(id))
		}
	}
}

// finishedBy returns the verify_data of the Finished each side sent, as
// the connection c saw them cross.
func finishedBy(t *testing.T, c *Conn) (client, server []byte) {
	t.Helper()
	info, _ := c.Info()
	b := info.bindings
	suite := b.session.Suite
	keys, err := b.session.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.session.SealedRecords() {
		clientSent := r.Incoming != c.isClient
		op, _ := suite.Opener(keys, clientSent)
		if typ, msg, ok := record.OpenSealed(op, r.Raw); ok && typ == record.ContentHandshake {
			vd, _ := record.FinishedVerifyData(msg)
			if clientSent {
				client = vd
			} else {
				server = vd
			}
		}
	}
	return client, server
}

// tls-unique is the client's Finished (a full handshake), whichever
// direction carries connection IDs.
func TestTLSUniqueWithConnectionIDs(t *testing.T) {
	cert := testCert(t)
	for _, lens := range [][2]int{{0, 0}, {8, 0}, {0, 8}, {4, 6}, {ConnectionIDSendOnly, 8}, {8, ConnectionIDSendOnly}} {
		cb, sb := udpPair(t)
		c, s := NewConn(cb, true), NewConn(sb, false)
		errs := make(chan error, 1)
		go func() {
			s.BeginHandshake()
			errs <- s.RunHandshake(context.Background(), Config{Certificate: cert, ConnectionIDLength: lens[1]}, &acceptAll{})
		}()
		c.BeginHandshake()
		cerr := c.RunHandshake(context.Background(), Config{IsClient: true, ConnectionIDLength: lens[0]}, &acceptAll{})
		if serr := <-errs; cerr != nil || serr != nil {
			t.Fatal(cerr, serr)
		}
		for _, conn := range []*Conn{c, s} {
			got, err := conn.ChannelBinding(ChannelBindingTLSUnique)
			clientFinished, serverFinished := finishedBy(t, conn)
			if err != nil || len(got) != 12 || !bytes.Equal(got, clientFinished) || bytes.Equal(got, serverFinished) {
				t.Fatalf("connection IDs %v, client side %v: tls-unique %x %v; client Finished %x, server Finished %x",
					lens, conn.isClient, got, err, clientFinished, serverFinished)
			}
		}
		c.Close()
		s.Close()
	}
}
