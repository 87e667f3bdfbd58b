package record

import (
	"bytes"
	"testing"

	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
)

// pionHello is what pion's own parse of a whole hello says of the two
// extensions the watch reads; ok is false when pion refuses the message.
func pionHello(body []byte, server bool) (cid []byte, ems bool, ok bool) {
	var exts []extension.Extension
	if server {
		var m handshake.MessageServerHello
		if m.Unmarshal(body) != nil {
			return nil, false, false
		}
		exts = m.Extensions
	} else {
		var m handshake.MessageClientHello
		if m.Unmarshal(body) != nil {
			return nil, false, false
		}
		exts = m.Extensions
	}
	for _, ext := range exts {
		switch e := ext.(type) {
		case *extension.UseExtendedMasterSecret:
			ems = true
		case *extension.ConnectionID:
			cid = append([]byte{}, e.CID...)
		}
	}
	return cid, ems, true
}

// helloSeeds are whole hellos as pion writes them, with and without the
// extensions the watch reads.
func helloSeeds(t testing.TB) [][]byte {
	null := protocol.CompressionMethod{ID: 0}
	suite := uint16(0xc02b)
	var seeds [][]byte
	for _, exts := range [][]extension.Extension{
		nil,
		{&extension.UseExtendedMasterSecret{Supported: true}},
		{&extension.ConnectionID{CID: []byte{}}, &extension.RenegotiationInfo{}},
		{&extension.SupportedEllipticCurves{EllipticCurves: nil}, &extension.ConnectionID{CID: []byte("8bytecid")},
			&extension.UseExtendedMasterSecret{Supported: true}},
	} {
		for _, msg := range []handshake.Message{
			&handshake.MessageClientHello{Version: protocol.Version1_2, Cookie: []byte("cookie"), SessionID: []byte{},
				CipherSuiteIDs: []uint16{suite}, CompressionMethods: []*protocol.CompressionMethod{&null}, Extensions: exts},
			&handshake.MessageServerHello{Version: protocol.Version1_2, SessionID: []byte("sid"), CipherSuiteID: &suite,
				CompressionMethod: &null, Extensions: exts},
		} {
			raw, err := (&handshake.Handshake{Message: msg}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, raw)
		}
	}
	return seeds
}

// The watch's own walk of a hello agrees with pion's parse on every hello
// pion accepts: the connection ID asked for and the extended master secret.
func FuzzHelloAgreesWithPion(f *testing.F) {
	for _, s := range helloSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, ok := parseHello(msg)
		if !ok || len(msg) < handshake.HeaderLength {
			return
		}
		var hdr handshake.Header
		_ = hdr.Unmarshal(msg)
		end := handshake.HeaderLength + int(hdr.Length)
		if hdr.FragmentLength != hdr.Length || len(msg) < end {
			return
		}
		cid, ems, pionOK := pionHello(msg[handshake.HeaderLength:end], h.server)
		if !pionOK {
			return
		}
		if !bytes.Equal(h.cid, cid) || (h.cid == nil) != (cid == nil) {
			t.Fatalf("connection ID %x (nil %v), pion's %x (nil %v)", h.cid, h.cid == nil, cid, cid == nil)
		}
		if h.server && (h.ems == emsNegotiated) != ems {
			t.Fatalf("extended master secret %d, pion says %v", h.ems, ems)
		}
		if h.server && h.ems == emsUnknown {
			t.Fatal("a whole ServerHello pion accepts left the extended master secret unknown")
		}
	})
}
