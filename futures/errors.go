package futures

import (
	"context"
	"errors"
	"fmt"
)

// ErrCancelled is the error of a future that was cancelled before its task
// started: by [Future.Cancel], by the end of the context given to [Submit], by
// [ThreadPool.ShutdownCancel], or by a [ThreadPool.Shutdown] whose context
// expired. When the cause was a
// context, the error also matches that context's error (for example
// [context.DeadlineExceeded]) with [errors.Is].
var ErrCancelled = errors.New("futures: cancelled")

// ErrShutdown is the error of a future submitted to an executor that had
// already begun to shut down. Its task never runs. A task that a shutdown
// cancelled before it started (see [ThreadPool.ShutdownCancel]) fails with an
// error that matches both ErrShutdown and [ErrCancelled].
var ErrShutdown = errors.New("futures: executor shut down")

// ErrQueueFull is returned by [ThreadPool.TrySubmit] when the pool's bounded
// queue has no room; the task was not accepted.
var ErrQueueFull = errors.New("futures: queue full")

// ErrBroken is matched by the error of the futures of an executor that can
// no longer run tasks, as Python's BrokenExecutor: for a [ThreadPool] whose
// initializer failed (Python's BrokenThreadPool), the tasks waiting in its
// queue and every later submission fail with an error that matches
// ErrBroken and wraps the initializer's error; tasks already running finish
// normally. The mp package's process pool has its own sentinel, which
// matches this one too.
var ErrBroken = errors.New("futures: executor broken")

// errNilFunc and errNilExecutor fail the future of a Submit called with a nil
// function or a nil executor: programmer errors that nobody branches on, so
// they are not exported.
var (
	errNilFunc     = errors.New("futures: Submit called with a nil function")
	errNilExecutor = errors.New("futures: Submit called with a nil Executor")
)

// A PanicError is the error of a future whose task panicked. The panic is
// recovered in the goroutine that ran the task, so it never crashes the
// program and is never re-raised in the goroutine that waits for the result.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the stack of the goroutine that panicked, as formatted by
	// [runtime/debug.Stack], taken where the panic was recovered.
	Stack []byte
}

// Error reports the panic value; the stack is left out to keep messages
// short, and is in the Stack field.
func (e *PanicError) Error() string {
	return fmt.Sprintf("futures: task panicked: %v", e.Value)
}

// Unwrap returns Value when it is an error, so that errors.Is and errors.As
// see through the panic to the error it carried.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// cancelledBy returns the error of a future cancelled because ctx ended: it
// matches ErrCancelled, ctx.Err() and, when one was given, ctx's cause.
func cancelledBy(ctx context.Context) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause == nil || cause == err {
		return fmt.Errorf("%w: %w", ErrCancelled, err)
	}
	return fmt.Errorf("%w: %w: %w", ErrCancelled, err, cause)
}
