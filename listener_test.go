package dtlsgo

import (
	"bytes"
	"context"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/socket"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/listener"
)

// countingSocket counts the datagrams a client sends.
type countingSocket struct {
	BaseSocket
	conn *net.UDPConn
	sent atomic.Int64
}

func (s *countingSocket) WriteDatagram(p []byte, to net.Addr) error {
	s.sent.Add(1)
	return s.BaseSocket.WriteDatagram(p, to)
}

func newTestListener(t *testing.T, network, addr string) *listener.Listener {
	t.Helper()
	conn, err := net.ListenUDP(network, &net.UDPAddr{IP: net.ParseIP(addr)})
	if err != nil {
		t.Skipf("no %s socket: %v", network, err)
	}
	l := listener.New(conn, listener.Limits{})
	t.Cleanup(l.Close)
	return l
}

func dialListener(t *testing.T, l *listener.Listener) *countingSocket {
	t.Helper()
	c, err := net.DialUDP("udp", nil, l.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	return &countingSocket{BaseSocket: socket.NewPlainBaseSocket(c), conn: c}
}

// serveEcho accepts n peers and echoes each one's records with the peer's
// index prefixed, so a datagram crossing to the wrong peer shows.
func serveEcho(t *testing.T, l *listener.Listener, cert *Certificate, n int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		p, err := l.Accept(context.Background())
		if err != nil {
			t.Error(err)
			return &wg
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			server := NewConn(listener.NewBatchPeer(p), false)
			defer server.Close()
			server.BeginHandshake()
			if err := server.RunHandshake(context.Background(), Config{Certificate: cert}, &acceptAll{}); err != nil {
				t.Errorf("server handshake with %v: %v", p.RemoteAddr(), err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for {
				var got []byte
				_, err := server.Receive(opFor(ctx), 1, func(_ int, rec []byte) { got = bytes.Clone(rec) })
				if err != nil || got == nil {
					return
				}
				reply := fmt.Appendf(nil, "%s from %v", got, p.RemoteAddr())
				if _, err := server.Send(opFor(ctx), [][]byte{reply}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	return &wg
}

func TestListenerServesManyClients(t *testing.T) {
	for _, fam := range []struct{ network, addr string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}} {
		t.Run(fam.network, func(t *testing.T) {
			l := newTestListener(t, fam.network, fam.addr)
			cert := testCert(t)
			const clients, messages = 8, 20
			done := make(chan *sync.WaitGroup, 1)
			go func() { done <- serveEcho(t, l, cert, clients) }()
			var wg sync.WaitGroup
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					base := dialListener(t, l)
					client := NewConn(base, true)
					defer client.Close()
					client.BeginHandshake()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := client.RunHandshake(ctx, Config{IsClient: true}, &acceptAll{}); err != nil {
						t.Errorf("client %d handshake: %v", i, err)
						return
					}
					// ClientHello, the hello with the cookie, the
					// certificate flight: no retransmission.
					if n := base.sent.Load(); n != 3 {
						t.Errorf("client %d sent %d handshake datagrams, want 3", i, n)
					}
					me := base.conn.LocalAddr().String()
					for m := range messages {
						msg := fmt.Sprintf("client %d message %d", i, m)
						if _, err := client.Send(opFor(ctx), [][]byte{[]byte(msg)}); err != nil {
							t.Error(err)
							return
						}
						var got []byte
						if _, err := client.Receive(opFor(ctx), 1, func(_ int, rec []byte) { got = bytes.Clone(rec) }); err != nil {
							t.Errorf("client %d receive: %v", i, err)
							return
						}
						if want := msg + " from " + me; string(got) != want {
							t.Errorf("client %d got %q, want %q", i, got, want)
						}
					}
				}()
			}
			wg.Wait()
			(<-done).Wait()
			if peers, pending := l.PeerCount(); peers != 0 || pending != 0 {
				t.Errorf("%d peers (%d pending) left after every connection closed", peers, pending)
			}
		})
	}
}

// listenerPair handshakes a client with the listener's next peer.
func listenerPair(tb testing.TB, l *listener.Listener, cert *Certificate) (*Conn, *Conn) {
	c, err := net.DialUDP("udp", nil, l.LocalAddr().(*net.UDPAddr))
	if err != nil {
		tb.Fatal(err)
	}
	client := NewConn(NewNetBaseSocket(c), true)
	errs := make(chan error, 1)
	go func() {
		client.BeginHandshake()
		errs <- client.RunHandshake(context.Background(), Config{IsClient: true}, &acceptAll{})
	}()
	p, err := l.Accept(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	server := NewConn(listener.NewBatchPeer(p), false)
	server.BeginHandshake()
	if err := server.RunHandshake(context.Background(), Config{Certificate: cert}, &acceptAll{}); err != nil {
		tb.Fatal(err)
	}
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
	return client, server
}

// BenchmarkListenerHandshake is BenchmarkHandshake with the server's side
// accepted by a listener (its cookie exchange included).
func BenchmarkListenerHandshake(b *testing.B) {
	cert := testCert(b)
	conn, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	l := listener.New(conn, listener.Limits{})
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		client, server := listenerPair(b, l, cert)
		client.Close()
		server.Close()
	}
}

// BenchmarkListenerIdlePeer is BenchmarkIdleConnection with the servers'
// sides accepted by a listener.
func BenchmarkListenerIdlePeer(b *testing.B) {
	cert := testCert(b)
	conn, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	l := listener.New(conn, listener.Limits{})
	defer l.Close()
	benchmarkIdle(b, func() (*Conn, *Conn) { return listenerPair(b, l, cert) })
}

// A client that goes silent after its verified hello: the listener's
// handshake timeout ends the accepted connection's handshake, and frees
// its place.
func TestListenerHandshakeTimeoutEndsAStalledHandshake(t *testing.T) {
	l := newTestListener(t, "udp4", "127.0.0.1")
	l.SetLimits(listener.Limits{HandshakeTimeout: 300 * time.Millisecond})
	base := dialListener(t, l)
	client := NewConn(base, true)
	go func() {
		client.BeginHandshake()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_ = client.RunHandshake(ctx, Config{IsClient: true}, &acceptAll{})
		client.Close() // silent from here on
	}()
	p, err := l.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the client gave up
	server := NewConn(listener.NewBatchPeer(p), false)
	defer server.Close()
	server.BeginHandshake()
	err = server.RunHandshake(context.Background(), Config{Certificate: testCert(t), HandshakeTimeout: 20 * time.Second}, &acceptAll{})
	if err == nil || !strings.Contains(err.Error(), "the listener's handshake timeout") {
		t.Fatalf("the handshake ended with %v, not at the listener's timeout", err)
	}
	if peers, pending := l.PeerCount(); peers != 0 || pending != 0 {
		t.Fatalf("%d peers (%d pending) left", peers, pending)
	}
}
