package futures

import (
	"context"
	"errors"
	"fmt"
)

// An Executor runs tasks: [ThreadPool] in goroutines of this process; the mp
// package's Pool in worker processes. Users hand it work through [Submit] and
// [Map]; they implement Executor only to provide a new way to run tasks.
type Executor interface {
	// Execute schedules t to run once, now or later, and returns without
	// waiting for it. It may block while the executor has no room, until
	// t.Context() ends. An error means t was not accepted and will never
	// run: Submit then ends the task's future with that error (cancelled,
	// when t's context has ended).
	Execute(t Task) error

	// Shutdown stops the executor from accepting tasks and waits, until ctx
	// ends, for the accepted ones to finish. It is safe to call more than
	// once and from any goroutine.
	Shutdown(ctx context.Context) error
}

// A Task is one call made by [Submit], on its way to an Executor. An executor
// calls Run once, in the goroutine or process it chose, or ends the task
// without running it with Cancel or Reject. The zero Task does nothing.
//
// Run, Cancel, Reject and Context are all that an executor running tasks in
// this process needs. Begin, Guard and Assist serve executors that run the
// work somewhere else (the mp package's process pool, and any executor of
// registered functions behind its CallExecutor interface): the start of the
// work there, the race between a cancellation here and that start, and a
// waiter that reads its own outcome.
//
// A Task is a small value, meant to be copied.
type Task struct{ r runner }

// runner is the task side of a *Future[T].
type runner interface {
	run()
	cancel(cause error) bool
	reject(err error) bool
	context() context.Context
	begin() bool
	setGuard(g func() bool) bool
	setAssist(help func(context.Context)) bool
}

// Run calls the task's function in the calling goroutine with its context,
// unless the task was cancelled first or its context has ended (the future
// is then cancelled, even if the watcher of the context has not run yet),
// and ends its future with what the function returned. A panic in the function is recovered and fails the
// future with a [*PanicError]; Run itself returns normally. Run does nothing
// on a task that has already run or ended.
func (t Task) Run() {
	if t.r != nil {
		t.r.run()
	}
}

// Cancel ends a task that has not started: its future is cancelled with an
// error that matches both [ErrCancelled] and cause. It reports whether it did
// so; false means the task had already started or ended.
func (t Task) Cancel(cause error) bool {
	if t.r == nil {
		return false
	}
	if cause == nil || errors.Is(cause, ErrCancelled) {
		return t.r.cancel(ErrCancelled)
	}
	return t.r.cancel(fmt.Errorf("%w: %w", ErrCancelled, cause))
}

// Reject ends a task that has not started with err, for an executor that
// cannot run it (a pool that broke, a task that cannot cross a process
// boundary). It reports whether it did so.
func (t Task) Reject(err error) bool {
	if t.r == nil {
		return false
	}
	return t.r.reject(err)
}

// Begin marks the task as running without calling its function, for an
// executor that runs the work elsewhere, such as in another process, and
// calls Run later only to deliver the outcome (Run then calls the function
// without claiming the task again). From Begin on, Cancel of the future
// returns false. Begin reports false when the task has already ended or
// started; the work must then not start.
func (t Task) Begin() bool {
	return t.r != nil && t.r.begin()
}

// Guard makes every later cancellation of the task ask g first:
// [Future.Cancel], [Task.Cancel] and the end of the task's context cancel a
// task that has not started only when g returns true. An executor that
// hands the task to another process sets a guard that settles, in memory
// that process shares, the race between the cancellation and the start
// over there: g returns false once the work has begun. g must return
// promptly (a cluster's takes bounded round trips to its workers and its
// server) and must not wait for the task; it may call Begin. Guard reports
// false, and sets nothing, when the task has already ended: a cancellation
// came first, and the task must not run.
func (t Task) Guard(g func() bool) bool {
	return t.r != nil && g != nil && t.r.setGuard(g)
}

