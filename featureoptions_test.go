package dtlsgo

import (
	"bytes"
	"context"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/socket"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pskHooks answers a server's PSK questions from a table.
type pskHooks struct {
	acceptAll
	keys  map[string][]byte
	asked []string
}

func (h *pskHooks) ResolvePSK(_ context.Context, identity string) ([]byte, error) {
	h.asked = append(h.asked, identity)
	return h.keys[identity], nil
}

func TestExportAndSRTPKeysAgree(t *testing.T) {
	cert := testCert(t)
	profiles, err := ParseSRTPProfiles([]string{"SRTP_AEAD_AES_128_GCM"})
	if err != nil {
		t.Fatal(err)
	}
	client, server, cerr, serr := handshakePair(t, Config{IsClient: true, SRTPProfiles: profiles},
		Config{Certificate: cert, SRTPProfiles: profiles})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	a, err := client.ExportKeyingMaterial("EXPERIMENTAL-go", nil, 40)
	b, _ := server.ExportKeyingMaterial("EXPERIMENTAL-go", nil, 40)
	if err != nil || len(a) != 40 || !bytes.Equal(a, b) {
		t.Fatalf("export %x / %x (%v)", a, b, err)
	}
	for _, ctx := range [][]byte{{}, []byte("ctx")} {
		c, err := client.ExportKeyingMaterial("EXPERIMENTAL-go", ctx, 40)
		s, _ := server.ExportKeyingMaterial("EXPERIMENTAL-go", ctx, 40)
		if err != nil || !bytes.Equal(c, s) || bytes.Equal(c, a) {
			t.Fatalf("context %q: %x / %x (%v), none %x", ctx, c, s, err, a)
		}
	}
	if _, err := client.ExportKeyingMaterial("x", make([]byte, 65536), 4); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("context too long: %v", err)
	}
	if _, err := client.ExportKeyingMaterial("master secret", nil, 4); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("reserved label: %v", err)
	}
	ck, err := client.SRTPKeys()
	sk, _ := server.SRTPKeys()
	if err != nil || ck.Profile != "SRTP_AEAD_AES_128_GCM" || len(ck.LocalKey) != 16 || len(ck.LocalSalt) != 12 ||
		!bytes.Equal(ck.LocalKey, sk.RemoteKey) || !bytes.Equal(ck.RemoteSalt, sk.LocalSalt) ||
		bytes.Equal(ck.LocalKey, ck.RemoteKey) {
		t.Fatalf("srtp keys %+v / %+v (%v)", ck, sk, err)
	}
	km, _ := client.ExportKeyingMaterial(srtpExporterLabel, nil, 56)
	want := bytes.Join([][]byte{ck.LocalKey, ck.RemoteKey, ck.LocalSalt, ck.RemoteSalt}, nil)
	if !bytes.Equal(km, want) {
		t.Fatalf("RFC 5764 layout: %x != %x", km, want)
	}
}

func TestExportBeforeHandshake(t *testing.T) {
	cb, _ := udpPair(t)
	c := NewConn(cb, true)
	defer c.Close()
	if _, err := c.ExportKeyingMaterial("x", nil, 4); !errors.Is(err, ErrChannelBindingInvalid) {
		t.Fatalf("got %v", err)
	}
	if _, err := c.SRTPKeys(); !errors.Is(err, ErrChannelBindingInvalid) {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownSRTPProfile(t *testing.T) {
	if _, err := ParseSRTPProfiles([]string{"SRTP_AES128_CM_HMAC_SHA1_80", "bogus"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("got %v", err)
	}
}

func TestPSKWithoutCertificates(t *testing.T) {
	key := []byte("0123456789abcdef")
	hooks := &pskHooks{keys: map[string][]byte{"alice": key}}
	cb, sb := udpPair(t)
	client, server := NewConn(cb, true), NewConn(sb, false)
	errs := make(chan error, 1)
	go func() {
		server.BeginHandshake()
		errs <- server.RunHandshake(context.Background(), Config{ServerPSK: true, PSKIdentityHint: "hint"}, hooks)
	}()
	client.BeginHandshake()
	cerr := client.RunHandshake(context.Background(), Config{IsClient: true, PSKIdentity: "alice", PSK: key}, &acceptAll{})
	if serr := <-errs; cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	defer client.Close()
	defer server.Close()
	info, _ := client.Info()
	if !strings.Contains(info.CipherSuite, "_PSK_") || len(info.PeerCertificates) != 0 {
		t.Fatalf("info %+v", info)
	}
	if strings.Join(hooks.asked, ",") != "alice" {
		t.Fatalf("asked %v", hooks.asked)
	}
}

func TestPSKNeedsIdentityAndKey(t *testing.T) {
	if _, err := pskOptions(context.Background(), Config{IsClient: true, PSK: []byte("k")}, &acceptAll{}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("got %v", err)
	}
	if _, err := pskOptions(context.Background(), Config{ServerPSK: true}, &acceptAll{}, nil); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("hooks without PSKResolver: %v", err)
	}
}

func TestConnectionIDLengths(t *testing.T) {
	for _, n := range []int{-2, 256} {
		if _, err := cidOptions(n, nil); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%d: %v", n, err)
		}
	}
}

// rebindingRelay forwards between a client and a server, sending to the
// server from a socket it can replace (a NAT rebinding).
type rebindingRelay struct {
	front  *net.UDPConn
	back   atomic.Pointer[net.UDPConn]
	client atomic.Pointer[net.UDPAddr]
	server *net.UDPAddr
}

func newRebindingRelay(t *testing.T, server *net.UDPAddr) *rebindingRelay {
	r := &rebindingRelay{server: server}
	r.front, _ = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := r.front.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.client.Store(from)
			r.back.Load().WriteToUDP(buf[:n], r.server)
		}
	}()
	r.rebind(t)
	t.Cleanup(func() { r.front.Close(); r.back.Load().Close() })
	return r
}

