package mp_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// TestPoolCancelledBeforeStartNeverRuns queues many tasks behind a busy
// worker, cancels their contexts right after Submit, then frees the
// worker. The watcher that cancels a task runs in a goroutine of its own,
// so the pool may come to hand a task to the worker first, and must then
// see that its context has ended. With one context for all, cancel starts
// every watcher at once and the worker is freed before they run.
func TestPoolCancelledBeforeStartNeverRuns(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "a context each", true: "one context for all"}[shared]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Slow on a loaded machine under the race detector.
			ctx, cancel := context.WithTimeout(context.Background(), 4*hangGuard)
			defer cancel()
			pool := newPool(t, mp.Workers(1))
			busyCtx, free := context.WithCancel(ctx)
			busy := waits.Submit(busyCtx, pool, struct{}{})
			const n = 10_000
			fs := make([]*futures.Future[int], n)
			all, cancelAll := context.WithCancel(ctx)
			for i := range fs {
				if shared {
					fs[i] = inc.Submit(all, pool, i)
					continue
				}
				tctx, cancel := context.WithCancel(ctx)
				fs[i] = inc.Submit(tctx, pool, i)
				cancel()
			}
			cancelAll()
			free()
			if err := busy.Err(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("the busy task: %v, want context.Canceled", err)
			}
			notCancelled := 0
			for _, f := range fs {
				if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
					notCancelled++
				}
			}
			st := pool.Stats()
			if notCancelled != 0 || st.Done != 0 || st.Cancelled != n {
				t.Fatalf("of %d tasks cancelled before they started, %d futures did not end with ErrCancelled and context.Canceled; Stats = %+v",
					n, notCancelled, st)
			}
			runsTasks(t, ctx, pool)
		})
	}
}

// meeting is the argument of meets: two barriers that every party passes
// in turn, the test among them.
type meeting struct {
	In, Out *mp.Barrier
}

// meets waits at In, then at Out, and returns its worker's pid. Tasks
// that meet can only all return if they run at the same time, and so on
// different workers.
var meets = mp.Register("pool/meets", func(ctx context.Context, m meeting) (int, error) {
	if _, err := m.In.Wait(ctx); err != nil {
		return 0, err
	}
	if _, err := m.Out.Wait(ctx); err != nil {
		return 0, err
	}
	return os.Getpid(), nil
})

// newMeeting makes a meeting of parties, closed when the test ends.
func newMeeting(t *testing.T, parties int) meeting {
	t.Helper()
	var m meeting
	for _, b := range []**mp.Barrier{&m.In, &m.Out} {
		var err error
		if *b, err = mp.NewBarrier(parties); err != nil {
			t.Fatalf("NewBarrier: %v", err)
		}
		t.Cleanup(func() { (*b).Close() })
	}
	return m
}

// TestPoolIdleWorkerTakesTheNextTask sets a pool of two workers in a
// state that once left one worker idle while a task waited, then submits
// two tasks that can only return if they run at the same time. Meanwhile
// the test checks that Stats agrees with what runs. No clock is read; the
// context's deadline only guards against a hang.
func TestPoolIdleWorkerTakesTheNextTask(t *testing.T) {
	t.Parallel()
	type setup func(t *testing.T, ctx context.Context, pool *mp.Pool) (dead int)
	// warm runs tiny tasks, so that an adaptive pool prefetches deeply.
	warm := func(t *testing.T, ctx context.Context, pool *mp.Pool) {
		t.Helper()
		for _, err := range inc.Map(ctx, pool, slices.Values(make([]int, 500))) {
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
		}
	}
	setups := map[string]setup{
		"fresh": func(t *testing.T, ctx context.Context, pool *mp.Pool) int { return 0 },
		"after a crash": func(t *testing.T, ctx context.Context, pool *mp.Pool) int {
			warm(t, ctx, pool)
			err := exits.Submit(ctx, pool, 7).Err(ctx)
			var wd *mp.WorkerDiedError
			if !errors.As(err, &wd) {
				t.Fatalf("a task that exits its worker: %v, want a WorkerDiedError", err)
			}
			return wd.Pid
		},
		"after a timeout kill": func(t *testing.T, ctx context.Context, pool *mp.Pool) int {
			warm(t, ctx, pool)
			tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if err := hangs.Submit(tctx, pool, struct{}{}).Err(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a task that ignores its deadline: %v, want DeadlineExceeded", err)
			}
			return 0
		},
		"after Map": func(t *testing.T, ctx context.Context, pool *mp.Pool) int {
			warm(t, ctx, pool)
			return 0
		},
	}
	prefetch := map[string][]mp.PoolOption{
		"adaptive":    nil,
		"prefetch 1":  {mp.Prefetch(1)},
		"prefetch 2":  {mp.Prefetch(2)},
		"prefetch 64": {mp.Prefetch(64)},
		"recycling":   {mp.MaxTasksPerChild(3)},
	}
	for sname, setup := range setups {
		for pname, opts := range prefetch {
			t.Run(sname+"/"+pname, func(t *testing.T) {
				t.Parallel()
				ctx := guard(t)
				opts := append([]mp.PoolOption{mp.Workers(2), mp.Grace(10 * time.Millisecond)}, opts...)
				pool := newPool(t, opts...)
				dead := setup(t, ctx, pool)
				m := newMeeting(t, 3)
				fs := []*futures.Future[int]{meets.Submit(ctx, pool, m), meets.Submit(ctx, pool, m)}
				if _, err := m.In.Wait(ctx); err != nil {
					t.Fatalf("the two tasks never ran at the same time: %v", err)
				}
				// Both tasks run now, and wait for the test at Out.
				st := pool.Stats()
				if _, err := m.Out.Wait(ctx); err != nil {
					t.Fatalf("Out: %v", err)
				}
				var pids []int
				for i, f := range fs {
					p, err := f.Result(ctx)
					if err != nil {
						t.Fatalf("task %d: %v", i, err)
					}
					pids = append(pids, p)
				}
				listed := map[int]bool{}
				for _, w := range st.Workers {
					listed[w.Pid] = true
				}
				if st.Running != 2 || st.Queued != 0 || len(st.Workers) != 2 || !listed[pids[0]] || !listed[pids[1]] || listed[dead] {
					t.Errorf("while tasks ran in workers %v (the dead one was %d): Stats = %+v, want both running and both workers listed",
						pids, dead, st)
				}
			})
		}
	}
}

