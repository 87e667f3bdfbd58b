package tlsstream

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/dtlsgo/dtlsgo/internal/ech"
)

// echHandshake runs a client with list against a server with keys; it
// returns the client's error and both ends.
func echHandshake(t *testing.T, list []byte, keys []tls.EncryptedClientHelloKey) (error, *Conn, *Conn) {
	t.Helper()
	verified := 0
	client, server, _, err, _ := handshake(t, Config{
		ServerName: "localhost", ECHConfigList: list,
		VerifyPeer: func(context.Context, [][]byte) error { verified++; return nil },
	}, Config{ECHKeys: keys}, nil)
	if err == nil && verified != 1 {
		t.Errorf("the inner handshake's chain was verified %d times", verified)
	}
	return err, client, server
}

func TestECHAcceptedOnBothSides(t *testing.T) {
	pemKeys, list, err := ech.Generate("public.example")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ech.ParseKeys(pemKeys)
	if err != nil {
		t.Fatal(err)
	}
	err, client, server := echHandshake(t, list, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Conn{client, server} {
		cs, _ := c.ConnectionState()
		if !cs.ECHAccepted || cs.Version != tls.VersionTLS13 {
			t.Errorf("ECHAccepted %v, version %x", cs.ECHAccepted, cs.Version)
		}
	}
}

func TestECHRejectionIsAHandshakeErrorSayingWhy(t *testing.T) {
	_, list, _ := ech.Generate("public.example")
	otherPEM, _, _ := ech.Generate("public.example")
	otherKeys, _ := ech.ParseKeys(otherPEM)
	for _, tc := range []struct {
		name string
		keys []tls.EncryptedClientHelloKey
		want string
	}{
		{"server without ECH", nil, "does not support ECH"},
		{"server with other keys", otherKeys, "offered others to retry with"},
	} {
		err, _, _ := echHandshake(t, list, tc.keys)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeHandshake ||
			!strings.Contains(e.Msg, "rejected Encrypted Client Hello") || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
