package mp

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
	"github.com/multitask-go/multitask/mp/internal/shm"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// Unwrap returns Err.
func (e *WorkerDiedError) Unwrap() error { return e.Err }

// errClosure fails a closure submitted to a Pool.
var errClosure = fmt.Errorf("%w: a process pool runs registered functions only; "+
	"register the function with mp.Register at package level and submit it with Func.Submit or Func.Map", ErrNotRegistered)

// exitMemory is the exit status of a worker that crossed the hard memory
// limit.
const exitMemory = 5

// A Pool runs registered functions in worker processes, as Python's
// ProcessPoolExecutor, and is a [futures.Executor]: submit with
// [Func.Submit] and [Func.Map]. Unlike Python's pool, a worker that dies
// fails only the task it was running; a task whose context ends is stopped,
// by killing its worker if it will not return; and a task a worker holds
// but has not begun can still be cancelled. See the package documentation.
//
// A Pool is safe for concurrent use. Shut it down when done: its workers
// are processes.
type Pool struct {
	cfg poolConfig

	mu          sync.Mutex
	queue       []*job // FIFO of jobs no worker holds; cancelled ones are skipped
	retry       []*job // jobs taken back from a worker, served first
	queued      int    // live jobs in queue and retry
	workers     []*worker
	closing     bool          // Shutdown was called: no new task
	retired     bool          // workers told to exit; none is started again
	broken      error         // the pool cannot run tasks: an initializer failed, or a worker could not start
	aborted     error         // Shutdown's ctx ended: every task is ended at once
	holding     int           // ShutdownCancel calls cancelling pending tasks: none goes to a worker
	outstanding int           // accepted jobs that have not ended
	idle        chan struct{} // closed once closing and outstanding is 0
	space       chan struct{} // closed when queue room frees, for waiting submitters
	seq         uint64
	avgNanos    float64 // moving average of the tasks' running time
	measured    bool
	st          PoolStats
	wg          sync.WaitGroup // one per worker goroutine
}

// A job is one task in the pool: the call that crosses to the worker and
// receives the outcome, and where the task stands. The fields from t on are
// guarded by the pool's mu.
type job struct {
	*Call
	p     *Pool
	flags byte

	// Copies of the handles' descriptors, made when the pool takes the
	// task, so that the caller may close its own; sent with the task each
	// time it goes to a worker, and closed when the task has ended and no
	// send of them is under way (sending counts those, under the pool's mu).
	refs    []handleRef
	files   []*os.File
	sending int

	t       futures.Task
	state   jobState
	w       *worker // while sent
	slot    int
	seq     uint64
	retries int
	timer   *time.Timer // kills the worker when the task overruns
	killErr error       // the error of a task killed with its worker
	stop    func() bool // undoes the watch on the task's context
}

type jobState uint8

const (
	jobNew jobState = iota
	jobQueued
	jobSent    // a worker holds it
	jobRunning // its worker said it began
	jobEnded   // finished, failed or cancelled
)

// PoolStats is a snapshot of a [Pool]'s counters, from [Pool.Stats].
type PoolStats struct {
	Submitted      int // tasks accepted
	Queued         int // tasks waiting for a worker, or held by one and not begun
	Running        int // tasks a worker has begun, as the page it shares with the pool says
	Done           int // tasks that returned without error
	Failed         int // tasks that ended with an error
	Cancelled      int // tasks cancelled before they began
	WorkerStarts   int // worker processes started, replacements included
	WorkerRestarts int // workers started to replace one that died or was recycled
	Workers        []WorkerStats
}

// WorkerStats describes one live worker process.
type WorkerStats struct {
	Pid   int
	Tasks int   // tasks sent to it
	RSS   int64 // resident memory in bytes; 0 if unknown
}

