package mp_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
)

var errNotFound = errors.New("not found")

func init() { mp.RegisterError("mp_test.errNotFound", errNotFound) }

var (
	inc = mp.Register("pool/inc", func(ctx context.Context, x int) (int, error) { return x + 1, nil })
	pid = mp.Register("pool/pid", func(ctx context.Context, _ int) (int, error) { return os.Getpid(), nil })
	// sleepy sleeps for ms milliseconds unless its context ends first.
	sleepy = mp.Register("pool/sleepy", func(ctx context.Context, ms int) (int, error) {
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
			return os.Getpid(), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	lookupFails = mp.Register("pool/not-found", func(ctx context.Context, key string) (int, error) {
		return 0, fmt.Errorf("lookup %q: %w", key, errNotFound)
	})
	// allocates holds mib MiB of touched memory for a moment.
	allocates = mp.Register("pool/allocates", func(ctx context.Context, mib int) (int, error) {
		b := make([]byte, mib<<20)
		for i := range b {
			b[i] = 1
		}
		time.Sleep(20 * time.Millisecond)
		return os.Getpid() + int(b[len(b)/2]) - 1, nil
	})
	initValue  = "unset"
	initialize = mp.Register("pool/init", func(ctx context.Context, v string) (struct{}, error) {
		if v == "fail" {
			return struct{}{}, errors.New("initializer refuses")
		}
		initValue = v
		return struct{}{}, nil
	})
	readInit = mp.Register("pool/read-init", func(ctx context.Context, _ int) (string, error) { return initValue, nil })
	// garblesResults writes a frame header announcing 4 GiB on its pool
	// worker's result pipe, the one write-only pipe it holds beyond its
	// standard streams, then waits to be killed.
	garblesResults = mp.Register("pool/garbles", func(ctx context.Context, _ struct{}) (int, error) {
		fd, err := resultPipe()
		if err != nil {
			return 0, err
		}
		os.NewFile(uintptr(fd), "results").Write([]byte{0xff, 0xff, 0xff, 0xff, 9})
		select {}
	})
	// busyPool starts a pool whose workers all run long tasks, reports the
	// workers' pids on c, and waits to be killed.
	busyPool = mp.Register("pool/busy", func(ctx context.Context, c *mp.Conn[[]int]) (int, error) {
		pool, err := mp.NewPool(mp.Workers(2))
		if err != nil {
			return 0, err
		}
		var pids []int
		for range 2 {
			f := sleepy.Submit(ctx, pool, 60_000)
			_ = f
		}
		for len(pids) < 2 {
			pids = pids[:0]
			for _, w := range pool.Stats().Workers {
				pids = append(pids, w.Pid)
			}
			time.Sleep(time.Millisecond)
		}
		if err := c.Send(ctx, pids); err != nil {
			return 0, err
		}
		select {}
	})
)

// newPool makes a pool that is shut down when the test ends.
func newPool(t *testing.T, opts ...mp.PoolOption) *mp.Pool {
	t.Helper()
	p, err := mp.NewPool(opts...)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p
}

func TestPoolSubmit(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	// Two tasks that meet need both workers: on a loaded machine, one
	// worker could otherwise run every task before the other has started.
	m := newMeeting(t, 2)
	fs := []*futures.Future[int]{meets.Submit(ctx, pool, m), meets.Submit(ctx, pool, m)}
	for i := range 500 {
		fs = append(fs, inc.Submit(ctx, pool, i))
	}
	for i, f := range fs[2:] {
		if v, err := f.Result(ctx); err != nil || v != i+1 {
			t.Fatalf("inc(%d) = %d, %v", i, v, err)
		}
	}
	for i, f := range fs[:2] {
		if err := f.Err(ctx); err != nil {
			t.Fatalf("meeting task %d: %v", i, err)
		}
	}
	st := pool.Stats()
	if st.Submitted != 502 || st.Done != 502 || st.Failed != 0 || st.WorkerStarts != 2 || len(st.Workers) != 2 {
		t.Fatalf("Stats = %+v", st)
	}
	for _, w := range st.Workers {
		if w.RSS <= 0 || w.Tasks == 0 {
			t.Errorf("worker stats %+v", w)
		}
	}
}

func TestPoolErrors(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1))

	_, err := square.Submit(ctx, pool, 3).Result(ctx)
	var re *mp.RemoteError
	if !errors.As(err, &re) || err.Error() != "square(3): odd input" {
		t.Errorf("error result = %v", err)
	}
	_, err = lookupFails.Submit(ctx, pool, "k").Result(ctx)
	if !errors.Is(err, errNotFound) || err.Error() != `lookup "k": not found` {
		t.Errorf("registered sentinel: %v, want a match for errNotFound", err)
	}
	_, err = panics.Submit(ctx, pool, "boom").Result(ctx)
	var pe *futures.PanicError
	if !errors.As(err, &pe) || !slices.Contains([]string{"boom"}, fmt.Sprint(pe.Value)) || len(pe.Stack) == 0 {
		t.Errorf("panic result = %v", err)
	}
	_, err = futures.Submit(ctx, pool, func(context.Context) (int, error) { return 1, nil }).Result(ctx)
	if !errors.Is(err, mp.ErrNotRegistered) {
		t.Errorf("closure on a pool: %v, want ErrNotRegistered", err)
	}
	_, err = takesChan.Submit(ctx, pool, jobWithChan{Done: make(chan int)}).Result(ctx)
	if err == nil {
		t.Error("an argument holding a channel was accepted")
	}
	var nilPool *mp.Pool
	if err := inc.Submit(ctx, nilPool, 1).Err(ctx); err == nil {
		t.Error("a nil *Pool accepted a task")
	}
	if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
		t.Errorf("after the errors: %d, %v", v, err)
	}
}

