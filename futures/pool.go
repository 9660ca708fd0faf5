package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a [ThreadPool] worker waits for work before
// it exits, unless [IdleTimeout] says otherwise.
const DefaultIdleTimeout = 10 * time.Second

// An Option configures a [ThreadPool]. Options accept every value: the few
// that make no sense are given a documented meaning, as a worker count of 0
// is, so a pool can always be built.
type Option interface{ apply(*poolConfig) }

type poolConfig struct {
	queue       int           // 0: unbounded
	idleTimeout time.Duration // 0: DefaultIdleTimeout; negative: never
	init        func() error
}

type optionFunc func(*poolConfig)

func (f optionFunc) apply(c *poolConfig) { f(c) }

// QueueSize bounds the number of tasks that wait for a worker. When the
// queue is full, [Submit] blocks until there is room or the task's context
// ends, and [TrySubmit] returns [ErrQueueFull]. A size of 0 or less means an
// unbounded queue, the default, as Python's ThreadPoolExecutor has.
func QueueSize(n int) Option {
	return optionFunc(func(c *poolConfig) { c.queue = max(n, 0) })
}

// IdleTimeout sets how long a worker waits for work before it exits (at
// most half as long again, as idle workers are retired in sweeps); the pool
// starts workers again, up to its size, as work arrives. The default is
// [DefaultIdleTimeout]. A timeout of 0 or less keeps workers until Shutdown,
// as Python's ThreadPoolExecutor does.
func IdleTimeout(d time.Duration) Option {
	return optionFunc(func(c *poolConfig) {
		if d <= 0 {
			d = -1
		}
		c.idleTimeout = d
	})
}

// Initializer sets a function that each worker goroutine runs once before
// its first task, as Python's initializer. It suits per-thread set-up, such
// as runtime.LockOSThread for a C library that must always be called from
// the same thread. If it returns an error or panics, the pool is broken: see
// [ErrBroken]. A nil fn sets no initializer.
func Initializer(fn func() error) Option {
	return optionFunc(func(c *poolConfig) { c.init = fn })
}

// A ThreadPool is an [Executor] that runs tasks on a bounded set of
// goroutines, Python's ThreadPoolExecutor. Workers start as tasks arrive, up
// to the pool's size, and exit after [IdleTimeout] without work, so an idle
// pool holds no goroutines. Tasks start in the order they were submitted.
//
// The zero ThreadPool is ready to use, with GOMAXPROCS workers and the
// defaults of every option. A ThreadPool is safe for concurrent use and must
// not be copied after first use.
type ThreadPool struct {
	size  int
	cfg   poolConfig
	setup sync.Once
	slots chan struct{} // room in a bounded queue; nil when unbounded

	// closing is closed when Shutdown begins; finished once every goroutine
	// of the pool, workers and sweeper, has exited after that.
	closing, finished chan struct{}

	mu             sync.Mutex // guards the fields below
	queue          fifo[Task] // tasks waiting for a worker
	idle           []*worker  // workers waiting for a task, in the order they went idle
	workers        int        // worker goroutines alive
	sweeping       bool       // the sweep goroutine is running
	epoch          uint64     // sweeper ticks so far
	closed         bool
	finishedClosed bool  // finished has been closed
	broken         error // why the pool takes no more tasks, once its initializer failed
}

// A worker is the handle of a worker goroutine while it waits for work: a
// task is handed to it directly, and closing tasks tells it to exit.
type worker struct {
	tasks     chan Task
	idleSince uint64 // the sweeper's epoch when the worker went idle; guarded by ThreadPool.mu
}

// NewThreadPool returns a pool of at most workers goroutines, or
// runtime.GOMAXPROCS(0) of them when workers <= 0. It starts no goroutine
// until the first task arrives.
func NewThreadPool(workers int, opts ...Option) *ThreadPool {
	p := &ThreadPool{size: workers}
	for _, o := range opts {
		o.apply(&p.cfg)
	}
	p.setup.Do(p.init)
	return p
}

func (p *ThreadPool) init() {
	if p.size <= 0 {
		p.size = runtime.GOMAXPROCS(0)
	}
	if p.cfg.idleTimeout == 0 {
		p.cfg.idleTimeout = DefaultIdleTimeout
	}
	if p.cfg.queue > 0 {
		p.slots = make(chan struct{}, p.cfg.queue)
	}
	p.closing = make(chan struct{})
	p.finished = make(chan struct{})
}