// NewPool starts a pool of worker processes. The workers start in the
// background; tasks submitted meanwhile wait for them. NewPool fails on a
// bad option, when [Main] was not called, and where processes or shared
// memory are unsupported.
func NewPool(opts ...PoolOption) (*Pool, error) {
	cfg, err := newPoolConfig(opts)
	if err != nil {
		return nil, err
	}
	if !mainCalled.Load() {
		return nil, errors.New("mp: NewPool: mp.Main was not called; call it first in main (and in TestMain)")
	}
	freezeRegistry()
	// Where a worker's shared page cannot be made, say so now rather than
	// in every task.
	f, mem, err := shm.Create("multitask-pool", pw.PageSize)
	if err != nil {
		return nil, fmt.Errorf("mp: NewPool: %w", err)
	}
	f.Close()
	_ = shm.Unmap(mem)
	if cfg.init, err = copyHandles(cfg.initHs); err != nil {
		return nil, fmt.Errorf("mp: NewPool: the initializer's argument: %w", err)
	}
	p := &Pool{cfg: cfg, idle: make(chan struct{})}
	p.mu.Lock()
	for range cfg.workers {
		p.startWorkerLocked(false)
	}
	p.mu.Unlock()
	return p, nil
}

// Size returns the number of worker processes.
func (p *Pool) Size() int { return p.cfg.workers }

// Execute implements [futures.Executor]. A Pool runs only registered
// functions, so a task submitted with futures.Submit fails at once with an
// error that matches [ErrNotRegistered] and says what to do; use
// [Func.Submit].
func (p *Pool) Execute(t futures.Task) error { return errClosure }

// ExecuteCall implements [CallExecutor]: it hands t, the task of
// Func.Submit or Func.Map, to a worker process, now or when one is free.
func (p *Pool) ExecuteCall(t futures.Task, c *Call) error {
	if p == nil {
		return errNilPool
	}
	j := &job{Call: c, p: p, retries: p.cfg.retries}
	if c.chunk {
		j.flags = pw.TaskBatch
	}
	return p.execute(j, t)
}

// refuse is an executor that accepts nothing, for a call that fails before
// it reaches one.
type refuse struct{ err error }

func (r refuse) Execute(futures.Task) error         { return r.err }
func (r refuse) Shutdown(ctx context.Context) error { return nil }

// failed returns a future that has failed with err, for a call that could
// not be handed to its executor.
func failed[T any](ctx context.Context, err error) *futures.Future[T] {
	return futures.Submit(ctx, refuse{err}, func(context.Context) (T, error) {
		var zero T
		return zero, err
	})
}

// errNilPool fails a call submitted to a nil *Pool.
var errNilPool = errors.New("mp: submit to a nil *Pool")

// copyFiles copies the descriptors of the job's handles, for the pool to
// send with the task.
func (j *job) copyFiles() error {
	c, err := copyHandles(j.hs)
	if err != nil {
		return fmt.Errorf("mp: the argument of %q: %w", j.fn, err)
	}
	j.refs, j.files = c.refs, c.files
	return nil
}

// closeFiles closes the job's copies of descriptors.
func (j *job) closeFiles() {
	for _, f := range j.files {
		f.Close()
	}
	j.files = nil
}

func (p *Pool) execute(j *job, t futures.Task) (err error) {
	j.t = t
	if err := j.copyFiles(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			j.closeFiles()
		}
	}()
	t.Assist(j.assist)
	if !t.Guard(func() bool { return p.guard(j) }) {
		j.closeFiles()
		return nil // cancelled before it reached the pool
	}
	ctx := t.Context()
	p.mu.Lock()
	for p.cfg.maxQueued > 0 && p.queued >= p.cfg.maxQueued && !p.closing && p.broken == nil && j.state == jobNew {
		if p.space == nil {
			p.space = make(chan struct{})
		}
		space := p.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
	switch {
	case j.state != jobNew: // cancelled while it waited for room
		p.mu.Unlock()
		j.closeFiles()
		return nil
	case p.closing:
		p.mu.Unlock()
		return futures.ErrShutdown
	case p.broken != nil:
		err := p.broken
		p.mu.Unlock()
		return err
	}
	j.state = jobQueued
	p.queue = append(p.queue, j)
	p.queued++
	p.outstanding++
	p.st.Submitted++
	sends := p.dispatchLocked()
	p.mu.Unlock()
	sends.flush()
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { p.contextEnded(j, ctx) })
		p.mu.Lock()
		ended := j.state == jobEnded
		if !ended {
			j.stop = stop
		}
		p.mu.Unlock()
		if ended {
			stop()
		}
	}
	return nil
}

