package dtlsgo

import (
	"io"
	"os"

	"github.com/pion/dtls/v3"
)

// keyLog opens the key log file (SSLKEYLOGFILE) for one handshake, in
// append mode so that several connections and processes share it: pion
// writes each NSS key log line ("CLIENT_RANDOM <random> <master secret>")
// in one write. A file that cannot be opened is ignored, as NSS and OpenSSL
// ignore it: a debugging aid never breaks a connection.
func keyLog(path string) (dtls.Option, io.Closer) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil
	}
	return dtls.WithKeyLogWriter(f), f
}
