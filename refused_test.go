package dtlsgo

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// closedPortConn is a UDP socket connected to a port where nothing listens.
func closedPortConn(t *testing.T) *net.UDPConn {
	t.Helper()
	gone, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	gone.Close()
	c, err := net.DialUDP("udp", nil, gone.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A handshake to a port where nothing listens ends with the kernel's
// refusal, at once, over the batch socket and over a plain net.Conn (one
// with no descriptor to take over).
func TestHandshakeToClosedPortIsRefused(t *testing.T) {
	for name, base := range map[string]func(*net.UDPConn) BaseSocket{
		"batch":    func(c *net.UDPConn) BaseSocket { return NewNetBaseSocket(c) },
		"net.Conn": func(c *net.UDPConn) BaseSocket { return NewNetBaseSocket(struct{ net.Conn }{c}) },
	} {
		t.Run(name, func(t *testing.T) {
			client := NewConn(base(closedPortConn(t)), true)
			client.BeginHandshake()
			start := time.Now()
			err := client.RunHandshake(context.Background(), Config{IsClient: true, HandshakeTimeout: time.Minute}, &acceptAll{})
			if !errors.Is(err, ErrConnectionRefused) {
				t.Fatalf("handshake: %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("refused after %v", d)
			}
			_ = client.Close()
		})
	}
}
