package trust

import (
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"github.com/dtlsgo/dtlsgo/internal/testpki"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFileDatabase(t *testing.T) {
	p := testpki.New(t)
	other := testpki.Issue(t, testpki.CATemplate("Other Root"), testpki.NewKey(t, "ecdsa"), nil)
	// Non-CA certificates load too (glib-networking's tests rely on it),
	// and a block that does not parse is skipped.
	path := writeFile(t, "anchors.pem", p.Root.PEM()+pemOf("CERTIFICATE", []byte("junk"))+other.PEM()+p.Client.PEM()+p.Root.PEM())
	db, err := NewFileDatabase(path, "file://"+path)
	if err != nil {
		t.Fatal(err)
	}

	flags, err := db.VerifyChain(chainOf(t, p.Server, p.Intermediate), PurposeAuthenticateServer, HostIdentity("localhost"))
	if err != nil || flags != 0 {
		t.Errorf("good chain: %#x, %v", flags, err)
	}
	flags, _ = db.VerifyChain(chainOf(t, p.Server, p.Intermediate), PurposeAuthenticateServer, HostIdentity("nope"))
	if flags != FlagBadIdentity {
		t.Errorf("wrong host: %#x", flags)
	}
	// A trusted leaf verifies as itself.
	flags, _ = db.VerifyChain(chainOf(t, p.Client), PurposeAuthenticateClient, Identity{})
	if flags != 0 {
		t.Errorf("anchored leaf: %#x", flags)
	}

	handle := db.CertificateHandle(certOf(t, p.Root))
	if !strings.HasPrefix(handle, "file://"+path+"#") || len(handle) != len("file://"+path+"#")+64 {
		t.Errorf("handle %q", handle)
	}
	got, err := db.LookupHandle(handle)
	if err != nil || got == nil || !got.IsSame(certOf(t, p.Root)) {
		t.Errorf("lookup of %q: %v, %v", handle, got, err)
	}
	if h := db.CertificateHandle(certOf(t, p.Intermediate)); h != "" {
		t.Errorf("handle for a certificate not in the database: %q", h)
	}
	for _, bad := range []string{"blah:blah", handle[:len(handle)-2], "file:///other#" + handle[len(handle)-64:], ""} {
		if c, err := db.LookupHandle(bad); c != nil || err != nil {
			t.Errorf("lookup of %q: %v, %v", bad, c, err)
		}
	}

	issuer, err := db.LookupIssuer(certOf(t, p.Intermediate), false)
	if err != nil || issuer == nil || !issuer.IsSame(certOf(t, p.Root)) {
		t.Errorf("issuer of the intermediate: %v, %v", issuer, err)
	}
	if issuer, _ := db.LookupIssuer(certOf(t, p.Intermediate), true); issuer != nil {
		t.Error("key-pair lookup found an anchor (anchors have no keys)")
	}
	if issuer, _ := db.LookupIssuer(certOf(t, p.Server), false); issuer != nil {
		t.Error("found an issuer the database does not hold")
	}

	issued, err := db.LookupIssuedBy(p.Intermediate.X.RawSubject, false)
	if err != nil || len(issued) != 1 || !issued[0].IsSame(certOf(t, p.Client)) {
		t.Errorf("issued by the intermediate: %v, %v", issued, err)
	}
	issued, _ = db.LookupIssuedBy(p.Root.X.RawSubject, false)
	if len(issued) != 1 || !issued[0].IsSame(certOf(t, p.Root)) {
		t.Errorf("issued by the root (itself only, once): %d", len(issued))
	}
	if issued, _ := db.LookupIssuedBy([]byte("nothing"), false); len(issued) != 0 {
		t.Error("found certificates for a name nobody has")
	}
}

func TestFileDatabaseErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		path, want string
	}{
		"relative":  {"anchors.pem", "must be an absolute path"},
		"missing":   {filepath.Join(t.TempDir(), "missing.pem"), "no such file"},
		"empty":     {writeFile(t, "empty.pem", ""), "no certificate found"},
		"key only":  {writeFile(t, "key.pem", pemOf("PRIVATE KEY", []byte{1})), "no certificate found"},
		"directory": {t.TempDir(), "Failed to populate trust list"},
		"garbage":   {writeFile(t, "junk.pem", pemOf("CERTIFICATE", []byte("junk"))), "no certificate found"},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := NewFileDatabase(tc.path, "x")
			if db != nil || !errors.Is(err, errkind.ErrTLSMisc) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, %v; want errkind.ErrTLSMisc saying %q", db, err, tc.want)
			}
		})
	}
}

