package ech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"strings"
	"testing"

	"github.com/dtlsgo/dtlsgo/internal/testpki"
)

func TestGeneratedKeysParseBack(t *testing.T) {
	keysPEM, list, err := Generate("public.example")
	if err != nil {
		t.Fatal(err)
	}
	configs, err := ParseConfigList(list)
	if err != nil || len(configs) != 1 {
		t.Fatalf("ParseConfigList: %v, %d configs", err, len(configs))
	}
	c := configs[0]
	if c.PublicName != "public.example" || c.KEM != kemX25519 || len(c.PublicKey) != 32 || !c.Usable() {
		t.Fatalf("config: %+v", c)
	}
	if err := CheckClientList(list); err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(keysPEM)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys: %v, %d keys", err, len(keys))
	}
	if !bytes.Equal(keys[0].Config, c.Raw) || len(keys[0].PrivateKey) != 32 || !keys[0].SendAsRetry {
		t.Fatalf("key: %+v", keys[0])
	}
}

func TestConcatenatedKeyFilesGiveOneKeyEach(t *testing.T) {
	a, _, _ := Generate("a.example")
	b, _, _ := Generate("b.example")
	keys, err := ParseKeys(append(a, b...))
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v, %d keys", err, len(keys))
	}
}

// A P-256 key in SEC 1's PKCS #8 form (as OpenSSL writes it) pairs with a
// DHKEM(P-256) config.
func TestP256KeyPairsWithItsConfig(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pub, _ := priv.PublicKey.ECDH()
	list := marshalList(marshalConfig(7, kemP256, pub.Bytes(), [][2]uint16{{kdfSHA256, aeadAES128GCM}}, "p256.example"))
	data := pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: pemECHConfig, Bytes: list})...)
	keys, err := ParseKeys(data)
	if err != nil || len(keys) != 1 {
		t.Fatalf("%v, %d keys", err, len(keys))
	}
}

func TestBadKeysSayWhy(t *testing.T) {
	a, _, _ := Generate("a.example")
	_, listB, _ := Generate("b.example")
	blocks := func(data []byte) (key, config []byte) {
		k, rest := pem.Decode(data)
		c, _ := pem.Decode(rest)
		return pem.EncodeToMemory(k), pem.EncodeToMemory(c)
	}
	keyA, configA := blocks(a)
	configB := pem.EncodeToMemory(&pem.Block{Type: pemECHConfig, Bytes: listB})
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "need a PRIVATE KEY and an ECHCONFIG"},
		{"not PEM", "hello", "not PEM"},
		{"key only", string(keyA), "need a PRIVATE KEY and an ECHCONFIG"},
		{"config only", string(configA), "need a PRIVATE KEY and an ECHCONFIG"},
		{"another key's config", string(keyA) + string(configB), "no private key matches"},
		{"spare key", string(keyA) + string(configA) + string(keyA), ""},
		{"other block", string(a) + string(rsaLike), `unexpected PEM block "CERTIFICATE"`},
		{"garbage key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + string(configA), "not PKCS #8"},
		{"garbage config", string(keyA) + "-----BEGIN ECHCONFIG-----\nAAAA\n-----END ECHCONFIG-----\n", "ECHCONFIG block"},
		{"trailing garbage", string(a) + "junk", "not PEM"},
	} {
		_, err := ParseKeys([]byte(tc.data))
		if tc.name == "spare key" {
			// Two copies of one key: the config uses the first; the
			// second has no config of its own.
			if err == nil || !strings.Contains(err.Error(), "private key 2 has no ECHConfig") {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBadConfigListsSayWhy(t *testing.T) {
	_, list, _ := Generate("a.example")
	unknownVersion := marshalList([]byte{0xfe, 0x0a, 0, 2, 9, 9})
	unusable := marshalList(marshalConfig(1, 0x0099, []byte{1}, [][2]uint16{{kdfSHA256, aeadAES128GCM}}, "x.example"))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "length prefix"},
		{"empty list", []byte{0, 0}, "is empty"},
		{"cut", list[:len(list)-3], "length prefix"},
		{"inner cut", append([]byte{0, byte(len(list) - 5)}, list[2:len(list)-3]...), "cut short"},
		{"only an unknown version", unknownVersion, "no config of version 0xfe0d"},
		{"unusable KEM", unusable, "no config of version 0xfe0d"},
	} {
		err := CheckClientList(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A config of an unknown version is skipped, not fatal.
	mixed := marshalList(unknownVersion[2:], list[2:])
	if err := CheckClientList(mixed); err != nil {
		t.Errorf("mixed: %v", err)
	}
}

func TestPublicNamesMustBeDNSNames(t *testing.T) {
	for _, name := range []string{"", "127.0.0.1", "::1", "a..b", "-a.example", "a b.example", "1.2.3", strings.Repeat("a", 64) + ".example"} {
		if _, _, err := Generate(name); err == nil {
			t.Errorf("%q: accepted", name)
		}
	}
	for _, name := range []string{"localhost", "public.example", "a-b.example.", "x1.example"} {
		if _, _, err := Generate(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
}

// crypto/tls accepts ECH with what Generate made: the client's config list
// and the server's keys agree.
func TestCryptoTLSAcceptsGeneratedKeys(t *testing.T) {
	keysPEM, list, err := Generate("public.example")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(keysPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf := testpki.SelfSigned(t)
	cert := tls.Certificate{Certificate: [][]byte{leaf.DER()}, PrivateKey: leaf.Key}
	c, s := net.Pipe()
	var sawSNI string
	server := tls.Server(s, &tls.Config{
		Certificates:             []tls.Certificate{cert},
		EncryptedClientHelloKeys: keys,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sawSNI = h.ServerName
			return nil, nil
		},
	})
	client := tls.Client(c, &tls.Config{
		ServerName:                     "localhost",
		InsecureSkipVerify:             true,
		EncryptedClientHelloConfigList: list,
		MinVersion:                     tls.VersionTLS13,
	})
	errs := make(chan error, 1)
	go func() { errs <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if !client.ConnectionState().ECHAccepted || !server.ConnectionState().ECHAccepted {
		t.Fatal("ECH not accepted")
	}
	if sawSNI != "localhost" {
		t.Fatalf("the server saw SNI %q, not the inner name", sawSNI)
	}
	c.Close() // not close_notify: nobody reads the pipe
	s.Close()
}
