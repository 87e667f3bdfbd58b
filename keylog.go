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
// ignore it: a debugging aid never breaks a connection. capture, when not
// nil, gets the lines too (dtlsgo's record layer derives its keys from
// them).
func keyLog(path string, capture io.Writer) (dtls.Option, io.Closer) {
	f := openKeyLog(path)
	switch {
	case f != nil && capture != nil:
		return dtls.WithKeyLogWriter(io.MultiWriter(capture, f)), f
	case f != nil:
		return dtls.WithKeyLogWriter(f), f
	case capture != nil:
		return dtls.WithKeyLogWriter(capture), nil
	}
	return nil, nil
}

// openKeyLog opens path for appending key log lines; nil when path is
// empty or cannot be opened.
func openKeyLog(path string) *os.File {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil
	}
	return f
}
