package cluster_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/mp"
)

// gates is the gate of the running test.
var gates atomic.Pointer[gateState]

type gateState struct {
	began chan int      // each run sends its argument
	open  chan struct{} // closed to let the runs return
}

func newGate(t *testing.T) *gateState {
	g := &gateState{began: make(chan int, 16), open: make(chan struct{})}
	gates.Store(g)
	t.Cleanup(func() { gates.CompareAndSwap(g, nil) })
	return g
}

var (
	// gate tells that it began, and returns once the test opens it.
	gate = mp.Register("cluster-test-gate", func(ctx context.Context, x int) (int, error) {
		g := gates.Load()
		g.began <- x
		select {
		case <-g.open:
			return x, nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	})
	twiceBut537 = mp.Register("cluster-test-twice-but-537", func(ctx context.Context, x int) (int, error) {
		if x == 537 {
			return 0, errAlways
		}
		return 2 * x, nil
	})
)

// newHub starts an executor whose embedded server listens on loopback and
// which runs no task itself: Serve's workers do.
func newHub(t *testing.T, opts ...cluster.Option) *cluster.Executor {
	t.Helper()
	return newExecutor(t, append([]cluster.Option{cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0)}, opts...)...)
}

// served is a Serve running in a goroutine.
type served struct {
	stop context.CancelFunc
	err  chan error
}

// serve starts Serve in a goroutine against url; the test's end stops it
// and waits for it.
func serve(t *testing.T, url string, opts ...cluster.Option) *served {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	s := &served{stop: stop, err: make(chan error, 1)}
	go func() { s.err <- cluster.Serve(ctx, append([]cluster.Option{cluster.Servers(url)}, opts...)...) }()
	t.Cleanup(func() {
		stop()
		if err := s.wait(t); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// wait returns what Serve returned, once it has.
func (s *served) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.err:
		s.err <- err // for a later wait
		return err
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return")
		return nil
	}
}

// eventually polls cond until it holds, and fails the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
	}
}

func TestServe(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t)
	s := serve(t, ex.ClientURL(), cluster.Workers(2), cluster.Grace(time.Minute))
	i := 0
	for v, err := range square.Map(ctx, ex, upTo(20)) {
		if err != nil || v != i*i {
			t.Fatalf("input %d: %v, %v", i, v, err)
		}
		i++
	}
	if i != 20 {
		t.Fatalf("%d results, want 20", i)
	}

	// A task that runs when Serve's ctx ends finishes before Serve
	// returns, and its result reaches the executor.
	g := newGate(t)
	f := gate.Submit(ctx, ex, 7)
	select {
	case <-g.began:
	case <-ctx.Done():
		t.Fatal("the task did not begin")
	}
	s.stop()
	select {
	case err := <-s.err:
		t.Fatalf("Serve returned %v while its task ran", err)
	default:
	}
	close(g.open)
	if err := s.wait(t); err != nil {
		t.Fatalf("Serve: %v, want nil", err)
	}
	if v, err := f.Result(ctx); err != nil || v != 7 {
		t.Fatalf("the task that ran at the stop: %v, %v; want 7", v, err)
	}
	// The server takes the acknowledgements in its own time.
	eventually(t, "no worker and nothing running after Serve returned", func() bool {
		s := ex.Stats()
		return s.Workers == 0 && s.Running == 0 && s.Queued == 0 && s.Err == nil
	})
}

// TestInMemory runs tasks through an embedded server that keeps every
// stream in memory, with the workers of Serve, which keep to that storage
// rather than asking for a file store the streams cannot change to.
func TestInMemory(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t, cluster.InMemory())
	serve(t, ex.ClientURL(), cluster.Workers(2))
	i := 0
	for v, err := range square.Map(ctx, ex, upTo(50)) {
		if err != nil || v != i*i {
			t.Fatalf("input %d: %v, %v", i, v, err)
		}
		i++
	}
	if i != 50 {
		t.Fatalf("%d results, want 50", i)
	}
	js := jetStream(t, ex.ClientURL())
	names := js.StreamNames(ctx)
	n := 0
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if st := s.CachedInfo().Config.Storage; st != jetstream.MemoryStorage {
			t.Errorf("stream %s is on %v, want memory", name, st)
		}
		n++
	}
	if names.Err() != nil || n < 4 {
		t.Fatalf("%d streams listed (%v); want the tasks, results and dead streams and the buckets", n, names.Err())
	}
}