// Assist lets a goroutine that waits for the task's outcome help it come:
// a [Future.Result] or [Future.Err] call that would block calls help first,
// with its own ctx, then waits as usual. An executor whose outcomes arrive
// by I/O can have the waiter read its own outcome, which spares a hand-off
// between goroutines: while processors idle, the Go scheduler wakes a
// second thread for every goroutine it readies. help must return once the
// future is done, once ctx ends, or at once when it cannot help; several
// waiters may call it at a time. Assist reports false, and help goes
// unused, when the task has already ended.
func (t Task) Assist(help func(ctx context.Context)) bool {
	return t.r != nil && help != nil && t.r.setAssist(help)
}

// Context returns the context the task was submitted with. Executors watch
// it to drop tasks whose context ends before they start; the task's function
// receives it when it runs.
func (t Task) Context() context.Context {
	if t.r == nil {
		return context.Background()
	}
	return t.r.context()
}

// Submit hands fn to ex and returns a future for its result. It never fails:
// every problem ends up in the future, which always ends.
//
// ctx governs the task. If ctx has already ended, fn never runs and the
// future is cancelled at once. If ctx ends while the task waits for a worker,
// the future is cancelled then (with an error matching both [ErrCancelled]
// and ctx's error) and fn never runs. If ctx ends while fn runs, fn sees it
// through the ctx it was given; what it does then is up to fn.
//
// Submit blocks only while ex has no room for the task (a [ThreadPool] with
// a bounded queue), and no longer than ctx lasts. A nil fn or a nil ex fails
// the future at once; an executor that has shut down fails it with
// [ErrShutdown].
func Submit[T any](ctx context.Context, ex Executor, fn func(ctx context.Context) (T, error)) *Future[T] {
	f, ok := prepare(ctx, ex, fn)
	if ok {
		f.handedOff(ctx, ex.Execute(Task{f}))
	}
	return f
}

// TrySubmit is [Submit] that never waits for room: when ex is a [ThreadPool]
// whose bounded queue is full, it returns [ErrQueueFull] and no future, and
// fn is not run. Executors that never wait for room behave as with Submit.
func TrySubmit[T any](ctx context.Context, ex Executor, fn func(ctx context.Context) (T, error)) (*Future[T], error) {
	te, ok := ex.(interface{ TryExecute(Task) error })
	if !ok {
		return Submit(ctx, ex, fn), nil
	}
	f, ok := prepare(ctx, ex, fn)
	if !ok {
		return f, nil
	}
	err := te.TryExecute(Task{f})
	if errors.Is(err, ErrQueueFull) {
		if f.stopAfter != nil {
			f.stopAfter()
		}
		return nil, err
	}
	f.handedOff(ctx, err)
	return f, nil
}

// prepare makes the future of a call and arranges for it to be cancelled
// when ctx ends. It reports false when the future has already ended: bad
// arguments, or a context that has already ended.
func prepare[T any](ctx context.Context, ex Executor, fn func(context.Context) (T, error)) (*Future[T], bool) {
	f := &Future[T]{fn: fn, ctx: ctx}
	f.settling.Add(1)
	switch {
	case fn == nil:
		f.reject(errNilFunc)
		return f, false
	case ex == nil:
		f.reject(errNilExecutor)
		return f, false
	case ctx.Done() == nil:
		return f, true
	case ctx.Err() != nil:
		f.cancel(cancelledBy(ctx))
		return f, false
	}
	f.stopAfter = context.AfterFunc(ctx, func() { f.expire(ctx) })
	return f, true
}

// handedOff ends the future when the executor refused it: cancelled if its
// context ended meanwhile (an executor gives up waiting for room then), else
// failed with the executor's reason.
func (f *Future[T]) handedOff(ctx context.Context, err error) {
	switch {
	case err == nil:
	case ctx.Err() != nil:
		f.cancel(cancelledBy(ctx))
	default:
		f.reject(err)
	}
}
