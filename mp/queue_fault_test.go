//go:build linux

package mp_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
)

// envQueueEMFILE turns this test binary into queueEMFILEProgram.
const envQueueEMFILE = "MP_TEST_QUEUE_EMFILE"

func init() { programs[envQueueEMFILE] = queueEMFILEProgram }

// lateJob is for a producer that first touches its queue once told to.
type lateJob struct {
	Q          *mp.Queue[int]
	Go         *mp.Event // set by the parent: connect and put
	Connecting *mp.Event // set by the child just before its first Put
	From, N    int
}

// lateProducer puts From..From+N-1 once j.Go is set; its first Put
// connects to the queue's broker.
var lateProducer = mp.Register("queue-late-producer", func(ctx context.Context, j lateJob) (int, error) {
	if err := j.Go.Wait(ctx); err != nil {
		return 0, err
	}
	if err := j.Connecting.Set(); err != nil {
		return 0, err
	}
	return producer.Call(ctx, queueJob{Q: j.Q, From: j.From, N: j.N})
})

// queueEMFILEProgram runs out of descriptors while a child connects to its
// queue, then gets them back, and prints what became of the items put
// before, during and after.
func queueEMFILEProgram(string) int {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := queueEMFILE(ctx); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

func queueEMFILE(ctx context.Context) error {
	q, err := mp.NewQueue[int](0)
	if err != nil {
		return err
	}
	defer q.Close()
	want := []int{}
	for i := range 10 {
		if err := q.Put(ctx, i); err != nil {
			return err
		}
		want = append(want, i)
	}
	start, connecting := newEvent(), newEvent()
	late := mp.NewProcess(lateProducer, lateJob{Q: q, Go: start, Connecting: connecting, From: 100, N: 50})
	if err := late.Start(); err != nil {
		return err
	}
	defer late.Kill()

	release, err := mp.ExhaustDescriptors(0)
	if err != nil {
		return err
	}
	if err := start.Set(); err != nil {
		release()
		return err
	}
	if err := connecting.Wait(ctx); err != nil {
		release()
		return err
	}
	// Hold the descriptors for a moment, as a program short of them would,
	// while the child's connection waits in the backlog and the broker
	// tries to accept it. The outcome must not depend on how long.
	time.Sleep(200 * time.Millisecond)
	release()

	if n, err := lateProducer.Result(ctx, late); n != 50 || err != nil {
		return fmt.Errorf("the child that connected while descriptors ran out put %d items: %v", n, err)
	}
	for i := range 50 {
		want = append(want, 100+i)
	}
	after := mp.NewProcess(producer, queueJob{Q: q, From: 200, N: 50})
	if err := after.Start(); err != nil {
		return err
	}
	if n, err := producer.Result(ctx, after); n != 50 || err != nil {
		return fmt.Errorf("a child started afterwards put %d items: %v", n, err)
	}
	for i := range 50 {
		want = append(want, 200+i)
	}
	var got []int
	for range want {
		v, err := q.Get(ctx)
		if err != nil {
			return fmt.Errorf("get item %d of %d: %w", len(got)+1, len(want), err)
		}
		got = append(got, v)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	return nil
}

func newEvent() *mp.Event {
	e, err := mp.NewEvent()
	if err != nil {
		panic(err)
	}
	return e
}

// The queue's broker survives a moment without descriptors: a child that
// connects meanwhile is admitted once they are back, later children use
// the queue, and nothing put is lost.
func TestQueueBrokerSurvivesEMFILE(t *testing.T) {
	t.Parallel()
	out, err := rerun(t, envQueueEMFILE)
	if err != nil || string(out) != "ok\n" {
		t.Fatalf("the program: %v; it printed:\n%s", err, out)
	}
}