// TestRetentionKept starts a worker without Retention against streams
// that an executor made with it: the worker keeps the streams' retention,
// where it used to set the default back. A worker that gives Retention
// sets its own.
func TestRetentionKept(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t, cluster.Retention(2*time.Hour))
	serve(t, ex.ClientURL(), cluster.Workers(1))
	if v, err := square.Submit(ctx, ex, 3).Result(ctx); err != nil || v != 9 {
		t.Fatalf("a task: %v, %v", v, err)
	}
	js := jetStream(t, ex.ClientURL())
	maxAges := func() map[string]time.Duration {
		ages := map[string]time.Duration{}
		for _, name := range []string{"MULTITASK_TASKS", "MULTITASK_RESULTS", "MULTITASK_DEAD"} {
			s, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			ages[name] = s.CachedInfo().Config.MaxAge
		}
		return ages
	}
	for name, age := range maxAges() {
		if age != 2*time.Hour {
			t.Errorf("%s keeps its messages %v after a worker without Retention started, want 2h", name, age)
		}
	}
	serve(t, ex.ClientURL(), cluster.Workers(1), cluster.Retention(3*time.Hour))
	eventually(t, "the second worker serves, with its Retention on the streams", func() bool {
		if ex.Stats().Workers != 2 {
			return false
		}
		for _, age := range maxAges() {
			if age != 3*time.Hour {
				return false
			}
		}
		return true
	})
}

// upTo yields 0 to n-1.
func upTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func TestOptionsInTheWrongPlace(t *testing.T) {
	ctx := bounded(t)
	ex := newExecutor(t, cluster.Workers(0))
	const url = "nats://127.0.0.1:4222" // never dialled: the options fail first
	for _, tc := range []struct {
		name, option string
		call         func() error
	}{
		{"Serve without servers", "Servers", func() error { return cluster.Serve(ctx) }},
		{"New with Servers", "Servers", func() error { return newErr(cluster.New(ctx, cluster.Servers(url))) }},
		{"New with UserInfo", "UserInfo", func() error { return newErr(cluster.New(ctx, cluster.UserInfo("a", "b"))) }},
		{"Connect with Servers", "Servers", func() error { return newErr(cluster.Connect(ctx, url, cluster.Servers(url))) }},
		{"Connect with Listen", "Listen", func() error { return newErr(cluster.Connect(ctx, url, cluster.Listen("127.0.0.1:0"))) }},
		{"Serve with Listen", "Listen", func() error { return cluster.Serve(ctx, cluster.Servers(url), cluster.Listen("127.0.0.1:0")) }},
		{"Connect with InMemory", "InMemory", func() error { return newErr(cluster.Connect(ctx, url, cluster.InMemory())) }},
		{"InMemory with StoreDir", "InMemory", func() error {
			return newErr(cluster.New(ctx, cluster.InMemory(), cluster.StoreDir(t.TempDir())))
		}},
		{"Serve with Timeout", "Timeout", func() error { return cluster.Serve(ctx, cluster.Servers(url), cluster.Timeout(time.Second)) }},
		{"With with Workers", "Workers", func() error { return newErr(ex.With(cluster.Workers(1))) }},
		{"With with Insecure", "Insecure", func() error { return newErr(ex.With(cluster.Insecure())) }},
		{"With with RetryIf", "RetryIf", func() error {
			return newErr(ex.With(cluster.RetryIf(func(error) bool { return true })))
		}},
		{"a negative Workers", "Workers", func() error { return newErr(cluster.New(ctx, cluster.Workers(-1))) }},
		{"a bad queue name", "Queue", func() error { return newErr(ex.With(cluster.Queue("a.b"))) }},
		{"the zero Option", "zero Option", func() error { return newErr(ex.With(cluster.Option{})) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !strings.Contains(err.Error(), tc.option) {
				t.Fatalf("error %v, want one that names %s", err, tc.option)
			}
			t.Log(err)
		})
	}
}

