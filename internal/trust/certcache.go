package trust

import (
	"crypto/x509"
	"runtime"
	"sync"
	"weak"
)

// Every client of the same server is sent the same certificates, and each
// connection's peer-certificate holds its chain for the connection's life:
// parsed once per connection, a chain costs about 2 KiB of heap per idle
// connection. So parsed certificates are shared by their DER while any
// holder lives, as crypto/tls shares its clients' (its certCache). A
// parsed certificate is never modified.
var sharedParses = struct {
	sync.Mutex
	m map[string]weak.Pointer[x509.Certificate]
}{m: make(map[string]weak.Pointer[x509.Certificate])}

// parseShared parses der, or returns the certificate already parsed from
// the same bytes while it is in use.
func parseShared(der []byte) (*x509.Certificate, error) {
	sharedParses.Lock()
	wp, ok := sharedParses.m[string(der)]
	sharedParses.Unlock()
	if ok {
		if c := wp.Value(); c != nil {
			return c, nil
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	key := string(c.Raw)
	sharedParses.Lock()
	defer sharedParses.Unlock()
	if old, ok := sharedParses.m[key]; ok {
		if oc := old.Value(); oc != nil {
			return oc, nil // parsed meanwhile by another caller
		}
	}
	wp = weak.Make(c)
	sharedParses.m[key] = wp
	runtime.AddCleanup(c, forgetParse, parseKey{key, wp})
	return c, nil
}

type parseKey struct {
	der string
	wp  weak.Pointer[x509.Certificate]
}

// forgetParse drops a certificate nobody holds any more (unless the same
// DER has been parsed again since).
func forgetParse(k parseKey) {
	sharedParses.Lock()
	if sharedParses.m[k.der] == k.wp {
		delete(sharedParses.m, k.der)
	}
	sharedParses.Unlock()
}
