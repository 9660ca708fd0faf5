package remote

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
)

func TestMain(m *testing.M) {
	mp.Main() // in a worker process of the pool: run its task and exit
	os.Exit(proctest.Check(m.Run()))
}

// recorder records the groups it is told of.
type recorder struct{ added, removed chan int }

func (g *recorder) Add(pgid int) error    { g.added <- pgid; return nil }
func (g *recorder) Remove(pgid int) error { g.removed <- pgid; return nil }

func TestJobInAnotherProcess(t *testing.T) {
	pool, err := mp.NewPool(mp.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Shutdown(context.Background())
	ctx := context.Background()
	// The job and its report cross to the worker process and back through
	// mp's codec, as they cross to a cluster's workers.
	job := jobexec.Job{Shell: "/bin/sh", Line: `cat; echo " $X" >&2; exit 3`, Env: []string{"X=y"}, Stdin: []byte("in"),
		TermSeq: []jobexec.TermStep{{Signal: 15, Wait: time.Second}}, Timeout: time.Minute}
	rep, err := Job.Submit(ctx, pool, job).Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(rep.Stdout) != "in" || string(rep.Stderr) != " y\n" || rep.Exit != 3 || rep.Start.IsZero() || rep.Runtime <= 0 {
		t.Fatalf("report %+v", rep)
	}
	rep, err = Job.Submit(ctx, pool, jobexec.Job{Shell: "/bin/sh", Line: "x", Argv: []string{"no-such-command-here"}}).Result(ctx)
	if err != nil || rep.Exit != 127 || rep.Error == "" || rep.Outcome().Err == nil {
		t.Fatalf("report %+v, %v; want exit 127 and why", rep, err)
	}
}

func TestStoppedJob(t *testing.T) {
	g := &recorder{added: make(chan int, 1), removed: make(chan int, 1)}
	UseReaper(g)
	defer groups.Store(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := Job.Call(ctx, jobexec.Job{Shell: "/bin/sh", Line: "sleep 30"})
		done <- err
	}()
	pgid := <-g.added
	cancel()
	if err := <-done; !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v; want the job stopped by its context", err)
	}
	if got := <-g.removed; got != pgid {
		t.Fatalf("removed group %d, added %d", got, pgid)
	}
	if Job.Name() != Name {
		t.Fatalf("registered as %q", Job.Name())
	}
}
