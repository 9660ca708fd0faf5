package threads_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/threads"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hangLimit only guards against hangs; no test depends on how long anything
// takes.
const hangLimit = time.Minute

var (
	errMain = errors.New("main failed")
	errBoom = errors.New("boom")
)

// guard returns a context that ends only if the test hangs.
func guard(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	t.Cleanup(cancel)
	return ctx
}

// join waits for th, failing the test if it hangs, and returns its outcome.
// Only the test goroutine may call it.
func join(t *testing.T, th *threads.Thread) error {
	t.Helper()
	select {
	case <-th.Done():
	case <-guard(t).Done():
		t.Fatalf("thread %q did not end", th.Name())
	}
	return th.Join(context.Background())
}

// receive takes one value from ch, failing the test if none comes. Only the
// test goroutine may call it.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-guard(t).Done():
		t.Fatal("nothing received")
		panic("unreachable")
	}
}

// closed reports whether ch is closed, without waiting.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// prober is a thread body that answers questions about its context until
// told to stop or until its context ends, so that other threads can check,
// while it runs, that nothing has cancelled it.
type prober struct {
	ask   chan chan error // each request gets ctx.Err() on the channel sent
	stop  chan struct{}   // closed to make the thread return
	ended chan error      // receives ctx.Err() once as the thread returns
}

func newProber() *prober {
	return &prober{ask: make(chan chan error), stop: make(chan struct{}), ended: make(chan error, 1)}
}

// run is the thread body. With untilCancelled it returns only when its
// context ends, else only when stop is closed.
func (p *prober) run(untilCancelled bool) func(ctx context.Context) {
	return func(ctx context.Context) {
		done := ctx.Done()
		if !untilCancelled {
			done = nil
		}
		defer func() { p.ended <- ctx.Err() }()
		for {
			select {
			case reply := <-p.ask:
				reply <- ctx.Err()
			case <-p.stop:
				return
			case <-done:
				return
			}
		}
	}
}

// ctxErr asks the prober's thread for its context's error; it may be called
// from any goroutine that knows the thread is still running.
func (p *prober) ctxErr() error {
	reply := make(chan error, 1)
	p.ask <- reply
	return <-reply
}

func TestStartOutsideRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fn         func(ctx context.Context)
		opts       []threads.Option
		wantName   string
		wantDaemon bool
		check      func(t *testing.T, err error)
	}{
		{
			name:     "returns",
			fn:       func(context.Context) {},
			wantName: "Thread",
			check:    wantNil,
		},
		{
			name:       "named daemon runs as any thread",
			fn:         func(context.Context) {},
			opts:       []threads.Option{threads.Name("worker"), threads.Daemon(true)},
			wantName:   "worker",
			wantDaemon: true,
			check:      wantNil,
		},
		{
			name:     "empty name keeps the default",
			fn:       func(context.Context) {},
			opts:     []threads.Option{threads.Name(""), nil},
			wantName: "Thread",
			check:    wantNil,
		},
		{
			name:     "panic",
			fn:       func(context.Context) { panic("kaboom") },
			wantName: "Thread",
			check: func(t *testing.T, err error) {
				pe, ok := err.(*futures.PanicError)
				if !ok {
					t.Fatalf("Join = %v (%T), want *futures.PanicError", err, err)
				}
				if pe.Value != "kaboom" || len(pe.Stack) == 0 {
					t.Errorf("PanicError = {%v, %d bytes of stack}, want {kaboom, a stack}", pe.Value, len(pe.Stack))
				}
			},
		},
		{
			name:     "panic with an error",
			fn:       func(context.Context) { panic(errBoom) },
			wantName: "Thread",
			check:    wantIs(errBoom),
		},
		{
			name:     "Goexit",
			fn:       func(context.Context) { runtime.Goexit() },
			wantName: "Thread",
			check:    wantIs(threads.ErrGoexit),
		},
		{
			name:     "nil function",
			wantName: "Thread",
			check:    wantIs(threads.ErrNilFunc),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			th := threads.Start(context.Background(), tt.fn, tt.opts...)
			if got := th.Name(); got != tt.wantName {
				t.Errorf("Name = %q, want %q", got, tt.wantName)
			}
			if got := th.IsDaemon(); got != tt.wantDaemon {
				t.Errorf("IsDaemon = %v, want %v", got, tt.wantDaemon)
			}
			tt.check(t, join(t, th))
			if th.Alive() {
				t.Error("Alive after Done was closed")
			}
			// A second Join gives the same result.
			if a, b := th.Join(context.Background()), th.Join(context.Background()); a != b {
				t.Errorf("Join gave %v, then %v", a, b)
			}
		})
	}
}

func wantNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("err = %v, want nil", err)
	}
}

func wantIs(target error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("err = %v, want one matching %v", err, target)
		}
	}
}

func TestJoinContext(t *testing.T) {
	t.Parallel()
	expired := func() (context.Context, error) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, context.Canceled
	}
	pastDeadline := func() (context.Context, error) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		cancel() // the deadline has passed already, so ctx.Err() stays DeadlineExceeded
		return ctx, context.DeadlineExceeded
	}
	tests := []struct {
		name  string
		waitC func() (context.Context, error)
	}{
		{"cancelled", expired},
		{"past deadline", pastDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name+" while running", func(t *testing.T) {
			t.Parallel()
			p := newProber()
			th := threads.Start(context.Background(), p.run(false))
			ctx, want := tt.waitC()
			if err := th.Join(ctx); err != want {
				t.Errorf("Join = %v, want %v", err, want)
			}
			// The thread is untouched: still running, context live.
			if !th.Alive() || closed(th.Done()) {
				t.Error("thread ended by an expired Join")
			}
			if err := p.ctxErr(); err != nil {
				t.Errorf("thread's ctx.Err() = %v after Join expired, want nil", err)
			}
			close(p.stop)
			wantNil(t, join(t, th))
		})
		t.Run(tt.name+" after the end", func(t *testing.T) {
			t.Parallel()
			th := threads.Start(context.Background(), func(context.Context) { panic(errBoom) })
			<-th.Done()
			ctx, _ := tt.waitC()
			if err := th.Join(ctx); !errors.Is(err, errBoom) {
				t.Errorf("Join = %v, want the thread's panic", err)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	t.Parallel()
	type derive func(context.Context) context.Context
	derivations := []struct {
		name string
		fn   derive
	}{
		{"itself", func(ctx context.Context) context.Context { return ctx }},
		{"WithValue", func(ctx context.Context) context.Context {
			type key struct{}
			return context.WithValue(ctx, key{}, 1)
		}},
		{"WithCancel", func(ctx context.Context) context.Context {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx
		}},
		{"WithoutCancel", context.WithoutCancel},
	}
	t.Run("no thread", func(t *testing.T) {
		t.Parallel()
		if th := threads.Current(context.Background()); th != nil {
			t.Errorf("Current(Background) = %v, want nil", th)
		}
		var nilCtx context.Context
		if th := threads.Current(nilCtx); th != nil {
			t.Errorf("Current(nil) = %v, want nil", th)
		}
	})
	for _, d := range derivations {
		t.Run("outside Run/"+d.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan *threads.Thread, 1)
			th := threads.Start(context.Background(), func(ctx context.Context) {
				got <- threads.Current(d.fn(ctx))
			})
			wantNil(t, join(t, th))
			if g := <-got; g != th {
				t.Errorf("Current = %v, want %v", g, th)
			}
		})
		t.Run("nested in Run/"+d.name, func(t *testing.T) {
			t.Parallel()
			type seen struct{ main, outer, inner *threads.Thread }
			var s seen
			var outer, inner *threads.Thread
			err := threads.Run(func(ctx context.Context) error {
				s.main = threads.Current(d.fn(ctx))
				innerCh := make(chan *threads.Thread, 1)
				outer = threads.Start(ctx, func(ctx context.Context) {
					s.outer = threads.Current(d.fn(ctx))
					in := threads.Start(d.fn(ctx), func(ctx context.Context) {
						s.inner = threads.Current(d.fn(ctx))
					}, threads.Name("inner"))
					innerCh <- in
					_ = in.Join(context.Background())
				}, threads.Name("outer"))
				_ = outer.Join(context.Background())
				inner = <-innerCh
				return nil
			})
			wantNil(t, err)
			if s.main == nil || s.main.Name() != "MainThread" || s.main.IsDaemon() {
				t.Errorf("Current in main = %v, want the non-daemon MainThread", s.main)
			}
			if s.outer != outer || s.inner != inner {
				t.Errorf("Current = %v, %v in outer, inner; want %v, %v", s.outer, s.inner, outer, inner)
			}
		})
	}
}

func TestDefaultNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  [][]threads.Option // one thread per entry, started in order
		names []string
	}{
		{
			name:  "counted from 1",
			opts:  [][]threads.Option{nil, nil, nil},
			names: []string{"Thread-1", "Thread-2", "Thread-3"},
		},
		{
			name:  "explicit names do not count",
			opts:  [][]threads.Option{nil, {threads.Name("net")}, {threads.Name("")}, {threads.Daemon(true)}},
			names: []string{"Thread-1", "net", "Thread-2", "Thread-3"},
		},
	}
	for _, tt := range tests {
		// Each subtest is a Run of its own, so each counts from 1 even
		// while the others run.
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			err := threads.Run(func(ctx context.Context) error {
				for _, opts := range tt.opts {
					got = append(got, threads.Start(ctx, func(context.Context) {}, opts...).Name())
				}
				return nil
			})
			wantNil(t, err)
			if !slices.Equal(got, tt.names) {
				t.Errorf("names = %q, want %q", got, tt.names)
			}
		})
	}
}