// guard decides a cancellation of j for its future: yes while no worker
// has begun it.
func (p *Pool) guard(j *job) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch j.state {
	case jobNew:
		j.state = jobEnded
		return true
	case jobQueued:
		p.endLocked(j)
		p.queued--
		p.st.Cancelled++
		p.roomLocked()
		return true
	case jobSent:
		if !j.w.slots.Cancel(j.slot, j.seq) {
			// It began, and the worker has not said so yet.
			p.beganLocked(j)
			return false
		}
		j.w.unassistLocked(j)
		p.endLocked(j)
		p.st.Cancelled++
		return true
	}
	return false
}

// endLocked ends j in the pool's books, and stops watching its context,
// which would otherwise keep the job for as long as that context lives.
func (p *Pool) endLocked(j *job) {
	j.state = jobEnded
	if j.stop != nil {
		j.stop()
		j.stop = nil
	}
	if j.sending == 0 {
		j.closeFiles()
	}
	if j.timer != nil {
		j.timer.Stop()
	}
	p.outstanding--
	if p.outstanding == 0 && p.closing {
		p.retireLocked()
	}
}

// roomLocked wakes submitters waiting for queue room.
func (p *Pool) roomLocked() {
	if p.space != nil {
		close(p.space)
		p.space = nil
	}
}

// contextEnded stops j when its context ends: a task not begun is
// cancelled; a running one is told to stop, and killed with its worker
// after the grace period.
func (p *Pool) contextEnded(j *job, ctx context.Context) {
	if j.t.Cancel(context.Cause(ctx)) {
		return
	}
	p.mu.Lock()
	if j.state != jobRunning {
		p.mu.Unlock()
		return
	}
	w, slot, seq := j.w, j.slot, j.seq
	p.killLaterLocked(j, p.cfg.grace, fmt.Errorf("mp: task %q killed with its worker (pid %d) %v after its context ended: %w",
		j.fn, w.pid(), p.cfg.grace, ctx.Err()))
	p.mu.Unlock()
	// A deadline the worker knows, and keeps by the same clock; any other
	// end it must be told.
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		_ = w.w.WriteFrames(pw.AppendSlotSeq(nil, pw.KindCancel, slot, seq))
	}
}

// killLaterLocked kills j's worker after d unless j has ended by then.
func (p *Pool) killLaterLocked(j *job, d time.Duration, err error) {
	if j.timer != nil {
		j.timer.Stop()
	}
	w := j.w
	j.timer = time.AfterFunc(d, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if j.state == jobRunning && j.w == w {
			j.killErr = err
			_ = w.child.Signal(syscall.SIGKILL)
		}
	})
}

// beganLocked records that j's worker began it.
func (p *Pool) beganLocked(j *job) {
	if j.state != jobSent {
		return
	}
	j.state = jobRunning
	j.t.Begin()
	if p.aborted != nil {
		p.killAbortedLocked(j)
		return
	}
	if p.cfg.timeout > 0 {
		err := fmt.Errorf("mp: task %q ran past the pool's timeout of %v and was killed with its worker (pid %d): %w",
			j.fn, p.cfg.timeout, j.w.pid(), context.DeadlineExceeded)
		p.killLaterLocked(j, p.cfg.timeout+p.cfg.grace, err)
	}
}

// depth is how many tasks a worker may hold.
func (p *Pool) depth() int {
	if p.cfg.prefetch > 0 {
		return p.cfg.prefetch
	}
	switch {
	case !p.measured:
		return 1
	case p.avgNanos < 50e3:
		return maxPrefetch
	case p.avgNanos < 500e3:
		return 8
	case p.avgNanos < 5e6:
		return 2
	}
	return 1
}

// A batch of frames for one worker, written once the lock is released,
// or the frame of one job whose descriptors go with it or whose argument
// has pieces: then the frame is buf, or, with pieces, a frame of parts.
type send struct {
	w     *worker
	buf   []byte
	parts [][]byte // the task's payload: its head, then the argument's parts, pieces in place
	j     *job     // with descriptors or pieces
}

type sends []send