// resultPipe finds the descriptor of a pool worker's result pipe.
func resultPipe() (int, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		info, _ := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		for line := range strings.Lines(string(info)) {
			flags, ok := strings.CutPrefix(line, "flags:")
			mode, err := strconv.ParseUint(strings.TrimSpace(flags), 8, 32)
			if ok && err == nil && strings.HasPrefix(target, "pipe:") && mode&syscall.O_ACCMODE == syscall.O_WRONLY {
				return fd, nil
			}
		}
	}
	return 0, errors.New("no result pipe among the worker's descriptors")
}

func TestPoolWorkerDeath(t *testing.T) {
	t.Parallel()
	for name, die := range map[string]func(ctx context.Context, pool *mp.Pool) *futures.Future[int]{
		"exit": func(ctx context.Context, pool *mp.Pool) *futures.Future[int] { return exits.Submit(ctx, pool, 7) },
		"sigkill": func(ctx context.Context, pool *mp.Pool) *futures.Future[int] {
			return signals.Submit(ctx, pool, int(syscall.SIGKILL))
		},
		"segv": func(ctx context.Context, pool *mp.Pool) *futures.Future[int] {
			return crashes.Submit(ctx, pool, struct{}{})
		},
		"corrupt": func(ctx context.Context, pool *mp.Pool) *futures.Future[int] {
			return garblesResults.Submit(ctx, pool, struct{}{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			// One worker holding several tasks: those behind the fatal one
			// never began, and must run on the replacement.
			pool := newPool(t, mp.Workers(1), mp.Prefetch(8))
			fatal := die(ctx, pool)
			var fs []*futures.Future[int]
			for i := range 7 {
				fs = append(fs, inc.Submit(ctx, pool, i))
			}
			err := fatal.Err(ctx)
			var wd *mp.WorkerDiedError
			if !errors.Is(err, mp.ErrWorkerDied) || !errors.As(err, &wd) || wd.Pid == 0 {
				t.Fatalf("fatal task: %v, want a WorkerDiedError", err)
			}
			switch name {
			case "exit":
				if wd.ExitCode != 7 {
					t.Errorf("exit code %d, want 7", wd.ExitCode)
				}
			case "sigkill":
				if wd.ExitCode != -int(syscall.SIGKILL) {
					t.Errorf("exit code %d, want -9", wd.ExitCode)
				}
			case "segv":
				if wd.ExitCode != 2 || wd.Stderr == "" {
					t.Errorf("exit code %d (want 2, Go's crash status), stderr %q", wd.ExitCode, wd.Stderr)
				}
			case "corrupt":
				if !errors.Is(err, mp.ErrProtocol) {
					t.Errorf("corrupt frame: %v, want ErrProtocol too", err)
				}
			}
			for i, f := range fs {
				if v, err := f.Result(ctx); err != nil || v != i+1 {
					t.Fatalf("task %d after the crash: %d, %v", i, v, err)
				}
			}
			if st := pool.Stats(); st.WorkerRestarts != 1 || st.Failed != 1 {
				t.Errorf("Stats = %+v, want one restart and one failure", st)
			}
		})
	}
}

// TestPoolChaos kills workers at random while 10,000 tasks run. A worker
// that dies fails the task it ran, never one it had not begun or whose
// result it had written.
func TestPoolChaos(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]mp.PoolOption{
		"prefetch 1": {mp.Workers(2), mp.Prefetch(1)},
		"adaptive":   {mp.Workers(2)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Hundreds of workers start here: slow under the race detector.
			ctx, cancel := context.WithTimeout(context.Background(), 4*hangGuard)
			defer cancel()
			pool := newPool(t, opts...)
			const n = 10_000
			fs := make([]*futures.Future[int], n)
			for i := range fs {
				fs[i] = inc.Submit(ctx, pool, i)
			}
			// The killer strikes after a random number of tasks, not of
			// milliseconds: on a loaded machine, where a worker takes long
			// to start, a clock would kill workers faster than the pool
			// can make progress.
			var killed atomic.Int32
			var wg sync.WaitGroup
			wg.Go(func() {
				next := rand.IntN(50)
				for i, f := range fs {
					select {
					case <-f.Done():
					case <-ctx.Done():
						return
					}
					if i < next {
						continue
					}
					next = i + 1 + rand.IntN(50)
					ws := pool.Stats().Workers
					if len(ws) > 0 && syscall.Kill(ws[rand.IntN(len(ws))].Pid, syscall.SIGKILL) == nil {
						killed.Add(1)
					}
				}
			})
			failed := 0
			for i, f := range fs {
				v, err := f.Result(ctx)
				switch {
				case err == nil && v != i+1:
					t.Fatalf("task %d = %d", i, v)
				case err != nil && !errors.Is(err, mp.ErrWorkerDied):
					t.Fatalf("task %d: %v", i, err)
				case err != nil:
					failed++
				}
			}
			wg.Wait()
			if failed > int(killed.Load()) {
				t.Errorf("%d tasks failed, but only %d workers were killed", failed, killed.Load())
			}
			if v, err := inc.Submit(ctx, pool, 41).Result(ctx); v != 42 || err != nil {
				t.Fatalf("after the chaos: %d, %v", v, err)
			}
			t.Logf("%d workers killed, %d of %d tasks failed", killed.Load(), failed, n)
		})
	}
}

