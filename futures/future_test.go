package futures_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/futures"
)

// hangGuard bounds a test that would otherwise hang on a bug; it never
// measures speed.
const hangGuard = 10 * time.Second

func guard(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// newPool returns a pool that is shut down when the test ends.
func newPool(t *testing.T, workers int, opts ...futures.Option) *futures.ThreadPool {
	t.Helper()
	p := futures.NewThreadPool(workers, opts...)
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p
}

// blocker occupies a pool's workers until released, so that later tasks
// stay pending. started receives once per blocking task that began.
type blocker struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 64), release: make(chan struct{})}
}

func (b *blocker) task(context.Context) (int, error) {
	b.started <- struct{}{}
	<-b.release
	return 0, nil
}

func (b *blocker) open() { b.once.Do(func() { close(b.release) }) }

// occupy fills every worker of p with a blocking task and waits until they
// all run.
func occupy(t *testing.T, p *futures.ThreadPool) *blocker {
	t.Helper()
	b := newBlocker()
	t.Cleanup(b.open)
	for range p.Size() {
		futures.Submit(context.Background(), p, b.task)
	}
	for range p.Size() {
		<-b.started
	}
	return b
}

func value[T any](v T) func(context.Context) (T, error) {
	return func(context.Context) (T, error) { return v, nil }
}

func TestSubmitResult(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 2)
	errBoom := errors.New("boom")
	cases := []struct {
		name    string
		fn      func(context.Context) (string, error)
		want    string
		wantErr error
	}{
		{"value", value("ok"), "ok", nil},
		{"error", func(context.Context) (string, error) { return "", errBoom }, "", errBoom},
		{"value and error", func(context.Context) (string, error) { return "partial", errBoom }, "partial", errBoom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := futures.Submit(ctx, p, tc.fn)
			got, err := f.Result(ctx)
			if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Result = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if err := f.Err(ctx); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Err = %v, want %v", err, tc.wantErr)
			}
			if s := f.State(); s != futures.Finished {
				t.Fatalf("State = %v, want FINISHED", s)
			}
			select {
			case <-f.Done():
			default:
				t.Fatal("Done not closed after Result")
			}
		})
	}
}

func TestTaskGetsSubmitContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	ctx := context.WithValue(guard(t), key{}, "here")
	f := futures.Submit(ctx, newPool(t, 1), func(ctx context.Context) (any, error) {
		return ctx.Value(key{}), nil
	})
	if v, err := f.Result(ctx); v != "here" || err != nil {
		t.Fatalf("Result = %v, %v; want the value from the Submit context", v, err)
	}
}

func TestPanicFailsFuture(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	errInner := errors.New("inner")
	cases := []struct {
		name      string
		value     any
		unwrapsTo error
	}{
		{"string", "kaboom", nil},
		{"error", errInner, errInner},
		{"nil", nil, nil}, // panic(nil) is a *runtime.PanicNilError since Go 1.21
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := futures.Submit(ctx, p, func(context.Context) (int, error) { panic(tc.value) })
			_, err := f.Result(ctx)
			var pe *futures.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Result error = %v, want *PanicError", err)
			}
			if tc.value != nil && pe.Value != tc.value {
				t.Errorf("Value = %v, want %v", pe.Value, tc.value)
			}
			if !bytes.Contains(pe.Stack, []byte("future_test.go")) {
				t.Errorf("Stack does not show the panicking function:\n%s", pe.Stack)
			}
			if tc.unwrapsTo != nil && !errors.Is(err, tc.unwrapsTo) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.unwrapsTo)
			}
			if !strings.Contains(err.Error(), "panicked") {
				t.Errorf("message %q does not say the task panicked", err)
			}
		})
	}
	// The worker survived the panics.
	if v, err := futures.Submit(ctx, p, value(7)).Result(ctx); v != 7 || err != nil {
		t.Fatalf("after panics: %v, %v", v, err)
	}
}

