package mp

import (
	"fmt"
	"os"
	"runtime"
	"time"

	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// A PoolOption configures a [Pool]. [Method] and [Grace] are options of
// processes and pools alike.
type PoolOption interface {
	applyPool(*poolConfig) error
}

type poolConfig struct {
	workers    int
	method     StartMethod
	grace      time.Duration
	timeout    time.Duration
	maxQueued  int
	prefetch   int // 0: adaptive
	maxTasks   int
	softMemory int64
	hardMemory int64
	retries    int
	initFunc   string
	initArg    []byte
	initHs     []handle      // the handles in initArg, whose descriptors NewPool copies into init
	init       *handleCopies // the pool's copies, sent to every worker it starts; nil before NewPool
}

// maxPrefetch is the most tasks a worker holds at once: the slots of its
// shared state page.
const maxPrefetch = pw.MaxSlots

type poolOptionFunc func(*poolConfig) error

func (f poolOptionFunc) applyPool(c *poolConfig) error { return f(c) }

// atLeast makes the option name(v), which set applies, and which refuses a
// v below low.
func atLeast[T ~int | ~int64](name string, v, low T, set func(*poolConfig)) PoolOption {
	return poolOptionFunc(func(c *poolConfig) error {
		if v < low {
			return fmt.Errorf("mp: %s(%v): must be at least %v", name, v, low)
		}
		set(c)
		return nil
	})
}

func (m methodOpt) applyPool(c *poolConfig) error {
	var pc processConfig
	if err := m.applyProcess(&pc); err != nil {
		return err
	}
	c.method = pc.method
	return nil
}

func (g graceOpt) applyPool(c *poolConfig) error {
	if g < 0 {
		return g.invalid()
	}
	c.grace = time.Duration(g)
	return nil
}

// Workers sets how many worker processes a [Pool] runs; the default is
// GOMAXPROCS. Each worker gets an equal share of this process's GOMAXPROCS
// as its own (at least 1), so that the pool as a whole uses the CPUs this
// process may use, as Python's single-threaded workers do, and a worker's
// scheduler does not spin against the others.
func Workers(n int) PoolOption {
	return atLeast("Workers", n, 1, func(c *poolConfig) { c.workers = n })
}

// Timeout bounds how long each task may run in a [Pool], counted from the
// moment its worker starts it: the task's context is cancelled with
// [context.DeadlineExceeded] then, and the worker is killed and replaced if
// the task has not returned after the grace period. The default is no
// limit beyond the task's own context.
func Timeout(d time.Duration) PoolOption {
	return atLeast("Timeout", d, 1, func(c *poolConfig) { c.timeout = d })
}

// MaxQueued bounds the tasks a [Pool] holds that no worker has taken yet:
// submitting blocks while that many wait, until the task's context ends.
// The default is no bound.
func MaxQueued(n int) PoolOption {
	return atLeast("MaxQueued", n, 1, func(c *poolConfig) { c.maxQueued = n })
}

// Prefetch sets how many tasks each worker of a [Pool] holds at once: the
// one it runs and those waiting behind it, which spares small tasks a round
// trip each. Tasks a worker holds but has not started can still be
// cancelled, move to another worker if this one dies, and move to a worker
// that holds no task while this one is busy: a task never waits while a
// worker is idle. A held task
// whose context ends is cancelled once the pool's watcher of that context
// runs, an instant later: the worker may begin it meanwhile, as it may a
// task whose context ends just after it began. [futures.Future.Cancel] has
// no such window. The default
// adapts to the tasks' running time: deep for tasks of microseconds, one
// task at a time for tasks of milliseconds and more. At most 64.
func Prefetch(n int) PoolOption {
	return poolOptionFunc(func(c *poolConfig) error {
		if n < 1 || n > maxPrefetch {
			return fmt.Errorf("mp: Prefetch(%d): the depth must be between 1 and %d", n, maxPrefetch)
		}
		c.prefetch = n
		return nil
	})
}

// MaxTasksPerChild replaces each worker of a [Pool] after it has run n
// tasks, as Python's max_tasks_per_child: a remedy for tasks that leak.
func MaxTasksPerChild(n int) PoolOption {
	return atLeast("MaxTasksPerChild", n, 1, func(c *poolConfig) { c.maxTasks = n })
}

// MaxMemoryPerChild replaces a worker of a [Pool] after the task during
// which its peak resident memory crossed bytes, as MaxTasksPerChild does
// after a number of tasks: a remedy for tasks that leak or bloat.
func MaxMemoryPerChild(bytes int64) PoolOption {
	return atLeast("MaxMemoryPerChild", bytes, 1, func(c *poolConfig) { c.softMemory = bytes })
}

// MemoryLimit kills a worker of a [Pool] whose resident memory crosses
// bytes, checked every few milliseconds, before a runaway allocation takes
// the machine: only the task it runs fails, with a [*WorkerDiedError] that
// names the limit, and a new worker takes its place. The worker's Go
// runtime is also told the limit (debug.SetMemoryLimit), so that it
// collects harder as it nears it.
func MemoryLimit(bytes int64) PoolOption {
	return atLeast("MemoryLimit", bytes, 1, func(c *poolConfig) { c.hardMemory = bytes })
}

// Retries lets a [Pool] run a task again, up to n times, when the worker
// running it dies. Use it for idempotent functions only: the task may have
// done part of its work before the worker died. Tasks that a dead worker
// held but had not started are always moved to another worker; they do not
// count as retries.
func Retries(n int) PoolOption {
	return atLeast("Retries", n, 0, func(c *poolConfig) { c.retries = n })
}

// Initializer makes every worker of a [Pool] call fn with in once, before
// its first task, as Python's initializer. A worker whose initializer fails
// breaks the pool: the error is reported once, in every pending and later
// task (matching [ErrPoolBroken], and so futures.ErrBroken, and wrapping
// the initializer's error), and no worker is started again.
//
// in may hold what a task's argument may: pipe ends, queues, locks, shared
// values and the other objects of this package, as Python's initargs do.
// Every worker, replacements included, gets its own working copy of each,
// which it keeps open for its life, so an initializer may store them in
// package variables for the tasks to use. NewPool takes copies of their
// descriptors, which the pool holds until [Pool.Shutdown] has returned: the
// caller may close its own objects once NewPool has returned. A queue is
// reached through its creator's broker, so it works in the workers for as
// long as the queue itself is open.
func Initializer[In, Out any](fn *Func[In, Out], in In) PoolOption {
	return poolOptionFunc(func(c *poolConfig) error {
		if fn == nil {
			return fmt.Errorf("mp: Initializer with a nil *Func")
		}
		b, hs, err := encodeArg(in)
		if err != nil {
			return fmt.Errorf("mp: Initializer %q: %w", fn.name, err)
		}
		c.initFunc, c.initArg, c.initHs = fn.name, b, hs
		return nil
	})
}

func newPoolConfig(opts []PoolOption) (poolConfig, error) {
	c := poolConfig{workers: runtime.GOMAXPROCS(0), grace: DefaultGrace}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyPool(&c); err != nil {
			return c, err
		}
	}
	if c.hardMemory > 0 && c.softMemory > c.hardMemory {
		return c, fmt.Errorf("mp: MaxMemoryPerChild(%d) above MemoryLimit(%d): the worker would be killed before it is recycled",
			c.softMemory, c.hardMemory)
	}
	return c, nil
}