func TestPoolRetries(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1), mp.Retries(1))
	f := sleepy.Submit(ctx, pool, 10_000)
	for f.State() != futures.Running {
		time.Sleep(time.Millisecond)
	}
	first := pool.Stats().Workers[0].Pid
	syscall.Kill(first, syscall.SIGKILL)
	// Wait until the retry runs on the replacement.
	var st mp.PoolStats
	for st = pool.Stats(); len(st.Workers) == 0 || st.Workers[0].Pid == first || st.Running != 1; st = pool.Stats() {
		time.Sleep(time.Millisecond)
	}
	syscall.Kill(st.Workers[0].Pid, syscall.SIGKILL)
	if err := f.Err(ctx); !errors.Is(err, mp.ErrWorkerDied) {
		t.Fatalf("a task whose worker died twice with Retries(1): %v", err)
	}
}

func TestPoolDeadlineKillsRunawayTask(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1), mp.Grace(50*time.Millisecond))
	// A task whose deadline passes before the worker has started is
	// cancelled, and never runs: start the worker first.
	runsTasks(t, ctx, pool)
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := hangs.Submit(tctx, pool, struct{}{}).Result(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("runaway task: %v, want DeadlineExceeded", err)
	}
	if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
		t.Fatalf("the next task: %d, %v", v, err)
	}
	if st := pool.Stats(); st.WorkerRestarts != 1 {
		t.Errorf("Stats = %+v, want the worker replaced", st)
	}
	// A task that heeds its context returns with its error; no kill.
	tctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := waits.Submit(tctx, pool, struct{}{}).Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("polite task: %v", err)
	}
	if st := pool.Stats(); st.WorkerRestarts != 1 {
		t.Errorf("Stats = %+v, a polite task cost a worker", st)
	}
}

