package threads

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultGrace is how long [Run] waits for its daemon threads to return after
// cancelling their contexts, unless [Grace] says otherwise.
const DefaultGrace = 5 * time.Second

// A RunOption configures [Run]. [Grace] is the option there is; nil options
// are ignored.
type RunOption interface {
	applyRun(*runConfig) error
}

// runConfig is what the options given to Run decide.
type runConfig struct {
	grace time.Duration
}

type graceOpt time.Duration

func (o graceOpt) applyRun(c *runConfig) error {
	if o < 0 {
		return fmt.Errorf("threads: Grace(%v): the grace period must not be negative", time.Duration(o))
	}
	c.grace = time.Duration(o)
	return nil
}

// Grace sets how long [Run] waits for its daemon threads after it has
// cancelled their contexts; the default is [DefaultGrace]. Daemon threads
// still running when it ends are abandoned and reported in a [*GraceError].
// Zero means not to wait: daemons that have not returned by the time Run
// cancels them are abandoned at once. A negative d makes Run fail before it
// calls main.
func Grace(d time.Duration) RunOption { return graceOpt(d) }

// Run stands in for a Python program's life: it runs main in the calling
// goroutine as the non-daemon thread named "MainThread", whose context
// [Current] resolves to that thread. Threads started from main's context, or
// from the context of any thread started from it, belong to the run.
//
// Run blocks until main and every non-daemon thread of the run have ended,
// including those started later by threads that were still running. Then it
// cancels the contexts of the run's daemon threads and waits for them for
// the grace period (see [Grace]). Run returns only after all of that, so no
// thread of the run is still running when it returns, except daemons
// abandoned after the grace period. main's context is not cancelled by Run;
// derive a cancellable one inside main (for example with
// [os/signal.NotifyContext]) to stop the program from outside.
//
// Run's error joins, with [errors.Join], the error main returned, the
// failure of every thread of the run that panicked (a [*futures.PanicError]),
// called runtime.Goexit ([ErrGoexit]) or was given a nil function, each
// wrapped with the thread's name, and a [*GraceError] when daemons were
// abandoned. It is nil when there was none of these, and the error itself
// when there was just one (main's error comes back unwrapped). A panic in main is
// recovered and reported as well; a refused start (see [ErrStopped]) is
// reported only to the thread's Join.
//
// If main calls runtime.Goexit, Run cannot return, since the calling
// goroutine is exiting: it still waits for the non-daemon threads and stops
// the daemons while the goroutine unwinds, so that nothing is left running,
// and the errors are lost.
func Run(main func(ctx context.Context) error, opts ...RunOption) error {
	cfg := runConfig{grace: DefaultGrace}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyRun(&cfg); err != nil {
			return err
		}
	}
	if main == nil {
		return errNilMain
	}

	g := &group{daemons: make(map[*Thread]context.CancelFunc), quiet: make(chan struct{}), nonDaemon: 1}
	mt := &Thread{name: "MainThread", group: g, done: make(chan struct{})}
	inProgress.add(g)
	ctx := context.WithValue(context.Background(), threadKey{}, mt)

	finished := false
	defer func() {
		if !finished {
			// main called runtime.Goexit: own the run's threads to the end
			// even though nobody can be told the outcome.
			g.stop(cfg.grace)
		}
	}()
	var mainErr error // stays nil when main panics, which g reports instead
	mt.run(ctx, func(ctx context.Context) error {
		mainErr = main(ctx)
		return mainErr
	})
	errs := g.stop(cfg.grace)
	finished = true
	return join(append([]error{mainErr}, errs...))
}