// A MapOption configures [Func.Map].
type MapOption interface{ applyMap(*mapConfig) }

type mapConfig struct {
	readAhead int // inputs; 0: chosen from the executor
	chunk     int // 0: adaptive on a CallExecutor, 1 elsewhere
	unordered bool
	progress  func(done, submitted int)
}

type mapOptionFunc func(*mapConfig)

func (f mapOptionFunc) applyMap(c *mapConfig) { f(c) }

// ReadAhead bounds how many inputs [Func.Map] reads ahead of the result it
// yields next, and so the memory it holds: it counts inputs, not chunks,
// and an adaptive chunk stays small enough to keep the bound. A fixed
// [Chunk] above it is kept, one chunk at a time. The default keeps every
// worker busy.
func ReadAhead(n int) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.readAhead = max(n, 1) })
}

// Chunk makes [Func.Map] send inputs to a process pool n at a time, one
// message each way per chunk, as the chunksize of Python's Pool.map. On a
// [Pool] the default adapts to the function's running time, so that tiny
// functions travel by the hundred and slow ones one by one.
func Chunk(n int) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.chunk = max(n, 1) })
}

// Unordered makes [Func.Map] yield results as they finish rather than in
// the order of the inputs, as Python's imap_unordered: a chunk's results
// come together, in the order of its inputs. It is [futures.Unordered]
// applied to the chunks.
func Unordered() MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.unordered = true })
}

// Progress makes [Func.Map] call fn, in the goroutine of the loop, each
// time the loop has taken a chunk's results: done results so far, of
// submitted inputs read. It suits a progress bar. It is
// [futures.Progress] counted in inputs rather than chunks.
func Progress(fn func(done, submitted int)) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.progress = fn })
}

// handleCopies are copies of the descriptors of some handles, in the order
// of refs, which their owner sends with a message and closes.
type handleCopies struct {
	refs  []handleRef
	files []*os.File
}

// copyHandles copies the descriptors of hs. It fails, copying nothing,
// when one of them can no longer be passed.
func copyHandles(hs []handle) (*handleCopies, error) {
	c := &handleCopies{}
	for _, h := range hs {
		fs, err := h.handleFiles()
		if err != nil {
			c.close()
			return nil, err
		}
		for _, f := range fs {
			d, err := dupFile(f)
			if err != nil {
				c.close()
				return nil, err
			}
			c.files = append(c.files, d)
		}
		c.refs = append(c.refs, handleRef{ID: h.handleID(), Files: len(fs)})
	}
	return c, nil
}

// close closes the copies; a nil c has none.
func (c *handleCopies) close() {
	if c == nil {
		return
	}
	for _, f := range c.files {
		f.Close()
	}
	c.files = nil
}
