package ech

import (
	"bytes"
	"testing"
)

// FuzzParseConfigList: any bytes as a client's ech-config-list either
// parse into configs that lie inside the input, or fail; never panic.
func FuzzParseConfigList(f *testing.F) {
	_, list, _ := Generate("public.example")
	f.Add(list)
	f.Add(marshalList(list[2:], []byte{0xfe, 0x0a, 0, 0}))
	f.Add([]byte{0, 4, 0xfe, 0x0d, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		configs, err := ParseConfigList(data)
		if err != nil {
			return
		}
		for _, c := range configs {
			if !bytes.Contains(data, c.Raw) || c.PublicName == "" || len(c.PublicKey) == 0 {
				t.Fatalf("config %+v from %x", c, data)
			}
			c.Usable()
		}
		CheckClientList(data)
	})
}

// FuzzParseKeys: any bytes as a server's ech-keys give keys whose configs
// parse back, or an error; never panic.
func FuzzParseKeys(f *testing.F) {
	keys, _, _ := Generate("public.example")
	f.Add(keys)
	f.Add(keys[:len(keys)/2])
	f.Add([]byte("-----BEGIN ECHCONFIG-----\nAAA=\n-----END ECHCONFIG-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := ParseKeys(data)
		if err != nil {
			return
		}
		for _, k := range parsed {
			if _, skipped, n, err := parseConfig(k.Config); err != nil || skipped || n != len(k.Config) {
				t.Fatalf("key config %x: %v", k.Config, err)
			}
		}
	})
}
