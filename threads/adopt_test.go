package threads_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/multitask-go/multitask/threads"
)

// external stands for a child process: it ends by itself when told to
// with end, and when stopped if it heeds Stop.
type external struct {
	heeds bool         // whether Stop ends it
	stops atomic.Int32 // Stop calls so far
	once  sync.Once
	done  chan struct{}
}

func newExternal(heeds bool) *external {
	return &external{heeds: heeds, done: make(chan struct{})}
}

func (e *external) Done() <-chan struct{} { return e.done }

func (e *external) Stop() {
	e.stops.Add(1)
	if e.heeds {
		e.end()
	}
}

// end ends the external by itself.
func (e *external) end() { e.once.Do(func() { close(e.done) }) }

// check fails t unless e has ended and was stopped as many times as want.
func (e *external) check(t *testing.T, name string, want int32) {
	t.Helper()
	if !closed(e.done) {
		t.Errorf("%s had not ended when Run returned", name)
	}
	if got := e.stops.Load(); got != want {
		t.Errorf("%s was stopped %d time(s), want %d", name, got, want)
	}
}

func TestAdopt(t *testing.T) {
	t.Parallel()
	t.Run("a non-daemon keeps the run going", func(t *testing.T) {
		t.Parallel()
		e := newExternal(true)
		p := newProber()
		err := threads.Run(func(ctx context.Context) error {
			threads.Adopt(ctx, e)
			threads.Start(ctx, p.run(true), threads.Daemon(true))
			mainDone := make(chan struct{})
			// Started outside the run, so that only e keeps it going.
			go func() {
				<-mainDone
				if err := p.ctxErr(); err != nil {
					t.Errorf("daemon's ctx.Err() = %v while a non-daemon external runs, want nil", err)
				}
				e.end()
			}()
			close(mainDone)
			return nil
		})
		wantNil(t, err)
		e.check(t, "the external", 0)
		if err := receive(t, p.ended); !errors.Is(err, context.Canceled) {
			t.Errorf("daemon ended with ctx.Err() = %v, want context.Canceled", err)
		}
	})

	t.Run("daemons are stopped", func(t *testing.T) {
		t.Parallel()
		explicit, inherited := newExternal(true), newExternal(true)
		err := threads.Run(func(ctx context.Context) error {
			threads.Adopt(ctx, explicit, threads.Daemon(true))
			adopted := make(chan struct{})
			threads.Start(ctx, func(ctx context.Context) {
				// Adopted from a daemon's context: a daemon too.
				threads.Adopt(ctx, inherited)
				close(adopted)
			}, threads.Daemon(true))
			<-adopted
			return nil
		})
		wantNil(t, err)
		explicit.check(t, "Daemon(true)", 1)
		inherited.check(t, "the daemon's", 1)
	})

	t.Run("a non-daemon adopted while daemons stop is stopped", func(t *testing.T) {
		t.Parallel()
		e := newExternal(true)
		err := threads.Run(func(ctx context.Context) error {
			threads.Start(ctx, func(ctx context.Context) {
				<-ctx.Done() // Run is stopping daemons
				threads.Adopt(ctx, e, threads.Daemon(false))
			}, threads.Daemon(true))
			return nil
		})
		wantNil(t, err)
		e.check(t, "the late external", 1)
	})

	t.Run("a daemon that outlives the grace is named", func(t *testing.T) {
		t.Parallel()
		e := newExternal(false)
		err := threads.Run(func(ctx context.Context) error {
			threads.Adopt(ctx, e, threads.Daemon(true), threads.Name("child 7"))
			return nil
		}, threads.Grace(0))
		var ge *threads.GraceError
		if !errors.As(err, &ge) || !slices.Equal(ge.Abandoned, []string{"child 7"}) {
			t.Errorf("Run = %v, want a GraceError naming the external", err)
		}
		// The run's watcher goes on until the external ends; goleak
		// checks that it does then.
		e.end()
	})

	t.Run("nothing after Run returned", func(t *testing.T) {
		t.Parallel()
		mainCtx := ctxOfReturnedRun(t)
		for _, daemon := range []bool{false, true} {
			e := newExternal(true)
			threads.Adopt(mainCtx, e, threads.Daemon(daemon))
			if closed(e.done) || e.stops.Load() != 0 {
				t.Errorf("Daemon(%v): an external adopted after Run returned was stopped", daemon)
			}
		}
	})
}

// A context that belongs to no run puts an external under every run in
// progress. Not parallel: the runs of parallel tests would adopt it too.
func TestAdoptOutsideRun(t *testing.T) {
	e := newExternal(true)
	threads.Adopt(context.Background(), e, threads.Daemon(true))
	if closed(e.done) || e.stops.Load() != 0 {
		t.Fatal("an external adopted with no run in progress was stopped")
	}

	wantNil(t, threads.Run(func(ctx context.Context) error {
		threads.Adopt(context.Background(), e, threads.Daemon(true))
		return nil
	}))
	e.check(t, "the external", 1)
}