// Size returns the most workers the pool runs at once.
func (p *ThreadPool) Size() int {
	p.setup.Do(p.init)
	return p.size
}

// Execute implements [Executor]; use [Submit] rather than calling it. It
// blocks only when the pool's bounded queue is full, until there is room, t's
// context ends, or Shutdown begins.
func (p *ThreadPool) Execute(t Task) error { return p.execute(t, true) }

// TryExecute is Execute that returns [ErrQueueFull] instead of waiting for
// room; [TrySubmit] uses it.
func (p *ThreadPool) TryExecute(t Task) error { return p.execute(t, false) }

func (p *ThreadPool) execute(t Task, wait bool) error {
	if p == nil {
		return errNilExecutor
	}
	p.setup.Do(p.init)
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
		default:
			if !wait {
				return ErrQueueFull
			}
			select {
			case p.slots <- struct{}{}:
			case <-t.Context().Done():
				return context.Cause(t.Context())
			case <-p.closing:
				return ErrShutdown
			}
		}
	}
	return p.enqueue(t)
}

// enqueue hands t to an idle worker, to a new worker, or to the queue, in
// that order of preference. The caller holds a slot of a bounded queue; it
// is given back unless t waits in the queue.
func (p *ThreadPool) enqueue(t Task) error {
	p.mu.Lock()
	if err := p.refusal(); err != nil {
		p.mu.Unlock()
		p.freeSlot()
		return err
	}
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		p.freeSlot()
		w.tasks <- t // never blocks: an idle worker's channel is empty
		return nil
	}
	if p.workers < p.size {
		p.workers++
		p.mu.Unlock()
		p.freeSlot()
		go p.work(t)
		return nil
	}
	p.queue.push(t)
	p.mu.Unlock()
	return nil
}

// refusal says why the pool takes no more tasks, if it does not. The caller
// holds p.mu.
func (p *ThreadPool) refusal() error {
	switch {
	case p.broken != nil:
		return p.broken
	case p.closed:
		return ErrShutdown
	}
	return nil
}

func (p *ThreadPool) freeSlot() {
	if p.slots != nil {
		<-p.slots
	}
}

// work is a worker goroutine: it runs t, then tasks from the queue, and
// waits for more while idle, until the sweeper retires it or Shutdown.
func (p *ThreadPool) work(t Task) {
	defer p.exited()
	if p.cfg.init != nil && !p.initialize(t) {
		return
	}
	w := &worker{tasks: make(chan Task, 1)}
	for ok := true; ok; {
		t.Run()
		if t, ok = p.next(w); !ok {
			t, ok = <-w.tasks // closed to retire the worker
		}
	}
}

// next returns the next queued task, or registers w as idle and returns
// false. Once the pool is closed and its queue empty, it closes w's channel
// instead, so that the worker sees at once that it must exit.
func (p *ThreadPool) next(w *worker) (Task, bool) {
	p.mu.Lock()
	t, ok := p.queue.pop()
	switch {
	case ok:
	case p.closed:
		close(w.tasks)
	default:
		w.idleSince = p.epoch
		p.idle = append(p.idle, w)
		if !p.sweeping && p.cfg.idleTimeout > 0 {
			p.sweeping = true
			go p.sweep()
		}
	}
	p.mu.Unlock()
	if ok {
		p.freeSlot()
	}
	return t, ok
}

// sweep retires workers that have been idle for the idle timeout. It runs
// only while some worker is idle, so an idle pool ends with no goroutine at
// all. Workers note the sweep's epoch when they go idle, which spares the
// hot path a clock read or a timer per idle spell: a worker is retired once
// sweepEpochs ticks of idleTimeout/(sweepEpochs-1) have passed, that is
// after between one and sweepEpochs/(sweepEpochs-1) idle timeouts.
func (p *ThreadPool) sweep() {
	tick := time.NewTicker(p.cfg.idleTimeout / (sweepEpochs - 1))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-p.closing:
		}
		p.mu.Lock()
		p.epoch++
		// The idle list is in the order workers went idle: retire a prefix.
		n := 0
		for n < len(p.idle) && p.idle[n].idleSince+sweepEpochs <= p.epoch {
			close(p.idle[n].tasks)
			n++
		}
		p.idle = append(p.idle[:0], p.idle[n:]...)
		if len(p.idle) == 0 || p.closed {
			p.sweeping = false
			p.finishIfDone()
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}