func TestGoexitFailsFuture(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	f := futures.Submit(ctx, p, func(context.Context) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
	if _, err := f.Result(ctx); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Result error = %v, want one naming Goexit", err)
	}
	// The pool replaces the worker that exited.
	if v, err := futures.Submit(ctx, p, value(1)).Result(ctx); v != 1 || err != nil {
		t.Fatalf("after Goexit: %v, %v", v, err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	b := occupy(t, p)

	ran := make(chan struct{}, 1)
	f := futures.Submit(ctx, p, func(context.Context) (int, error) { ran <- struct{}{}; return 1, nil })
	if s := f.State(); s != futures.Pending {
		t.Fatalf("State = %v, want PENDING", s)
	}
	if !f.Cancel() {
		t.Fatal("Cancel of a pending future = false")
	}
	if !f.Cancel() {
		t.Fatal("second Cancel = false, want true (already cancelled)")
	}
	if s := f.State(); s != futures.Cancelled {
		t.Fatalf("State = %v, want CANCELLED", s)
	}
	if _, err := f.Result(ctx); !errors.Is(err, futures.ErrCancelled) {
		t.Fatalf("Result = %v, want ErrCancelled", err)
	}
	b.open()
	// Once the queue has drained, the cancelled task has been skipped.
	if _, err := futures.Submit(ctx, p, value(0)).Result(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Fatal("cancelled task ran")
	default:
	}
}

func TestCancelRunningOrFinished(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	t.Cleanup(b.open)
	running := futures.Submit(ctx, p, b.task)
	<-b.started
	if s := running.State(); s != futures.Running {
		t.Fatalf("State = %v, want RUNNING", s)
	}
	if running.Cancel() {
		t.Fatal("Cancel of a running future = true")
	}
	b.open()
	if _, err := running.Result(ctx); err != nil {
		t.Fatalf("running task after a refused Cancel: %v", err)
	}
	if running.Cancel() {
		t.Fatal("Cancel of a finished future = true")
	}
}

func TestResultContextExpiryLeavesFuture(t *testing.T) {
	t.Parallel()
	p := newPool(t, 1)
	b := newBlocker()
	t.Cleanup(b.open)
	f := futures.Submit(context.Background(), p, b.task)
	<-b.started
	short, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Result(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("Result = %v, want context.Canceled", err)
	}
	if err := f.Err(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", err)
	}
	if s := f.State(); s != futures.Running {
		t.Fatalf("State after an expired wait = %v, want RUNNING", s)
	}
	b.open()
	if _, err := f.Result(guard(t)); err != nil {
		t.Fatalf("Result after release: %v", err)
	}
}

func TestSubmitContext(t *testing.T) {
	t.Parallel()
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		f := futures.Submit(ctx, newPool(t, 1), func(context.Context) (int, error) { ran = true; return 0, nil })
		if s := f.State(); s != futures.Cancelled {
			t.Fatalf("State = %v, want CANCELLED at once", s)
		}
		_, err := f.Result(guard(t))
		if !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Result = %v, want ErrCancelled and context.Canceled", err)
		}
		if ran {
			t.Fatal("task ran")
		}
	})
	t.Run("ends while queued", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 1)
		occupy(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		f := futures.Submit(ctx, p, value(1))
		// The future ends when ctx does, without waiting for a worker.
		_, err := f.Result(guard(t))
		if !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Result = %v, want ErrCancelled and DeadlineExceeded", err)
		}
	})
	t.Run("cause", func(t *testing.T) {
		t.Parallel()
		errWhy := errors.New("why")
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(errWhy)
		_, err := futures.Submit(ctx, newPool(t, 1), value(1)).Result(guard(t))
		if !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) || !errors.Is(err, errWhy) {
			t.Fatalf("Result = %v, want ErrCancelled, context.Canceled and the cause", err)
		}
	})
	t.Run("ends while running", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		f := futures.Submit(ctx, newPool(t, 1), func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		cancel()
		_, err := f.Result(guard(t))
		if !errors.Is(err, context.Canceled) || errors.Is(err, futures.ErrCancelled) {
			t.Fatalf("Result = %v, want the task's own context.Canceled, not ErrCancelled", err)
		}
		if s := f.State(); s != futures.Finished {
			t.Fatalf("State = %v, want FINISHED", s)
		}
	})
}