func (s sends) flush() {
	for _, x := range s {
		// A failed write means the worker is gone; its reader sees that too,
		// and moves the tasks it never began to other workers.
		if x.j == nil {
			_ = x.w.w.WriteFrames(x.buf)
			continue
		}
		// The descriptors go first, on the control socket; the worker
		// collects them when it reads the frame that names them. The
		// argument's pieces are written from the caller's memory.
		_ = x.w.w.WriteFunc(func(tasks io.Writer) error {
			if len(x.j.files) > 0 {
				if err := launch.SendWithFiles(x.w.ctl, []byte{0}, x.j.files); err != nil {
					return err
				}
			}
			if x.parts != nil {
				return wire.WriteFrameTo(tasks, pw.KindTask, x.parts...)
			}
			_, err := tasks.Write(x.buf)
			return err
		})
		p := x.w.p
		p.mu.Lock()
		if x.j.sending--; x.j.sending == 0 && x.j.state == jobEnded {
			x.j.closeFiles()
		}
		p.mu.Unlock()
	}
}

// popLocked returns the next live queued job, or nil. A job whose context
// has ended leaves the queue without being returned: the watcher of that
// context, which runs in a goroutine of its own and may not have run yet,
// is on its way to cancel it, and it must not start meanwhile.
func (p *Pool) popLocked() *job {
	for len(p.retry) > 0 {
		j := p.retry[0]
		p.retry[0] = nil
		p.retry = p.retry[1:]
		if j.live() {
			return j
		}
	}
	for len(p.queue) > 0 {
		j := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		if j.live() {
			return j
		}
	}
	return nil
}

// live reports whether a job in the queue may still go to a worker. The
// caller holds the pool's mu.
func (j *job) live() bool {
	return j.state == jobQueued && j.t.Context().Err() == nil
}

// dispatchLocked hands queued jobs to workers with room, least loaded
// first, then a task parked behind another on a busy worker to each worker
// that holds nothing, and returns the frames to write.
func (p *Pool) dispatchLocked() sends {
	if p.broken != nil || p.aborted != nil || p.holding > 0 {
		return nil
	}
	var out sends
	for {
		out = p.assignLocked(out)
		if p.queued > 0 || !p.stealLocked() {
			break
		}
	}
	if len(out) > 0 {
		p.roomLocked()
	}
	return out
}

// assignLocked hands queued jobs to workers with room, least loaded first,
// and adds the frames to write to out.
func (p *Pool) assignLocked(out sends) sends {
	depth := p.depth()
	for p.queued > 0 {
		var w *worker
		for _, c := range p.workers {
			if c.ready && !c.retiring && c.inflight < depth && (w == nil || c.inflight < w.inflight) {
				w = c
			}
		}
		if w == nil {
			break
		}
		j := p.popLocked()
		if j == nil {
			break
		}
		p.queued--
		p.seq++
		slot := w.free[len(w.free)-1]
		w.free = w.free[:len(w.free)-1]
		j.state, j.w, j.slot, j.seq = jobSent, w, slot, p.seq
		w.jobs[slot], w.seqs[slot] = j, j.seq
		w.inflight++
		w.sent++
		if p.cfg.maxTasks > 0 && w.sent >= p.cfg.maxTasks {
			w.retiring = true
		}
		w.slots.Queue(slot, j.seq)
		var deadline int64
		if d, ok := j.t.Context().Deadline(); ok {
			deadline = d.UnixNano()
		}
		tf := &pw.Task{Slot: slot, Flags: j.flags, Seq: j.seq, Deadline: deadline, Fn: j.fn, Refs: j.refs, Arg: j.arg.Data}
		if len(j.arg.Pieces) > 0 {
			j.sending++
			out = append(out, send{w: w, parts: j.arg.AppendParts([][]byte{pw.AppendTaskHead(nil, tf)}), j: j})
			continue
		}
		if len(j.files) > 0 {
			j.sending++
			out = append(out, send{w: w, buf: pw.AppendTask(nil, tf), j: j})
			continue
		}
		i := len(out) - 1
		for ; i >= 0 && (out[i].w != w || out[i].j != nil); i-- {
		}
		if i < 0 {
			out = append(out, send{w: w, buf: make([]byte, 0, 32+len(j.fn)+len(j.arg.Data))})
			i = len(out) - 1
		}
		out[i].buf = pw.AppendTask(out[i].buf, tf)
	}
	return out
}

