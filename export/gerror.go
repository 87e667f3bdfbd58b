package main

// #include <gio/gio.h>
// #include <stdlib.h>
//
// static void dtlsgo_set_error (GError **error, GQuark domain, int code, const char *msg)
// {
//   g_set_error_literal (error, domain, code, msg);
// }
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"unsafe"

	"github.com/dtlsgo/dtlsgo"
)

// gerrorCode is where a sentinel of the core lands in GLib's error space.
type gerrorCode struct {
	domain func() C.GQuark
	code   C.int
}

func tlsDomain() C.GQuark            { return C.g_tls_error_quark() }
func ioDomain() C.GQuark             { return C.g_io_error_quark() }
func channelBindingDomain() C.GQuark { return C.g_tls_channel_binding_error_quark() }

var gerrorCodes = map[error]gerrorCode{
	dtlsgo.ErrTLSUnavailable:         {tlsDomain, C.G_TLS_ERROR_UNAVAILABLE},
	dtlsgo.ErrTLSMisc:                {tlsDomain, C.G_TLS_ERROR_MISC},
	dtlsgo.ErrBadCertificate:         {tlsDomain, C.G_TLS_ERROR_BAD_CERTIFICATE},
	dtlsgo.ErrNotTLS:                 {tlsDomain, C.G_TLS_ERROR_NOT_TLS},
	dtlsgo.ErrHandshake:              {tlsDomain, C.G_TLS_ERROR_HANDSHAKE},
	dtlsgo.ErrCertificateRequired:    {tlsDomain, C.G_TLS_ERROR_CERTIFICATE_REQUIRED},
	dtlsgo.ErrEOF:                    {tlsDomain, C.G_TLS_ERROR_EOF},
	dtlsgo.ErrInappropriateFallback:  {tlsDomain, C.G_TLS_ERROR_INAPPROPRIATE_FALLBACK},
	dtlsgo.ErrBadCertificatePassword: {tlsDomain, C.G_TLS_ERROR_BAD_CERTIFICATE_PASSWORD},
	dtlsgo.ErrChannelBindingNotImpl:  {channelBindingDomain, C.G_TLS_CHANNEL_BINDING_ERROR_NOT_IMPLEMENTED},
	dtlsgo.ErrChannelBindingInvalid:  {channelBindingDomain, C.G_TLS_CHANNEL_BINDING_ERROR_INVALID_STATE},
	dtlsgo.ErrChannelBindingNotAvail: {channelBindingDomain, C.G_TLS_CHANNEL_BINDING_ERROR_NOT_AVAILABLE},
	dtlsgo.ErrChannelBindingNotSupp:  {channelBindingDomain, C.G_TLS_CHANNEL_BINDING_ERROR_NOT_SUPPORTED},
	dtlsgo.ErrChannelBindingGeneral:  {channelBindingDomain, C.G_TLS_CHANNEL_BINDING_ERROR_GENERAL_ERROR},
	dtlsgo.ErrFailed:                 {ioDomain, C.G_IO_ERROR_FAILED},
	dtlsgo.ErrNotFound:               {ioDomain, C.G_IO_ERROR_NOT_FOUND},
	dtlsgo.ErrInvalidArgument:        {ioDomain, C.G_IO_ERROR_INVALID_ARGUMENT},
	dtlsgo.ErrNotSupported:           {ioDomain, C.G_IO_ERROR_NOT_SUPPORTED},
	dtlsgo.ErrClosed:                 {ioDomain, C.G_IO_ERROR_CLOSED},
	dtlsgo.ErrCancelled:              {ioDomain, C.G_IO_ERROR_CANCELLED},
	dtlsgo.ErrTimedOut:               {ioDomain, C.G_IO_ERROR_TIMED_OUT},
	dtlsgo.ErrWouldBlock:             {ioDomain, C.G_IO_ERROR_WOULD_BLOCK},
	dtlsgo.ErrMessageTooLarge:        {ioDomain, C.G_IO_ERROR_MESSAGE_TOO_LARGE},
	dtlsgo.ErrBrokenPipe:             {ioDomain, C.G_IO_ERROR_BROKEN_PIPE},
	dtlsgo.ErrInvalidData:            {ioDomain, C.G_IO_ERROR_INVALID_DATA},
	dtlsgo.ErrPermission:             {ioDomain, C.G_IO_ERROR_PERMISSION_DENIED},
	dtlsgo.ErrConnectionRefused:      {ioDomain, C.G_IO_ERROR_CONNECTION_REFUSED},
}

// setError reports err through a GError** (which may be NULL). The only place
// Go errors become GErrors.
func setError(gerr **C.GError, err error) {
	if err == nil || gerr == nil {
		return
	}
	msg := C.CString(err.Error())
	defer C.free(unsafe.Pointer(msg))
	var fe *foreignError
	if errors.As(err, &fe) {
		C.dtlsgo_set_error(gerr, fe.domain, fe.code, msg)
		return
	}
	gc := gerrorCodes[dtlsgo.Kind(err)]
	C.dtlsgo_set_error(gerr, gc.domain(), gc.code, msg)
}

// guard is deferred first in every export: a panic must never unwind into
// the host, so it becomes a G_IO_ERROR_FAILED (when the export can report
// one) and a line on stderr with the stack.
func guard(gerr **C.GError) {
	if r := recover(); r != nil {
		reportPanic(r, gerr)
	}
}

func reportPanic(r any, gerr **C.GError) {
	if gerr != nil && *gerr != nil {
		C.g_clear_error(gerr)
	}
	setError(gerr, panicError(r))
}

// panicError logs a recovered panic with its stack and returns the error a
// caller sees for it.
func panicError(r any) error {
	fmt.Fprintf(os.Stderr, "dtlsgo: internal error: %v\n%s", r, debug.Stack())
	return dtlsgo.Errorf(dtlsgo.ErrFailed, "dtlsgo internal error: %v", r)
}

// foreignError carries a GError from GLib code (an interaction, a
// database) through the Go core unchanged.
type foreignError struct {
	domain C.GQuark
	code   C.int
	msg    string
}

func (e *foreignError) Error() string { return e.msg }

// ForeignError marks errors the core must pass through as they are.
func (e *foreignError) ForeignError() {}

func errorFromC(gerr *C.GError) error {
	return &foreignError{domain: gerr.domain, code: gerr.code, msg: C.GoString(gerr.message)}
}
