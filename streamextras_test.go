package dtlsgo

import (
	"bytes"
	"errors"
	"testing"
)

// What a stream handshake establishes beyond GIO's API: the key exchange
// group, keying material export and ECH's verdict (ech.go, keyexchange.go,
// exporter.go).

func TestStreamKeyExchangeIsHybridPostQuantum(t *testing.T) {
	client, server := streamPair(t, testCert(t))
	for _, c := range []*StreamConn{client, server} {
		if g := c.KeyExchangeGroup(); g != "X25519MLKEM768" {
			t.Errorf("group %q", g)
		}
		if c.ECHAccepted() {
			t.Error("ECH accepted without ECH")
		}
	}
	if g := NewStreamConn(nil, true).KeyExchangeGroup(); g != "" {
		t.Errorf("before the handshake: %q", g)
	}
}

func TestStreamExportedKeyingMaterialIsEqualOnBothPeers(t *testing.T) {
	client, server := streamPair(t, testCert(t))
	for _, ctx := range [][]byte{nil, {}, []byte("context")} {
		c, err := client.ExportKeyingMaterial("EXPERIMENTAL-test", ctx, 42)
		s, err2 := server.ExportKeyingMaterial("EXPERIMENTAL-test", ctx, 42)
		if err != nil || err2 != nil || len(c) != 42 || !bytes.Equal(c, s) {
			t.Fatalf("context %q: %x %v / %x %v", ctx, c, err, s, err2)
		}
	}
	// TLS 1.3: no context and an empty one are the same (RFC 8446 7.5); a
	// context or another label gives other bytes.
	none, _ := client.ExportKeyingMaterial("EXPERIMENTAL-test", nil, 32)
	empty, _ := client.ExportKeyingMaterial("EXPERIMENTAL-test", []byte{}, 32)
	withCtx, _ := client.ExportKeyingMaterial("EXPERIMENTAL-test", []byte("x"), 32)
	other, _ := client.ExportKeyingMaterial("EXPERIMENTAL-other", nil, 32)
	if !bytes.Equal(none, empty) || bytes.Equal(none, withCtx) || bytes.Equal(none, other) {
		t.Fatal("exports do not depend on label and context as RFC 8446 says")
	}
	for _, tc := range []struct {
		label  string
		ctx    []byte
		length int
	}{
		{"master secret", nil, 32},
		{"EXPERIMENTAL-test", nil, 0},
		{"EXPERIMENTAL-test", nil, 65536},
		{"EXPERIMENTAL-test", make([]byte, 65536), 32},
	} {
		if _, err := client.ExportKeyingMaterial(tc.label, tc.ctx, tc.length); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q, %d bytes of context, length %d: %v", tc.label, len(tc.ctx), tc.length, err)
		}
	}
	if _, err := NewStreamConn(nil, true).ExportKeyingMaterial("EXPERIMENTAL-test", nil, 32); !errors.Is(err, ErrChannelBindingInvalid) {
		t.Errorf("before the handshake: %v", err)
	}
}

func TestECHSettingsRefuseWhatCannotWork(t *testing.T) {
	keys, list, err := GenerateECHKeys("public.example")
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := cfg.SetECHConfigList(list); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetECHKeys(keys); err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetECHConfigList([]byte("nonsense")); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("config list: %v", err)
	}
	if err := cfg.SetECHKeys(list); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("keys: %v", err)
	}
	if _, _, err := GenerateECHKeys("127.0.0.1"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("an IP public name: %v", err)
	}
}
