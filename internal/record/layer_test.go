package record

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// testSuites names one suite per distinct cipher of Ciphers.
func testSuites() map[string]Cipher {
	out := map[string]Cipher{}
	ids := make([]dtls.CipherSuiteID, 0, len(Ciphers))
	for id := range Ciphers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := Ciphers[id]
		seen := false
		for _, o := range out {
			seen = seen || (o.kind == c.kind && o.keyLen == c.keyLen && o.macLen == c.macLen)
		}
		if !seen {
			out[dtls.CipherSuiteName(id)] = c
		}
	}
	return out
}

// testKeys is a key block for suite, every byte distinct per key.
func testKeys(suite Cipher) *prf.EncryptionKeys {
	fill := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	return &prf.EncryptionKeys{
		ClientMACKey: fill(suite.macLen, 1), ServerMACKey: fill(suite.macLen, 2),
		ClientWriteKey: fill(suite.keyLen, 3), ServerWriteKey: fill(suite.keyLen, 4),
		ClientWriteIV: fill(suite.ivLen, 5), ServerWriteIV: fill(suite.ivLen, 6),
	}
}

// pionSealer is one of pion's ciphers, which seal too.
type pionSealer interface {
	recordOpener
	Encrypt(pkt *recordlayer.RecordLayer, raw []byte) ([]byte, error)
}

