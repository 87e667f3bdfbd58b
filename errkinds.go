package dtlsgo

import "github.com/dtlsgo/dtlsgo/internal/errkind"

// The error kinds (internal/errkind), under the names export/ and the rest
// of the façade's callers use; each is the same value, so errors.Is holds
// across the two names.
var (
	// G_TLS_ERROR
	ErrTLSUnavailable         = errkind.ErrTLSUnavailable
	ErrTLSMisc                = errkind.ErrTLSMisc
	ErrBadCertificate         = errkind.ErrBadCertificate
	ErrNotTLS                 = errkind.ErrNotTLS
	ErrHandshake              = errkind.ErrHandshake
	ErrCertificateRequired    = errkind.ErrCertificateRequired
	ErrEOF                    = errkind.ErrEOF
	ErrInappropriateFallback  = errkind.ErrInappropriateFallback
	ErrBadCertificatePassword = errkind.ErrBadCertificatePassword
	ErrChannelBindingNotImpl  = errkind.ErrChannelBindingNotImpl
	ErrChannelBindingInvalid  = errkind.ErrChannelBindingInvalid
	ErrChannelBindingNotAvail = errkind.ErrChannelBindingNotAvail
	ErrChannelBindingNotSupp  = errkind.ErrChannelBindingNotSupp
	ErrChannelBindingGeneral  = errkind.ErrChannelBindingGeneral

	// G_IO_ERROR
	ErrFailed          = errkind.ErrFailed
	ErrNotFound        = errkind.ErrNotFound
	ErrInvalidArgument = errkind.ErrInvalidArgument
	ErrNotSupported    = errkind.ErrNotSupported
	ErrClosed          = errkind.ErrClosed
	ErrCancelled       = errkind.ErrCancelled
	ErrTimedOut        = errkind.ErrTimedOut
	ErrWouldBlock      = errkind.ErrWouldBlock
	ErrMessageTooLarge = errkind.ErrMessageTooLarge
	ErrBrokenPipe      = errkind.ErrBrokenPipe
	ErrInvalidData     = errkind.ErrInvalidData
	ErrPermission      = errkind.ErrPermission

	// Nothing listens at the peer's port (an ICMP port unreachable).
	ErrConnectionRefused = errkind.ErrConnectionRefused
)

// Errorf returns an error matching kind whose message is the formatted text.
// A %w verb in format also records the cause.
func Errorf(kind error, format string, args ...any) error {
	return errkind.Errorf(kind, format, args...)
}

// Kind returns the sentinel err matches, or ErrFailed when it matches none.
func Kind(err error) error { return errkind.Kind(err) }