func TestSubmitBadInput(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	var nilPool *futures.ThreadPool
	cases := []struct {
		name string
		ex   futures.Executor
		fn   func(context.Context) (int, error)
	}{
		{"nil function", newPool(t, 1), nil},
		{"nil executor", nil, value(1)},
		{"typed nil pool", nilPool, value(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := futures.Submit(ctx, tc.ex, tc.fn)
			_, err := f.Result(ctx)
			if err == nil || !strings.Contains(err.Error(), "nil") {
				t.Fatalf("Result error = %v, want one naming the nil argument", err)
			}
			if s := f.State(); s != futures.Finished {
				t.Fatalf("State = %v, want FINISHED", s)
			}
		})
	}
}

func TestOnDone(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	t.Cleanup(b.open)
	f := futures.Submit(ctx, p, b.task)
	<-b.started

	var mu sync.Mutex
	var order []int
	add := func(i int) func() {
		return func() {
			if f.State() != futures.Finished {
				t.Errorf("callback %d ran before the future finished", i)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}
	}
	second := make(chan struct{})
	f.OnDone(add(1))
	f.OnDone(nil) // ignored
	f.OnDone(func() { add(2)(); close(second) })
	b.open()
	<-second
	// Added once the future is done, a callback runs at once, here.
	f.OnDone(add(3))
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(order, []int{1, 2, 3}) {
		t.Fatalf("callbacks ran as %v, want [1 2 3]", order)
	}
}

// TestOnDonePanic cannot run in parallel: it replaces slog's default logger.
func TestOnDonePanic(t *testing.T) {
	logged := captureLog(t)

	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	t.Cleanup(b.open)
	f := futures.Submit(ctx, p, b.task)
	<-b.started
	after := make(chan struct{})
	f.OnDone(func() { panic("callback bug") })
	f.OnDone(func() { close(after) })
	b.open()
	<-after // the callback after the panicking one still ran
	if v, err := futures.Submit(ctx, p, value(5)).Result(ctx); v != 5 || err != nil {
		t.Fatalf("pool after a panicking callback: %v, %v", v, err)
	}
	if log := logged.String(); !strings.Contains(log, "callback bug") {
		t.Fatalf("panic not logged; log: %q", log)
	}
}

// A logBuffer keeps what the default logger writes during a test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// captureLog sends the default logger's output to a buffer until the test
// ends. Tests that use it must not run in parallel.
func captureLog(t *testing.T) *logBuffer {
	t.Helper()
	l := new(logBuffer)
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(l, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return l
}

func TestStateString(t *testing.T) {
	t.Parallel()
	for s, want := range map[futures.State]string{
		futures.Pending: "PENDING", futures.Running: "RUNNING",
		futures.Cancelled: "CANCELLED", futures.Finished: "FINISHED", 9: "State(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}

func TestTaskZeroValue(t *testing.T) {
	t.Parallel()
	var task futures.Task
	task.Run()
	if task.Cancel(nil) || task.Reject(errors.New("x")) {
		t.Fatal("zero Task claimed to end something")
	}
	if task.Context() == nil {
		t.Fatal("zero Task has a nil Context")
	}
}

// TestDoneCallbackRaisesAlreadySucceeded mirrors CPython's
// test_done_callback_raises_already_succeeded: a callback added to a future
// that is already done runs at once, and its panic is logged as that of a
// callback run at completion, not raised in the caller of OnDone.
func TestDoneCallbackRaisesAlreadySucceeded(t *testing.T) {
	logged := captureLog(t)

	ctx := guard(t)
	f := futures.Submit(ctx, newPool(t, 1), value(5))
	if err := f.Err(ctx); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("OnDone on a done future panicked in its caller: %v", r)
			}
		}()
		f.OnDone(func() { panic("callback bug") })
	}()
	ran := false
	f.OnDone(func() { ran = true })
	if !ran {
		t.Error("a callback after the panicking one did not run")
	}
	if log := logged.String(); !strings.Contains(log, "callback bug") {
		t.Fatalf("panic not logged; log: %q", log)
	}
}