func TestPoolTimeout(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1), mp.Timeout(100*time.Millisecond), mp.Grace(50*time.Millisecond))
	if _, err := hangs.Submit(ctx, pool, struct{}{}).Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("task past the pool's timeout: %v", err)
	}
	if _, err := waits.Submit(ctx, pool, struct{}{}).Result(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("polite task past the pool's timeout: %v", err)
	}
	if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
		t.Fatalf("the next task: %d, %v", v, err)
	}
}

func TestPoolCancelPrefetched(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1), mp.Prefetch(4))
	tctx, cancel := context.WithCancel(ctx)
	running := waits.Submit(tctx, pool, struct{}{})
	var behind []*futures.Future[int]
	for i := range 3 {
		behind = append(behind, inc.Submit(ctx, pool, i))
	}
	for running.State() != futures.Running {
		time.Sleep(time.Millisecond)
	}
	if running.Cancel() {
		t.Error("Cancel of a running task returned true")
	}
	for i, f := range behind {
		if !f.Cancel() {
			t.Errorf("Cancel of task %d held by the worker returned false", i)
		}
	}
	cancel()
	if err := running.Err(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("running task after its context was cancelled: %v", err)
	}
	for _, f := range behind {
		if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) {
			t.Errorf("cancelled task: %v", err)
		}
	}
	if st := pool.Stats(); st.Cancelled != 3 || st.Done != 0 {
		t.Errorf("Stats = %+v: the cancelled tasks ran", st)
	}
	if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
		t.Fatalf("the next task: %d, %v", v, err)
	}
}

// runsTasks checks that the pool runs a task, and so waits until its
// workers have started.
func runsTasks(t *testing.T, ctx context.Context, pool *mp.Pool) {
	t.Helper()
	if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
		t.Fatalf("a task: %d, %v", v, err)
	}
}

