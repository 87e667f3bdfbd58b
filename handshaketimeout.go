package dtlsgo

import (
	"context"
	"errors"
	"fmt"
	"github.com/dtlsgo/dtlsgo/internal/errkind"
	"strconv"
	"time"
)

// How a handshake's time bounds become errors. GLib allows
// G_IO_ERROR_TIMED_OUT only from a call whose own timeout is > 0 and
// expired: g_datagram_based_send_messages and receive_messages drop any
// other with a CRITICAL, and the caller is left with a failure and no
// error. So a handshake that reaches its own bound (handshake-timeout)
// fails with ErrHandshake, and ErrTimedOut reaches only the call whose
// timeout ended the handshake; what every later call sees is ErrHandshake.

// errHandshakeDeadline marks a handshake that reached a time bound.
var errHandshakeDeadline = errors.New("the DTLS handshake reached its time bound")

// handshakeDeadlineError is the failure of a handshake that reached its
// own bound d.
func handshakeDeadlineError(d time.Duration) error {
	return errkind.WithCause(ErrHandshake, errHandshakeDeadline,
		fmt.Sprintf("DTLS handshake timed out after %s", seconds(d)))
}

// callerTimeout is the cause of a context that ended at a GLib caller's
// timeout: it matches context.DeadlineExceeded (contextError reports it as
// ErrTimedOut) and remembers the timeout for stickyHandshakeError.
type callerTimeout struct{ d time.Duration }

func (e callerTimeout) Error() string        { return context.DeadlineExceeded.Error() }
func (e callerTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// WithCallerTimeout bounds parent by the timeout d of a GLib call.
func WithCallerTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(parent, d, callerTimeout{d})
}

// stickyHandshakeError is the error every call after a failed handshake
// reports: err, unless err is the timeout of the call that ran the
// handshake (opCtx), which is not theirs.
func stickyHandshakeError(opCtx context.Context, err error) error {
	if !errors.Is(err, ErrTimedOut) {
		return err
	}
	var ct callerTimeout
	if errors.As(context.Cause(opCtx), &ct) {
		return errkind.WithCause(ErrHandshake, errHandshakeDeadline,
			fmt.Sprintf("DTLS handshake timed out after %s (the timeout of the operation that started it)", seconds(ct.d)))
	}
	return Errorf(ErrHandshake, "DTLS handshake failed: %v", err)
}

// timedOut reports whether err ended a wait at a time bound: a caller's
// or the handshake's own.
func timedOut(err error) bool {
	return errors.Is(err, ErrTimedOut) || errors.Is(err, errHandshakeDeadline)
}

// seconds formats d as people write a timeout: "60s", "0.3s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}
