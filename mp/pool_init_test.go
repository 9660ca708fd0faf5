package mp_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/multitask-go/multitask/mp"
)

// initArgs is what a pool's initializer hands its worker, as Python programs
// pass a lock or a counter in initargs.
type initArgs struct {
	Lock  *mp.Lock
	Inits *mp.Value[int64] // initializers run
	Tasks *mp.Value[int64] // tasks run
	Q     *mp.Queue[int]   // each initializer puts its worker's pid
	Pipe  *mp.Conn[int]    // each initializer sends its worker's pid
}

// workerArgs is the worker's copy of the initializer's argument, kept
// for its tasks.
var workerArgs initArgs

var (
	initShared = mp.Register("init-shared", func(ctx context.Context, s initArgs) (struct{}, error) {
		workerArgs = s
		s.Inits.Add(1)
		if err := s.Q.Put(ctx, os.Getpid()); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.Pipe.Send(ctx, os.Getpid())
	})
	// useShared counts itself under the lock the initializer kept, and
	// returns the count it saw.
	useShared = mp.Register("use-shared", func(ctx context.Context, _ struct{}) (int64, error) {
		s := workerArgs
		if err := s.Lock.Lock(ctx); err != nil {
			return 0, err
		}
		defer s.Lock.Unlock()
		return s.Tasks.Add(1), nil
	})
)

// CPython's test_pool_initializer, with what Python programs pass in
// initargs: a lock, shared values, a queue and a pipe end. Every worker,
// the replacement of a crashed one included, gets working copies, and the
// tasks use what the initializer kept.
func TestPoolInitializerSharedObjects(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	lock := must(mp.NewLock())(t)
	inits := must(mp.NewValue[int64](0))(t)
	tasks := must(mp.NewValue[int64](0))(t)
	q := must(mp.NewQueue[int](0))(t)
	mine, theirs, err := mp.Pipe[int]()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mine.Close() })
	pool := newPool(t, mp.Workers(2),
		mp.Initializer(initShared, initArgs{Lock: lock, Inits: inits, Tasks: tasks, Q: q, Pipe: theirs}))
	// The pool holds its own copies: the replacement below gets them too.
	lock.Close()
	theirs.Close()

	// initialized takes the pids of n more initialized workers, from the
	// pipe and from the queue.
	pids := map[int]bool{}
	initialized := func(n int) {
		t.Helper()
		for range n {
			viaPipe, err := mine.Recv(ctx)
			if err != nil {
				t.Fatalf("an initializer's pid, by the pipe: %v", err)
			}
			viaQueue, err := q.Get(ctx)
			if err != nil {
				t.Fatalf("an initializer's pid, by the queue: %v", err)
			}
			pids[viaPipe], pids[viaQueue] = true, true
		}
	}
	runTasks := func(n int) {
		t.Helper()
		for range n {
			if _, err := useShared.Submit(ctx, pool, struct{}{}).Result(ctx); err != nil {
				t.Fatalf("a task using what the initializer kept: %v", err)
			}
		}
	}

	initialized(2)
	runTasks(10)
	if _, err := exits.Submit(ctx, pool, 7).Result(ctx); !errors.Is(err, mp.ErrWorkerDied) {
		t.Fatalf("a task that exits its worker: %v, want ErrWorkerDied", err)
	}
	initialized(1) // the replacement
	runTasks(10)

	if got := inits.Load(); got != 3 || len(pids) != 3 {
		t.Errorf("%d initializers ran in %d workers, want 3 in 3", got, len(pids))
	}
	if got := tasks.Load(); got != 20 {
		t.Errorf("the tasks counted %d, want 20", got)
	}
}
