package clusterbench_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// clusterWindow bounds the tasks a throughput benchmark of the Cluster
// group has submitted that have not ended, the raw loop's as the
// executor's.
const clusterWindow = 1024

// clusterWarmUp tasks run untimed once a setup is up, so that streams,
// consumers and workers are warm.
const clusterWarmUp = 200

// rawJSTaskBytes is the size of a task of the raw JetStream loop.
const rawJSTaskBytes = 100

// The raw JetStream loop's names, apart from the executor's.
const (
	rawJSTasks        = "BENCH_RAW_TASKS"
	rawJSResults      = "BENCH_RAW_RESULTS"
	rawJSTaskSubject  = "bench.raw.tasks"
	rawJSResultSubj   = "bench.raw.results"
	rawJSReadySubject = "bench.raw.ready"
	rawJSWorkers      = "workers"
)

var (
	clusterSquare = mp.Register("bench-cluster-square", func(ctx context.Context, x int) (int, error) {
		return x * x, nil
	})
	// clusterBlocked is told when clusterBlock begins. The cancel benchmark
	// runs it on New's own workers, goroutines of this process.
	clusterBlocked = make(chan struct{}, 1)
	clusterBlock   = mp.Register("bench-cluster-block", func(ctx context.Context, _ int) (int, error) {
		select {
		case clusterBlocked <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	// clusterServe is a worker process of the executor at url.
	clusterServe = mp.Register("bench-cluster-serve", func(ctx context.Context, url string) (struct{}, error) {
		return struct{}{}, cluster.Serve(ctx, cluster.Servers(url))
	})
	// rawJSWorker is a worker process of the raw JetStream loop, shaped as
	// a Serve worker with its default slots: 4 × GOMAXPROCS tasks at a
	// time, fetched in one pull request per batch of slots that came free
	// together; a task's slot is free as soon as it is fetched (its
	// function has nothing to do), then its result (its first 8 bytes) is
	// published, the PubAck awaited, and the task acked, at most
	// 4 × slots + 64 of them at a time. It says when it is ready and
	// returns the tasks it ran.
	rawJSWorker = mp.Register("bench-rawjs-worker", func(ctx context.Context, url string) (int64, error) {
		nc, err := nats.Connect(url)
		if err != nil {
			return 0, err
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return 0, err
		}
		cons, err := js.Consumer(ctx, rawJSTasks, rawJSWorkers)
		if err != nil {
			return 0, err
		}
		if err := errors.Join(nc.Publish(rawJSReadySubject, nil), nc.Flush()); err != nil {
			return 0, err
		}
		w := &rawJSLoop{js: js, cons: cons, slots: make(chan struct{}, 4*runtime.GOMAXPROCS(0))}
		w.tail = make(chan struct{}, 4*cap(w.slots)+64)
		w.run(ctx)
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.ran, w.fail
	})
)

// rawJSLoop is rawJSWorker's loop.
type rawJSLoop struct {
	js    jetstream.JetStream
	cons  jetstream.Consumer
	slots chan struct{} // a token per task asked for and not yet fetched
	tail  chan struct{} // a token per task whose result is on its way
	wg    sync.WaitGroup

	mu   sync.Mutex // guards ran and fail
	ran  int64
	fail error
}

// run fetches and runs tasks until ctx ends, then waits for those it has.
func (w *rawJSLoop) run(ctx context.Context) {
	defer w.wg.Wait()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < cap(w.slots) {
			select {
			case w.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		w.wg.Add(1)
		go w.fetch(ctx, n)
	}
}

// fetch pulls up to n tasks and runs each in a goroutine; it gives back
// the slots of those that did not come.
func (w *rawJSLoop) fetch(ctx context.Context, n int) {
	defer w.wg.Done()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	batch, err := w.cons.Fetch(n, jetstream.FetchContext(fctx))
	if err != nil {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		w.release(n)
		return
	}
	got := 0
	for msg := range batch.Messages() {
		got++
		w.wg.Go(func() {
			w.release(1)
			w.tail <- struct{}{}
			defer func() { <-w.tail }()
			_, err := w.js.Publish(ctx, rawJSResultSubj, msg.Data()[:8])
			if err == nil {
				err = msg.Ack()
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if err == nil {
				w.ran++
			} else if w.fail == nil && ctx.Err() == nil {
				w.fail = err
			}
		})
	}
	w.release(n - got)
}

func (w *rawJSLoop) release(n int) {
	for range n {
		<-w.slots
	}
}

// BenchmarkCluster measures the cluster executor in tasks/s, at most
// clusterWindow tasks unfinished at a time, each the square of an int:
//
//   - rawjs, the floor: what the executor does per task, done with
//     JetStream alone. An embedded nats-server on loopback, a work-queue
//     stream of tasks and a stream of results, both on files; the
//     benchmark publishes 100-byte tasks with PublishAsync, reads the
//     results with an ordered consumer and purges them; two worker
//     processes fetch, publish results and ack tasks as Serve's workers do
//     (see rawJSWorker). It leaves out what the executor adds: the claim
//     in the key-value bucket, the headers, the codec and the futures.
//   - procs: New listening on loopback with no workers of its own, and two
//     worker processes running Serve.
//   - inproc: New as it comes: an embedded server and goroutine workers.
//   - r1 and r3: three embedded nats-servers in this process, joined by
//     routes, and Connect with as many workers of its own as New has by
//     default, the streams kept by one server (Replicas(1)) or by all
//     three (Replicas(3)).
//
// And in p50-ns and p99-ns, on New as it comes:
//
//   - roundtrip: one task at a time, Submit then Result;
//   - roundtrip-mem: the same on New with InMemory, whose work queue costs
//     no block file each time it runs empty;
//   - new: New until it returns, ready (Shutdown is not timed);
//   - cancel: a running task's context is cancelled; the time until its
//     future is done.
//
// Each sub-benchmark starts its servers and processes on its first run and
// stops them after its last; a run that measures throughput runs b.N
// tasks. python/dask_tasks.py runs the same tasks on Dask.
func BenchmarkCluster(b *testing.B) {
	ctx := context.Background()
	shared(b, "rawjs", startRawJS, func(b *testing.B, e *rawJS) { e.run(b) })
	shared(b, "procs", startServeProcs, throughput)
	shared(b, "inproc", startInProc, throughput)
	shared(b, "procs-map", startServeProcs, mapThroughput)
	shared(b, "inproc-map", startInProc, mapThroughput)
	shared(b, "roundtrip", startInProc, roundTrips)
	shared(b, "roundtrip-mem", startInMemory, roundTrips)
	b.Run("new", func(b *testing.B) {
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			ex, err := cluster.New(ctx)
			times = append(times, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			if err := ex.Shutdown(ctx); err != nil {
				b.Fatal(err)
			}
		}
		reportP50P99(b, times)
	})
	shared(b, "cancel", startInProc, func(b *testing.B, ex *cluster.Executor) {
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			tctx, cancel := context.WithCancel(ctx)
			f := clusterBlock.Submit(tctx, ex, 0)
			select {
			case <-clusterBlocked:
			case <-time.After(time.Minute):
				cancel()
				b.Fatal("the blocking task did not start within a minute")
			}
			t0 := time.Now()
			cancel()
			<-f.Done()
			times = append(times, time.Since(t0))
			if _, err := f.Result(ctx); !errors.Is(err, context.Canceled) {
				b.Fatalf("cancelled task: %v, want context.Canceled", err)
			}
		}
		reportP50P99(b, times)
	})
	shared(b, "r1", func() (*cluster.Executor, func() error, error) { return startRoutes(1) }, throughput)
	shared(b, "r3", func() (*cluster.Executor, func() error, error) { return startRoutes(3) }, throughput)
}

// roundTrips runs one task at a time through ex, Submit then Result, and
// reports the p50 and p99 of their times.
func roundTrips(b *testing.B, ex *cluster.Executor) {
	ctx := context.Background()
	times := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if v, err := clusterSquare.Submit(ctx, ex, i).Result(ctx); err != nil || v != i*i {
			b.Fatalf("task %d: %d, %v", i, v, err)
		}
		times = append(times, time.Since(t0))
	}
	reportP50P99(b, times)
}

// shared runs the sub-benchmark name with what setup starts, started on
// its first run and stopped after its last: go test runs a sub-benchmark
// once per b.N it tries. A setup that fails fails the sub-benchmark.
func shared[E any](b *testing.B, name string, setup func() (E, func() error, error), run func(*testing.B, E)) {
	var (
		env  E
		stop func() error
	)
	b.Run(name, func(b *testing.B) {
		if stop == nil {
			e, s, err := setup()
			if err != nil {
				b.Fatal(err)
			}
			env, stop = e, s
			b.ResetTimer()
		}
		run(b, env)
	})
	if stop != nil {
		if err := stop(); err != nil {
			b.Errorf("%s: stop: %v", name, err)
		}
	}
}

// throughput runs b.N tasks through ex and reports tasks/s.
func throughput(b *testing.B, ex *cluster.Executor) {
	start := time.Now()
	if err := submitWindowed(ex, b.N); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// mapThroughput runs b.N tasks through ex with Map, which sends them in
// chunks, and reports tasks/s.
func mapThroughput(b *testing.B, ex *cluster.Executor) {
	ctx := context.Background()
	start := time.Now()
	i := 0
	for v, err := range clusterSquare.Map(ctx, ex, func(yield func(int) bool) {
		for j := range b.N {
			if !yield(j) {
				return
			}
		}
	}) {
		if err != nil || v != i*i {
			b.Fatalf("task %d: %d, %v", i, v, err)
		}
		i++
	}
	if i != b.N {
		b.Fatalf("Map yielded %d results of %d", i, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// submitWindowed submits n tasks to ex, at most clusterWindow of them
// unfinished at a time, and checks every result.
func submitWindowed(ex futures.Executor, n int) error {
	ctx := context.Background()
	room := make(chan struct{}, clusterWindow)
	fs := make(chan *futures.Future[int], clusterWindow)
	errc := make(chan error, 1)
	go func() {
		var first error
		i := 0
		for f := range fs {
			v, err := f.Result(ctx)
			if err == nil && v != i*i {
				err = fmt.Errorf("task %d: %d, want %d", i, v, i*i)
			}
			if first == nil && err != nil {
				first = fmt.Errorf("task %d: %w", i, err)
			}
			i++
			<-room
		}
		errc <- first
	}()
	for i := range n {
		room <- struct{}{}
		fs <- clusterSquare.Submit(ctx, ex, i)
	}
	close(fs)
	return <-errc
}

// reportP50P99 reports the median and the 99th percentile of times as
// p50-ns and p99-ns.
func reportP50P99(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	at := func(q float64) float64 { // nearest rank
		i := max(int(math.Ceil(q*float64(len(times))))-1, 0)
		return float64(times[i].Nanoseconds())
	}
	b.ReportMetric(at(0.5), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

// startInProc starts New as it comes, warmed up.
func startInProc() (*cluster.Executor, func() error, error) { return startNew() }

// startInMemory starts New with InMemory, warmed up.
func startInMemory() (*cluster.Executor, func() error, error) { return startNew(cluster.InMemory()) }

// startNew starts New with opts, warmed up.
func startNew(opts ...cluster.Option) (*cluster.Executor, func() error, error) {
	ex, err := cluster.New(context.Background(), opts...)
	if err != nil {
		return nil, nil, err
	}
	return warmed(ex, nil)
}

// warmed runs clusterWarmUp tasks through ex, which stop (with more to
// stop after ex, or nil) stops; when they fail, it stops ex at once.
func warmed(ex *cluster.Executor, more func() error) (*cluster.Executor, func() error, error) {
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := ex.Shutdown(ctx)
		if more != nil {
			err = errors.Join(err, more())
		}
		return err
	}
	if err := submitWindowed(ex, clusterWarmUp); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("warm-up: %w", err), stop())
	}
	return ex, stop, nil
}

// startServeProcs starts New listening on loopback without workers of its
// own, and two worker processes that run Serve against it.
func startServeProcs() (*cluster.Executor, func() error, error) {
	ctx := context.Background()
	ex, err := cluster.New(ctx, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0))
	if err != nil {
		return nil, nil, err
	}
	procs, stopProcs, err := startWorkers(clusterServe, ex.ClientURL())
	if err == nil {
		err = waitFor(procs, func() bool { return ex.Stats().Workers == 2 })
	}
	// The workers go first, so that none is left without its server.
	shutdown := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return ex.Shutdown(ctx)
	}
	if err != nil {
		return nil, nil, errors.Join(err, stopProcs(), shutdown())
	}
	stop := func() error { return errors.Join(stopProcs(), shutdown()) }
	if err := submitWindowed(ex, clusterWarmUp); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("warm-up: %w", err), stop())
	}
	return ex, stop, nil
}

// startWorkers starts two processes that run fn(url) until stop ends them.
func startWorkers[Out any](fn *mp.Func[string, Out], url string) ([]*mp.Process, func() error, error) {
	ctx, cancel := context.WithCancel(context.Background())
	var procs []*mp.Process
	stop := func() error {
		cancel()
		var errs []error
		for _, p := range procs {
			jctx, jcancel := context.WithTimeout(context.Background(), time.Minute)
			err := p.Join(jctx)
			jcancel()
			if err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("worker process %d: %w", p.Pid(), err))
			}
		}
		return errors.Join(errs...)
	}
	for range 2 {
		p := mp.NewProcess(fn, url, mp.Context(ctx))
		if err := p.Start(); err != nil {
			return nil, nil, errors.Join(err, stop())
		}
		procs = append(procs, p)
	}
	return procs, stop, nil
}