// TestPoolWaiterReadsItsResult covers a Result call that reads its task's
// outcome itself (the pool's assist pipe) when its wait ends early, when
// the task is cancelled meanwhile, and beside other waiters.
func TestPoolWaiterReadsItsResult(t *testing.T) {
	t.Parallel()
	t.Run("wait ends while the task runs", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(1))
		runsTasks(t, ctx, pool)
		f := sleepy.Submit(ctx, pool, 200)
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, err := f.Result(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Result with a short wait: %v, want DeadlineExceeded", err)
		}
		if v, err := f.Result(ctx); err != nil || v == 0 {
			t.Fatalf("Result after the short wait: %d, %v", v, err)
		}
		runsTasks(t, ctx, pool)
	})
	t.Run("cancelled while its waiter waits", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(1), mp.Prefetch(2))
		tctx, cancel := context.WithCancel(ctx)
		running := waits.Submit(tctx, pool, struct{}{})
		behind := inc.Submit(ctx, pool, 1)
		errc := make(chan error, 1)
		go func() { errc <- behind.Err(ctx) }()
		for running.State() != futures.Running {
			time.Sleep(time.Millisecond)
		}
		if !behind.Cancel() {
			t.Error("Cancel of a prefetched task returned false")
		}
		if err := <-errc; !errors.Is(err, futures.ErrCancelled) {
			t.Errorf("the waiter of the cancelled task: %v", err)
		}
		cancel()
		if err := running.Err(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("running task after its context was cancelled: %v", err)
		}
		runsTasks(t, ctx, pool)
	})
	t.Run("worker dies while its waiter reads", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(1))
		runsTasks(t, ctx, pool)
		if err := exits.Submit(ctx, pool, 3).Err(ctx); !errors.Is(err, mp.ErrWorkerDied) {
			t.Fatalf("a task that exits its worker: %v, want ErrWorkerDied", err)
		}
		runsTasks(t, ctx, pool)
	})
	t.Run("many waiters", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(2), mp.Prefetch(8))
		for round := range 50 {
			var wg sync.WaitGroup
			for i := range 16 {
				f := inc.Submit(ctx, pool, i)
				wg.Go(func() {
					if v, err := f.Result(ctx); v != i+1 || err != nil {
						t.Errorf("round %d, task %d: %d, %v", round, i, v, err)
					}
				})
			}
			wg.Wait()
		}
	})
}

func TestPoolRecycling(t *testing.T) {
	t.Parallel()
	t.Run("MaxTasksPerChild", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(2), mp.MaxTasksPerChild(3))
		pids := map[int]int{}
		for i := range 12 {
			v, err := pid.Submit(ctx, pool, i).Result(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pids[v]++
		}
		for p, n := range pids {
			if n > 3 {
				t.Errorf("worker %d ran %d tasks, more than 3", p, n)
			}
		}
		if len(pids) < 4 {
			t.Errorf("%d distinct workers ran 12 tasks at 3 each", len(pids))
		}
	})
	t.Run("MaxMemoryPerChild", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(1), mp.MaxMemoryPerChild(40<<20))
		first, err := allocates.Submit(ctx, pool, 64).Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := pid.Submit(ctx, pool, 0).Result(ctx)
		if err != nil || second == first {
			t.Fatalf("the worker that crossed the limit ran the next task too (pid %d, %v)", second, err)
		}
	})
	t.Run("hard limit", func(t *testing.T) {
		t.Parallel()
		ctx := guard(t)
		pool := newPool(t, mp.Workers(1), mp.MemoryLimit(64<<20))
		_, err := allocates.Submit(ctx, pool, 256).Result(ctx)
		var wd *mp.WorkerDiedError
		if !errors.As(err, &wd) || wd.Reason == "" {
			t.Fatalf("runaway allocation: %v, want a WorkerDiedError naming the limit", err)
		}
		if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
			t.Fatalf("the next task: %d, %v", v, err)
		}
	})
}

func TestPoolInitializer(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2), mp.Initializer(initialize, "ready"))
	if v, err := readInit.Submit(ctx, pool, 0).Result(ctx); v != "ready" || err != nil {
		t.Fatalf("value set by the initializer: %q, %v", v, err)
	}

	broken := newPool(t, mp.Workers(2), mp.Initializer(initialize, "fail"))
	for range 3 {
		_, err := inc.Submit(ctx, broken, 1).Result(ctx)
		if !errors.Is(err, mp.ErrPoolBroken) || !errors.Is(err, futures.ErrBroken) || !errors.As(err, new(*mp.RemoteError)) {
			t.Fatalf("task on a pool whose initializer failed: %v", err)
		}
	}
	if st := broken.Stats(); st.WorkerStarts > 2 {
		t.Errorf("%d workers started: a failing initializer is not retried", st.WorkerStarts)
	}
}

