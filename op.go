package dtlsgo

import (
	"context"
	"errors"
	"time"

	"github.com/dtlsgo/dtlsgo/internal/socket"
)

// Op bounds one send or receive as GDatagramBased does: Poll never waits
// (ErrWouldBlock), otherwise the call waits until Deadline (zero: no
// bound; then ErrTimedOut) or until Cancel fires (ErrCancelled). It is a
// value, not a context: an established send or receive that needs no wait
// allocates nothing.
type Op struct {
	Poll     bool
	Deadline time.Time
	Cancel   Canceller // nil: not cancellable
}

// OpWithin is the Op of a GLib call with timeout (< 0: none, 0: poll).
func OpWithin(timeout time.Duration, cancel Canceller) Op {
	op := Op{Poll: timeout == 0, Cancel: cancel}
	if timeout > 0 {
		op.Deadline = time.Now().Add(timeout)
	}
	return op
}

// Canceller is a caller's cancellation (a GCancellable), asked only when
// an operation has to wait.
type Canceller interface {
	// FD returns a descriptor that becomes readable once cancelled, held
	// until ReleaseFD; -1 when there is none.
	FD() int
	ReleaseFD()
	// Cancelled reports whether it fired.
	Cancelled() bool
	// Watch calls cancel once it fires, until stop is called.
	Watch(cancel func()) (stop func())
}

// ErrNeedHandshake is what Send and Receive return, having done nothing,
// while the handshake has not run or is running: the caller runs (or
// joins) it and calls again.
var ErrNeedHandshake = errors.New("dtlsgo: the DTLS handshake has not completed")

var errOpCancelled = Errorf(ErrCancelled, "Operation was cancelled")

// wait is op for a read on the caller's thread.
func (op Op) wait() socket.Wait {
	w := socket.Wait{Deadline: op.Deadline}
	if op.Cancel != nil {
		w.Cancel = op.Cancel
	}
	return w
}

// ended is the error of an op whose wait ended without what it waited for:
// cancelled, or past its deadline; nil while neither.
func (op Op) ended(doing string) error {
	switch {
	case op.Cancel != nil && op.Cancel.Cancelled():
		return errOpCancelled
	case !op.Deadline.IsZero() && !time.Now().Before(op.Deadline):
		return Errorf(ErrTimedOut, "Operation timed out while %s", doing)
	}
	return nil
}

// context is op as a context, for the waits that select on channels
// (another operation in progress, a base socket read by a goroutine);
// those are the slow paths, and this allocates.
func (op Op) context() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	releases := []func(){func() { cancel(nil) }}
	if !op.Deadline.IsZero() {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadlineCause(ctx, op.Deadline, callerTimeout{time.Until(op.Deadline)})
		releases = append(releases, stop)
	}
	if op.Cancel != nil {
		releases = append(releases, op.Cancel.Watch(func() { cancel(errOpCancelled) }))
	}
	return ctx, func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
}