// waitFor polls ready until it holds, for at most a minute, and fails
// early when one of procs has exited.
func waitFor(procs []*mp.Process, ready func() bool) error {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ready() {
			return nil
		}
		for _, p := range procs {
			if !p.Alive() {
				return fmt.Errorf("worker process %d exited: %w", p.Pid(), p.Join(context.Background()))
			}
		}
	}
	return errors.New("the worker processes were not ready within a minute")
}

// startRoutes starts three nats-servers joined by routes, each with
// JetStream in a directory of its own, and Connect to them with workers of
// its own and the streams kept by replicas servers.
func startRoutes(replicas int) (*cluster.Executor, func() error, error) {
	var (
		srvs []*server.Server
		dirs []string
	)
	stopServers := func() error {
		for _, s := range srvs {
			s.Shutdown()
			s.WaitForShutdown()
		}
		var errs []error
		for _, d := range dirs {
			errs = append(errs, os.RemoveAll(d))
		}
		return errors.Join(errs...)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, nil, err
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	var urls []string
	for i, port := range ports {
		dir, err := os.MkdirTemp("", "bench-jetstream-")
		if err != nil {
			return nil, nil, errors.Join(err, stopServers())
		}
		dirs = append(dirs, dir)
		s, err := startServer(&server.Options{
			ServerName: fmt.Sprintf("bench-%d", i),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   dir,
			Cluster:    server.ClusterOpts{Name: "bench", Host: "127.0.0.1", Port: port},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			return nil, nil, errors.Join(err, stopServers())
		}
		srvs = append(srvs, s)
		urls = append(urls, s.ClientURL())
	}
	// JetStream answers once the servers have elected its leader.
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(srvs, (*server.Server).JetStreamIsLeader) {
		if time.Now().After(deadline) {
			return nil, nil, errors.Join(errors.New("the three servers elected no JetStream leader within a minute"), stopServers())
		}
		time.Sleep(10 * time.Millisecond)
	}
	workers := 4 * runtime.GOMAXPROCS(0) // New's default
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ex, err := cluster.Connect(ctx, strings.Join(urls, ","), cluster.Replicas(replicas), cluster.Workers(workers))
		cancel()
		if err == nil {
			return warmed(ex, stopServers)
		}
		if time.Now().After(deadline) {
			return nil, nil, errors.Join(fmt.Errorf("the three servers were not ready within a minute: %w", err), stopServers())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePorts returns n ports on loopback that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	return ports, nil
}

// startServer starts a nats-server with opts, quiet, and waits until it
// accepts clients.
func startServer(opts *server.Options) (*server.Server, error) {
	opts.NoSigs, opts.NoLog = true, true
	opts.JetStreamMaxStore, opts.JetStreamMaxMemory = -1, -1
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("nats-server %s was not ready within 10s", opts.ServerName)
	}
	return s, nil
}

// rawJS is the raw JetStream loop, as the benchmark sees it.
type rawJS struct {
	js      jetstream.JetStream
	results jetstream.Stream
}

// startRawJS starts an embedded nats-server on loopback with the streams
// and consumers of the raw loop, and its two worker processes.
func startRawJS() (*rawJS, func() error, error) {
	dir, err := os.MkdirTemp("", "bench-jetstream-")
	if err != nil {
		return nil, nil, err
	}
	s, err := startServer(&server.Options{
		ServerName: "bench-raw",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   dir,
	})
	if err != nil {
		return nil, nil, errors.Join(err, os.RemoveAll(dir))
	}
	var (
		nc        *nats.Conn
		stopProcs func() error
	)
	stop := func() error {
		var errs []error
		if stopProcs != nil {
			errs = append(errs, stopProcs())
		}
		if nc != nil {
			nc.Close()
		}
		s.Shutdown()
		s.WaitForShutdown()
		return errors.Join(append(errs, os.RemoveAll(dir))...)
	}
	fail := func(err error) (*rawJS, func() error, error) { return nil, nil, errors.Join(err, stop()) }

	if nc, err = nats.Connect(s.ClientURL()); err != nil {
		return fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	e := &rawJS{js: js}
	// As the executor's streams, on files: the tasks in a work queue that
	// the workers share, the results kept until the reader purges them.
	tasks, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: rawJSTasks, Subjects: []string{rawJSTaskSubject},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fail(err)
	}
	if _, err := tasks.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: rawJSWorkers, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: -1, MaxWaiting: 4096,
	}); err != nil {
		return fail(err)
	}
	if e.results, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name: rawJSResults, Subjects: []string{rawJSResultSubj},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
	}); err != nil {
		return fail(err)
	}
	ready, err := nc.SubscribeSync(rawJSReadySubject)
	if err != nil {
		return fail(err)
	}
	procs, sp, err := startWorkers(rawJSWorker, s.ClientURL())
	if err != nil {
		return fail(err)
	}
	stopProcs = sp
	for range procs {
		if _, err := ready.NextMsg(time.Minute); err != nil {
			return fail(fmt.Errorf("a raw worker process did not get ready: %w", err))
		}
	}
	if err := ready.Unsubscribe(); err != nil {
		return fail(err)
	}
	if err := e.tasks(clusterWarmUp); err != nil {
		return fail(fmt.Errorf("warm-up: %w", err))
	}
	return e, stop, nil
}

