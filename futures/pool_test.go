package futures_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multitask-go/multitask/futures"
)

func TestPoolRunsAtMostSizeAtOnce(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	const size = 3
	p := newPool(t, size)
	var running, peak atomic.Int32
	started := make(chan struct{}, 20)
	gate := make(chan struct{})
	var fs []*futures.Future[int]
	for i := range 20 {
		fs = append(fs, futures.Submit(ctx, p, func(context.Context) (int, error) {
			n := running.Add(1)
			for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
			}
			started <- struct{}{}
			<-gate
			running.Add(-1)
			return i, nil
		}))
	}
	// Wait until the pool is full, then let everything go.
	for range size {
		<-started
	}
	close(gate)
	for i, f := range fs {
		if v, err := f.Result(ctx); v != i || err != nil {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
	}
	if got := peak.Load(); got != size {
		t.Fatalf("peak concurrency %d, want %d", got, size)
	}
}

func TestPoolStartsTasksInOrder(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1)
	b := occupy(t, p)
	var order []int
	var fs []*futures.Future[int]
	for i := range 50 {
		fs = append(fs, futures.Submit(ctx, p, func(context.Context) (int, error) {
			order = append(order, i) // one worker: no race
			return i, nil
		}))
	}
	b.open()
	if _, _, err := futures.Wait(ctx, fs, futures.AllCompleted); err != nil {
		t.Fatal(err)
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("start order %v, want submission order", order)
		}
	}
}

