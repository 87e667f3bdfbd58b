package record

// Fuzz targets for the record format: the forged-record filter, the record
// splitter, the record layer's open and replay window, the ServerHello
// watch. Seeds: testdata/fuzz/<target> (real handshakes' datagrams) and the
// f.Add calls.

import (
	"bytes"
	"fmt"
	"testing"
)

func FuzzDropForgedPlaintext(f *testing.F) {
	f.Add(rawRecord(23, 0, 1, []byte("clear")))
	f.Add(cat(rawRecord(ContentHandshake, 0, 1, []byte{1, 0, 0, 0}), rawRecord(ContentChangeCipherSpec, 0, 2, []byte{1})))
	f.Add(cat(rawRecord(23, 1, 3, make([]byte, 40)), rawRecord(ContentCID, 0, 1, []byte{1})))
	// An epoch-1 connection-ID record first: nothing after it can be
	// delimited, so nothing after it is judged.
	f.Add(cat(rawRecord(ContentCID, 1, 1, []byte{0, 4}), rawRecord(0x30, 0, 1, []byte("0000"))))
	f.Fuzz(func(t *testing.T, d []byte) {
		out := DropForgedPlaintext(d)
		if len(out) > len(d) {
			t.Fatalf("grew: %d > %d", len(out), len(d))
		}
		if len(out) == len(d) && !bytes.Equal(out, d) {
			t.Fatal("same length but changed")
		}
		if again := DropForgedPlaintext(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%x\n%x", out, again)
		}
		// What is kept is what was there, in order.
		for rest := out; len(rest) > 0; {
			r, next, ok := Next(rest)
			if !ok {
				if !bytes.HasSuffix(d, rest) {
					t.Fatalf("tail %x is not the input's", rest)
				}
				break
			}
			if !bytes.Contains(d, r.Raw) {
				t.Fatalf("record %x is not the input's", r.Raw)
			}
			if r.Type == ContentCID {
				break // its header length is unknown here: the filter stops there too
			}
			if forgedPlaintext(r) {
				t.Fatalf("kept a forged record %x", r.Raw)
			}
			rest = next
		}
	})
}

func FuzzNextRecord(f *testing.F) {
	f.Add(rawRecord(22, 0, 0, []byte{1, 2, 3}))
	f.Add([]byte{23, 0xfe, 0xfd, 0, 1})
	f.Fuzz(func(t *testing.T, d []byte) {
		total := 0
		for rest := d; len(rest) > 0; {
			r, next, ok := Next(rest)
			if !ok {
				break
			}
			if len(r.Raw) != HeaderLen+len(r.Body) || !bytes.Equal(r.Raw[HeaderLen:], r.Body) ||
				r.Type != r.Raw[0] || uint64(r.Epoch) != r.EpochSeq>>48 {
				t.Fatalf("inconsistent record %+v", r)
			}
			total += len(r.Raw)
			rest = next
		}
		if total > len(d) {
			t.Fatalf("records span %d of %d bytes", total, len(d))
		}
	})
}

// fuzzAppLayers are two AES-GCM record layers sharing keys, as a client's
// and a server's would after a handshake.
func fuzzAppLayers(t testing.TB) (send, recv *Layer) { return fuzzLayerPair(t, aes128GCM, false) }

func FuzzAppLayerOpen(f *testing.F) {
	send, _ := fuzzAppLayers(f)
	var sealed []byte
	for i := 0; i < 3; i++ {
		var sc Scratch
		rec, err := send.Seal(nil, ContentAppData, []byte(fmt.Sprintf("payload %d", i)), &sc)
		if err != nil {
			f.Fatal(err)
		}
		sealed = append(sealed, rec...)
		f.Add(rec)
	}
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, d []byte) {
		// A fresh pair per input: the records it may open are exactly the
		// three sealed above (the same keys, sequence numbers 0-2).
		send, recv := fuzzAppLayers(t)
		genuine := map[string]string{}
		for i := 0; i < 3; i++ {
			var sc Scratch
			rec, _ := send.Seal(nil, ContentAppData, []byte(fmt.Sprintf("payload %d", i)), &sc)
			genuine[string(rec)] = fmt.Sprintf("payload %d", i)
		}
		opened := map[string]bool{}
		for rest := d; len(rest) > 0; {
			r, next, ok := Next(rest)
			if !ok {
				break
			}
			rest = next
			if r.Type != ContentAppData || r.Epoch != recv.Epoch {
				continue
			}
			_, out, ok := recv.Open(nil, r)
			if !ok {
				continue
			}
			want, isGenuine := genuine[string(r.Raw)]
			if !isGenuine || string(out) != want {
				t.Fatalf("opened a record that was never sealed: %x -> %q", r.Raw, out)
			}
			seq := r.EpochSeq & MaxSeq
			if opened[fmt.Sprint(seq)] {
				t.Fatalf("sequence number %d opened twice (replay)", seq)
			}
			opened[fmt.Sprint(seq)] = true
		}
	})
}

