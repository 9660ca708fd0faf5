package cluster_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/futures"
)

// A worker process killed while it holds tasks loses none: they are
// delivered again to the other workers after AckWait, and each future
// ends once, with its own result.
func TestWorkerKilled(t *testing.T) {
	ex := newHub(t, cluster.AckWait(time.Second))
	args := serveArgs{URLs: ex.ClientURL(), Workers: 4, AckWait: time.Second}
	victim := startProcess(t, serveWorker, args)
	other := startProcess(t, serveWorker, args)

	const n = 1500
	fs := submitEchoes(nil, ex, echoPid, n)
	var replacement int
	afterDone(t, fs, n/3, time.Minute, func() {
		kill(t, victim)
		replacement = startProcess(t, serveWorker, args).Pid()
	})
	pids := checkEchoes(t, ex, fs, time.Minute)
	// The killed worker stops counting at once, though its key stays in
	// the workers' bucket until its TTL (15 s) has passed.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s := ex.Stats()
		if s.Err == nil && s.Workers == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats after the kill: %+v; want 2 workers", s)
		}
	}
	if pids[victim.Pid()] == 0 || pids[other.Pid()] == 0 {
		t.Errorf("tasks per worker: %v; want some on %d (killed) and on %d", pids, victim.Pid(), other.Pid())
	}
	for pid := range pids {
		if pid != victim.Pid() && pid != other.Pid() && pid != replacement {
			t.Errorf("a task ran in pid %d, which is no worker", pid)
		}
	}
}

// A server killed while tasks are in flight, and started again on the same
// port and store, loses none of them: tasks and results wait in its file
// store, and the executor and its workers reconnect and go on.
func TestServerKilled(t *testing.T) {
	node := nodes(t, 1)[0]
	srv := startNATS(t, node)
	ex := connectReady(t, node.url(), cluster.Workers(8), cluster.AckWait(time.Second))

	fs := submitEchoes(nil, ex, echoNow, serverKilledTasks)
	afterDone(t, fs, serverKilledTasks/4, time.Minute, func() {
		srv.kill(t)
		srv.start(t)
	})
	checkEchoes(t, ex, fs, 2*time.Minute)
	// The restarted server still knows the worker.
	if s := ex.Stats(); s.Err != nil || s.Workers != 1 {
		t.Fatalf("Stats after the restart: %+v; want 1 worker", s)
	}
}

// On a cluster of three servers with every stream kept by all three, the
// death of the tasks stream's leader loses no task: another server takes
// over the streams, and the executor and workers that were connected to
// the dead one move to the others. Workers started without Replicas keep
// the executor's.
func TestClusterLeaderKilled(t *testing.T) {
	ns := nodes(t, 3)
	srvs := make(map[string]*natsProc)
	for _, n := range ns {
		srvs[n.Name] = startNATS(t, n)
	}
	// While the servers left elect a leader, a task's worker can neither
	// renew nor acknowledge it, and each AckWait of a second delivers it
	// once more: an election that takes several seconds, as under -race
	// on two cores, must not run out its deliveries, which the default
	// Redeliveries would (3, with the default AckWait's 5 s in mind).
	ex := connectReady(t, urls(ns), cluster.Replicas(3), cluster.Workers(4), cluster.AckWait(time.Second),
		cluster.Redeliveries(20))
	for range 2 {
		startProcess(t, serveWorker, serveArgs{URLs: urls(ns), Workers: 4, AckWait: time.Second})
	}

	const n = 3000
	fs := submitEchoes(nil, ex, echoPid, n/2)
	leader, replicas := streamLeader(t, urls(ns), "MULTITASK_TASKS")
	if replicas != 3 {
		t.Fatalf("the tasks stream has %d replicas, want 3", replicas)
	}
	// The rest go out at a steady pace while the leader dies, and while
	// the servers left elect a new one.
	more := make(chan []*futures.Future[ran])
	go func() {
		var fs []*futures.Future[ran]
		for i := n / 2; i < n; i++ {
			fs = append(fs, echoPid.Submit(context.Background(), ex, i))
			time.Sleep(time.Millisecond)
		}
		more <- fs
	}()
	afterDone(t, fs, n/4, time.Minute, func() { srvs[leader].kill(t) })
	fs = append(fs, <-more...)
	checkEchoes(t, ex, fs, 2*time.Minute)
}

// A task whose publish the servers lose without the connection dropping,
// as when the server that its server forwards it to dies, is published
// again, not waited for forever.
func TestPublishLostOnRoute(t *testing.T) {
	ns := nodes(t, 3)
	srvs := make(map[string]*natsProc)
	for _, n := range ns {
		srvs[n.Name] = startNATS(t, n)
	}
	// The streams, kept by one server; the executor reaches it through
	// another.
	shutdown(t, connectReady(t, urls(ns), cluster.Workers(0)))
	leader, _ := streamLeader(t, urls(ns), "MULTITASK_TASKS")
	var via natsNode
	for _, n := range ns {
		if n.Name != leader {
			via = n
		}
	}
	ex := connectReady(t, via.url(), cluster.Workers(1))
	ctx := context.Background()
	if v, err := square.Submit(ctx, ex, 3).Result(ctx); err != nil || v != 9 {
		t.Fatalf("square: %v, %v", v, err)
	}

	// The leader stops reading, then dies with the task on its way.
	x := srvs[leader]
	if err := syscall.Kill(x.c.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	f := square.Submit(ctx, ex, 5)
	time.Sleep(200 * time.Millisecond) // for the publish to reach the route to the leader
	x.kill(t)
	x.start(t)
	if err := ended(t, f, time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Result(ctx); v != 25 {
		t.Fatalf("square(5) = %d", v)
	}
}

// streamLeader returns the name of the server that leads stream, and the
// stream's replicas.
func streamLeader(t *testing.T, urls, stream string) (string, int) {
	t.Helper()
	js := jetStream(t, urls)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("stream %s: cluster %+v; want a leader", stream, info.Cluster)
	}
	return info.Cluster.Leader, info.Config.Replicas
}
