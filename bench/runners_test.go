package bench_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/multitask-go/multitask/futures"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

// A runner is one library's way of running tasks, put in a common shape so
// that every benchmark drives each library alike. Each method uses the
// library the way its documentation suggests for that job; the comments on
// the adapters say where that means a new pool per batch. Methods are called
// from the benchmark goroutine only, and fail the benchmark through tb when
// the library reports an error.
type runner interface {
	// fire runs task(i) for every i in [0, n) and returns once every call
	// has returned. The tasks report nothing back through the library.
	fire(n int, task func(i int))
	// collect runs task(i) for every i in [0, n) and returns the sum of the
	// results as the library handed them back to the caller.
	collect(n int, task func(i int) int) int
	// roundTrip runs task on the pool, waits for it and returns its result.
	roundTrip(task func() int) int
	// close releases what open made and waits for its goroutines to exit.
	close()
}

// A library names a runner; the names are the sub-benchmark names that
// cmd/report looks for.
type library struct {
	name string
	open func(tb testing.TB, workers int) runner
}

var libraries = []library{
	{"multitask", openMultitask},
	{"ants", openAnts},
	{"pond", openPond},
	{"conc", openConc},
	{"errgroup", openErrgroup},
	{"chanpool", openChanpool},
}

// slots is result storage reused between batches by the libraries that hand
// results back only through memory the task writes.
type slots []int

func (s *slots) take(n int) []int {
	if cap(*s) < n {
		*s = make([]int, n)
	}
	return (*s)[:n]
}

// sumAndClear adds up out and zeroes it in the same pass, so that a task that
// never ran in the next batch shows up as a wrong sum.
func sumAndClear(out []int) int {
	sum := 0
	for i, v := range out {
		sum += v
		out[i] = 0
	}
	return sum
}

// multitask: one futures.ThreadPool reused for the whole benchmark. Tasks are
// submitted with context.Background, as the rivals take no context at all.
type multitaskRunner struct {
	tb testing.TB
	p  *futures.ThreadPool
	fs []*futures.Future[int] // reused between batches
}

func openMultitask(tb testing.TB, workers int) runner {
	return &multitaskRunner{tb: tb, p: futures.NewThreadPool(workers)}
}

// fire drops the futures and waits with a WaitGroup, as a Go user does for
// work whose outcome nobody reads.
func (m *multitaskRunner) fire(n int, task func(int)) {
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		futures.Submit(ctx, m.p, func(context.Context) (struct{}, error) {
			task(i)
			wg.Done()
			return struct{}{}, nil
		})
	}
	wg.Wait()
}

func (m *multitaskRunner) collect(n int, task func(int) int) int {
	ctx := context.Background()
	if cap(m.fs) < n {
		m.fs = make([]*futures.Future[int], n)
	}
	fs := m.fs[:n]
	for i := range n {
		fs[i] = futures.Submit(ctx, m.p, func(context.Context) (int, error) {
			return task(i), nil
		})
	}
	sum := 0
	for i, f := range fs {
		v, err := f.Result(ctx)
		if err != nil {
			m.tb.Fatalf("multitask: task %d: %v", i, err)
		}
		sum += v
		fs[i] = nil // let the future go before the next batch
	}
	return sum
}

func (m *multitaskRunner) roundTrip(task func() int) int {
	ctx := context.Background()
	v, err := futures.Submit(ctx, m.p, func(context.Context) (int, error) {
		return task(), nil
	}).Result(ctx)
	if err != nil {
		m.tb.Fatalf("multitask: %v", err)
	}
	return v
}

func (m *multitaskRunner) close() {
	if err := m.p.Shutdown(context.Background()); err != nil {
		m.tb.Errorf("multitask: shutdown: %v", err)
	}
}

// ants: one ants.Pool reused for the whole benchmark. Its Submit takes a
// func() and returns nothing to wait on, so results travel through memory
// (collect) or a channel (roundTrip), and a WaitGroup tells the end of a
// batch. With the default options Submit blocks while every worker is busy.
type antsRunner struct {
	tb  testing.TB
	p   *ants.Pool
	out slots
}

func openAnts(tb testing.TB, workers int) runner {
	p, err := ants.NewPool(workers)
	if err != nil {
		tb.Fatalf("ants: %v", err)
	}
	return &antsRunner{tb: tb, p: p}
}

func (a *antsRunner) submit(f func()) {
	if err := a.p.Submit(f); err != nil {
		a.tb.Fatalf("ants: submit: %v", err)
	}
}

func (a *antsRunner) fire(n int, task func(int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		a.submit(func() {
			task(i)
			wg.Done()
		})
	}
	wg.Wait()
}

func (a *antsRunner) collect(n int, task func(int) int) int {
	out := a.out.take(n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		a.submit(func() {
			out[i] = task(i)
			wg.Done()
		})
	}
	wg.Wait()
	return sumAndClear(out)
}

// roundTrip makes a channel per call: it plays the part of the future that
// the other libraries allocate per task.
func (a *antsRunner) roundTrip(task func() int) int {
	done := make(chan int, 1)
	a.submit(func() { done <- task() })
	return <-done
}

func (a *antsRunner) close() {
	if err := a.p.ReleaseTimeout(10 * time.Second); err != nil {
		a.tb.Errorf("ants: release: %v", err)
	}
}

// pond: one pond.Pool for fire and one pond.ResultPool[int] for the rest,
// both reused for the whole benchmark (only one is busy at a time). fire uses
// Go, pond's submit-without-a-handle, and a WaitGroup; collect and roundTrip
// wait on the ResultTask that Submit returns, pond's future.
type pondRunner struct {
	tb    testing.TB
	p     pond.Pool
	rp    pond.ResultPool[int]
	tasks []pond.ResultTask[int] // reused between batches
}

