package cluster_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
)

// TestLeaseSparesQuestions runs tasks one after another on a worker in
// another process: under the lease its executor grants, the worker asks
// before the first task and then to renew the lease, not before each task.
func TestLeaseSparesQuestions(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t)
	connectReady(t, ex.ClientURL(), cluster.Workers(1))
	nc, err := nats.Connect(ex.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var questions atomic.Int64
	sub, err := nc.Subscribe("multitask.begin."+cluster.ExecutorID(ex), func(*nats.Msg) { questions.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	const n = 300
	started := time.Now()
	for i := range n {
		if v, err := square.Submit(ctx, ex, i).Result(ctx); err != nil || v != i*i {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
	}
	// A question first, then one per half lease (1 s) at most.
	most := int64(2 + 2*time.Since(started)/time.Second)
	if q := questions.Load(); q > most {
		t.Fatalf("%d tasks in %v took %d questions, want at most %d", n, time.Since(started), q, most)
	}
}

// TestSilentLeaseHolderWins grants a lease to a worker that never answers
// a recall: a cancellation cannot know that it did not begin the task, and
// loses; the task then runs.
func TestSilentLeaseHolderWins(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t)
	f := square.Submit(ctx, ex, 4) // queued: no worker yet
	nc, err := nats.Connect(ex.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	grant, err := nc.Request("multitask.begin."+cluster.ExecutorID(ex), []byte("silent"), 5*time.Second)
	if err != nil {
		t.Fatalf("a question about no task: %v", err)
	}
	if len(grant.Data) == 0 || grant.Data[0] != 'L' {
		t.Fatalf("a question about no task: answered %q, want a lease", grant.Data)
	}
	if f.Cancel() {
		t.Fatal("Cancel won over a lease holder that did not answer")
	}
	connectReady(t, ex.ClientURL(), cluster.Workers(1))
	if v, err := f.Result(ctx); err != nil || v != 16 {
		t.Fatalf("the task: %v, %v", v, err)
	}
}

// TestStoppedWorkerGivesLeaseBack stops a worker that holds a lease: it
// gives the lease back, so that a cancellation right after it need not
// hear from it, and wins.
func TestStoppedWorkerGivesLeaseBack(t *testing.T) {
	ctx := bounded(t)
	ex := newHub(t)
	w := connectReady(t, ex.ClientURL(), cluster.Workers(1))
	if v, err := square.Submit(ctx, ex, 3).Result(ctx); err != nil || v != 9 {
		t.Fatalf("the task: %v, %v", v, err)
	}
	shutdown(t, w)
	f := square.Submit(ctx, ex, 5)
	if !f.Cancel() {
		t.Fatal("Cancel of a queued task lost to a worker that had stopped")
	}
	if _, err := f.Result(ctx); !errors.Is(err, futures.ErrCancelled) {
		t.Fatalf("Result: %v, want ErrCancelled", err)
	}
}

// TestRecallFindsLeasedTask cancels a task that a worker in another
// process began under its lease, at once, before the worker tells its
// executor: the recall finds it begun, so Cancel returns false, and the end
// of its context stops it there.
func TestRecallFindsLeasedTask(t *testing.T) {
	ex, g, bctx := leasedHub(t)
	ctx, cancel := context.WithCancel(bctx)
	defer cancel()
	f := gate.Submit(ctx, ex, 7)
	<-g.began
	if f.Cancel() {
		t.Fatal("Cancel of a task begun under a lease returned true")
	}
	if f.State() != futures.Running {
		t.Fatalf("after the recall: %v, want running", f.State())
	}
	cancel()
	if _, err := f.Result(bctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Result: %v, want context.Canceled", err)
	}
}

// TestLeasedTaskShowsRunning checks that a task begun under a lease is
// told to its executor once it has run a moment, and shows running.
func TestLeasedTaskShowsRunning(t *testing.T) {
	ex, g, ctx := leasedHub(t)
	f := gate.Submit(ctx, ex, 8)
	<-g.began
	eventually(t, "the future shows running", func() bool { return f.State() == futures.Running })
	close(g.open)
	if v, err := f.Result(ctx); err != nil || v != 8 {
		t.Fatalf("the task: %v, %v", v, err)
	}
}

// leasedHub starts a hub, and a worker of its queue that holds a lease of
// it, having run a task; it returns the hub, a gate and the test's context.
func leasedHub(t *testing.T) (*cluster.Executor, *gateState, context.Context) {
	t.Helper()
	ex := newHub(t)
	connectReady(t, ex.ClientURL(), cluster.Workers(1))
	ctx := bounded(t)
	if _, err := square.Submit(ctx, ex, 1).Result(ctx); err != nil {
		t.Fatal(err)
	}
	return ex, newGate(t), ctx
}