func (r *rebindingRelay) rebind(t *testing.T) {
	back, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if old := r.back.Swap(back); old != nil {
		old.Close()
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := back.Read(buf)
			if err != nil {
				return
			}
			r.front.WriteToUDP(buf[:n], r.client.Load())
		}
	}()
}

// TestServerFollowsMovingClient: a server on an unconnected socket keeps
// its client across an address change with connection IDs, not without.
func TestServerFollowsMovingClient(t *testing.T) {
	for _, cid := range []bool{true, false} {
		t.Run(map[bool]string{true: "cid", false: "plain"}[cid], func(t *testing.T) {
			cert := testCert(t)
			ss, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			relay := newRebindingRelay(t, ss.LocalAddr().(*net.UDPAddr))
			cs, err := net.DialUDP("udp", nil, relay.front.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			client, server := NewConn(NewNetBaseSocket(cs), true), NewConn(socket.NewAddressedBaseSocket(ss), false)
			defer client.Close()
			defer server.Close()
			ccfg, scfg := Config{IsClient: true}, Config{Certificate: cert}
			if cid {
				ccfg.ConnectionIDLength, scfg.ConnectionIDLength = ConnectionIDSendOnly, 8
			}
			errs := make(chan error, 1)
			go func() { server.BeginHandshake(); errs <- server.RunHandshake(context.Background(), scfg, &acceptAll{}) }()
			client.BeginHandshake()
			if err := client.RunHandshake(context.Background(), ccfg, &acceptAll{}); err != nil {
				t.Fatal(err)
			}
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			echo := func(msg string) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if _, err := client.Send(opFor(ctx), [][]byte{[]byte(msg)}); err != nil {
					return err
				}
				var got []byte
				if _, err := server.Receive(opFor(ctx), 1, func(_ int, r []byte) { got = bytes.Clone(r) }); err != nil {
					return err
				}
				if _, err := server.Send(opFor(ctx), [][]byte{got}); err != nil {
					return err
				}
				_, err := client.Receive(opFor(ctx), 1, func(_ int, r []byte) { got = bytes.Clone(r) })
				if err == nil && string(got) != msg {
					err = errors.New("echo mismatch")
				}
				return err
			}
			if err := echo("before"); err != nil {
				t.Fatal(err)
			}
			relay.rebind(t)
			err = echo("after")
			if cid && err != nil {
				t.Fatalf("with connection IDs: %v", err)
			}
			if !cid && !errors.Is(err, ErrTimedOut) {
				t.Fatalf("without connection IDs: %v", err)
			}
		})
	}
}

func TestKeyLogAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.log")
	if err := os.WriteFile(path, []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := testCert(t)
	client, server, cerr, serr := handshakePair(t, Config{IsClient: true, KeyLogFile: path}, Config{Certificate: cert})
	if cerr != nil || serr != nil {
		t.Fatal(cerr, serr)
	}
	client.Close()
	server.Close()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "# mine" || !strings.HasPrefix(lines[1], "CLIENT_RANDOM ") || len(lines[1]) != 14+64+1+96 {
		t.Fatalf("key log:\n%s", data)
	}
}

func TestCipherSuiteListsAreNamed(t *testing.T) {
	for _, name := range CipherSuites() {
		if !strings.HasPrefix(name, "TLS_") {
			t.Fatalf("unnamed suite %q", name)
		}
	}
}
