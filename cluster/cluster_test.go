package cluster_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

var (
	square = mp.Register("cluster-test-square", func(ctx context.Context, x int) (int, error) { return x * x, nil })
	block  = mp.Register("cluster-test-block", func(ctx context.Context, d time.Duration) (string, error) {
		select {
		case <-time.After(d):
			return "slept", nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	})
	flakyCalls atomic.Int64
	errFlaky   = errors.New("flaky")
	flaky      = mp.Register("cluster-test-flaky", func(ctx context.Context, failures int64) (int64, error) {
		if n := flakyCalls.Add(1); n <= failures {
			return n, errFlaky
		}
		return flakyCalls.Load(), nil
	})
	echo = mp.Register("cluster-test-echo", func(ctx context.Context, b []byte) ([]byte, error) { return b, nil })
)

func init() { mp.RegisterError("cluster-test.errFlaky", errFlaky) }

func newExecutor(t *testing.T, opts ...cluster.Option) *cluster.Executor {
	t.Helper()
	ex, err := cluster.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := ex.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return ex
}

func TestSubmitAndMap(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t)
	v, err := square.Submit(ctx, ex, 7).Result(ctx)
	if err != nil || v != 49 {
		t.Fatalf("Submit: %v, %v; want 49", v, err)
	}
	var got []int
	for v, err := range square.Map(ctx, ex, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if want := []int{1, 4, 9, 16, 25, 36, 49, 64, 81, 100}; !slices.Equal(got, want) {
		t.Fatalf("Map: %v, want %v", got, want)
	}
	fs := make([]*futures.Future[int], 100)
	for i := range fs {
		fs[i] = square.Submit(ctx, ex, i)
	}
	done, pending, err := futures.Wait(ctx, fs, futures.AllCompleted)
	if err != nil || len(done) != 100 || len(pending) != 0 {
		t.Fatalf("Wait: %d done, %d pending, %v", len(done), len(pending), err)
	}
	for i, f := range fs {
		if v, err := f.Result(ctx); err != nil || v != i*i {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
	}
	// Map's ten inputs went in one to ten calls, as its chunks grew.
	s := ex.Stats()
	if s.Err != nil || s.Done < 102 || s.Done > 111 || s.Submitted != s.Done || s.Workers != 1 {
		t.Fatalf("Stats: %+v", s)
	}
}

// TestMapChunksGrow checks that Map's chunks grow on a cluster as on a
// Pool: workers tell how long each chunk ran, so that tiny tasks go
// hundreds to a message rather than one each.
func TestMapChunksGrow(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t)
	const n = 20000
	i := 0
	for v, err := range square.Map(ctx, ex, func(yield func(int) bool) {
		for j := range n {
			if !yield(j) {
				return
			}
		}
	}) {
		if err != nil || v != i*i {
			t.Fatalf("input %d: %d, %v", i, v, err)
		}
		i++
	}
	if i != n {
		t.Fatalf("Map yielded %d results, want %d", i, n)
	}
	// A chunk of one input per call would make n calls.
	if s := ex.Stats(); s.Err != nil || s.Done > n/20 {
		t.Fatalf("%d calls for %d inputs, want at most %d: %+v", s.Done, n, n/20, s)
	}
}

func TestClosureFails(t *testing.T) {
	ex := newExecutor(t, cluster.Workers(0))
	_, err := futures.Submit(context.Background(), ex, func(context.Context) (int, error) { return 1, nil }).Result(context.Background())
	if !errors.Is(err, mp.ErrNotRegistered) {
		t.Fatalf("closure: %v, want ErrNotRegistered", err)
	}
}

func TestCancelQueued(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t, cluster.Workers(0))
	f := square.Submit(ctx, ex, 3)
	if !f.Cancel() {
		t.Fatal("Cancel of a queued task returned false")
	}
	if _, err := f.Result(ctx); !errors.Is(err, futures.ErrCancelled) {
		t.Fatalf("Result: %v, want ErrCancelled", err)
	}
	// A worker that comes later finds nothing to run.
	if s := ex.Stats(); s.Cancelled != 1 {
		t.Fatalf("Stats: %+v", s)
	}
}