// stealLocked takes back a task that waits behind another on a busy
// worker, when some other worker holds no task, and queues it again for
// that worker: prefetching never leaves a worker idle while a task waits.
// The oldest such task goes first. Only a task behind another is taken,
// so its worker stays busy and never takes it back in turn. stealLocked
// reports whether it took a task.
func (p *Pool) stealLocked() bool {
	idle := false
	for _, w := range p.workers {
		if w.ready && !w.retiring && w.inflight == 0 {
			idle = true
			break
		}
	}
	if !idle {
		return false
	}
	var parked []*job
	for _, w := range p.workers {
		var first *job // the task the worker runs, or runs next
		start := len(parked)
		for i := range w.jobs {
			j := w.held(i)
			if j == nil {
				continue
			}
			if first == nil || j.seq < first.seq {
				first = j
			}
			if j.state == jobSent {
				parked = append(parked, j)
			}
		}
		if i := slices.Index(parked[start:], first); i >= 0 {
			parked = slices.Delete(parked, start+i, start+i+1)
		}
	}
	slices.SortFunc(parked, func(a, b *job) int { return cmp.Compare(a.seq, b.seq) })
	for _, j := range parked {
		// The worker may have begun it meanwhile: then the task it was
		// behind has finished, and the worker is busy with this one.
		if j.w.slots.Cancel(j.slot, j.seq) {
			p.requeueLocked(j)
			return true
		}
	}
	return false
}

// Stats returns a snapshot of the pool's counters and workers.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	st := p.st
	st.Queued = p.queued
	st.Workers = nil
	for _, w := range p.workers {
		for i := range w.jobs {
			switch j := w.held(i); {
			case j == nil:
			case j.state == jobRunning || w.slots.Began(i, j.seq):
				// The shared page says so before the worker's frame does.
				st.Running++
			case j.state == jobSent:
				st.Queued++
			}
		}
		if w.ready {
			st.Workers = append(st.Workers, WorkerStats{Pid: w.pid(), Tasks: w.sent})
		}
	}
	p.mu.Unlock()
	for i := range st.Workers {
		st.Workers[i].RSS = residentBytes(st.Workers[i].Pid)
	}
	return st
}

// residentBytes reads the resident memory of process pid, 0 if unknown.
func residentBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}

// Shutdown stops the pool from accepting tasks, waits for the tasks it
// holds to finish, and stops its workers. When ctx ends first, it cancels
// the tasks that have not begun, kills the workers of those that run
// (failing them with ctx's error), and returns ctx.Err() once every worker
// has exited. No worker process outlives Shutdown. It is safe to call more
// than once and concurrently.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closeLocked()
	p.mu.Unlock()
	return p.wait(ctx)
}

// ShutdownCancel is Python's shutdown(wait=True, cancel_futures=True): it
// stops the pool from accepting tasks, cancels every task that no worker
// has begun, queued or held by a worker, with an error that matches
// [futures.ErrCancelled] and [futures.ErrShutdown], and waits, as Shutdown
// does, for the tasks that run to finish and for the workers to exit. When
// ctx ends first, it does what Shutdown does then. It is safe to call more
// than once and concurrently, with Shutdown too.
func (p *Pool) ShutdownCancel(ctx context.Context) error {
	p.mu.Lock()
	p.closeLocked()
	// No task goes to a worker while the pending ones are cancelled, lest
	// one begin meanwhile.
	p.holding++
	var pending []*job
	for _, q := range [][]*job{p.retry, p.queue} {
		for _, j := range q {
			if j != nil && j.state == jobQueued {
				pending = append(pending, j)
			}
		}
	}
	for _, w := range p.workers {
		for i := range w.jobs {
			if j := w.held(i); j != nil && j.state == jobSent {
				pending = append(pending, j)
			}
		}
	}
	p.mu.Unlock()
	for _, j := range pending {
		j.t.Cancel(futures.ErrShutdown)
	}
	// What came back to the queue meanwhile, a task that began on a worker
	// that died and runs again under Retries, goes to a worker now.
	p.mu.Lock()
	p.holding--
	sends := p.dispatchLocked()
	p.mu.Unlock()
	sends.flush()
	return p.wait(ctx)
}

