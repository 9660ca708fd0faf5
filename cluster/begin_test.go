package cluster_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

var (
	// marked holds the arguments mark was called with.
	marked sync.Map
	mark   = mp.Register("cluster-test-mark", func(ctx context.Context, x int) (int, error) {
		marked.Store(x, true)
		return x, nil
	})
)

// TestTasksLeaveNoClaims checks that a worker asks the executor before it
// begins a task, by a call in the executor's process and over NATS in
// another, rather than writing to the claims bucket, which would grow by
// a key per task.
func TestTasksLeaveNoClaims(t *testing.T) {
	ctx := bounded(t)
	ex := newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(1))
	connectReady(t, ex.ClientURL(), cluster.Workers(1)) // a worker of ex's queue elsewhere
	for i := range 20 {
		if v, err := square.Submit(ctx, ex, i).Result(ctx); err != nil || v != i*i {
			t.Fatalf("task %d: %v, %v", i, v, err)
		}
	}
	js := jetStream(t, ex.ClientURL())
	s, err := js.Stream(ctx, "KV_multitask_claims")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 0 {
		t.Fatalf("20 tasks that ran left %d claims in the bucket", n)
	}
}

// TestCancelRacesBegin cancels tasks as a worker takes them: a task whose
// Cancel returned true never runs, and one whose Cancel returned false
// ends with its result. The worker asks the executor by a call when they
// share a process, and over NATS when they do not.
func TestCancelRacesBegin(t *testing.T) {
	t.Run("same process", func(t *testing.T) {
		// One slot: the worker takes the tasks in order, so that once the
		// last has run, every earlier one has been begun or refused.
		cancelRacesBegin(t, newExecutor(t, cluster.Workers(1)))
	})
	t.Run("over NATS", func(t *testing.T) {
		ex := newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0))
		connectReady(t, ex.ClientURL(), cluster.Workers(1)) // its worker runs ex's tasks
		cancelRacesBegin(t, ex)
	})
	t.Run("over NATS to several workers", func(t *testing.T) {
		// Leased workers begin tasks without asking: the cancellations
		// recall them.
		ex := newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0))
		connectReady(t, ex.ClientURL(), cluster.Workers(3))
		connectReady(t, ex.ClientURL(), cluster.Workers(3))
		cancelRacesBegin(t, ex)
	})
}

func cancelRacesBegin(t *testing.T, ex *cluster.Executor) {
	ctx := bounded(t)
	marked.Clear()
	const n = 300
	fs := make([]*futures.Future[int], n)
	cancelled := make([]bool, n)
	for i := range n {
		fs[i] = mark.Submit(ctx, ex, i)
		time.Sleep(time.Duration(rand.N(2000)) * time.Microsecond)
		cancelled[i] = fs[i].Cancel()
	}
	if v, err := mark.Submit(ctx, ex, n).Result(ctx); err != nil || v != n {
		t.Fatalf("the last task: %v, %v", v, err)
	}
	// With several slots, a task taken before the last may still run.
	eventually(t, "the queue drains", func() bool {
		s := ex.Stats()
		return s.Err == nil && s.Queued == 0 && s.Running == 0
	})
	won := 0
	for i, f := range fs {
		v, err := f.Result(ctx)
		_, didRun := marked.Load(i)
		switch {
		case cancelled[i] && !errors.Is(err, futures.ErrCancelled):
			t.Errorf("task %d: Cancel returned true, then its future ended with %v, %v", i, v, err)
		case cancelled[i] && didRun:
			t.Errorf("task %d: Cancel returned true, and the task ran", i)
		case !cancelled[i] && (err != nil || v != i || !didRun):
			t.Errorf("task %d: Cancel returned false, then %v, %v (ran: %v)", i, v, err, didRun)
		}
		if cancelled[i] {
			won++
		}
	}
	t.Logf("%d of %d cancellations won", won, n)
	if s := ex.Stats(); s.Cancelled != int64(won) {
		t.Errorf("Stats: %d cancelled, want %d", s.Cancelled, won)
	}
}

// TestUnansweredWorkerUsesClaims sends tasks whose executor does not
// exist, so that no one answers the worker that asks to begin them: it
// claims them in the claims bucket instead, and so skips one cancelled
// there.
func TestUnansweredWorkerUsesClaims(t *testing.T) {
	ctx := bounded(t)
	p := newPKI(t)
	ex := newSecure(t, p, false, cluster.Workers(1))
	in := newIntruder(t, ex.ClientURL(), p)
	const reply = "multitask.results.gone"
	claims, err := in.js.KeyValue(ctx, "multitask_claims")
	if err != nil {
		t.Fatal(err)
	}
	countCalls.Store(0)
	if _, err := claims.Create(ctx, "gone1", []byte("cancel")); err != nil {
		t.Fatal(err)
	}
	in.publish(t, taskHeader("gone1", count.Name(), reply), encode(t, 1))
	in.drained(t)
	if n := countCalls.Load(); n != 0 {
		t.Fatalf("a task cancelled in the bucket ran %d times", n)
	}
	in.publish(t, taskHeader("gone2", count.Name(), reply), encode(t, 1))
	if status, err := in.result(t, reply, "gone2"); status != "ok" {
		t.Fatalf("a task no one cancelled: status %q, %v", status, err)
	}
	e, err := claims.Get(ctx, "gone2")
	if err != nil || !strings.HasPrefix(string(e.Value()), "run ") {
		t.Fatalf("the claim of a task begun unanswered: %v", err)
	}
}

// TestWorkersAdoptTheShortestAckWait starts a worker with a long AckWait,
// then one with a short AckWait, which sets it for the queue, and stops
// that one: the first renews its tasks often enough for the short one, so
// that none is delivered again while it runs.
func TestWorkersAdoptTheShortestAckWait(t *testing.T) {
	ctx := bounded(t)
	ex := newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0))
	// Two slots: one runs the task, the other would take it again.
	connectReady(t, ex.ClientURL(), cluster.Workers(2), cluster.AckWait(30*time.Second))
	started := time.Now()
	short := connectReady(t, ex.ClientURL(), cluster.Workers(1), cluster.AckWait(time.Second))
	if err := short.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// The long one reads the queue's AckWait at its heartbeat, every 5s:
	// the first after its start, with room for a slow machine.
	time.Sleep(time.Until(started.Add(7 * time.Second)))
	f := block.Submit(ctx, ex, 3*time.Second)
	for running := true; running; {
		if s := ex.Stats(); s.Err == nil && s.Redelivered > 0 {
			t.Fatalf("a running task was delivered again: %+v", s)
		}
		select {
		case <-f.Done():
			running = false
		case <-time.After(100 * time.Millisecond):
		}
	}
	if v, err := f.Result(ctx); err != nil || v != "slept" {
		t.Fatalf("the task: %q, %v", v, err)
	}
}