func TestPoolMap(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	const n = 5000
	var progress []int
	i := 0
	for v, err := range inc.Map(ctx, pool, upTo(n), mp.Progress(func(done, _ int) { progress = append(progress, done) })) {
		if err != nil || v != i+1 {
			t.Fatalf("result %d = %d, %v", i, v, err)
		}
		i++
	}
	if i != n || len(progress) == 0 || progress[len(progress)-1] != n {
		t.Fatalf("%d results, progress %v", i, progress)
	}
	if st := pool.Stats(); st.Submitted >= n/4 {
		t.Errorf("%d tasks for %d inputs: Map did not chunk", st.Submitted, n)
	}

	seen := make([]bool, n)
	for v, err := range inc.Map(ctx, pool, upTo(n), mp.Unordered(), mp.Chunk(7)) {
		if err != nil || seen[v-1] {
			t.Fatalf("unordered result %d, %v", v, err)
		}
		seen[v-1] = true
	}
	if slices.Contains(seen, false) {
		t.Fatal("an input got no result")
	}

	i = 0
	for v, err := range square.Map(ctx, pool, upTo(10), mp.Chunk(3)) {
		if (i%2 == 1) != (err != nil && err.Error() == fmt.Sprintf("square(%d): odd input", i)) || (err == nil && v != i*i) {
			t.Fatalf("square(%d) = %d, %v", i, v, err)
		}
		i++
	}
}

// TestPoolMapReadAheadCountsInputs checks that ReadAhead bounds the
// inputs read, not the chunks, while chunks of a tiny function grow.
func TestPoolMapReadAheadCountsInputs(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	const readAhead = 16
	read, got := 0, 0
	inputs := func(yield func(int) bool) {
		for i := range 3000 {
			read++
			if !yield(i) {
				return
			}
		}
	}
	for v, err := range inc.Map(ctx, pool, inputs, mp.ReadAhead(readAhead)) {
		if err != nil || v != got+1 {
			t.Fatalf("result %d = %d, %v", got, v, err)
		}
		if got++; read > got+readAhead {
			t.Fatalf("%d inputs read for %d results with ReadAhead(%d)", read, got, readAhead)
		}
	}
	if got != 3000 {
		t.Fatalf("%d results for 3000 inputs", got)
	}
}

func TestPoolMapEarlyBreak(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2), mp.Grace(50*time.Millisecond))
	read := 0
	inputs := func(yield func(int) bool) {
		for i := 0; ; i++ {
			read++
			if !yield(1 + i%3) {
				return
			}
		}
	}
	got := 0
	for _, err := range sleepy.Map(ctx, pool, inputs, mp.ReadAhead(4)) {
		if err != nil {
			t.Fatal(err)
		}
		if got++; got == 5 {
			break
		}
	}
	if read > 5+4+1 {
		t.Errorf("read %d inputs for 5 results with ReadAhead(4)", read)
	}
	if st := pool.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Errorf("after the loop: %+v", st)
	}
}

func TestPoolShutdown(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool, err := mp.NewPool(mp.Workers(1), mp.Prefetch(1))
	if err != nil {
		t.Fatal(err)
	}
	running := hangs.Submit(ctx, pool, struct{}{})
	queued := inc.Submit(ctx, pool, 1)
	for running.State() != futures.Running {
		time.Sleep(time.Millisecond)
	}
	worker := pool.Stats().Workers[0].Pid
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := pool.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want its context's error", err)
	}
	if proctest.Alive(worker) {
		t.Errorf("worker %d outlived Shutdown", worker)
	}
	if err := running.Err(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("running task: %v", err)
	}
	if err := queued.Err(ctx); !errors.Is(err, futures.ErrCancelled) {
		t.Errorf("queued task: %v", err)
	}
	if err := inc.Submit(ctx, pool, 1).Err(ctx); !errors.Is(err, futures.ErrShutdown) {
		t.Errorf("task after Shutdown: %v", err)
	}
	if err := pool.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