func TestDaemonInheritance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		parentDaemon *bool // nil: start from the run's main thread
		opts         []threads.Option
		want         bool
	}{
		{name: "from main", want: false},
		{name: "from main, Daemon(true)", opts: []threads.Option{threads.Daemon(true)}, want: true},
		{name: "from a non-daemon", parentDaemon: ptr(false), want: false},
		{name: "from a daemon", parentDaemon: ptr(true), want: true},
		{name: "from a daemon, Daemon(false)", parentDaemon: ptr(true), opts: []threads.Option{threads.Daemon(false)}, want: false},
		{name: "from a daemon, Daemon(true)", parentDaemon: ptr(true), opts: []threads.Option{threads.Daemon(true)}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var child *threads.Thread
			err := threads.Run(func(ctx context.Context) error {
				if tt.parentDaemon == nil {
					child = threads.Start(ctx, func(context.Context) {}, tt.opts...)
					return nil
				}
				parent := threads.Start(ctx, func(ctx context.Context) {
					child = threads.Start(ctx, func(context.Context) {}, tt.opts...)
				}, threads.Daemon(*tt.parentDaemon))
				return parent.Join(ctx)
			})
			wantNil(t, err)
			if got := child.IsDaemon(); got != tt.want {
				t.Errorf("IsDaemon = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("outside Run", func(t *testing.T) {
		t.Parallel()
		got := make(chan bool, 2)
		parent := threads.Start(context.Background(), func(ctx context.Context) {
			got <- threads.Start(ctx, func(context.Context) {}).IsDaemon()
			got <- threads.Start(ctx, func(context.Context) {}, threads.Daemon(false)).IsDaemon()
		}, threads.Daemon(true))
		wantNil(t, join(t, parent))
		if a, b := <-got, <-got; !a || b {
			t.Errorf("children of a daemon: IsDaemon = %v, %v; want true, false", a, b)
		}
		if threads.Start(context.Background(), func(context.Context) {}).IsDaemon() {
			t.Error("thread started from no thread is a daemon")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Rule 1: a thread's end ends nothing else.
func TestRule1ThreadEndCancelsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		parentDaemon, childDaemon bool
	}{
		{"daemon child of a non-daemon", false, true},
		{"non-daemon child of a non-daemon", false, false},
		{"daemon child of a daemon", true, true},
		{"non-daemon child of a daemon", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProber()
			var child *threads.Thread
			err := threads.Run(func(ctx context.Context) error {
				parent := threads.Start(ctx, func(ctx context.Context) {
					child = threads.Start(ctx, p.run(false), threads.Daemon(tt.childDaemon), threads.Name("child"))
				}, threads.Daemon(tt.parentDaemon), threads.Name("parent"))
				if err := parent.Join(ctx); err != nil {
					return err
				}
				// The parent has returned; the child it started runs on,
				// with a live context.
				if !child.Alive() {
					t.Error("child ended with its parent")
				}
				if err := p.ctxErr(); err != nil {
					t.Errorf("child's ctx.Err() = %v after its parent returned, want nil", err)
				}
				close(p.stop)
				return nil
			})
			wantNil(t, err)
			if !closed(child.Done()) {
				t.Error("Run returned before the child ended")
			}
		})
	}
}

// Rule 2: once the non-daemon threads have finished, Run cancels the
// daemons and waits for them for the grace period.
func TestRule2RunStopsDaemons(t *testing.T) {
	t.Parallel()
	t.Run("daemons are cancelled and awaited", func(t *testing.T) {
		t.Parallel()
		probes := []*prober{newProber(), newProber(), newProber()}
		var ds []*threads.Thread
		err := threads.Run(func(ctx context.Context) error {
			for _, p := range probes {
				ds = append(ds, threads.Start(ctx, p.run(true), threads.Daemon(true)))
			}
			// A daemon started from a daemon is stopped as well.
			ds = append(ds, threads.Start(ctx, func(ctx context.Context) {
				threads.Start(ctx, func(ctx context.Context) { <-ctx.Done() })
				<-ctx.Done()
			}, threads.Daemon(true)))
			return nil
		})
		wantNil(t, err)
		for i, d := range ds {
			if !closed(d.Done()) {
				t.Errorf("daemon %d still running after Run returned", i)
			}
		}
		for i, p := range probes {
			if err := <-p.ended; !errors.Is(err, context.Canceled) {
				t.Errorf("daemon %d ended with ctx.Err() = %v, want context.Canceled", i, err)
			}
		}
	})

	t.Run("not while a non-daemon runs", func(t *testing.T) {
		t.Parallel()
		p := newProber()
		var n *threads.Thread
		err := threads.Run(func(ctx context.Context) error {
			mainDone := make(chan struct{})
			defer close(mainDone)
			threads.Start(ctx, p.run(true), threads.Daemon(true))
			n = threads.Start(ctx, func(ctx context.Context) {
				<-mainDone
				if err := p.ctxErr(); err != nil {
					t.Errorf("daemon's ctx.Err() = %v while a non-daemon runs, want nil", err)
				}
			})
			return nil
		})
		wantNil(t, err)
		if !closed(n.Done()) {
			t.Error("Run returned before the non-daemon thread ended")
		}
		if err := receive(t, p.ended); !errors.Is(err, context.Canceled) {
			t.Errorf("daemon ended with ctx.Err() = %v, want context.Canceled", err)
		}
	})

	t.Run("grace expires", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		var stubborn []*threads.Thread
		err := threads.Run(func(ctx context.Context) error {
			for _, name := range []string{"stubborn-1", "stubborn-2"} {
				stubborn = append(stubborn, threads.Start(ctx, func(context.Context) {
					<-release // ignores its context
				}, threads.Name(name), threads.Daemon(true)))
			}
			return errMain
		}, nil, threads.Grace(0))
		if !errors.Is(err, threads.ErrGraceExpired) || !errors.Is(err, errMain) {
			t.Errorf("Run = %v, want errors matching ErrGraceExpired and main's error", err)
		}
		var ge *threads.GraceError
		if !errors.As(err, &ge) {
			t.Fatalf("Run = %v, want a *GraceError in it", err)
		}
		if want := []string{"stubborn-1", "stubborn-2"}; !slices.Equal(ge.Abandoned, want) {
			t.Errorf("Abandoned = %q, want %q", ge.Abandoned, want)
		}
		if msg := ge.Error(); !strings.Contains(msg, `"stubborn-1", "stubborn-2"`) {
			t.Errorf("GraceError = %q, want it to name the abandoned daemons", msg)
		}
		for _, d := range stubborn {
			if !d.Alive() {
				t.Errorf("%s ended; it was to ignore its context", d.Name())
			}
		}
		close(release)
		for _, d := range stubborn {
			wantNil(t, join(t, d))
		}
	})
}

// Rule 3: a thread started from a daemon is a daemon unless told otherwise,
// and a non-daemon one keeps the run alive.
func TestRule3NonDaemonFromDaemonKeepsRunAlive(t *testing.T) {
	t.Parallel()
	p := newProber()
	var d, n *threads.Thread
	err := threads.Run(func(ctx context.Context) error {
		mainDone := make(chan struct{})
		defer close(mainDone)
		started := make(chan *threads.Thread, 1)
		d = threads.Start(ctx, func(ctx context.Context) {
			started <- threads.Start(ctx, func(context.Context) {
				<-mainDone
				if err := p.ctxErr(); err != nil {
					t.Errorf("daemon's ctx.Err() = %v while a non-daemon runs, want nil", err)
				}
			}, threads.Daemon(false))
			p.run(true)(ctx)
		}, threads.Daemon(true))
		n = <-started
		return nil
	})
	wantNil(t, err)
	if n.IsDaemon() || !d.IsDaemon() {
		t.Errorf("IsDaemon = %v, %v for the daemon and its child, want true, false", d.IsDaemon(), n.IsDaemon())
	}
	if !closed(n.Done()) || !closed(d.Done()) {
		t.Error("Run returned before its threads ended")
	}
	if err := receive(t, p.ended); !errors.Is(err, context.Canceled) {
		t.Errorf("daemon ended with ctx.Err() = %v, want context.Canceled", err)
	}
}

// Rule 4: Run runs main as MainThread and waits for every non-daemon thread.
func TestRule4Run(t *testing.T) {
	t.Parallel()
	t.Run("main is MainThread", func(t *testing.T) {
		t.Parallel()
		var mt *threads.Thread
		var alive bool
		err := threads.Run(func(ctx context.Context) error {
			mt = threads.Current(ctx)
			alive = mt.Alive()
			return errMain
		})
		if err != errMain {
			t.Errorf("Run = %v, want main's error itself", err)
		}
		if mt == nil || mt.Name() != "MainThread" || mt.IsDaemon() || !alive {
			t.Fatalf("Current in main = %v (alive %v), want the running non-daemon MainThread", mt, alive)
		}
		if !closed(mt.Done()) || mt.Join(context.Background()) != errMain {
			t.Errorf("MainThread after Run: Join = %v, want main's error", mt.Join(context.Background()))
		}
	})

	t.Run("threads started later by running threads", func(t *testing.T) {
		t.Parallel()
		var ran atomic.Bool
		later := make(chan *threads.Thread, 2)
		err := threads.Run(func(ctx context.Context) error {
			mainDone := make(chan struct{})
			defer close(mainDone)
			threads.Start(ctx, func(ctx context.Context) {
				<-mainDone
				later <- threads.Start(ctx, func(ctx context.Context) {
					later <- threads.Start(ctx, func(context.Context) { ran.Store(true) })
				})
			})
			return nil
		})
		wantNil(t, err)
		if !ran.Load() {
			t.Error("Run returned before a thread started after main returned had run")
		}
		for range 2 {
			if th := <-later; !closed(th.Done()) {
				t.Errorf("%s still running after Run returned", th.Name())
			}
		}
	})

	t.Run("many threads starting threads", func(t *testing.T) {
		t.Parallel()
		const parents, children = 16, 16
		var ran atomic.Int64
		err := threads.Run(func(ctx context.Context) error {
			for range parents {
				threads.Start(ctx, func(ctx context.Context) {
					for range children {
						threads.Start(ctx, func(context.Context) { ran.Add(1) })
						threads.Start(ctx, func(ctx context.Context) {
							threads.Start(ctx, func(ctx context.Context) { <-ctx.Done() })
							<-ctx.Done()
						}, threads.Daemon(true))
					}
				})
			}
			return nil
		}, threads.Grace(hangLimit))
		wantNil(t, err)
		if got := ran.Load(); got != parents*children {
			t.Errorf("%d non-daemon children ran before Run returned, want %d", got, parents*children)
		}
	})

	t.Run("errors of every thread", func(t *testing.T) {
		t.Parallel()
		err := threads.Run(func(ctx context.Context) error {
			threads.Start(ctx, func(context.Context) { panic("worker broke") }, threads.Name("worker"))
			threads.Start(ctx, func(context.Context) { runtime.Goexit() }, threads.Name("goner"))
			threads.Start(ctx, nil, threads.Name("empty"))
			threads.Start(ctx, func(ctx context.Context) {
				<-ctx.Done()
				panic(errBoom)
			}, threads.Name("spook"), threads.Daemon(true))
			return errMain
		})
		for _, target := range []error{errMain, threads.ErrGoexit, threads.ErrNilFunc, errBoom} {
			if !errors.Is(err, target) {
				t.Errorf("Run = %v, want it to match %v", err, target)
			}
		}
		var pe *futures.PanicError
		if !errors.As(err, &pe) {
			t.Errorf("Run = %v, want a *futures.PanicError in it", err)
		}
		if errors.Is(err, threads.ErrGraceExpired) {
			t.Errorf("Run = %v, want no grace error", err)
		}
		for _, name := range []string{`"worker"`, `"goner"`, `"empty"`, `"spook"`, "worker broke"} {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("Run = %v, want it to mention %s", err, name)
			}
		}
	})

	t.Run("panic in main", func(t *testing.T) {
		t.Parallel()
		var n *threads.Thread
		err := threads.Run(func(ctx context.Context) error {
			mainDone := make(chan struct{})
			defer close(mainDone)
			n = threads.Start(ctx, func(context.Context) { <-mainDone })
			panic("main broke")
		})
		var pe *futures.PanicError
		if !errors.As(err, &pe) || pe.Value != "main broke" {
			t.Fatalf("Run = %v, want main's panic", err)
		}
		if !strings.Contains(err.Error(), `"MainThread"`) {
			t.Errorf("Run = %v, want it to name MainThread", err)
		}
		if !closed(n.Done()) {
			t.Error("Run returned before a non-daemon thread ended")
		}
	})

	t.Run("Goexit in main", func(t *testing.T) {
		t.Parallel()
		p := newProber()
		var n *threads.Thread
		var returned bool
		exited := make(chan struct{})
		go func() {
			defer close(exited)
			_ = threads.Run(func(ctx context.Context) error {
				mainDone := make(chan struct{})
				defer close(mainDone)
				threads.Start(ctx, p.run(true), threads.Daemon(true))
				n = threads.Start(ctx, func(context.Context) { <-mainDone })
				runtime.Goexit()
				return nil
			})
			returned = true
		}()
		receive(t, exited)
		if returned {
			t.Error("Run returned after main called Goexit")
		}
		if !closed(n.Done()) {
			t.Error("goroutine exited before a non-daemon thread ended")
		}
		select {
		case err := <-p.ended:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("daemon ended with ctx.Err() = %v, want context.Canceled", err)
			}
		default:
			t.Error("goroutine exited before the daemon ended")
		}
	})

	t.Run("bad input", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			main func(context.Context) error
			opts []threads.RunOption
			want error // nil: any error
		}{
			{name: "nil main", want: threads.ErrNilMain},
			{name: "negative grace", main: func(context.Context) error { return nil }, opts: []threads.RunOption{threads.Grace(-time.Second)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				called := false
				main := tt.main
				if main != nil {
					main = func(ctx context.Context) error { called = true; return tt.main(ctx) }
				}
				err := threads.Run(main, tt.opts...)
				if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("Run = %v, want an error matching %v", err, tt.want)
				}
				if called {
					t.Error("main was called")
				}
			})
		}
	})
}

