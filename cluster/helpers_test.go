package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// A natsNode is a nats-server with JetStream that a child process runs
// (see natsServer), on loopback only.
type natsNode struct {
	Name     string
	Port     int    // clients
	StoreDir string // JetStream's, owned by the test
	// A member of a cluster listens for routes on ClusterPort and
	// dials Routes, the route ports of the other members.
	ClusterPort int
	Routes      []int
}

func (n natsNode) url() string { return "nats://127.0.0.1:" + strconv.Itoa(n.Port) }

// natsServer runs a nats-server until its context ends: the test stops it
// gracefully that way, or kills its process.
var natsServer = mp.Register("cluster-test-nats-server", func(ctx context.Context, n natsNode) (bool, error) {
	opts := &server.Options{
		ServerName: n.Name,
		Host:       "127.0.0.1",
		Port:       n.Port,
		JetStream:  true,
		StoreDir:   n.StoreDir,
		NoSigs:     true,
		NoLog:      true,
	}
	if n.ClusterPort != 0 {
		opts.Cluster = server.ClusterOpts{Name: "multitask-test", Host: "127.0.0.1", Port: n.ClusterPort}
		for _, p := range n.Routes {
			opts.Routes = append(opts.Routes, &url.URL{Scheme: "nats", Host: "127.0.0.1:" + strconv.Itoa(p)})
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return false, err
	}
	s.Start()
	defer func() {
		s.Shutdown()
		s.WaitForShutdown()
	}()
	if !s.ReadyForConnections(30 * time.Second) {
		return false, errors.New("the server did not become ready")
	}
	<-ctx.Done()
	return true, nil
})

// serveArgs configure a worker process (see serveWorker).
type serveArgs struct {
	URLs    string
	Workers int
	AckWait time.Duration
}

// serveWorker makes a child process a worker until its context ends.
var serveWorker = mp.Register("cluster-test-serve", func(ctx context.Context, a serveArgs) (bool, error) {
	err := cluster.Serve(ctx, cluster.Servers(a.URLs), cluster.Workers(a.Workers), cluster.AckWait(a.AckWait))
	return err == nil, err
})

// ran tells which process ran a task on which input.
type ran struct {
	In  int
	Pid int
}

// echoPid returns its input and its process id, after a few milliseconds
// of work; echoNow at once.
var (
	echoPid = mp.Register("cluster-test-echo-pid", func(ctx context.Context, x int) (ran, error) {
		time.Sleep(time.Duration(1+x%4) * time.Millisecond)
		return ran{x, os.Getpid()}, nil
	})
	echoNow = mp.Register("cluster-test-echo-now", func(ctx context.Context, x int) (ran, error) {
		return ran{x, os.Getpid()}, nil
	})
)

// A child is a process the test started, and what stops it.
type child struct {
	*mp.Process
	cancel context.CancelFunc
}

// spawn starts fn(in) in a child process.
func spawn[In, Out any](t *testing.T, fn *mp.Func[In, Out], in In) *child {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := mp.NewProcess(fn, in, mp.Context(ctx), mp.Grace(10*time.Second))
	if err := p.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", p.Name(), err)
	}
	return &child{p, cancel}
}

// stop cancels the child's context, which ends its function, and joins
// it; it kills a child that lingers.
func (c *child) stop(t *testing.T) {
	c.cancel()
	join, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if err := c.Join(join); errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s (pid %d) did not stop; killing it", c.Name(), c.Pid())
		_ = c.Kill()
		<-c.Done()
	}
}

// startProcess starts fn(in) in a child process, which the test's cleanup
// stops.
func startProcess[In, Out any](t *testing.T, fn *mp.Func[In, Out], in In) *mp.Process {
	t.Helper()
	c := spawn(t, fn, in)
	t.Cleanup(func() { c.stop(t) })
	return c.Process
}

