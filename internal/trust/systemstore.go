package trust

import (
	"crypto/x509"
	"errors"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The system trust store is read once per process, on first use, and
// shared by every connection: re-reading it per handshake is where the
// GnuTLS backend spends most of its handshake CPU.

// systemBundles are the CA bundle files crypto/x509 looks for on Linux,
// Debian's first. SSL_CERT_FILE replaces the list.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// SystemHandlePrefix starts the handles of system anchors (as in
// glib-networking).
const SystemHandlePrefix = "system-trust:"

var (
	systemOnce    sync.Once
	systemSet     *anchorSet
	systemErr     error
	systemDB      *Database
	systemDBOnce  sync.Once
	systemLoadLog func(bundle string, n int) // tests count loads
)

// SystemDatabase is the process's one system trust store. Creating it reads
// nothing; its first query loads the store.
func SystemDatabase() *Database {
	systemDBOnce.Do(func() {
		systemDB = &Database{handlePrefix: SystemHandlePrefix, anchors: systemAnchors}
	})
	return systemDB
}

func systemAnchors() (*anchorSet, error) {
	systemOnce.Do(func() { systemSet, systemErr = loadSystemAnchors() })
	return systemSet, systemErr
}

// loadSystemAnchors reads the first readable bundle, as crypto/x509 does,
// honouring SSL_CERT_FILE, plus the certificates of the directories listed
// in SSL_CERT_DIR when it is set. (crypto/x509 also reads /etc/ssl/certs by
// default; on Debian that holds the bundle's certificates again.)
func loadSystemAnchors() (*anchorSet, error) {
	bundles := systemBundles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		bundles = []string{f}
	}
	var firstErr error
	var certs []*x509.Certificate
	for _, f := range bundles {
		data, err := os.ReadFile(f)
		if err == nil {
			certs = parseAnchorsPEM(data)
			if systemLoadLog != nil {
				systemLoadLog(f, len(certs))
			}
			break
		}
		if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		for _, dir := range strings.Split(d, ":") {
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
					certs = append(certs, parseAnchorsPEM(data)...)
				}
			}
		}
	}
	if len(certs) == 0 {
		if firstErr == nil {
			firstErr = errors.New("no CA certificates found (set SSL_CERT_FILE or SSL_CERT_DIR)")
		}
		return newAnchorSet(nil), errkind.Errorf(errkind.ErrTLSMisc, "Failed to load system trust store: %v", firstErr)
	}
	return newAnchorSet(certs), nil
}