// join is errors.Join, except that a lone error is returned as it is, so
// that a program whose only failure is main's error gets that error back.
func join(errs []error) error {
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// runState is where a Run is in its life.
type runState int

const (
	running  runState = iota // non-daemon threads are running
	stopping                 // all have ended; daemons are cancelled and awaited
	stopped                  // Run has returned or is returning
)

// A group is the shared state of the threads of one Run.
type group struct {
	quiet chan struct{} // closed when the last non-daemon thread ends

	mu        sync.Mutex // guards the fields below
	state     runState
	nonDaemon int                            // running non-daemon threads, main included
	daemons   map[*Thread]context.CancelFunc // running daemons and their cancel funcs
	idle      chan struct{}                  // when non-nil, closed once daemons is empty
	errs      []error                        // failures of the run's threads, in order
	named     int                            // default-named threads so far, for "Thread-N"
	seq       uint64                         // threads started so far
}

// admit names t and registers it with the group. It returns the error that
// ends t at once when t must not run: when it has no function, or was
// refused. cancel is the cancel func of a daemon's context (nil for a
// non-daemon); admit calls it when the group is already stopping its
// daemons, so that the daemon starts cancelled.
func (g *group) admit(t *Thread, hasFn bool, cancel context.CancelFunc) error {
	g.mu.Lock()
	if t.name == "" {
		g.named++
		t.name = fmt.Sprintf("Thread-%d", g.named)
	}
	t.group = g
	if g.state == stopped || g.state == stopping && !t.daemon {
		g.mu.Unlock()
		return fmt.Errorf("threads: thread %q not started: %w", t.name, ErrStopped)
	}
	if !hasFn {
		g.errs = append(g.errs, threadError(t, errNilFunc))
		g.mu.Unlock()
		return errNilFunc
	}
	g.seq++
	t.seq = g.seq
	if !t.daemon {
		g.nonDaemon++
		g.mu.Unlock()
		return nil
	}
	g.daemons[t] = cancel
	cancelNow := g.state == stopping
	g.mu.Unlock()
	// Cancelling may call into ctx's parents, which can be user types, so
	// not under g.mu. stop has already taken its list of daemons to cancel,
	// or will include this one; either way a second cancel does no harm.
	if cancelNow {
		cancel()
	}
	return nil
}

// threadError wraps the failure of thread t with its name, for Run's error.
func threadError(t *Thread, err error) error {
	return fmt.Errorf("threads: thread %q: %w", t.name, err)
}

// exit takes t, which has ended with err, off the group's books. The last
// non-daemon thread to end moves the group to stopping, so that from then on
// no non-daemon thread is admitted and every new daemon starts cancelled.
func (g *group) exit(t *Thread, err error) {
	if err != nil {
		// Formatted before taking g.mu: a panic value's String method is
		// user code.
		err = threadError(t, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil && g.state != stopped {
		g.errs = append(g.errs, err)
	}
	if !t.daemon {
		g.nonDaemon--
		if g.nonDaemon == 0 {
			g.state = stopping
			close(g.quiet)
		}
		return
	}
	// A daemon's context is left alone when it returns, for the threads
	// started from it; Run cancels those that are still running itself.
	delete(g.daemons, t)
	if len(g.daemons) == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// stop waits for the non-daemon threads to end, cancels the daemons and
// waits up to grace for them, and returns the failures of the run's threads
// and the grace error, if any.
func (g *group) stop(grace time.Duration) []error {
	<-g.quiet

	g.mu.Lock()
	cancels := make([]context.CancelFunc, 0, len(g.daemons))
	for _, cancel := range g.daemons {
		cancels = append(cancels, cancel)
	}
	g.mu.Unlock()
	// Daemons admitted from here on are cancelled by admit. Cancelling is
	// done outside g.mu for the reason admit gives.
	for _, cancel := range cancels {
		cancel()
	}

	timer := time.NewTimer(grace)
	defer timer.Stop()
	expired := false
	g.mu.Lock()
	for len(g.daemons) > 0 && !expired {
		idle := make(chan struct{})
		g.idle = idle
		g.mu.Unlock()
		select {
		case <-idle:
			// A daemon may have started another meanwhile: look again.
		case <-timer.C:
			// The last daemon may have returned just now: look again.
			expired = true
		}
		g.mu.Lock()
	}
	g.state = stopped
	inProgress.remove(g)
	g.idle = nil
	errs := g.errs
	left := make([]*Thread, 0, len(g.daemons))
	for t := range g.daemons {
		left = append(left, t)
	}
	g.mu.Unlock()
	if len(left) == 0 {
		return errs
	}
	slices.SortFunc(left, func(a, b *Thread) int { return cmp.Compare(a.seq, b.seq) })
	ge := &GraceError{Grace: grace, Abandoned: make([]string, len(left))}
	for i, t := range left {
		ge.Abandoned[i] = t.name
	}
	return append(slices.Clip(errs), ge)
}