// TestPoolHeldFailedFutureIsSmall holds futures whose workers died and
// measures what they keep alive: only their errors, not their jobs, dead
// workers and read buffers. Not parallel: it measures the heap, which
// other tests would stir.
func TestPoolHeldFailedFutureIsSmall(t *testing.T) {
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1))
	const n = 16
	held := make([]*futures.Future[int], n)
	for i := range held {
		held[i] = exits.Submit(ctx, pool, 7)
		if err := held[i].Err(ctx); !errors.Is(err, mp.ErrWorkerDied) {
			t.Fatalf("a task that exits its worker: %v, want ErrWorkerDied", err)
		}
	}
	// No goroutine of the pool allocates while the heap is measured.
	if err := pool.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	heap() // what the pool's goroutines left as they ended goes first
	with := heap()
	runtime.KeepAlive(held)
	clear(held)
	without := heap()
	if per := (with - without) / n; per >= 1024 {
		t.Errorf("a held future that failed with ErrWorkerDied keeps %d bytes alive, want under 1 KiB", per)
	} else {
		t.Logf("a held future that failed with ErrWorkerDied keeps %d bytes alive", per)
	}
}

// TestPoolCancelFutures mirrors CPython's test_cancel_futures on a process
// pool: ShutdownCancel cancels the tasks no worker has begun, those a
// worker holds in its prefetch queue included, and waits for the running
// one, which finishes normally.
func TestPoolCancelFutures(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1), mp.Prefetch(4))
	m := newMeeting(t, 2)
	running := meets.Submit(ctx, pool, m)
	if _, err := m.In.Wait(ctx); err != nil {
		t.Fatalf("the running task never began: %v", err)
	}
	var pending []*futures.Future[int]
	for i := range 50 {
		pending = append(pending, inc.Submit(ctx, pool, i))
	}
	shut := make(chan error, 1)
	go func() { shut <- pool.ShutdownCancel(ctx) }()
	for i, f := range pending {
		if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, futures.ErrShutdown) {
			t.Fatalf("pending task %d: %v, want ErrCancelled and ErrShutdown", i, err)
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("ShutdownCancel returned %v while a task still ran", err)
	default:
	}
	if _, err := m.Out.Wait(ctx); err != nil {
		t.Fatalf("Out: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("ShutdownCancel: %v", err)
	}
	if p, err := running.Result(ctx); err != nil || p == 0 {
		t.Fatalf("the running task: %d, %v", p, err)
	}
	if st := pool.Stats(); st.Cancelled != len(pending) || st.Done != 1 || len(st.Workers) != 0 {
		t.Errorf("Stats = %+v, want %d cancelled, 1 done and no worker left", st, len(pending))
	}
	if err := inc.Submit(ctx, pool, 1).Err(ctx); !errors.Is(err, futures.ErrShutdown) {
		t.Fatalf("Submit after ShutdownCancel: %v, want ErrShutdown", err)
	}
}
