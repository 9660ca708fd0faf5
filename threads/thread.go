package threads

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/multitask-go/multitask/futures"
)

// A Thread is a goroutine with a name and a daemon flag, started by [Start]
// (or, for the thread named "MainThread", by [Run]). Its methods are safe for
// concurrent use. Threads are made only by Start and Run; the zero Thread is
// not usable.
type Thread struct {
	name   string
	daemon bool
	group  *group // the Run the thread belongs to; nil outside any Run
	seq    uint64 // start order within group, for stable error messages

	done chan struct{} // closed once fn has returned; err is set before
	err  error         // the thread's outcome, read only after done is closed
}

// threadKey is the context key under which a thread's context carries the
// thread itself.
type threadKey struct{}

// An Option configures a thread started by [Start]. [Daemon] and [Name] are
// the options there are; nil options are ignored.
type Option interface {
	applyThread(*threadConfig)
}

// threadConfig is what the options given to Start decide.
type threadConfig struct {
	name   string
	daemon bool
}

type daemonOpt bool

func (o daemonOpt) applyThread(c *threadConfig) { c.daemon = bool(o) }

type nameOpt string

func (o nameOpt) applyThread(c *threadConfig) {
	if o != "" {
		c.name = string(o)
	}
}

// Daemon sets whether the thread is a daemon. Without it a thread is a
// daemon exactly when the thread that starts it is (the thread found with
// [Current] in the context given to [Start]); a thread started from a context
// that belongs to no thread is not a daemon. A [Run] does not wait for its
// daemon threads: once every non-daemon thread has finished it cancels their
// contexts and waits for them only for its grace period. Outside a Run the
// flag is recorded and reported by [Thread.IsDaemon], but has no effect.
func Daemon(daemon bool) Option { return daemonOpt(daemon) }

// Name sets the thread's name, which [Run] uses in the errors it reports.
// Names need not be unique. An empty name keeps the default: "Thread-N" in a
// [Run], with N counting the run's default-named threads from 1 as Python
// does, and "Thread" outside any Run.
func Name(name string) Option { return nameOpt(name) }

// Start starts fn in a new goroutine as a thread and returns at once; it
// never blocks. fn is given the thread's context, which carries the values of
// ctx and the thread itself (see [Current]), and is cancelled when ctx is.
// The context of a daemon thread in a [Run] is also cancelled when the Run
// stops its daemons. A thread's context is never cancelled because a thread
// returned, so threads started from it go on. If ctx has already ended, fn
// still runs, with a context that has ended; ctx must not be nil.
//
// The [Run] a thread belongs to travels in ctx: a thread started with the
// context of a thread in a Run (or a context derived from one) belongs to
// that Run, which keeps going until it has finished if it is not a daemon.
// A thread started with any other context belongs to no Run: it is a plain
// named goroutine whose caller owns it and should [Thread.Join] it, and the
// daemon rules do not apply to it.
//
// A panic in fn is recovered and ends the thread with a [*futures.PanicError];
// it never crashes the program. A nil fn ends the thread at once with an
// error. A non-daemon thread started after its Run has begun to stop daemons,
// or any thread started after its Run has returned, is refused: fn never
// runs, [Thread.Done] is closed, and [Thread.Join] returns an error matching
// [ErrStopped]. In each of these cases Start still returns a Thread.
//
// A thread costs one goroutine and a few small allocations; a daemon in a
// Run also gets a cancellable context of its own.
func Start(ctx context.Context, fn func(ctx context.Context), opts ...Option) *Thread {
	parent := Current(ctx)
	var cfg threadConfig
	if parent != nil {
		cfg.daemon = parent.daemon
	}
	for _, o := range opts {
		if o != nil {
			o.applyThread(&cfg)
		}
	}
	t := &Thread{name: cfg.name, daemon: cfg.daemon, done: make(chan struct{})}
	tctx := context.WithValue(ctx, threadKey{}, t)

	if parent == nil || parent.group == nil {
		if t.name == "" {
			t.name = "Thread"
		}
		if fn == nil {
			t.end(errNilFunc)
			return t
		}
		go t.run(tctx, wrap(fn))
		return t
	}

	g := parent.group
	var cancel context.CancelFunc
	if t.daemon {
		tctx, cancel = context.WithCancel(tctx)
	}
	if err := g.admit(t, fn != nil, cancel); err != nil {
		if cancel != nil {
			cancel() // release the context; fn never sees it
		}
		t.end(err)
		return t
	}
	go t.run(tctx, wrap(fn))
	return t
}

// wrap adapts a thread function to the form that run calls.
func wrap(fn func(context.Context)) func(context.Context) error {
	return func(ctx context.Context) error {
		fn(ctx)
		return nil
	}
}

// run calls fn in the calling goroutine with panics and runtime.Goexit
// caught, then ends the thread. The error fn returns is only ever non-nil
// for the main thread, whose Run reports it separately.
func (t *Thread) run(ctx context.Context, fn func(context.Context) error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		// fn panicked or called runtime.Goexit; in the latter case recover
		// returns nil and the goroutine goes on unwinding after this.
		var err error = ErrGoexit
		if r := recover(); r != nil {
			err = &futures.PanicError{Value: r, Stack: debug.Stack()}
		}
		t.end(err)
		if t.group != nil {
			t.group.exit(t, err)
		}
	}()
	err := fn(ctx)
	returned = true
	t.end(err)
	if t.group != nil {
		t.group.exit(t, nil)
	}
}

// end records the thread's outcome and closes its done channel. It is
// called exactly once per thread.
func (t *Thread) end(err error) {
	t.err = err
	close(t.done)
}

// Join waits until the thread has ended and returns how it ended: nil when
// fn returned, a [*futures.PanicError] when it panicked, [ErrGoexit] when it
// called runtime.Goexit, an error saying so when fn was nil, an error
// matching [ErrStopped] when the thread was refused, and for the thread
// named "MainThread" the error main returned.
// When ctx ends first, Join returns ctx.Err() and leaves the thread as it
// was: it is neither stopped nor cancelled. A thread that has already ended
// is reported even when ctx has ended too. Join may be called any number of
// times, from any goroutine, and always returns the same result.
func (t *Thread) Join(ctx context.Context) error {
	select {
	case <-t.done:
		return t.err
	default:
	}
	select {
	case <-t.done:
		return t.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel that is closed once the thread has ended: when fn
// has returned, panicked or called runtime.Goexit, or at once for a thread
// that was refused or given a nil function. The package closes it, once;
// nothing is ever sent on it.
func (t *Thread) Done() <-chan struct{} { return t.done }

// Alive reports whether the thread is still running: false once [Thread.Done]
// is closed. It is Python's is_alive.
func (t *Thread) Alive() bool {
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

// IsDaemon reports whether the thread is a daemon (see [Daemon]).
func (t *Thread) IsDaemon() bool { return t.daemon }

// Name returns the thread's name (see [Name]).
func (t *Thread) Name() string { return t.name }

// String describes the thread as Python's repr does, for logs.
func (t *Thread) String() string {
	state := "started"
	if !t.Alive() {
		state = "stopped"
	}
	if t.daemon {
		state += " daemon"
	}
	return fmt.Sprintf("<Thread(%s, %s)>", t.name, state)
}

// Current returns the thread whose context ctx is, or is derived from: the
// context a thread's function was given by [Start] or [Run]. It returns nil
// for a context that belongs to no thread, and for a nil ctx. It never
// blocks. Python's threading.current_thread looks the thread up by the
// running OS thread; Go has no goroutine identity, so the context carries it.
func Current(ctx context.Context) *Thread {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(threadKey{}).(*Thread)
	return t
}