func TestZeroThreadPool(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	var p futures.ThreadPool
	if p.Size() < 1 {
		t.Fatalf("zero pool Size = %d", p.Size())
	}
	if v, err := futures.Submit(ctx, &p, value(3)).Result(ctx); v != 3 || err != nil {
		t.Fatalf("zero pool: %v, %v", v, err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestQueueSize(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 1, futures.QueueSize(2))
	b := occupy(t, p)
	queued := []*futures.Future[int]{
		futures.Submit(ctx, p, value(1)),
		futures.Submit(ctx, p, value(2)),
	}

	// The queue is full: TrySubmit refuses, Submit waits until ctx ends.
	if f, err := futures.TrySubmit(ctx, p, value(3)); f != nil || !errors.Is(err, futures.ErrQueueFull) {
		t.Fatalf("TrySubmit on a full queue = %v, %v; want nil, ErrQueueFull", f, err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	blocked := futures.Submit(short, p, value(4))
	if _, err := blocked.Result(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit to a full queue after ctx expiry: %v, want cancelled by DeadlineExceeded", err)
	}

	// A Submit blocked on the full queue goes in once there is room.
	waiting := make(chan *futures.Future[int])
	go func() { waiting <- futures.Submit(ctx, p, value(5)) }()
	b.open()
	late := <-waiting
	for i, f := range append(queued, late) {
		if _, err := f.Result(ctx); err != nil {
			t.Fatalf("future %d: %v", i, err)
		}
	}
	if f, err := futures.TrySubmit(ctx, p, value(6)); err != nil {
		t.Fatalf("TrySubmit with room: %v", err)
	} else if v, err := f.Result(ctx); v != 6 || err != nil {
		t.Fatalf("TrySubmit result: %v, %v", v, err)
	}
}

func TestTrySubmitUnboundedIsSubmit(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	f, err := futures.TrySubmit(ctx, newPool(t, 1), value(1))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f.Result(ctx); v != 1 || err != nil {
		t.Fatalf("%v, %v", v, err)
	}
}

func TestSubmitBlockedOnFullQueueWakesAtShutdown(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := futures.NewThreadPool(1, futures.QueueSize(1))
	b := occupy(t, p)
	queued := futures.Submit(ctx, p, value(1))
	blocked := make(chan *futures.Future[int])
	go func() { blocked <- futures.Submit(ctx, p, value(2)) }()
	shut := make(chan error)
	go func() { shut <- p.Shutdown(ctx) }()
	f := <-blocked
	if _, err := f.Result(ctx); !errors.Is(err, futures.ErrShutdown) {
		t.Fatalf("blocked Submit at Shutdown: %v, want ErrShutdown", err)
	}
	b.open()
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if v, err := queued.Result(ctx); v != 1 || err != nil {
		t.Fatalf("queued before Shutdown: %v, %v; want it run", v, err)
	}
}

func TestInitializer(t *testing.T) {
	t.Parallel()
	t.Run("once per worker", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		var inits atomic.Int32
		p := newPool(t, 2, futures.Initializer(func() error { inits.Add(1); return nil }), futures.IdleTimeout(-1))
		var fs []*futures.Future[int]
		for i := range 100 {
			fs = append(fs, futures.Submit(ctx, p, value(i)))
		}
		if _, _, err := futures.Wait(ctx, fs, futures.AllCompleted); err != nil {
			t.Fatal(err)
		}
		if n := inits.Load(); n < 1 || n > 2 {
			t.Fatalf("initializer ran %d times for 2 workers", n)
		}
	})
	errInit := errors.New("no database")
	for name, init := range map[string]func() error{
		"fails":  func() error { return errInit },
		"panics": func() error { panic(errInit) },
		"exits":  func() error { runtime.Goexit(); return nil },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			p := newPool(t, 1, futures.Initializer(init))
			_, err := futures.Submit(ctx, p, value(1)).Result(ctx)
			if !errors.Is(err, futures.ErrBroken) || (name != "exits" && !errors.Is(err, errInit)) {
				t.Fatalf("first task: %v, want ErrBroken wrapping the initializer's error", err)
			}
			_, err = futures.Submit(ctx, p, value(2)).Result(ctx)
			if !errors.Is(err, futures.ErrBroken) {
				t.Fatalf("later task: %v, want ErrBroken", err)
			}
		})
	}
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("waits for queued and running", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		p := futures.NewThreadPool(2)
		var done atomic.Int32
		var fs []*futures.Future[int]
		for i := range 50 {
			fs = append(fs, futures.Submit(ctx, p, func(context.Context) (int, error) {
				done.Add(1)
				return i, nil
			}))
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if n := done.Load(); n != 50 {
			t.Fatalf("Shutdown returned with %d of 50 tasks done", n)
		}
		for _, f := range fs {
			if f.State() != futures.Finished {
				t.Fatalf("future %v after Shutdown", f.State())
			}
		}
	})
	t.Run("twice and submit after", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		p := futures.NewThreadPool(1)
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(ctx); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}
		_, err := futures.Submit(ctx, p, value(1)).Result(ctx)
		if !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("Submit after Shutdown: %v, want ErrShutdown", err)
		}
		if f, err := futures.TrySubmit(ctx, p, value(1)); err != nil {
			t.Fatalf("TrySubmit after Shutdown: %v", err)
		} else if _, err := f.Result(ctx); !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("TrySubmit after Shutdown: %v, want ErrShutdown", err)
		}
	})
	t.Run("ctx expiry cancels what has not started", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		p := futures.NewThreadPool(1)
		b := newBlocker()
		running := futures.Submit(ctx, p, b.task)
		<-b.started
		queued := futures.Submit(ctx, p, value(1))
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if err := p.Shutdown(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
		}
		_, err := queued.Result(ctx)
		if !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("queued future: %v, want ErrCancelled and ErrShutdown", err)
		}
		if s := running.State(); s != futures.Running {
			t.Fatalf("running future %v, want it left RUNNING", s)
		}
		b.open()
		if err := p.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown after the last task returned: %v", err)
		}
		if _, err := running.Result(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nil pool", func(t *testing.T) {
		t.Parallel()
		var p *futures.ThreadPool
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestShutdownRacesSubmit(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	for round := range 20 {
		p := futures.NewThreadPool(2, futures.QueueSize(round%3*4))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var fs []*futures.Future[int]
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					f := futures.Submit(ctx, p, value(g*100+i))
					mu.Lock()
					fs = append(fs, f)
					mu.Unlock()
				}
			})
		}
		for range 3 {
			wg.Go(func() {
				if err := p.Shutdown(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, f := range fs {
			v, err := f.Result(ctx)
			switch {
			case err == nil && v >= 0:
			case errors.Is(err, futures.ErrShutdown):
			default:
				t.Fatalf("round %d: future ended with %v, %v", round, v, err)
			}
		}
	}
}

func TestIdleWorkersComeBack(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	var inits atomic.Int32
	p := newPool(t, 1, futures.IdleTimeout(time.Millisecond), futures.Initializer(func() error {
		inits.Add(1)
		return nil
	}))
	// Each task after the worker has timed out starts a new worker; the
	// initializer counts them. Results stay right throughout. The sleep lets
	// the idle timeout pass; it synchronises nothing.
	for i := 0; inits.Load() < 3; i++ {
		if v, err := futures.Submit(ctx, p, value(i)).Result(ctx); v != i || err != nil {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
		if ctx.Err() != nil {
			t.Fatal("workers never timed out")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCancelledBeforeStartNeverRuns submits many tasks behind a busy
// worker and cancels their contexts right after Submit, then frees the
// worker. The watcher that cancels a future runs in a goroutine of its own,
// so the worker may reach a task first, and must then see that its context
// has ended. With one context for all, cancel starts every watcher at once
// and the worker is freed before they run.
//
// Not parallel: its goroutines would hold up the parallel tests, whose
// hang guards run meanwhile.
func TestCancelledBeforeStartNeverRuns(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "a context each", true: "one context for all"}[shared]
		t.Run(name, func(t *testing.T) {
			// Tens of thousands of goroutines come and go here: slow on a
			// loaded machine under the race detector.
			ctx, cancel := context.WithTimeout(context.Background(), 6*hangGuard)
			defer cancel()
			p := newPool(t, 1)
			b := occupy(t, p)
			const n = 10_000
			var ran atomic.Int32
			task := func(context.Context) (int, error) {
				ran.Add(1)
				return 0, nil
			}
			fs := make([]*futures.Future[int], n)
			all, cancelAll := context.WithCancel(ctx)
			for i := range fs {
				if shared {
					fs[i] = futures.Submit(all, p, task)
					continue
				}
				tctx, cancel := context.WithCancel(ctx)
				fs[i] = futures.Submit(tctx, p, task)
				cancel()
			}
			cancelAll()
			b.open()
			notCancelled := 0
			for _, f := range fs {
				if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
					notCancelled++
				}
			}
			if got := ran.Load(); got != 0 || notCancelled != 0 {
				t.Fatalf("of %d tasks cancelled before they started, %d ran and %d futures did not end with ErrCancelled and context.Canceled",
					n, got, notCancelled)
			}
		})
	}
}

// TestCancelFutures mirrors CPython's test_cancel_futures: ShutdownCancel
// cancels the tasks that have not started and waits for the running ones,
// which finish normally.
func TestCancelFutures(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := futures.NewThreadPool(2)
	b := newBlocker()
	t.Cleanup(b.open)
	var running []*futures.Future[int]
	for range 2 {
		running = append(running, futures.Submit(ctx, p, b.task))
	}
	for range running {
		<-b.started
	}
	var ran atomic.Int32
	var pending []*futures.Future[int]
	for range 50 {
		pending = append(pending, futures.Submit(ctx, p, func(context.Context) (int, error) {
			ran.Add(1)
			return 0, nil
		}))
	}
	shut := make(chan error, 1)
	go func() { shut <- p.ShutdownCancel(ctx) }()
	// Every pending task is cancelled while the running ones still run.
	for i, f := range pending {
		if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("pending task %d: %v, want ErrCancelled and ErrShutdown", i, err)
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("ShutdownCancel returned %v while tasks still ran", err)
	default:
	}
	b.open()
	if err := <-shut; err != nil {
		t.Fatalf("ShutdownCancel: %v", err)
	}
	for i, f := range running {
		if err := f.Err(ctx); err != nil {
			t.Fatalf("running task %d: %v", i, err)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("%d cancelled tasks ran", n)
	}
	if err := futures.Submit(ctx, p, value(1)).Err(ctx); !errors.Is(err, futures.ErrShutdown) {
		t.Fatalf("Submit after ShutdownCancel: %v, want ErrShutdown", err)
	}
}
