package mp_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
)

// heldThings is what each grandchild of TestNoOrphansWithEverything holds.
type heldThings struct {
	Q *mp.Queue[int]
	C *mp.Conn[int]
}

var (
	// holds puts its pid on the queue, then waits on the pipe forever.
	holds = mp.Register("orphans/holds", func(ctx context.Context, h heldThings) (int, error) {
		if err := h.Q.Put(ctx, os.Getpid()); err != nil {
			return 0, err
		}
		_, err := h.C.Recv(ctx)
		return 0, err
	})
	// everything makes a queue, a pipe, a Spawn grandchild, a ForkServer
	// grandchild (and so a fork server) and a busy pool, says when all are
	// up, and waits to be killed.
	everything = mp.Register("orphans/everything", func(ctx context.Context, ready *mp.Conn[int]) (int, error) {
		q, err := mp.NewQueue[int](4)
		if err != nil {
			return 0, err
		}
		a, b, err := mp.Pipe[int]()
		if err != nil {
			return 0, err
		}
		defer a.Close()
		for _, m := range []mp.StartMethod{mp.Spawn, mp.ForkServer} {
			if err := mp.NewProcess(holds, heldThings{Q: q, C: b}, mp.Method(m)).Start(); err != nil {
				return 0, err
			}
		}
		pool, err := mp.NewPool(mp.Workers(2))
		if err != nil {
			return 0, err
		}
		sleepy.Submit(ctx, pool, 60_000)
		for range 2 {
			if _, err := q.Get(ctx); err != nil {
				return 0, err
			}
		}
		for pool.Stats().Running == 0 {
			time.Sleep(time.Millisecond)
		}
		if err := ready.Send(ctx, 1); err != nil {
			return 0, err
		}
		select {}
	})
)

// TestNoOrphansWithEverything SIGKILLs a process that has children of
// every kind, a fork server, a pool, a queue it serves and a pipe, and
// checks that every process of its tree has gone within a second.
func TestNoOrphansWithEverything(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(everything, theirs))
	theirs.Close()
	if _, err := mine.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	tree := descendants(p.Pid())
	// Two grandchildren, the fork server (with its spares) and two workers.
	if len(tree) < 5 {
		t.Fatalf("the child's tree has %d processes: %v", len(tree), tree)
	}
	p.Kill()
	deadline, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for _, pid := range tree {
		waitGone(t, deadline, pid)
	}
}

// descendants lists the live processes below pid, from /proc.
func descendants(pid int) []int {
	var all []int
	for next := []int{pid}; len(next) > 0; {
		var kids []int
		for _, p := range next {
			kids = append(kids, proctest.Children(p)...)
		}
		all = append(all, kids...)
		next = kids
	}
	return all
}