func TestStopRunning(t *testing.T) {
	ex := newExecutor(t)
	ctx, cancel := context.WithCancel(context.Background())
	f := block.Submit(ctx, ex, time.Hour)
	waitRunning(t, ex, f.State)
	if f.Cancel() {
		t.Fatal("Cancel of a running task returned true")
	}
	cancel()
	if _, err := f.Result(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Result: %v, want context.Canceled", err)
	}
}

// waitRunning waits for a task to have begun, as its future's state says,
// and for the executor's Stats to count it as running. The stats count it
// from its delivery to a worker, a moment before the worker begins it.
func waitRunning(t *testing.T, ex *cluster.Executor, state func() futures.State) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if state() != futures.Running {
			continue
		}
		if s := ex.Stats(); s.Running > 0 && s.Queued == 0 {
			return
		}
	}
	t.Fatal("the task did not start")
}

func TestTimeout(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t, cluster.Timeout(50*time.Millisecond))
	_, err := block.Submit(ctx, ex, time.Hour).Result(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Result: %v, want DeadlineExceeded", err)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	flakyCalls.Store(0)
	ex := newExecutor(t, cluster.Retries(3), cluster.Backoff(time.Millisecond, 10*time.Millisecond))
	v, err := flaky.Submit(ctx, ex, 2).Result(ctx)
	if err != nil || v != 3 {
		t.Fatalf("Result: %v, %v; want 3 after two retries", v, err)
	}
	flakyCalls.Store(0)
	_, err = flaky.Submit(ctx, ex, 10).Result(ctx)
	if !errors.Is(err, errFlaky) {
		t.Fatalf("Result: %v, want errFlaky", err)
	}
	if n := flakyCalls.Load(); n != 4 {
		t.Fatalf("%d runs, want 4", n)
	}
	var dead []cluster.DeadTask
	for d, err := range ex.DeadTasks(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		dead = append(dead, d)
	}
	if len(dead) != 1 || dead[0].Attempts != 4 || !errors.Is(dead[0].Err(), errFlaky) {
		t.Fatalf("dead tasks: %+v", dead)
	}
}

func TestBigPayload(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t)
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i)
	}
	got, err := echo.Submit(ctx, ex, big).Result(ctx)
	if err != nil || !slices.Equal(got, big) {
		t.Fatalf("echo of 3 MiB: %d bytes, %v", len(got), err)
	}
	small, _ := ex.With(cluster.MaxPayload(1 << 20))
	_, err = echo.Submit(ctx, small, big).Result(ctx)
	var pe *cluster.PayloadError
	if !errors.As(err, &pe) || !errors.Is(err, mp.ErrTooLarge) {
		t.Fatalf("above MaxPayload: %v", err)
	}
}

var (
	startedMu sync.Mutex
	started   []int
	record    = mp.Register("cluster-test-record", func(ctx context.Context, x int) (int, error) {
		startedMu.Lock()
		started = append(started, x)
		startedMu.Unlock()
		return x, nil
	})
)

// TestTasksStartInSubmissionOrder submits tasks one after another to one
// worker, which runs them in the order they reach the queue: the order
// they were submitted in.
func TestTasksStartInSubmissionOrder(t *testing.T) {
	ctx := context.Background()
	startedMu.Lock()
	started = nil // a run before this one, under -count
	startedMu.Unlock()
	ex := newExecutor(t, cluster.Workers(1))
	const n = 300
	fs := make([]*futures.Future[int], n)
	for i := range fs {
		fs[i] = record.Submit(ctx, ex, i)
	}
	for i, f := range fs {
		if v, err := f.Result(ctx); err != nil || v != i {
			t.Fatalf("task %d: %d, %v", i, v, err)
		}
	}
	startedMu.Lock()
	defer startedMu.Unlock()
	if !slices.IsSorted(started) || len(started) != n {
		t.Fatalf("tasks started in the order %v, want 0 to %d", started, n-1)
	}
}
