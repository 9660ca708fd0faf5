package cluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
)

// With Processes, a task past its Timeout that ignores its context is
// killed with its worker process; its future fails with
// context.DeadlineExceeded and the pool goes on with a new process.
func TestTimeoutKillsProcess(t *testing.T) {
	ex := newExecutor(t, cluster.Processes(), cluster.Workers(1), cluster.Grace(100*time.Millisecond))
	// A worker process that has started, so that the task's 100ms are
	// the task's own; the tasks around it have no timeout, since theirs
	// would count the start of a worker process too.
	if v, err := square.Submit(context.Background(), ex, 3).Result(context.Background()); err != nil || v != 9 {
		t.Fatalf("square: %v, %v", v, err)
	}
	timed, err := ex.With(cluster.Timeout(100 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pid")
	err = ended(t, hang.Submit(context.Background(), timed, path), 30*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Result: %v, want DeadlineExceeded", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil || pid == os.Getpid() {
		t.Fatalf("the task ran in pid %q, want a worker process", b)
	}
	eventually(t, "the hung worker process is gone", func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
	if v, err := square.Submit(context.Background(), ex, 7).Result(context.Background()); err != nil || v != 49 {
		t.Fatalf("after the kill: %v, %v; want 49", v, err)
	}
}

// A task that no worker starts within its QueueTimeout fails with
// ErrQueueTimeout, and leaves the stream.
func TestQueueTimeout(t *testing.T) {
	ex := newHub(t)
	qt, err := ex.With(cluster.QueueTimeout(200 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := ended(t, square.Submit(context.Background(), qt, 3), 30*time.Second); !errors.Is(err, cluster.ErrQueueTimeout) {
		t.Fatalf("Result: %v, want ErrQueueTimeout", err)
	}
	js := jetStream(t, ex.ClientURL())
	eventually(t, "the task leaves the stream", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, "MULTITASK_TASKS")
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs == 0 && info.State.LastSeq == 1
	})
	if s := ex.Stats(); s.Failed != 1 || s.Queued != 0 {
		t.Fatalf("Stats: %+v", s)
	}
}

// QueueSize bounds the tasks that have not ended: with FailFast a Submit
// beyond it fails with ErrQueueFull; without, it waits for a task to end,
// or for its context.
func TestQueueSize(t *testing.T) {
	ctx := context.Background()
	ex := newExecutor(t, cluster.Workers(0))
	var queued []*futures.Future[int]
	t.Cleanup(func() {
		for _, f := range queued {
			f.Cancel() // no worker: Shutdown would wait for them
		}
	})

	ff, err := ex.With(cluster.QueueSize(2), cluster.FailFast())
	if err != nil {
		t.Fatal(err)
	}
	queued = append(queued, square.Submit(ctx, ff, 1), square.Submit(ctx, ff, 2))
	if err := ended(t, square.Submit(ctx, ff, 3), 10*time.Second); !errors.Is(err, cluster.ErrQueueFull) {
		t.Fatalf("third Submit with FailFast: %v, want ErrQueueFull", err)
	}

	qs, err := ex.With(cluster.QueueSize(2))
	if err != nil {
		t.Fatal(err)
	}
	queued = append(queued, square.Submit(ctx, qs, 1), square.Submit(ctx, qs, 2))
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	f := square.Submit(sctx, qs, 3)
	if sctx.Err() == nil {
		t.Fatal("the third Submit returned before its context ended")
	}
	if err := ended(t, f, 10*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Submit: %v, want DeadlineExceeded", err)
	}

	// A task that ends makes room for a Submit that waits.
	submitted := make(chan *futures.Future[int], 1)
	go func() { submitted <- square.Submit(ctx, qs, 4) }()
	select {
	case f := <-submitted:
		queued = append(queued, f)
		t.Fatal("Submit did not wait for room")
	case <-time.After(100 * time.Millisecond):
	}
	if !queued[2].Cancel() {
		t.Fatal("Cancel of a queued task returned false")
	}
	select {
	case f := <-submitted:
		queued = append(queued, f)
	case <-time.After(10 * time.Second):
		t.Fatal("Submit still waits after a task ended")
	}
}

// A task whose workers die each time it runs is dead once its deliveries
// run out: its future fails with ErrDead, and DeadTasks lists it.
func TestDeadTask(t *testing.T) {
	ex := newHub(t, cluster.AckWait(time.Second))
	once, err := ex.With(cluster.Redeliveries(1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := hold.Submit(context.Background(), once, dir)
	args := serveArgs{URLs: ex.ClientURL(), Workers: 1, AckWait: time.Second}
	for range 2 {
		w := startProcess(t, serveWorker, args)
		eventually(t, "a worker begins the task", func() bool {
			_, err := os.Stat(filepath.Join(dir, strconv.Itoa(w.Pid())))
			return err == nil
		})
		kill(t, w)
	}
	startProcess(t, serveWorker, args)
	if err := ended(t, f, 30*time.Second); !errors.Is(err, cluster.ErrDead) {
		t.Fatalf("Result: %v, want ErrDead", err)
	}
	dead := deadTasks(t, ex)
	if len(dead) != 1 || dead[0].Func != "cluster-test-hold" || dead[0].Attempts != 3 || !errors.Is(dead[0].Err(), cluster.ErrDead) {
		t.Fatalf("dead tasks: %+v; want the task, after 3 deliveries", dead)
	}
	if s := ex.Stats(); s.Dead != 1 || s.DeadTasks != 1 {
		t.Fatalf("Stats: %+v", s)
	}
}

// TestStartersUpdateOnlyWhatChanged starts executors on one server: one
// with the settings in place changes no stream, and one with another
// retention updates the streams to it.
func TestStartersUpdateOnlyWhatChanged(t *testing.T) {
	ex := newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0), cluster.Retention(time.Hour))
	nc, err := nats.Connect(ex.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	updates, err := nc.SubscribeSync("$JS.EVENT.ADVISORY.STREAM.UPDATED.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	same, err := connect(t, ex.ClientURL(), cluster.Workers(1), cluster.Retention(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := square.Submit(context.Background(), same, 4).Result(context.Background()); err != nil || v != 16 {
		t.Fatalf("a task through the second executor: %v, %v", v, err)
	}
	if m, err := updates.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("an executor with the settings in place updated a stream: %s", m.Subject)
	}
	if _, err := connect(t, ex.ClientURL(), cluster.Workers(0), cluster.Retention(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(bounded(t), "MULTITASK_TASKS")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 2*time.Hour {
		t.Fatalf("the tasks stream keeps tasks %v after a starter asked for 2h", got)
	}
}