// resetSystemStore forgets the loaded system store (tests only).
func resetSystemStore(t *testing.T) {
	systemOnce = sync.Once{}
	systemSet, systemErr = nil, nil
	t.Cleanup(func() {
		systemOnce = sync.Once{}
		systemSet, systemErr, systemLoadLog = nil, nil, nil
	})
}

func TestSystemStoreLoadsOnceFromSSLCertFile(t *testing.T) {
	p := testpki.New(t)
	resetSystemStore(t)
	t.Setenv("SSL_CERT_FILE", writeFile(t, "bundle.pem", p.Root.PEM()))
	t.Setenv("SSL_CERT_DIR", "")
	loads := 0
	systemLoadLog = func(string, int) { loads++ }

	db := SystemDatabase()
	if db != SystemDatabase() {
		t.Error("two system databases")
	}
	if loads != 0 {
		t.Error("the system store loaded before its first use")
	}
	for range 3 {
		flags, err := db.VerifyChain(chainOf(t, p.Server, p.Intermediate), PurposeAuthenticateServer, HostIdentity("localhost"))
		if err != nil || flags != 0 {
			t.Fatalf("flags %#x, %v", flags, err)
		}
	}
	if loads != 1 {
		t.Errorf("the system store loaded %d times", loads)
	}
	if h := db.CertificateHandle(certOf(t, p.Root)); !strings.HasPrefix(h, "system-trust:#") {
		t.Errorf("system handle %q", h)
	}
}

func TestSystemStoreFromSSLCertDir(t *testing.T) {
	p := testpki.New(t)
	resetSystemStore(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "root.pem"), []byte(p.Root.PEM()), 0o600)
	t.Setenv("SSL_CERT_FILE", filepath.Join(dir, "absent.pem"))
	t.Setenv("SSL_CERT_DIR", dir)
	flags, err := SystemDatabase().VerifyChain(chainOf(t, p.Server, p.Intermediate), "", Identity{})
	if err != nil || flags != 0 {
		t.Errorf("flags %#x, %v", flags, err)
	}
}

func TestSystemStoreFailureIsAnError(t *testing.T) {
	p := testpki.New(t)
	resetSystemStore(t)
	t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "absent.pem"))
	t.Setenv("SSL_CERT_DIR", "")
	flags, err := SystemDatabase().VerifyChain(chainOf(t, p.Server), "", Identity{})
	if flags != FlagGenericError || !errors.Is(err, errkind.ErrTLSMisc) || !strings.Contains(err.Error(), "system trust store") {
		t.Errorf("flags %#x, %v", flags, err)
	}
}

func TestDebianSystemStore(t *testing.T) {
	if _, err := os.Stat(systemBundles[0]); err != nil {
		t.Skip("no Debian CA bundle here")
	}
	t.Setenv("SSL_CERT_FILE", "")
	t.Setenv("SSL_CERT_DIR", "")
	resetSystemStore(t)
	set, err := systemAnchors()
	if err != nil || len(set.certs) < 50 {
		t.Fatalf("%v anchors, %v", len(set.certs), err)
	}
}

func BenchmarkSystemStoreLoad(b *testing.B) {
	if _, err := os.Stat(systemBundles[0]); err != nil {
		b.Skip("no Debian CA bundle here")
	}
	for b.Loop() {
		if _, err := loadSystemAnchors(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyChain(b *testing.B) {
	p := testpki.New(b)
	chain := chainOf(b, p.Server, p.Intermediate)
	anchors := anchorsOf(p.Root)
	for b.Loop() {
		if verifyChain(chain, anchors, PurposeAuthenticateServer, testpki.NotBefore.AddDate(1, 0, 0)) != 0 {
			b.Fatal("did not verify")
		}
	}
}