// sweepEpochs is how many sweeper ticks make an idle timeout, plus one.
const sweepEpochs = 3

// initialize runs the initializer in a new worker and reports whether it
// succeeded. On failure (an error, a panic, or runtime.Goexit) the pool is
// broken: first and every queued task fail, and so do later submissions.
func (p *ThreadPool) initialize(first Task) (ok bool) {
	err := errInitGoexit
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
		if err != nil {
			p.breakDown(first, err)
		}
	}()
	err = p.cfg.init()
	return err == nil
}

// errInitGoexit is the initializer's error when it called runtime.Goexit.
var errInitGoexit = errors.New("futures: initializer called runtime.Goexit instead of returning")

// breakDown marks the pool broken by the initializer's err and fails first
// and every queued task.
func (p *ThreadPool) breakDown(first Task, err error) {
	broken := fmt.Errorf("%w: thread pool initializer failed: %w", ErrBroken, err)
	p.mu.Lock()
	if p.broken == nil {
		p.broken = broken
	}
	broken = p.broken
	queued := slices.Collect(p.queue.all())
	p.mu.Unlock()
	first.Reject(broken)
	for _, t := range queued {
		p.freeSlot()
		t.Reject(broken)
	}
}

// exited accounts for a worker that ended: after its idle timeout, at
// Shutdown, after a failed initializer, or because a task called
// runtime.Goexit. In the last case work may be left in the queue with no
// worker to see it, so a new worker takes over.
func (p *ThreadPool) exited() {
	p.mu.Lock()
	p.workers--
	if p.broken == nil {
		if t, ok := p.queue.pop(); ok {
			p.workers++
			p.mu.Unlock()
			p.freeSlot()
			go p.work(t)
			return
		}
	}
	p.finishIfDone()
	p.mu.Unlock()
}

// finishIfDone closes finished once Shutdown has begun and no goroutine of
// the pool is left. The caller holds p.mu.
func (p *ThreadPool) finishIfDone() {
	if p.closed && p.workers == 0 && !p.sweeping && !p.finishedClosed {
		p.finishedClosed = true
		close(p.finished)
	}
}

// Shutdown stops the pool from accepting tasks (later submissions fail with
// [ErrShutdown]) and waits until every task already accepted, queued or
// running, has finished and every worker has exited. If ctx ends first,
// Shutdown cancels the tasks that have not started, as Python's
// cancel_futures, and returns ctx.Err(); the tasks still running go on (a
// goroutine cannot be stopped from outside: cancel the contexts they were
// submitted with) and their workers exit when they return.
//
// Shutdown is safe to call more than once and from any goroutine; each call
// waits as described, and returns nil once all work has finished.
func (p *ThreadPool) Shutdown(ctx context.Context) error {
	return p.shutdown(ctx, false)
}

// ShutdownCancel is Python's shutdown(wait=True, cancel_futures=True): it
// stops the pool from accepting tasks, cancels every task that has not
// started, with an error that matches both [ErrCancelled] and [ErrShutdown],
// and waits, as Shutdown does, until the running tasks have finished and
// every worker has exited. If ctx ends first, it returns ctx.Err() and the
// running tasks go on. It is safe to call more than once and from any
// goroutine, with Shutdown too.
func (p *ThreadPool) ShutdownCancel(ctx context.Context) error {
	return p.shutdown(ctx, true)
}

// shutdown is Shutdown, which cancels the queued tasks first if cancel is
// set.
func (p *ThreadPool) shutdown(ctx context.Context, cancel bool) error {
	if p == nil {
		return nil
	}
	p.setup.Do(p.init)
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.closing)
		for _, w := range p.idle {
			close(w.tasks)
		}
		p.idle = nil
		p.finishIfDone()
	}
	p.mu.Unlock()
	if cancel {
		p.cancelQueued()
	}
	select {
	case <-p.finished:
		return nil
	case <-ctx.Done():
	}
	p.cancelQueued()
	return ctx.Err()
}

// cancelQueued cancels the tasks that wait for a worker.
func (p *ThreadPool) cancelQueued() {
	p.mu.Lock()
	queued := slices.Collect(p.queue.all())
	p.mu.Unlock()
	for _, t := range queued {
		p.freeSlot()
		t.Cancel(ErrShutdown)
	}
}