func TestQueueNames(t *testing.T) {
	ex := newExecutor(t, cluster.Workers(0))
	for name, ok := range map[string]bool{
		"default": true, "Q-1_b": true, "0": true,
		"": false, "a.b": false, "a b": false, "a*": false, "a>": false, "é": false, "a/b": false,
	} {
		if _, err := ex.With(cluster.Queue(name)); (err == nil) != ok {
			t.Errorf("Queue(%q): %v; want it taken: %v", name, err, ok)
		}
	}
}

// newErr is the error of a constructor, whose executor, if any, it shuts
// down.
func newErr(ex *cluster.Executor, err error) error {
	if ex != nil {
		ex.Shutdown(context.Background())
		return errors.New("no error")
	}
	return err
}

func TestStatsCountsWorkers(t *testing.T) {
	ex := newHub(t)
	a := serve(t, ex.ClientURL(), cluster.Workers(1))
	serve(t, ex.ClientURL(), cluster.Workers(3))
	workers := func(n int64) func() bool {
		return func() bool { s := ex.Stats(); return s.Err == nil && s.Workers == n }
	}
	eventually(t, "2 workers", workers(2))
	a.stop()
	if err := a.wait(t); err != nil {
		t.Fatal(err)
	}
	eventually(t, "1 worker after one Serve returned", workers(1))
}

// The queue's totals sum what each of its workers ended, and keep the
// counts of a worker that stopped.
func TestStatsCountsQueueTotals(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t)
	other, err := ex.With(cluster.Queue("other"))
	if err != nil {
		t.Fatal(err)
	}
	if s := ex.Stats(); s.Err != nil || s.QueueDone != 0 || s.QueueFailed != 0 {
		t.Fatalf("Stats before any worker: %+v", s)
	}
	totals := func(ex *cluster.Executor, done, failed int64) func() bool {
		return func() bool {
			s := ex.Stats()
			return s.Err == nil && s.QueueDone == done && s.QueueFailed == failed
		}
	}
	// run runs squares and failures, and waits for each to end.
	run := func(squares, failures int) {
		t.Helper()
		for i := range squares {
			if v, err := square.Submit(ctx, ex, i).Result(ctx); err != nil || v != i*i {
				t.Fatalf("square(%d): %v, %v", i, v, err)
			}
		}
		for i := range failures {
			if _, err := alwaysFail.Submit(ctx, ex, i).Result(ctx); !errors.Is(err, errAlways) {
				t.Fatalf("a failing task: %v, want errAlways", err)
			}
		}
	}
	a := serve(t, ex.ClientURL(), cluster.Workers(2))
	run(4, 2)
	eventually(t, "4 done and 2 failed", totals(ex, 4, 2))
	a.stop()
	if err := a.wait(t); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no worker", func() bool { s := ex.Stats(); return s.Err == nil && s.Workers == 0 })
	if s := ex.Stats(); s.QueueDone != 4 || s.QueueFailed != 2 {
		t.Fatalf("Stats after the worker stopped: %+v; want its 4 done and 2 failed", s)
	}
	serve(t, ex.ClientURL(), cluster.Workers(2))
	run(3, 1)
	eventually(t, "7 done and 3 failed, over two workers", totals(ex, 7, 3))
	if s := other.Stats(); s.Err != nil || s.QueueDone != 0 || s.QueueFailed != 0 {
		t.Fatalf("Stats of a queue without workers: %+v", s)
	}
}