// FuzzReplayWindow checks the window against a plain model: a sequence
// number is fresh when never marked and not 64 or more below the highest
// marked.
func FuzzReplayWindow(f *testing.F) {
	f.Add([]byte{0, 1, 2, 1, 0, 200, 3, 70})
	f.Add(bytes.Repeat([]byte{255}, 20))
	f.Fuzz(func(t *testing.T, ops []byte) {
		var w replayWindow
		w.init(0)
		seen := map[uint64]bool{}
		var top uint64
		any := false
		for i, b := range ops {
			// Steps of up to 127 forward or backward around a moving base.
			seq := uint64(int64(top) + int64(int8(b)))
			if int64(top)+int64(int8(b)) < 0 {
				seq = 0
			}
			fresh := !seen[seq] && (!any || seq > top || top-seq < 64)
			if got := w.check(seq); got != fresh {
				t.Fatalf("op %d: check(%d) = %v, model %v (top %d)", i, seq, got, fresh, top)
			}
			if fresh {
				w.mark(seq)
				seen[seq] = true
				if !any || seq > top {
					top, any = seq, true
				}
			}
		}
	})
}

func FuzzServerHelloEMS(f *testing.F) {
	f.Add(rawRecord(ContentHandshake, 0, 1, []byte{2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0xfe, 0xfd}))
	f.Fuzz(func(t *testing.T, d []byte) {
		var s Secrets
		s.Datagram(d, false)
		_ = s.ExtendedMasterSecret()
		for r := range All(d) {
			if h, ok := parseHello(r.Body); ok && (len(h.random) != 32 || !bytes.Contains(d, h.random) ||
				(h.cid != nil && !bytes.Contains(d, h.cid))) {
				t.Fatalf("a hello %+v that is not the input's", h)
			}
		}
	})
}

// The handshake trace reads every handshake datagram, the peer's too, when
// it is on: whatever comes, it names it without failing.

// FuzzLayerOpenEachFormat opens fuzzed datagrams with a record layer of
// each record format (suite picks the cipher, withCID connection IDs):
// only the records sealed by its peer open, each once, as sealed.
func FuzzLayerOpenEachFormat(f *testing.F) {
	suites := fuzzSuites()
	for i := range suites {
		for _, withCID := range []bool{false, true} {
			send, _ := fuzzLayerPair(f, suites[i], withCID)
			rec, _ := send.Seal(nil, ContentAppData, []byte("payload"), new(Scratch))
			f.Add(uint8(i), withCID, rec)
		}
	}
	f.Fuzz(func(t *testing.T, suite uint8, withCID bool, d []byte) {
		// What the key holder sealed: "payload" under sequence number 0
		// (CBC's random IV makes each sealing's bytes differ).
		_, recv := fuzzLayerPair(t, suites[int(suite)%len(suites)], withCID)
		opened := 0
		for r := range recv.All(d) {
			typ, out, ok := recv.Open(nil, r)
			if !ok {
				continue
			}
			if r.EpochSeq != 1<<48 || typ != ContentAppData || string(out) != "payload" {
				t.Fatalf("opened a record that was never sealed: %x -> %d %q", r.Raw, typ, out)
			}
			if opened++; opened > 1 {
				t.Fatal("a record opened twice (replay)")
			}
		}
	})
}

// fuzzSuites are the distinct ciphers, in a fixed order.
func fuzzSuites() []Cipher {
	return []Cipher{aes128GCM, aes256GCM, chacha20Poly1305, aes128CCM, aes128CCM8, aes256CCM8, aes256CBCSHA, aes128CBCSHA256}
}

// fuzzLayerPair is a client's record layer and its server's, first
// sequence number 0 on the client, connection IDs both ways or none.
func fuzzLayerPair(t testing.TB, suite Cipher, withCID bool) (client, server *Layer) {
	keys := testKeys(suite)
	var c, s []byte
	if withCID {
		c, s = []byte("client"), []byte("srv")
	}
	client, err := newLayer(suite, keys, true, s, c)
	if err != nil {
		t.Fatal(err)
	}
	if server, err = newLayer(suite, keys, false, c, s); err != nil {
		t.Fatal(err)
	}
	client.nextSeq.Store(0)
	return client, server
}
