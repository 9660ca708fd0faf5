package futures

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// State is where a future is in its life. A future moves from Pending to
// Running to Finished, or from Pending to Cancelled; it never goes back.
type State uint32

const (
	// Pending: submitted, not started.
	Pending State = iota
	// Running: the task has begun; it can no longer be cancelled by
	// [Future.Cancel], only asked to stop through its context.
	Running
	// Cancelled: the task never ran; the future's error matches [ErrCancelled].
	Cancelled
	// Finished: the task ran and returned (or panicked); the future holds its
	// result or error.
	Finished
)

// String returns the state's name, as Python spells it.
func (s State) String() string {
	switch s {
	case Pending:
		return "PENDING"
	case Running:
		return "RUNNING"
	case Cancelled:
		return "CANCELLED"
	case Finished:
		return "FINISHED"
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// settled is or-ed into a core's state once its error and value are written
// and its waiters told: readers wait for it, not for the claim of the state.
// begunElsewhere is or-ed into Running by Task.Begin, for an executor that
// runs the work in another process, until the run that delivers the
// outcome takes it off (see Future.run).
const (
	settled        = 1 << 8
	begunElsewhere = 1 << 9
)

// closedChan is the Done channel of every future that finished before anybody
// asked for its channel, which saves one allocation per future.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// errGoexit fails the future of a task that called runtime.Goexit (for
// example t.FailNow inside a task) instead of returning.
var errGoexit = errors.New("futures: task called runtime.Goexit instead of returning")

// core is the part of a future that does not depend on its result type, so
// that Wait and AsCompleted work on futures of any type without reflection.
type core struct {
	// state holds a State, or-ed with settled once the outcome is published.
	// The goroutine whose compare-and-swap moves it out of Pending owns the
	// future's outcome until it settles it.
	state atomic.Uint32

	mu        sync.Mutex // guards done, listeners and hooks
	done      chan struct{}
	listeners []listener
	hooks     *hooks // what the executor set with Task.Guard and Task.Assist

	err error // written by the owner before settling, read after

	// settling counts 1 until the future settles; waits that cannot end
	// early wait on it, which costs no allocation, unlike a channel.
	settling sync.WaitGroup

	// stopAfter undoes the context.AfterFunc that cancels the future when its
	// context ends; nil when that context cannot end. Written before the
	// future is handed to an executor; the goroutine that claims the future
	// calls it and drops it (see stopWatching).
	stopAfter func() bool
}

// A listener is told when a future settles: either a done callback, or a
// waiter's channel that receives idx. The channel has room for every future
// of its waiter, so the send never blocks.
type listener struct {
	fn  func()
	ch  chan<- int
	idx int
}

func (c *core) isSettled() bool { return c.state.Load()&settled != 0 }

func (c *core) stateNow() State { return State(c.state.Load() &^ (settled | begunElsewhere)) }

// claim moves the future from Pending to s and reports whether this caller
// won the right to settle it.
func (c *core) claim(s State) bool {
	return c.state.CompareAndSwap(uint32(Pending), uint32(s))
}

// settle publishes the outcome of a future that the caller claimed, as
// state s, wakes every waiter and runs the done callbacks, outside the lock.
// A settled future holds its outcome and nothing of its executor: the hooks
// go, so that a caller who keeps the future does not keep the executor's
// task, worker and buffers with it.
func (c *core) settle(s State, err error) {
	c.err = err
	c.mu.Lock()
	c.state.Store(uint32(s) | settled)
	c.hooks = nil
	if c.done != nil {
		close(c.done)
	} else {
		c.done = closedChan
	}
	ls := c.listeners
	c.listeners = nil
	c.mu.Unlock()
	c.settling.Done()
	for _, l := range ls {
		if l.fn != nil {
			runCallback(l.fn)
		} else {
			l.ch <- l.idx
		}
	}
}

func (c *core) doneChan() <-chan struct{} {
	if c.isSettled() {
		return closedChan
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
	}
	return c.done
}

// wait blocks until the future settles or ctx ends.
func (c *core) wait(ctx context.Context) error {
	if c.isSettled() {
		return nil
	}
	if help := c.assist(); help != nil {
		help(ctx)
		if c.isSettled() {
			return nil
		}
	}
	if ctx.Done() == nil {
		c.settling.Wait() // no channel to make for a wait that cannot end early
		return nil
	}
	select {
	case <-c.doneChan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// listen adds l, or tells it at once when the future has already settled.
func (c *core) listen(l listener) {
	c.mu.Lock()
	if !c.isSettled() {
		c.listeners = append(c.listeners, l)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if l.fn != nil {
		runCallback(l.fn)
	} else {
		l.ch <- l.idx
	}
}

// unlisten removes the waiter listening on ch, if it is still there.
func (c *core) unlisten(ch chan<- int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range c.listeners {
		if l.ch == ch {
			c.listeners = append(c.listeners[:i], c.listeners[i+1:]...)
			return
		}
	}
}

// failed reports whether a settled future ended with an error other than
// cancellation: what Wait's FirstException looks for.
func (c *core) failed() bool {
	return c.stateNow() == Finished && c.err != nil
}

// runCallback runs a done callback. A panic there has no caller to return
// to when the future settles in another goroutine, so, as Python's
// concurrent.futures does, it is logged and the remaining callbacks still
// run; a callback added to a future already done is treated the same way,
// so that where a callback runs never changes what its panic does.
func runCallback(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("futures: done callback panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn()
}

// A Future is the result of a task that runs, or will run, elsewhere: made by
// [Submit] and by executors, read with [Future.Result].
//
// All methods are safe for concurrent use. A Future must not be copied.
type Future[T any] struct {
	core

	// fn is the task, dropped by whoever settles the future. ctx is the
	// context the task runs under: a future keeps it, as an http.Request
	// does, because it is part of the call the future describes. ctx never
	// changes, since executors may read it at any time.
	fn  func(context.Context) (T, error)
	ctx context.Context

	val T // written by the owner before settling
}

// hooks are an executor's say in its task's future, kept apart from the
// future itself since few executors set them.
type hooks struct {
	guard  func() bool               // must agree to a cancellation (see Task.Guard)
	assist func(ctx context.Context) // called by a wait about to block (see Task.Assist)
}

// hooked returns the future's hooks, made at first need. The caller holds
// c.mu.
func (c *core) hooked() *hooks {
	if c.hooks == nil {
		c.hooks = new(hooks)
	}
	return c.hooks
}

// Done returns a channel that is closed when the future has finished, failed
// or been cancelled. The channel is never sent on; the future closes it.
func (f *Future[T]) Done() <-chan struct{} { return f.doneChan() }

// Result waits until the future is done and returns what its task returned.
// A cancelled future returns an error matching [ErrCancelled], a task that
// panicked a [*PanicError]. If ctx ends first, Result returns ctx.Err() and
// the future is untouched: the task goes on.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	if err := f.wait(ctx); err != nil {
		var zero T
		return zero, err
	}
	return f.val, f.err
}

// Err waits until the future is done and returns its error, nil if the task
// succeeded: Python's Future.exception. If ctx ends first, Err returns
// ctx.Err() and the future is untouched.
func (f *Future[T]) Err(ctx context.Context) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	return f.err
}

// Cancel cancels the future if its task has not started, and reports whether
// the future is now cancelled: true for a future that was pending or already
// cancelled, false for one that is running or finished (as Python's
// Future.cancel). A cancelled task never runs, and Result returns
// [ErrCancelled]. To stop a task that is running, cancel the context it was
// submitted with. Cancel never blocks.
func (f *Future[T]) Cancel() bool {
	return f.cancel(ErrCancelled) || f.stateNow() == Cancelled
}

// State reports where the future is now, without waiting.
func (f *Future[T]) State() State { return f.stateNow() }

// OnDone arranges for fn to be called once when the future is done, or calls
// it at once, in the calling goroutine, if the future is already done.
// Otherwise fn runs in the goroutine that finishes the future, after Done is
// closed and with no lock held, so it may call any method of the future. A
// panic in a callback, run either way, is recovered and logged with
// [log/slog]'s default logger, as Python logs it, and the other callbacks
// still run. Callbacks run in the
// order they were added; keep them short, as they delay the executor.
func (f *Future[T]) OnDone(fn func()) {
	if fn == nil {
		return
	}
	f.listen(listener{fn: fn})
}

// futureCore gives Wait and AsCompleted the untyped part of the future.
func (f *Future[T]) futureCore() *core {
	if f == nil {
		return nil
	}
	return &f.core
}

// run is the task's one run: it claims the future, calls the function with
// panics recovered, and settles the outcome. A future that was cancelled
// before it started is left alone.
func (f *Future[T]) run() {
	// The load first: a task of an in-process executor never began
	// elsewhere, and a failed compare-and-swap would still take the line.
	const begun = uint32(Running) | begunElsewhere
	delivers := f.state.Load() == begun && f.state.CompareAndSwap(begun, uint32(Running))
	if !delivers {
		// The watcher of the context cancels the future in a goroutine of
		// its own, which may not have run yet: a task whose context has
		// ended must not start all the same.
		if f.ctx.Err() != nil {
			f.endEarly(Cancelled, cancelledBy(f.ctx), true)
			return
		}
		if !f.claim(Running) {
			return
		}
		// A task begun elsewhere stopped the watcher in begin, in the
		// goroutine that claimed it.
		f.stopWatching()
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		// The task panicked or called runtime.Goexit: either way it never
		// returned, and the future must still end.
		err := errGoexit
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
		f.fn = nil
		f.settle(Finished, err)
	}()
	v, err := f.fn(f.ctx)
	returned = true
	f.val = v
	f.fn = nil
	f.settle(Finished, err)
}

// begin claims the future as running for an executor that runs the task
// elsewhere and calls run later only to deliver the outcome.
func (f *Future[T]) begin() bool {
	if !f.state.CompareAndSwap(uint32(Pending), uint32(Running)|begunElsewhere) {
		return false
	}
	f.stopWatching()
	return true
}

// stopWatching stops the watcher of the future's context, once the task
// has started or ended, and lets go of it. Only the goroutine that claimed
// the future may call it.
func (f *Future[T]) stopWatching() {
	if f.stopAfter != nil {
		f.stopAfter()
		f.stopAfter = nil
	}
}

// setGuard installs g and reports whether the future is still pending: a
// cancellation that saw no guard has ended it otherwise. A settled future
// takes no hook, as it would keep it.
func (f *Future[T]) setGuard(g func() bool) bool {
	f.mu.Lock()
	if !f.isSettled() {
		f.hooked().guard = g
	}
	f.mu.Unlock()
	return f.stateNow() == Pending
}

// setAssist installs help and reports whether the future is still pending.
func (c *core) setAssist(help func(context.Context)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isSettled() {
		return false
	}
	c.hooked().assist = help
	return true
}

// assist returns the executor's help for a wait, or nil.
func (c *core) assist() func(context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hooks == nil {
		return nil
	}
	return c.hooks.assist
}

func (f *Future[T]) cancel(cause error) bool { return f.endEarly(Cancelled, cause, true) }

func (f *Future[T]) reject(err error) bool { return f.endEarly(Finished, err, true) }

// expire cancels the future from the context.AfterFunc registered by Submit,
// which must not touch stopAfter: it may still be being assigned.
func (f *Future[T]) expire(ctx context.Context) {
	f.endEarly(Cancelled, cancelledBy(ctx), false)
}

// endEarly ends a future whose task will never run, and drops the task.
func (f *Future[T]) endEarly(s State, err error, stopAfter bool) bool {
	if s == Cancelled && f.stateNow() == Pending {
		var g func() bool
		f.mu.Lock()
		if f.hooks != nil {
			g = f.hooks.guard
		}
		f.mu.Unlock()
		if g != nil && !g() {
			return false // the executor says the task has begun elsewhere
		}
	}
	if !f.claim(s) {
		return false
	}
	f.fn = nil // the claim makes this goroutine the only one to touch fn
	if stopAfter {
		f.stopWatching()
	}
	f.settle(s, err)
	return true
}

func (f *Future[T]) context() context.Context { return f.ctx }