// closeLocked stops the pool from accepting tasks.
func (p *Pool) closeLocked() {
	if !p.closing {
		p.closing = true
		p.roomLocked()
		if p.outstanding == 0 {
			p.retireLocked()
		}
	}
}

// wait waits for the pool's tasks and workers to end, as Shutdown does.
func (p *Pool) wait(ctx context.Context) error {
	var err error
	select {
	case <-p.idle:
	case <-ctx.Done():
		err = ctx.Err()
		p.abort(err)
		<-p.idle
	}
	p.wg.Wait()
	// No worker starts any more: the initializer's descriptors are done.
	p.mu.Lock()
	init := p.cfg.init
	p.cfg.init = nil
	p.mu.Unlock()
	init.close()
	return err
}

// abort ends every task the pool holds: cancels those not begun and kills
// the workers of those running. Tasks that begin or come back to the queue
// later (from a worker that died) are ended as they do.
func (p *Pool) abort(cause error) {
	p.mu.Lock()
	p.aborted = fmt.Errorf("mp: pool shut down: %w", cause)
	var cancel []*job
	for _, w := range p.workers {
		for i := range w.jobs {
			switch j := w.held(i); {
			case j == nil:
			case j.state == jobSent:
				cancel = append(cancel, j)
			case j.state == jobRunning:
				p.killAbortedLocked(j)
			}
		}
	}
	cancel = append(cancel, p.takeQueuedLocked()...)
	p.mu.Unlock()
	p.cancel(cancel)
}

// killAbortedLocked kills the worker of a running task of an aborted pool.
func (p *Pool) killAbortedLocked(j *job) {
	j.killErr = fmt.Errorf("mp: task %q killed with its worker (pid %d): %w", j.fn, j.w.pid(), p.aborted)
	_ = j.w.child.Signal(syscall.SIGKILL)
}

// takeQueuedLocked empties the queue of an aborted pool and returns the
// jobs to cancel.
func (p *Pool) takeQueuedLocked() []*job {
	var jobs []*job
	for j := p.popLocked(); j != nil; j = p.popLocked() {
		jobs = append(jobs, j)
	}
	return jobs
}

// cancel cancels jobs of an aborted pool that have not begun.
func (p *Pool) cancel(jobs []*job) {
	for _, j := range jobs {
		j.t.Cancel(p.aborted)
	}
}

// retireLocked tells every worker to exit, once the pool is closing and
// holds no task: it closes their control channels.
func (p *Pool) retireLocked() {
	if p.retired {
		return
	}
	p.retired = true
	close(p.idle)
	for _, w := range p.workers {
		w.retiring = true
		w.closeOnce()
	}
}

// startWorkerLocked starts a worker in the background.
func (p *Pool) startWorkerLocked(replacement bool) {
	w := &worker{p: p, free: make([]int, 0, maxPrefetch)}
	for i := maxPrefetch - 1; i >= 0; i-- {
		w.free = append(w.free, i)
	}
	p.workers = append(p.workers, w)
	p.st.WorkerStarts++
	if replacement {
		p.st.WorkerRestarts++
	}
	p.wg.Add(1)
	go w.run()
}

// breakLocked breaks the pool with err: queued jobs fail with it, as will
// every later submission. It returns the jobs to reject.
func (p *Pool) breakLocked(err error) []*job {
	if p.broken != nil {
		return nil
	}
	p.broken = err
	var failed []*job
	for {
		j := p.popLocked()
		if j == nil {
			break
		}
		p.queued--
		p.endLocked(j)
		p.st.Failed++
		failed = append(failed, j)
	}
	for _, w := range p.workers {
		w.retiring = true
		if w.inflight == 0 {
			w.closeOnce()
		}
	}
	p.roomLocked()
	return failed
}

