package trust

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/testpki"
)

// Chains parsed from the same DER share their parsed certificates while
// one is held, and the sharing ends with the last holder.
func TestParsedCertificatesAreSharedWhileHeld(t *testing.T) {
	pki := testpki.New(t)
	ders := [][]byte{bytes.Clone(pki.Server.DER()), bytes.Clone(pki.Intermediate.DER())}
	a, err := ParseCertificateChainDER(ders)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseCertificateChainDER([][]byte{bytes.Clone(ders[0]), bytes.Clone(ders[1])})
	if err != nil {
		t.Fatal(err)
	}
	if a.leaf != b.leaf || a.issuer == nil || b.issuer == nil || a.issuer.leaf != b.issuer.leaf {
		t.Fatal("two chains of the same certificates were parsed twice")
	}
	if a.SubjectName() != b.SubjectName() || a.SubjectName() == "" {
		t.Fatalf("subjects %q and %q", a.SubjectName(), b.SubjectName())
	}
	key := string(ders[0])
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	a, b = nil, nil
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		runtime.GC()
		sharedParses.Lock()
		_, held := sharedParses.m[key]
		sharedParses.Unlock()
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a certificate nobody holds stays in the shared parses")
		}
	}
}
