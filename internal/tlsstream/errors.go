package tlsstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
)

// Code is the kind of failure a caller can tell apart; the module maps
// each to one GError domain and code.
type Code int

const (
	CodeFailed Code = iota
	CodeNotTLS
	CodeHandshake
	CodeMisc
	CodeCertificateRequired
	CodeEOF
	CodeInappropriateFallback
	CodeClosed
	CodeCancelled
	CodeTimedOut
	CodeWouldBlock
	CodeBrokenPipe
)

// Error is a failure of the engine itself. Errors of the caller's hooks
// and context causes the caller set are returned as they are.
type Error struct {
	Code Code
	Msg  string
	// Alert is the fatal alert the peer sent, or -1.
	Alert int
}

func (e *Error) Error() string { return e.Msg }

func newError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Alert: -1}
}

// TLS alerts the errors single out (RFC 8446 section 6).
const (
	alertCloseNotify           = 0
	alertInappropriateFallback = 86
	alertCertificateRequired   = 116
)

// receivedAlert reports the alert the peer sent, if err says so. crypto/tls
// returns it as a net.OpError "remote error" around its unexported alert
// type (a uint8).
func receivedAlert(err error) (int, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() != reflect.Uint8 {
		return 0, false
	}
	return int(v.Uint()), true
}

// contextError is why ctx ended: its own cause when the caller gave one.
func contextError(ctx context.Context, doing string) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return newError(CodeTimedOut, "Operation timed out while %s", doing)
	case errors.Is(cause, context.Canceled):
		return newError(CodeCancelled, "Operation was cancelled")
	}
	return cause
}

// crypto/tls's text for a server whose client sent no certificate under
// RequireAnyClientCert: it has no sentinel.
const goNoClientCertificate = "tls: client didn't provide a certificate"

// handshakeError says why a handshake failed, in GLib's terms (after
// glib-networking: a peer that goes away or never speaks TLS is NOT_TLS).
func (c *Conn) handshakeError(ctx context.Context, err error, hookErr error) error {
	if hookErr != nil {
		return hookErr
	}
	if ctx.Err() != nil {
		return contextError(ctx, "performing the TLS handshake")
	}
	if c.isClosed() {
		return newError(CodeClosed, "Connection is closed")
	}
	if desc, ok := receivedAlert(err); ok {
		e := alertError(err, desc)
		if desc == alertCloseNotify {
			e.Code = CodeNotTLS
		}
		return e
	}
	var rh tls.RecordHeaderError
	var ech *tls.ECHRejectionError
	switch {
	case errors.As(err, &ech):
		return echRejected(ech)
	case errors.As(err, &rh):
		return newError(CodeNotTLS, "Peer failed to perform TLS handshake: it does not speak TLS")
	case c.raw.sawEOF(), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newError(CodeNotTLS, "Peer failed to perform TLS handshake: The TLS connection was non-properly terminated.")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return newError(CodeNotTLS, "Peer failed to perform TLS handshake: %s", osText(err))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return newError(CodeTimedOut, "Socket I/O timed out")
	case err.Error() == goNoClientCertificate:
		return newError(CodeCertificateRequired, "TLS connection peer did not send a certificate")
	}
	return newError(CodeHandshake, "Error performing TLS handshake: %v", err)
}

// echRejected says that the server did not decrypt the client's Encrypted
// Client Hello. Its retry configs come from a handshake nothing verified,
// so they are only counted.
func echRejected(e *tls.ECHRejectionError) *Error {
	why := "it does not support ECH or has no key for any config of the ech-config-list"
	if len(e.RetryConfigList) > 0 {
		why = "the ech-config-list is not one of its current configs " +
			"(it offered others to retry with; get its current ECHConfigList from where the list came from, e.g. its DNS HTTPS record)"
	}
	return newError(CodeHandshake, "The server rejected Encrypted Client Hello: %s; the connection ended before any application data", why)
}

// alertError is the peer's fatal alert desc (in err) as GLib names it.
func alertError(err error, desc int) *Error {
	e := newError(CodeMisc, "Peer sent fatal TLS alert: %s", alertText(err))
	e.Alert = desc
	switch desc {
	case alertCertificateRequired:
		// TLS 1.3 clients learn it after their handshake, from a read.
		e.Code, e.Msg = CodeCertificateRequired, "Server required TLS certificate"
	case alertInappropriateFallback:
		e.Code = CodeInappropriateFallback
	}
	return e
}

// readError says why reading ended: nil for the peer's close_notify, or
// errRawEOF for a stream that ended without one at a record boundary (the
// caller's require-close-notify decides what that is).
func (c *Conn) readError(err error) error {
	if desc, ok := receivedAlert(err); ok {
		if desc == alertCloseNotify {
			return nil
		}
		return alertError(err, desc)
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		// crypto/tls's word for a stream cut inside a record: data was
		// lost on the way, which no require-close-notify makes clean
		// (GnuTLS fails it too).
		return newError(CodeEOF, "TLS connection closed unexpectedly in the middle of a record")
	case errors.Is(err, io.EOF) && !c.raw.sawEOF():
		return nil // the peer's close_notify
	case c.raw.sawEOF(), errors.Is(err, io.EOF):
		return errRawEOF
	case c.isClosed(), errors.Is(err, net.ErrClosed):
		return newError(CodeClosed, "Connection is closed")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return newError(CodeBrokenPipe, "Error receiving data: %s", osText(err))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return newError(CodeTimedOut, "Socket I/O timed out")
	case isProtocolError(err):
		// A record the peer did not seal (garbage, a bad MAC, a wrong
		// version): GLib's backends call it G_TLS_ERROR_MISC.
		return newError(CodeMisc, "Error reading data from TLS socket: %v", err)
	}
	return newError(CodeFailed, "Error reading data from TLS socket: %v", err)
}

// isProtocolError: err is crypto/tls refusing what it received (a record
// header, a record, a message), not the transport failing. Refusals come as
// a RecordHeaderError, as the alert crypto/tls sent ("local error"), or as
// its own "tls: " errors.
func isProtocolError(err error) bool {
	var rh tls.RecordHeaderError
	var op *net.OpError
	return errors.As(err, &rh) ||
		(errors.As(err, &op) && op.Op == "local error") ||
		strings.HasPrefix(err.Error(), "tls: ")
}

// writeError says why a write failed.
func (c *Conn) writeError(err error) error {
	switch {
	case c.isClosed(), errors.Is(err, net.ErrClosed):
		return newError(CodeClosed, "Connection is closed")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return newError(CodeBrokenPipe, "Error sending data: %s", osText(err))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return newError(CodeTimedOut, "Socket I/O timed out")
	}
	return newError(CodeFailed, "Error writing data to TLS socket: %v", err)
}

// errRawEOF marks a stream that ended without close_notify.
var errRawEOF = errors.New("tlsstream: the base stream ended without close_notify")

// osText is an errno's text as GLib prints it ("Broken pipe").
func osText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return string(s[0]-'a'+'A') + s[1:]
	}
	return err.Error()
}

// alertText is the alert's name without crypto/tls's "tls: " prefix.
func alertText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		s := op.Err.Error()
		if len(s) > 5 && s[:5] == "tls: " {
			return s[5:]
		}
		return s
	}
	return err.Error()
}