// kill kills p with SIGKILL and waits until it has exited.
func kill(t *testing.T, p *mp.Process) {
	t.Helper()
	if err := p.Kill(); err != nil {
		t.Fatalf("kill %d: %v", p.Pid(), err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("pid %d did not die of SIGKILL", p.Pid())
	}
	if c := p.ExitCode(); c != -9 {
		t.Fatalf("pid %d exited with %d, want -9", p.Pid(), c)
	}
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// A natsProc is a server that a child process runs, started again when
// the test says so; the test's cleanup stops the last one.
type natsProc struct {
	node natsNode
	c    *child
}

// startNATS runs node in a child process and waits until it accepts
// clients.
func startNATS(t *testing.T, node natsNode) *natsProc {
	t.Helper()
	s := &natsProc{node: node}
	s.start(t)
	t.Cleanup(func() { s.c.stop(t) })
	return s
}

// start starts the server's process and waits until it accepts clients.
// The previous one, if any, must have exited.
func (s *natsProc) start(t *testing.T) {
	t.Helper()
	if s.c != nil && s.c.Alive() {
		t.Fatalf("server %s: pid %d still runs", s.node.Name, s.c.Pid())
	}
	s.c = spawn(t, natsServer, s.node)
	addr := "127.0.0.1:" + strconv.Itoa(s.node.Port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if !s.c.Alive() || time.Now().After(deadline) {
			t.Fatalf("server %s at %s did not start: %v", s.node.Name, addr, s.c.Join(context.Background()))
		}
	}
}

// kill kills the server's process.
func (s *natsProc) kill(t *testing.T) {
	t.Helper()
	kill(t, s.c.Process)
}

// connectReady is cluster.Connect retried while the servers' JetStream is
// not ready yet (a new cluster elects its leaders first); the cleanup shuts
// the executor down.
func connectReady(t *testing.T, urls string, opts ...cluster.Option) *cluster.Executor {
	t.Helper()
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var ex *cluster.Executor
		ex, err = cluster.Connect(ctx, urls, opts...)
		cancel()
		if err == nil {
			t.Cleanup(func() { shutdown(t, ex) })
			return ex
		}
	}
	t.Fatalf("Connect(%s): %v", urls, err)
	return nil
}

// shutdown shuts ex down, failing the test if that takes too long.
func shutdown(t *testing.T, ex *cluster.Executor) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ex.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// nodes describes n servers on fresh loopback ports with stores in the
// test's directory; with n > 1 they form a cluster.
func nodes(t *testing.T, n int) []natsNode {
	t.Helper()
	ports := freePorts(t, 2*n)
	dir := t.TempDir()
	ns := make([]natsNode, n)
	for i := range ns {
		ns[i] = natsNode{Name: fmt.Sprintf("n%d", i), Port: ports[i], StoreDir: filepath.Join(dir, strconv.Itoa(i))}
		if n > 1 {
			ns[i].ClusterPort = ports[n+i]
			for j := range n {
				if j != i {
					ns[i].Routes = append(ns[i].Routes, ports[n+j])
				}
			}
		}
	}
	return ns
}

func urls(ns []natsNode) string {
	us := make([]string, len(ns))
	for i, n := range ns {
		us[i] = n.url()
	}
	return strings.Join(us, ",")
}

// checkEchoes waits for every future of echo(i) and checks that each
// returned its own input, and that the executor counted each once.
func checkEchoes(t *testing.T, ex *cluster.Executor, fs []*futures.Future[ran], wait time.Duration) map[int]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	pids := make(map[int]int)
	var failed int
	for i, f := range fs {
		r, err := f.Result(ctx)
		if err != nil || r.In != i {
			if failed++; failed <= 10 {
				t.Errorf("task %d: %+v, %v", i, r, err)
			}
			continue
		}
		pids[r.Pid]++
	}
	if failed > 0 {
		t.Fatalf("%d of %d tasks failed or were lost", failed, len(fs))
	}
	if s := ex.Stats(); s.Submitted != int64(len(fs)) || s.Done != int64(len(fs)) || s.Failed != 0 || s.Dead != 0 {
		t.Fatalf("Stats: %+v; want %d submitted and done, none failed", s, len(fs))
	}
	return pids
}

// submitEchoes appends to fs the futures of echo(i) for i from len(fs)
// up to n.
func submitEchoes(fs []*futures.Future[ran], ex *cluster.Executor, echo *mp.Func[int, ran], n int) []*futures.Future[ran] {
	for i := len(fs); i < n; i++ {
		fs = append(fs, echo.Submit(context.Background(), ex, i))
	}
	return fs
}

// afterDone calls fn once k of fs have ended, or fails the test after
// wait.
func afterDone(t *testing.T, fs []*futures.Future[ran], k int, wait time.Duration, fn func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	n := 0
	for range futures.AsCompleted(ctx, fs) {
		if n++; n == k {
			fn()
			return
		}
	}
	t.Fatalf("only %d of %d tasks ended within %v", n, k, wait)
}

// hang writes its pid to the file at path and sleeps, deaf to its
// context: only a kill ends it.
var hang = mp.Register("cluster-test-hang", func(ctx context.Context, path string) (int, error) {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return 0, err
	}
	time.Sleep(time.Hour)
	return 0, nil
})

// hold marks in dir that its process began it, then waits for its
// context.
var hold = mp.Register("cluster-test-hold", func(ctx context.Context, dir string) (int, error) {
	if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644); err != nil {
		return 0, err
	}
	<-ctx.Done()
	return 0, context.Cause(ctx)
})

// ended waits until f has ended, or fails the test after wait, and
// returns its error.
func ended[T any](t *testing.T, f *futures.Future[T], wait time.Duration) error {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(wait):
		t.Fatalf("the task did not end within %v", wait)
	}
	_, err := f.Result(context.Background())
	return err
}

// jetStream connects to urls with opts, for a test's own look at the
// streams; the connection closes when the test ends.
func jetStream(t *testing.T, urls string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