func TestPoolSubmitShutdownRace(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool, err := mp.NewPool(mp.Workers(2), mp.MaxQueued(16))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var fs sync.Map
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fs.Store(g*1000+i, inc.Submit(ctx, pool, i))
			}
		})
	}
	time.Sleep(5 * time.Millisecond)
	for range 3 {
		wg.Go(func() { pool.Shutdown(ctx) })
	}
	wg.Wait()
	fs.Range(func(k, v any) bool {
		i := k.(int) % 1000
		got, err := v.(*futures.Future[int]).Result(ctx)
		if err == nil && got != i+1 || err != nil && !errors.Is(err, futures.ErrShutdown) {
			t.Errorf("task %v: %d, %v", k, got, err)
		}
		return true
	})
}

func TestPoolNoOrphans(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[[]int](t)
	p := start(t, mp.NewProcess(busyPool, theirs))
	theirs.Close()
	workers, err := mine.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	p.Join(ctx)
	for _, w := range workers {
		waitGone(t, ctx, w)
	}
}

func TestPoolOptionsValidated(t *testing.T) {
	for _, o := range []mp.PoolOption{mp.Workers(0), mp.Prefetch(0), mp.Prefetch(65), mp.Timeout(0),
		mp.MaxQueued(0), mp.MaxTasksPerChild(0), mp.MaxMemoryPerChild(0), mp.MemoryLimit(-1),
		mp.Retries(-1), mp.Grace(-1), mp.Method(7), mp.Initializer[int, int](nil, 0)} {
		if p, err := mp.NewPool(o); err == nil {
			p.Shutdown(context.Background())
			t.Errorf("NewPool accepted a bad option %v", o)
		}
	}
	if p, err := mp.NewPool(mp.MaxMemoryPerChild(10<<20), mp.MemoryLimit(5<<20)); err == nil {
		p.Shutdown(context.Background())
		t.Error("NewPool accepted a recycling limit above the hard limit")
	}
}

// upTo yields 0, 1, …, n-1.
func upTo(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func TestPoolShutdownAbortsEverything(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool, err := mp.NewPool(mp.Workers(2), mp.Prefetch(4))
	if err != nil {
		t.Fatal(err)
	}
	var fs []*futures.Future[int]
	for i := range 200 {
		if i%50 == 25 {
			fs = append(fs, signals.Submit(ctx, pool, int(syscall.SIGKILL))) // workers die during the abort
		}
		fs = append(fs, sleepy.Submit(ctx, pool, 5))
	}
	fs = append(fs, crashes.Submit(ctx, pool, struct{}{}))
	sctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := pool.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v", err)
	}
	var done, cancelled, killed, died int
	for i, f := range fs {
		_, err := f.Result(ctx)
		switch {
		case err == nil:
			done++
		case errors.Is(err, futures.ErrCancelled):
			cancelled++
		case errors.Is(err, context.DeadlineExceeded):
			killed++
		case errors.Is(err, mp.ErrWorkerDied):
			died++
		default:
			t.Errorf("task %d: %v", i, err)
		}
	}
	if cancelled == 0 || done+cancelled+killed+died != len(fs) {
		t.Errorf("%d done, %d cancelled, %d killed, %d died of %d", done, cancelled, killed, died, len(fs))
	}
	if st := pool.Stats(); len(st.Workers) != 0 || st.Running != 0 || st.Queued != 0 {
		t.Errorf("after Shutdown: %+v", st)
	}
}

// shared is a pool task's argument with descriptors in it.
type shared struct {
	Count *mp.Value[int64]
	Mu    *mp.Lock
	Reply *mp.Conn[int]
}

var (
	// bumps adds to the shared count under the lock, and says so on the
	// pipe when it has one.
	bumps = mp.Register("pool/bumps", func(ctx context.Context, s shared) (int64, error) {
		if err := s.Mu.Lock(ctx); err != nil {
			return 0, err
		}
		n := s.Count.Add(1)
		if err := s.Mu.Unlock(); err != nil {
			return 0, err
		}
		if s.Reply != nil {
			return n, s.Reply.Send(ctx, int(n))
		}
		return n, nil
	})
)