// A worker is the parent's side of one worker process. Its fields are
// guarded by the pool's mu, except where said.
//
// Tasks and results cross on a pipe each way, not on the control socket:
// reading from a unix socket tells the writer's end that it has room,
// which wakes the writing process's poller for nothing, once per message
// each way; that cost a lone task about a third of its round trip. The
// control socket carries the hello and the descriptors that go with tasks.
// A third pipe carries the frames of a task whose waiter reads them itself
// (see assist).
type worker struct {
	p *Pool

	// Set by run before ready.
	child   child
	ctl     *os.File
	tasks   *os.File     // the write end of the worker's task pipe
	w       *wire.Writer // on tasks
	results *os.File     // the read end of the worker's result pipe
	shm     *os.File
	slots   pw.Slots
	stderr  *tailWriter
	r       *wire.Reader // on results

	// The assist pipe (see assist): one reader at a time reads it, for
	// the task assisting names, counted by assistReads until it stops.
	assistR      *os.File
	ar           *wire.Reader
	abuf         []byte
	assisting    *job
	assistReads  sync.WaitGroup
	assistGen    uint64 // counts the readers of the assist pipe
	assistPaused bool   // a read deadline stops the reader
	exiting      bool   // the worker has exited; no reader starts

	ready    bool
	retiring bool // takes no more tasks; exits once it holds none
	closed   bool
	jobs     [maxPrefetch]*job   // by slot; a job taken back may have moved on
	seqs     [maxPrefetch]uint64 // the task each slot holds
	free     []int
	inflight int
	sent     int
}

func (w *worker) pid() int {
	if w.child == nil {
		return 0
	}
	return w.child.Pid()
}

// closeOnce closes the task pipe and the control socket, which tells the
// worker to exit.
func (w *worker) closeOnce() {
	if !w.closed && w.ctl != nil {
		w.closed = true
		w.tasks.Close()
		w.ctl.Close()
	}
}

// run starts the worker process, serves its frames until it exits, and
// settles what it held.
func (w *worker) run() {
	p := w.p
	defer p.wg.Done()
	ready, err := w.start()
	if err != nil {
		p.mu.Lock()
		p.removeLocked(w)
		failed := p.breakLocked(fmt.Errorf("%w: start a pool worker: %w", ErrPoolBroken, err))
		broken := p.broken
		p.mu.Unlock()
		p.reject(failed, broken)
		return
	}
	p.mu.Lock()
	w.ready = true
	if p.retired {
		w.retiring = true
		w.closeOnce()
	}
	var failed []*job
	if ready.Err != nil {
		failed = p.breakLocked(fmt.Errorf("%w: the initializer %q failed in worker %d: %w",
			ErrPoolBroken, p.cfg.initFunc, w.pid(), ready.Err.rebuild()))
	}
	sends := p.dispatchLocked()
	broken := p.broken
	p.mu.Unlock()
	p.reject(failed, broken)
	sends.flush()

	readErr := w.serve()
	if readErr != nil {
		_ = w.child.Signal(syscall.SIGKILL)
	}
	<-w.child.Done()
	w.exited(readErr)
}

// reject fails jobs that never began with err.
func (p *Pool) reject(jobs []*job, err error) {
	for _, j := range jobs {
		j.t.Reject(err)
	}
}