func TestRefusedStart(t *testing.T) {
	t.Parallel()
	t.Run("while stopping daemons", func(t *testing.T) {
		t.Parallel()
		var ran atomic.Bool
		late := make(chan *threads.Thread, 2)
		lateCtxErr := make(chan error, 1)
		err := threads.Run(func(ctx context.Context) error {
			threads.Start(ctx, func(ctx context.Context) {
				<-ctx.Done() // Run is stopping daemons
				late <- threads.Start(ctx, func(context.Context) { ran.Store(true) }, threads.Daemon(false))
				late <- threads.Start(ctx, func(ctx context.Context) { lateCtxErr <- ctx.Err() })
			}, threads.Daemon(true))
			return nil
		})
		wantNil(t, err)
		refused, daemon := <-late, <-late
		if !closed(refused.Done()) {
			t.Error("refused thread's Done is not closed")
		}
		if err := refused.Join(context.Background()); !errors.Is(err, threads.ErrStopped) {
			t.Errorf("refused thread: Join = %v, want ErrStopped", err)
		}
		if ran.Load() {
			t.Error("refused thread ran")
		}
		if !daemon.IsDaemon() || !closed(daemon.Done()) {
			t.Error("late daemon was not awaited by Run")
		}
		if err := <-lateCtxErr; !errors.Is(err, context.Canceled) {
			t.Errorf("late daemon started with ctx.Err() = %v, want context.Canceled", err)
		}
	})

	t.Run("after Run returned", func(t *testing.T) {
		t.Parallel()
		mainCtx := ctxOfReturnedRun(t)
		for _, daemon := range []bool{false, true} {
			var ran atomic.Bool
			th := threads.Start(mainCtx, func(context.Context) { ran.Store(true) }, threads.Daemon(daemon))
			if err := join(t, th); !errors.Is(err, threads.ErrStopped) {
				t.Errorf("Daemon(%v): Join = %v, want ErrStopped", daemon, err)
			}
			if ran.Load() {
				t.Errorf("Daemon(%v): refused thread ran", daemon)
			}
		}
	})
}