// run runs b.N tasks through the raw loop and reports tasks/s.
func (e *rawJS) run(b *testing.B) {
	start := time.Now()
	if err := e.tasks(b.N); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// tasks publishes n tasks, at most clusterWindow of them without their
// result at a time, reads and checks the results with an ordered consumer,
// then purges them.
func (e *rawJS) tasks(n int) error {
	ctx := context.Background()
	cons, err := e.results.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	room := make(chan struct{}, clusterWindow)
	done := make(chan struct{})
	var (
		got, sum int // set by the handler alone, read after done
		bad      error
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if len(m.Data()) != 8 && bad == nil {
			bad = fmt.Errorf("a result of %d bytes", len(m.Data()))
		}
		if len(m.Data()) == 8 {
			sum += int(binary.LittleEndian.Uint64(m.Data()))
		}
		select {
		case <-room:
		default: // a result of no task of this run
		}
		if got++; got == n {
			close(done)
		}
	}, jetstream.PullMaxMessages(clusterWindow))
	if err != nil {
		return err
	}
	defer cc.Stop()
	for i := range n {
		room <- struct{}{}
		task := make([]byte, rawJSTaskBytes)
		binary.LittleEndian.PutUint64(task, uint64(i))
		if _, err := e.js.PublishAsync(rawJSTaskSubject, task); err != nil {
			return err
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		return fmt.Errorf("%d of %d results came within a minute of the last task", n-len(room), n)
	}
	if want := n * (n - 1) / 2; bad == nil && sum != want {
		bad = fmt.Errorf("the results' sum is %d, want %d", sum, want)
	}
	return errors.Join(bad, e.results.Purge(ctx))
}