func TestQueuesApart(t *testing.T) {
	ctx := bounded(t)
	countCalls.Store(0)
	failCalls.Store(0)
	ex := newHub(t)
	other, err := ex.With(cluster.Queue("other"))
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ex.ClientURL())
	f := count.Submit(ctx, other, 10)
	eventually(t, "the task queued on other", func() bool { s := other.Stats(); return s.Err == nil && s.Queued == 1 })
	// The worker of the default queue runs its tasks and leaves other's.
	if v, err := square.Submit(ctx, ex, 3).Result(ctx); err != nil || v != 9 {
		t.Fatalf("a task of the default queue: %v, %v", v, err)
	}
	if s := other.Stats(); s.Workers != 0 || s.Queued != 1 || s.Running != 0 {
		t.Fatalf("Stats of other: %+v", s)
	}
	eventually(t, "the default queue's worker counted", func() bool { s := ex.Stats(); return s.Workers == 1 && s.Queued == 0 })
	select {
	case <-f.Done():
		t.Fatal("a worker of the default queue ran a task of other")
	default:
	}
	if n := countCalls.Load(); n != 0 {
		t.Fatalf("%d runs of other's task", n)
	}

	serve(t, ex.ClientURL(), cluster.Queue("other"))
	if v, err := f.Result(ctx); err != nil || v != 11 {
		t.Fatalf("other's task: %v, %v; want 11", v, err)
	}

	// Dead tasks are kept per queue.
	otherRetried, err := other.With(cluster.Retries(1), cluster.Backoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alwaysFail.Submit(ctx, otherRetried, 1).Result(ctx); !errors.Is(err, errAlways) {
		t.Fatalf("a failing task: %v, want errAlways", err)
	}
	if n := failCalls.Load(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
	dead := deadTasks(t, other)
	if len(dead) != 1 || dead[0].Queue != "other" || dead[0].Func != alwaysFail.Name() || dead[0].Attempts != 2 ||
		!errors.Is(dead[0].Err(), errAlways) {
		t.Fatalf("dead tasks of other: %+v", dead)
	}
	if dead := deadTasks(t, ex); len(dead) != 0 {
		t.Fatalf("dead tasks of default: %+v", dead)
	}
	if s := other.Stats(); s.DeadTasks != 1 || s.Failed != 1 {
		t.Fatalf("Stats of other: %+v", s)
	}
	if s := ex.Stats(); s.DeadTasks != 0 {
		t.Fatalf("Stats of default: %+v", s)
	}
}

func deadTasks(t *testing.T, ex *cluster.Executor) []cluster.DeadTask {
	t.Helper()
	var dead []cluster.DeadTask
	for d, err := range ex.DeadTasks(bounded(t)) {
		if err != nil {
			t.Fatal(err)
		}
		dead = append(dead, d)
	}
	return dead
}

func TestRetryIfOnTheWorker(t *testing.T) {
	ctx := bounded(t)
	failCalls.Store(0)
	ex := newHub(t)
	serve(t, ex.ClientURL(), cluster.RetryIf(func(error) bool { return false }))
	retried, err := ex.With(cluster.Retries(3), cluster.Backoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alwaysFail.Submit(ctx, retried, 1).Result(ctx); !errors.Is(err, errAlways) {
		t.Fatalf("Result: %v, want errAlways", err)
	}
	if n := failCalls.Load(); n != 1 {
		t.Fatalf("%d runs, want 1: RetryIf said no", n)
	}
	if dead := deadTasks(t, ex); len(dead) != 0 {
		t.Fatalf("dead tasks after one attempt: %+v", dead)
	}
}

func TestChunkedMap(t *testing.T) {
	ctx := bounded(t)
	ex := newExecutor(t, cluster.Workers(4))
	i := 0
	for v, err := range twiceBut537.Map(ctx, ex, upTo(1000), mp.Chunk(10)) {
		if i == 537 {
			if !errors.Is(err, errAlways) {
				t.Fatalf("input 537: %v, %v; want errAlways", v, err)
			}
		} else if err != nil || v != 2*i {
			t.Fatalf("input %d: %v, %v; want %d", i, v, err, 2*i)
		}
		i++
	}
	if i != 1000 {
		t.Fatalf("%d results, want 1000", i)
	}
	if s := ex.Stats(); s.Submitted != 100 || s.Done != 100 {
		t.Fatalf("Stats: %+v; want 100 chunks", s)
	}
}