// The context given to Start governs the thread's context.
func TestStartContextCancels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		inRun, daemon bool
	}{
		{"outside Run", false, false},
		{"outside Run, daemon", false, true},
		{"in Run, non-daemon", true, false},
		{"in Run, daemon", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := func(ctx context.Context) {
				ctx, cancel := context.WithCancel(ctx)
				p := newProber()
				th := threads.Start(ctx, p.run(true), threads.Daemon(tt.daemon))
				if err := p.ctxErr(); err != nil {
					t.Errorf("thread's ctx.Err() = %v before cancel, want nil", err)
				}
				cancel()
				if err := th.Join(context.Background()); err != nil {
					t.Errorf("Join = %v", err)
				}
				if err := <-p.ended; !errors.Is(err, context.Canceled) {
					t.Errorf("thread ended with ctx.Err() = %v, want context.Canceled", err)
				}
			}
			if !tt.inRun {
				check(context.Background())
				return
			}
			wantNil(t, threads.Run(func(ctx context.Context) error {
				check(ctx)
				return nil
			}))
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	th := threads.Start(context.Background(), func(context.Context) { <-release }, threads.Name("w"), threads.Daemon(true))
	if got, want := th.String(), "<Thread(w, started daemon)>"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	close(release)
	wantNil(t, join(t, th))
	if got, want := th.String(), "<Thread(w, stopped daemon)>"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// ctxOfReturnedRun returns the context of the main thread of a Run that has
// returned.
func ctxOfReturnedRun(t *testing.T) context.Context {
	t.Helper()
	var mainCtx context.Context
	wantNil(t, threads.Run(func(ctx context.Context) error {
		mainCtx = ctx
		return nil
	}))
	return mainCtx
}
