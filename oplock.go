package dtlsgo

import (
	"context"
	"errors"
)

// opLock admits one operation of a kind (one reader, one writer) at a time,
// as GDatagramBased promises; a second caller waits within its own timeout.
type opLock chan struct{}

func newOpLock() opLock { return make(opLock, 1) }

// acquire takes the lock, or fails with ErrWouldBlock when op polls and
// the lock is busy, or when op ends with ErrTimedOut or ErrCancelled.
func (l opLock) acquire(op Op) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	if op.Poll {
		return Errorf(ErrWouldBlock, "another operation is in progress")
	}
	ctx, release := op.context()
	defer release()
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return contextError(ctx, "waiting for another operation")
	}
}

func (l opLock) release() { <-l }

// contextError maps a finished context to the GLib error for it: its cause
// when one was given (a GCancellable, a close), else by deadline or cancel.
func contextError(ctx context.Context, doing string) error {
	return ContextError(ctx, doing)
}

// ContextError is contextError for the cgo seam (export/).
func ContextError(ctx context.Context, doing string) error {
	cause := context.Cause(ctx)
	switch {
	case cause == nil:
		return nil
	case errors.Is(cause, context.DeadlineExceeded):
		return Errorf(ErrTimedOut, "Operation timed out while %s", doing)
	case errors.Is(cause, context.Canceled):
		return Errorf(ErrCancelled, "Operation was cancelled")
	default:
		return cause
	}
}