func openPond(tb testing.TB, workers int) runner {
	return &pondRunner{tb: tb, p: pond.NewPool(workers), rp: pond.NewResultPool[int](workers)}
}

func (p *pondRunner) fire(n int, task func(int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		err := p.p.Go(func() {
			task(i)
			wg.Done()
		})
		if err != nil {
			p.tb.Fatalf("pond: go: %v", err)
		}
	}
	wg.Wait()
}

func (p *pondRunner) collect(n int, task func(int) int) int {
	if cap(p.tasks) < n {
		p.tasks = make([]pond.ResultTask[int], n)
	}
	ts := p.tasks[:n]
	for i := range n {
		ts[i] = p.rp.Submit(func() int { return task(i) })
	}
	sum := 0
	for i, t := range ts {
		v, err := t.Wait()
		if err != nil {
			p.tb.Fatalf("pond: task %d: %v", i, err)
		}
		sum += v
		ts[i] = nil
	}
	return sum
}

func (p *pondRunner) roundTrip(task func() int) int {
	v, err := p.rp.Submit(task).Wait()
	if err != nil {
		p.tb.Fatalf("pond: %v", err)
	}
	return v
}

func (p *pondRunner) close() {
	p.p.StopAndWait()
	p.rp.StopAndWait()
}

// conc: its pools are single-use by design (Wait closes the pool), so every
// batch, and every round trip, builds a new pool limited to the same number
// of goroutines. That construction is part of what is measured.
type concRunner struct {
	tb      testing.TB
	workers int
}

func openConc(tb testing.TB, workers int) runner {
	return &concRunner{tb: tb, workers: workers}
}

func (c *concRunner) fire(n int, task func(int)) {
	p := pool.New().WithMaxGoroutines(c.workers)
	for i := range n {
		p.Go(func() { task(i) })
	}
	p.Wait()
}

// collect uses ResultPool, whose Wait returns the results in the order the
// tasks finished, which is enough for a sum.
func (c *concRunner) collect(n int, task func(int) int) int {
	p := pool.NewWithResults[int]().WithMaxGoroutines(c.workers)
	for i := range n {
		p.Go(func() int { return task(i) })
	}
	res := p.Wait()
	if len(res) != n {
		c.tb.Fatalf("conc: %d results for %d tasks", len(res), n)
	}
	sum := 0
	for _, v := range res {
		sum += v
	}
	return sum
}

// roundTrip is a one-task ResultPool: conc has no long-lived pool to submit
// to, so this is how a conc user runs one task and waits for its result.
func (c *concRunner) roundTrip(task func() int) int {
	p := pool.NewWithResults[int]().WithMaxGoroutines(c.workers)
	p.Go(task)
	res := p.Wait()
	if len(res) != 1 {
		c.tb.Fatalf("conc: %d results for 1 task", len(res))
	}
	return res[0]
}

func (c *concRunner) close() {}

// errgroup: a Group with SetLimit is per batch by design (it describes one
// overall task, and Wait ends it), so each batch, and each round trip, uses a
// new Group. Group.Go starts a goroutine per task once a slot is free;
// results travel through memory the task writes.
type errgroupRunner struct {
	tb      testing.TB
	workers int
	out     slots
}

func openErrgroup(tb testing.TB, workers int) runner {
	return &errgroupRunner{tb: tb, workers: workers}
}

func (e *errgroupRunner) fire(n int, task func(int)) {
	var g errgroup.Group
	g.SetLimit(e.workers)
	for i := range n {
		g.Go(func() error {
			task(i)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		e.tb.Fatalf("errgroup: %v", err)
	}
}

func (e *errgroupRunner) collect(n int, task func(int) int) int {
	out := e.out.take(n)
	var g errgroup.Group
	g.SetLimit(e.workers)
	for i := range n {
		g.Go(func() error {
			out[i] = task(i)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		e.tb.Fatalf("errgroup: %v", err)
	}
	return sumAndClear(out)
}

func (e *errgroupRunner) roundTrip(task func() int) int {
	var g errgroup.Group
	g.SetLimit(e.workers)
	var v int
	g.Go(func() error {
		v = task()
		return nil
	})
	if err := g.Wait(); err != nil {
		e.tb.Fatalf("errgroup: %v", err)
	}
	return v
}

func (e *errgroupRunner) close() {}

// chanpool is the floor: workers goroutines ranging over one buffered
// channel of func(), reused for the whole benchmark, with no futures, no
// panic handling and no bookkeeping. Results travel as they do with ants.
type chanpoolRunner struct {
	tasks chan func()
	wg    sync.WaitGroup
	out   slots
}

// chanpoolBuffer is the channel's capacity: deep enough that the submitter
// rarely waits for a worker to take a task.
const chanpoolBuffer = 1024

func openChanpool(_ testing.TB, workers int) runner {
	c := &chanpoolRunner{tasks: make(chan func(), chanpoolBuffer)}
	c.wg.Add(workers)
	for range workers {
		go func() {
			defer c.wg.Done()
			for f := range c.tasks {
				f()
			}
		}()
	}
	return c
}

func (c *chanpoolRunner) fire(n int, task func(int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		c.tasks <- func() {
			task(i)
			wg.Done()
		}
	}
	wg.Wait()
}

func (c *chanpoolRunner) collect(n int, task func(int) int) int {
	out := c.out.take(n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		c.tasks <- func() {
			out[i] = task(i)
			wg.Done()
		}
	}
	wg.Wait()
	return sumAndClear(out)
}

func (c *chanpoolRunner) roundTrip(task func() int) int {
	done := make(chan int, 1)
	c.tasks <- func() { done <- task() }
	return <-done
}

func (c *chanpoolRunner) close() {
	close(c.tasks)
	c.wg.Wait()
}