// start starts the worker process and waits for it to be ready.
func (w *worker) start() (*readyMsg, error) {
	p := w.p
	slotFile, mem, err := shm.Create("multitask-pool", pw.PageSize)
	if err != nil {
		return nil, err
	}
	wm := &pw.Config{Init: p.cfg.initFunc, InitArg: p.cfg.initArg, InitHandles: p.cfg.init.refs, Timeout: int64(p.cfg.timeout),
		SoftMemory: p.cfg.softMemory, HardMemory: p.cfg.hardMemory,
		Procs: max(1, runtime.GOMAXPROCS(0)/p.cfg.workers)}
	msg := startMsg{Name: "PoolWorker", Daemon: true, Worker: wm}
	if p.cfg.method == Fork {
		if msg.Inherit, err = snapshotInherited(); err != nil {
			return nil, w.fail(slotFile, mem, err)
		}
	}
	start, err := marshalMsg(msg)
	if err != nil {
		return nil, w.fail(slotFile, mem, err)
	}
	pipes, err := workerPipes()
	if err != nil {
		return nil, w.fail(slotFile, mem, err)
	}
	w.stderr = &tailWriter{w: os.Stderr}
	c, ctl, token, err := startChild(p.cfg.method, launch.Options{Stderr: w.stderr}, start,
		append([]*os.File{slotFile, pipes.theirTasks, pipes.theirResults, pipes.theirAssist}, p.cfg.init.files...))
	// The worker's ends are its own now, or no one's: a result pipe whose
	// only writer is the worker ends when the worker does.
	pipes.theirTasks.Close()
	pipes.theirResults.Close()
	pipes.theirAssist.Close()
	if err != nil {
		pipes.tasks.Close()
		pipes.results.Close()
		pipes.assist.Close()
		return nil, w.fail(slotFile, mem, err)
	}
	p.mu.Lock()
	w.child, w.ctl, w.shm, w.slots = c, ctl, slotFile, mem
	w.tasks, w.w, w.results, w.r = pipes.tasks, wire.NewWriter(pipes.tasks), pipes.results, wire.NewReader(pipes.results, 0)
	w.assistR, w.ar = pipes.assist, wire.NewReader(pipes.assist, 0)
	p.mu.Unlock()
	got, err := wire.ReadHello(ctl, launch.MaxToken)
	if err == nil && string(got) != string(token) {
		err = errors.New("the worker answered with the wrong token")
	}
	var ready readyMsg
	if err == nil {
		var kind wire.Kind
		var payload []byte
		kind, payload, err = w.r.ReadFrame()
		if err == nil && kind != pw.KindReady {
			err = fmt.Errorf("unexpected frame of kind %d", kind)
		}
		if err == nil {
			payload, err = pw.ParseReady(payload)
		}
		if err == nil {
			err = unmarshalMsg(payload, &ready)
		}
	}
	if err != nil {
		_ = c.Signal(syscall.SIGKILL)
		<-c.Done()
		if code := c.ExitCode(); code == exitNoMain {
			err = ErrNoMain
		} else if launch.ChannelEnded(err) {
			err = &WorkerDiedError{Pid: c.Pid(), ExitCode: code, Reason: "before it was ready", Stderr: w.stderr.String()}
		}
		w.release()
		return nil, err
	}
	return &ready, nil
}

func (w *worker) fail(slotFile *os.File, mem []byte, err error) error {
	slotFile.Close()
	_ = shm.Unmap(mem)
	return err
}

// release frees the worker's shared page and control channel.
func (w *worker) release() {
	w.p.mu.Lock()
	w.closeOnce()
	w.p.mu.Unlock()
	_ = shm.Unmap(w.slots)
	w.shm.Close()
	w.results.Close()
	w.assistR.Close()
}

// The pipes of one worker: the parent writes tasks and reads results and
// assisted results; the worker gets the other ends.
type poolPipes struct {
	tasks, theirTasks     *os.File
	results, theirResults *os.File
	assist, theirAssist   *os.File
}

// poolPipeSize is the buffer of a worker's pipes: as much as a unix
// socket's, so that a stream of small tasks rarely waits for room, and
// small enough that many workers stay within the per-user pipe quota.
const poolPipeSize = 256 << 10

// workerPipes makes a worker's three pipes.
func workerPipes() (poolPipes, error) {
	var pp poolPipes
	var err error
	if pp.theirTasks, pp.tasks, err = bigPipe(poolPipeSize); err != nil {
		return pp, fmt.Errorf("make a task pipe: %w", err)
	}
	if pp.results, pp.theirResults, err = bigPipe(poolPipeSize); err != nil {
		pp.theirTasks.Close()
		pp.tasks.Close()
		return pp, fmt.Errorf("make a result pipe: %w", err)
	}
	// One task's frames at a time cross the assist pipe.
	if pp.assist, pp.theirAssist, err = os.Pipe(); err != nil {
		for _, f := range []*os.File{pp.tasks, pp.theirTasks, pp.results, pp.theirResults} {
			f.Close()
		}
		return pp, fmt.Errorf("make an assist pipe: %w", err)
	}
	return pp, nil
}