// pionSeal seals a record as pion's record layer does (the independent
// implementation these tests check against), as the client (clientSent)
// or the server, with the connection ID cid (nil: none).
func pionSeal(t testing.TB, suite Cipher, keys *prf.EncryptionKeys, clientSent bool, typ byte, seq uint64, cid, payload []byte) []byte {
	op, err := suite.Opener(keys, clientSent)
	if err != nil {
		t.Fatal(err)
	}
	h := recordlayer.Header{
		ContentType: protocol.ContentType(typ), Version: protocol.Version{Major: 0xfe, Minor: 0xfd},
		Epoch: 1, SequenceNumber: seq, ContentLen: uint16(len(payload)),
	}
	content := payload
	if cid != nil {
		h.ContentType, h.ConnectionID = protocol.ContentTypeConnectionID, cid
		content = append(bytes.Clone(payload), typ)
		h.ContentLen = uint16(len(content))
	}
	raw, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := op.(pionSealer).Encrypt(&recordlayer.RecordLayer{Header: h}, append(raw, content...))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestLayerAgainstPion: for every suite, with and without connection IDs,
// what dtlsgo seals pion opens and what pion seals dtlsgo opens, once.
func TestLayerAgainstPion(t *testing.T) {
	for name, suite := range testSuites() {
		for _, cid := range [][]byte{nil, []byte("cid!")} {
			t.Run(fmt.Sprintf("%s/cid=%q", name, cid), func(t *testing.T) {
				if suite.kind == cipherCBC && len(cid) > 0 {
					// pion MACs a CBC connection-ID record's inner plaintext
					// twice, where RFC 9146 5.1 covers it once: checked below
					// between two dtlsgo layers instead.
					t.Skip("pion's CBC connection-ID MAC is not RFC 9146's")
				}
				keys := testKeys(suite)
				peerCID := []byte("peer-id")
				if cid == nil {
					peerCID = nil
				}
				client, err := newLayer(suite, keys, true, peerCID, cid)
				if err != nil {
					t.Fatal(err)
				}
				// dtlsgo seals; pion, as the server, opens.
				payload := []byte("a datagram from the client")
				rec, err := client.Seal(nil, ContentAppData, payload, new(Scratch))
				if err != nil {
					t.Fatal(err)
				}
				if len(rec) != len(payload)+client.Overhead(len(payload)) {
					t.Errorf("sealed %d bytes, Overhead says %d", len(rec), len(payload)+client.Overhead(len(payload)))
				}
				op, _ := suite.Opener(keys, true)
				typ, got, ok := OpenSealed(op, rec)
				if !ok || typ != ContentAppData || !bytes.Equal(got, payload) {
					t.Fatalf("pion opened %v: type %d %q", ok, typ, got)
				}
				if len(peerCID) > 0 && !bytes.Equal(rec[11:11+len(peerCID)], peerCID) {
					t.Errorf("the record carries ID %x, not the peer's %x", rec[11:11+len(peerCID)], peerCID)
				}
				// pion seals as the server; dtlsgo opens, once.
				for _, typ := range []byte{ContentAppData, ContentAlert} {
					msg := []byte(fmt.Sprintf("from the server, type %d", typ))
					rec := pionSeal(t, suite, keys, false, typ, uint64(typ), cid, msg)
					r, rest, ok := client.Next(rec)
					if !ok || len(rest) != 0 {
						t.Fatalf("record not delimited: %v, %d left", ok, len(rest))
					}
					gotTyp, got, ok := client.Open(nil, r)
					if !ok || gotTyp != typ || !bytes.Equal(got, msg) {
						t.Fatalf("dtlsgo opened %v: type %d %q", ok, gotTyp, got)
					}
					if _, _, ok := client.Open(nil, r); ok {
						t.Error("a replayed record opened again")
					}
				}
			})
		}
	}
}

// TestLayerPair: two dtlsgo layers, client and server, with connection
// IDs both ways, exchange records of every suite; a record with a byte
// changed, or another ID, does not open.
func TestLayerPair(t *testing.T) {
	for name, suite := range testSuites() {
		for _, ids := range [][2][]byte{{nil, nil}, {[]byte("c1"), []byte("server-id")}, {nil, []byte("only-one")}} {
			t.Run(fmt.Sprintf("%s/%q", name, ids), func(t *testing.T) {
				keys := testKeys(suite)
				clientID, serverID := ids[0], ids[1]
				client, err := newLayer(suite, keys, true, serverID, clientID)
				if err != nil {
					t.Fatal(err)
				}
				server, err := newLayer(suite, keys, false, clientID, serverID)
				if err != nil {
					t.Fatal(err)
				}
				for _, dir := range []struct {
					from, to *Layer
				}{{client, server}, {server, client}} {
					for n := range 40 {
						payload := bytes.Repeat([]byte{byte(n)}, n)
						rec, err := dir.from.Seal(nil, ContentAppData, payload, new(Scratch))
						if err != nil {
							t.Fatal(err)
						}
						if len(rec) != n+dir.from.Overhead(n) {
							t.Fatalf("%d-byte payload: sealed %d bytes, Overhead says %d", n, len(rec), n+dir.from.Overhead(n))
						}
						r, _, ok := dir.to.Next(rec)
						if !ok {
							t.Fatal("not delimited")
						}
						bad := bytes.Clone(rec)
						bad[len(bad)-1] ^= 1
						if br, _, ok := dir.to.Next(bad); ok {
							if _, _, ok := dir.to.Open(nil, br); ok {
								t.Fatal("a changed record opened")
							}
						}
						typ, got, ok := dir.to.Open(nil, r)
						if !ok || typ != ContentAppData || !bytes.Equal(got, payload) {
							t.Fatalf("opened %v: type %d %x", ok, typ, got)
						}
					}
				}
				// A record for another ID (or none where one is due) is dropped.
				if serverID != nil {
					other, _ := newLayer(suite, keys, true, []byte("elsewhere"), clientID)
					rec, _ := other.Seal(nil, ContentAppData, []byte("x"), new(Scratch))
					if r, _, ok := server.Next(rec); ok {
						if _, _, ok := server.Open(nil, r); ok {
							t.Error("a record for another connection ID opened")
						}
					}
				}
			})
		}
	}
}

// TestLayerReseal: a record pion sealed under its own sequence number is
// sealed again under the layer's, and opens at the peer.
func TestLayerReseal(t *testing.T) {
	for name, suite := range testSuites() {
		t.Run(name, func(t *testing.T) {
			keys := testKeys(suite)
			client, _ := newLayer(suite, keys, true, nil, nil)
			server, _ := newLayer(suite, keys, false, nil, nil)
			fin := []byte("a retransmitted Finished")
			pionRec := pionSeal(t, suite, keys, false, ContentHandshake, 3, nil, fin)
			plain := rawRecord(ContentHandshake, 0, 7, []byte("hello"))
			out := server.Reseal(cat(plain, pionRec))
			if !bytes.HasPrefix(out, plain) {
				t.Fatal("the plaintext record was not kept")
			}
			r, _, ok := client.Next(out[len(plain):])
			if !ok || r.EpochSeq&MaxSeq != SeqGap {
				t.Fatalf("resealed record: %v, sequence %d", ok, r.EpochSeq&MaxSeq)
			}
			typ, got, ok := client.Open(nil, r)
			if !ok || typ != ContentHandshake || !bytes.Equal(got, fin) {
				t.Fatalf("the resealed Finished opened %v: type %d %q", ok, typ, got)
			}
		})
	}
}