// TestPoolTaskGetsDescriptors passes shared memory, a lock and a pipe end
// to pool tasks, one by one and through Map, and checks that the workers
// keep no descriptor of finished tasks.
func TestPoolTaskGetsDescriptors(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	count, err := mp.NewValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer count.Close()
	mu, err := mp.NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer mu.Close()
	mine, theirs := pipe[int](t)

	if _, err := bumps.Submit(ctx, pool, shared{Count: count, Mu: mu, Reply: theirs}).Result(ctx); err != nil {
		t.Fatal(err)
	}
	theirs.Close() // the task has its own copy; so does the pool until the task ends
	if v, err := mine.Recv(ctx); err != nil || v != 1 {
		t.Fatalf("from the task, through the pipe: %d, %v", v, err)
	}
	openFiles := func() (n int) {
		for _, w := range pool.Stats().Workers {
			entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", w.Pid))
			if err != nil {
				t.Fatal(err)
			}
			n += len(entries)
		}
		return n
	}
	for len(pool.Stats().Workers) < 2 {
		time.Sleep(time.Millisecond) // count the files of both workers, before and after
	}
	before := openFiles()
	var fs []*futures.Future[int64]
	for range 200 {
		fs = append(fs, bumps.Submit(ctx, pool, shared{Count: count, Mu: mu}))
	}
	for _, f := range fs {
		if _, err := f.Result(ctx); err != nil {
			t.Fatal(err)
		}
	}
	in := func(yield func(shared) bool) {
		for range 300 {
			if !yield(shared{Count: count, Mu: mu}) {
				return
			}
		}
	}
	for _, err := range bumps.Map(ctx, pool, in, mp.Chunk(50)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := count.Load(); got != 501 {
		t.Fatalf("count = %d after 501 tasks", got)
	}
	if after := openFiles(); after > before+4 {
		t.Fatalf("the workers' open files grew from %d to %d over 500 tasks with descriptors", before, after)
	}
}

var putsPid = mp.Register("pool/puts-pid", func(ctx context.Context, q *mp.Queue[int]) (int, error) {
	return os.Getpid(), q.Put(ctx, os.Getpid())
})

func TestPoolTaskGetsQueue(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	q := newQueue[int](t, 0)
	var want []int
	for range 4 {
		v, err := putsPid.Submit(ctx, pool, q).Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	for i, w := range want {
		if got, err := q.Get(ctx); err != nil || got != w {
			t.Fatalf("item %d from the queue: %d, %v; want %d", i, got, err, w)
		}
	}
}

// TestPoolReleasesHandles checks that a worker closes the queue handles of
// each task when it returns, rather than keeping a connection per task.
func TestPoolReleasesHandles(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1))
	q := newQueue[int](t, 0)
	fds := func(n int) int {
		for range n {
			if _, err := putsPid.Submit(ctx, pool, q).Result(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := q.Get(ctx); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pool.Stats().Workers[0].Pid))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	before := fds(5)
	if after := fds(100); after > before+2 {
		t.Fatalf("the worker's open files grew from %d to %d over 100 tasks that got a queue", before, after)
	}
}

func TestPoolStartMethods(t *testing.T) {
	t.Parallel()
	for _, m := range []mp.StartMethod{mp.ForkServer, mp.Fork} {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			pool := newPool(t, mp.Workers(2), mp.Method(m))
			i := 0
			for v, err := range inc.Map(ctx, pool, upTo(100)) {
				if err != nil || v != i+1 {
					t.Fatalf("result %d: %d, %v", i, v, err)
				}
				i++
			}
			// A crash is survived whatever made the worker.
			if err := exits.Submit(ctx, pool, 3).Err(ctx); !errors.Is(err, mp.ErrWorkerDied) {
				t.Fatalf("crash: %v", err)
			}
			if v, err := inc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
				t.Fatalf("after the crash: %d, %v", v, err)
			}
		})
	}
}
