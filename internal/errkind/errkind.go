// Package errkind holds dtlsgo's error kinds: one sentinel per failure a GLib
// caller can tell apart, and the error type that carries one.
package errkind

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per failure a GLib caller can tell apart. Package
// export maps each to its GError domain and code in one place; everything the
// core returns wraps exactly one of them (test with errors.Is).
var (
	// G_TLS_ERROR
	ErrTLSUnavailable         = errors.New("TLS unavailable")
	ErrTLSMisc                = errors.New("TLS error")
	ErrBadCertificate         = errors.New("bad certificate")
	ErrNotTLS                 = errors.New("not TLS")
	ErrHandshake              = errors.New("handshake failed")
	ErrCertificateRequired    = errors.New("certificate required")
	ErrEOF                    = errors.New("TLS connection closed unexpectedly")
	ErrInappropriateFallback  = errors.New("inappropriate fallback")
	ErrBadCertificatePassword = errors.New("bad certificate password")
	ErrChannelBindingNotImpl  = errors.New("channel binding type not implemented")
	ErrChannelBindingInvalid  = errors.New("channel binding data not available in this state")
	ErrChannelBindingNotAvail = errors.New("channel binding data not available")
	ErrChannelBindingNotSupp  = errors.New("channel binding type not supported")
	ErrChannelBindingGeneral  = errors.New("channel binding error")

	// G_IO_ERROR
	ErrFailed          = errors.New("operation failed")
	ErrNotFound        = errors.New("not found")
	ErrInvalidArgument = errors.New("invalid argument")
	ErrNotSupported    = errors.New("not supported")
	ErrClosed          = errors.New("connection is closed")
	ErrCancelled       = errors.New("operation was cancelled")
	ErrTimedOut        = errors.New("operation timed out")
	ErrWouldBlock      = errors.New("operation would block")
	ErrMessageTooLarge = errors.New("message too large")
	ErrBrokenPipe      = errors.New("broken pipe")
	ErrInvalidData     = errors.New("invalid data")
	ErrPermission      = errors.New("permission denied")

	// Nothing listens at the peer's port (an ICMP port unreachable).
	ErrConnectionRefused = errors.New("connection refused")
)

// Error carries a caller-facing message while still matching its sentinel
// and, through Unwrap, the underlying cause.
type Error struct {
	kind  error
	msg   string
	cause error
}

func (e *Error) Error() string        { return e.msg }
func (e *Error) Is(target error) bool { return target == e.kind }
func (e *Error) Unwrap() error        { return e.cause }

// Errorf returns an error matching kind whose message is the formatted text.
// A %w verb in format also records the cause.
func Errorf(kind error, format string, args ...any) error {
	formatted := fmt.Errorf(format, args...)
	return &Error{kind: kind, msg: formatted.Error(), cause: errors.Unwrap(formatted)}
}

// WithCause returns an error matching kind and cause whose message is msg
// alone, for a cause whose own text the caller should not see.
func WithCause(kind, cause error, msg string) error {
	return &Error{kind: kind, msg: msg, cause: cause}
}

// Kind returns the sentinel err matches, or ErrFailed when it matches none.
func Kind(err error) error {
	for _, k := range allKinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return ErrFailed
}

var allKinds = []error{
	ErrTLSUnavailable, ErrTLSMisc, ErrBadCertificate, ErrNotTLS, ErrHandshake,
	ErrCertificateRequired, ErrEOF, ErrInappropriateFallback, ErrBadCertificatePassword,
	ErrChannelBindingNotImpl, ErrChannelBindingInvalid, ErrChannelBindingNotAvail,
	ErrChannelBindingNotSupp, ErrChannelBindingGeneral,
	ErrFailed, ErrNotFound, ErrInvalidArgument, ErrNotSupported, ErrClosed, ErrCancelled,
	ErrTimedOut, ErrWouldBlock, ErrMessageTooLarge, ErrBrokenPipe, ErrInvalidData, ErrPermission,
	ErrConnectionRefused,
}
