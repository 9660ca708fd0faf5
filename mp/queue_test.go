package mp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/mp"
)

// newQueue makes a queue that is shut down when the test ends.
func newQueue[T any](t *testing.T, capacity int) *mp.Queue[T] {
	t.Helper()
	q, err := mp.NewQueue[T](capacity)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownQueue(t, q.Shutdown) })
	return q
}

// getAll gets from q until it is closed and drained, and returns the items.
func getAll[T any](ctx context.Context, q *mp.Queue[T]) ([]T, error) {
	var got []T
	for {
		v, err := q.Get(ctx)
		if errors.Is(err, mp.ErrClosed) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, v)
	}
}

func newJoinableQueue(t *testing.T, capacity int) *mp.JoinableQueue[int] {
	t.Helper()
	q, err := mp.NewJoinableQueue[int](capacity)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownQueue(t, q.Shutdown) })
	return q
}

func shutdownQueue(t *testing.T, shutdown func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v", err)
	}
}

// expired returns a context that has already ended.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

type record struct {
	ID   int
	Name string
	Tags []string
}

func TestQueueInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[record](t, 0)
	if !q.Empty() {
		t.Fatal("new queue not Empty")
	}
	tags := []string{"a", "b"}
	for i := range 5 {
		if err := q.Put(ctx, record{ID: i, Name: fmt.Sprint("r", i), Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	tags[0] = "changed" // items are copies
	if q.Empty() {
		t.Fatal("Empty with 5 items")
	}
	for i := range 5 {
		r, err := q.Get(ctx)
		if err != nil || r.ID != i || r.Tags[0] != "a" {
			t.Fatalf("Get = %+v, %v; want item %d unchanged", r, err, i)
		}
	}
	if _, err := q.Get(expired()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get of an empty queue with an ended ctx = %v, want context.Canceled", err)
	}
}

func TestQueueBytes(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[[]byte](t, 0)
	b := []byte("raw")
	if err := q.Put(ctx, b); err != nil {
		t.Fatal(err)
	}
	b[0] = 'X'
	if got, err := q.Get(ctx); string(got) != "raw" || err != nil {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestQueueUnencodable(t *testing.T) {
	t.Parallel()
	q := newQueue[any](t, 0)
	if err := q.Put(guard(t), func() {}); !errors.Is(err, codec.ErrUnsupported) {
		t.Fatalf("Put of a func = %v, want codec.ErrUnsupported", err)
	}
	if !q.Empty() {
		t.Fatal("a failed Put enqueued something")
	}
}

func TestQueueBounded(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 2)
	for i := range 2 {
		if err := q.Put(expired(), i); err != nil {
			t.Fatalf("Put with room and an ended ctx = %v, want nil (put_nowait)", err)
		}
	}
	if err := q.Put(expired(), 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put to a full queue with an ended ctx = %v", err)
	}
	if err := q.Put(shortCtx(t), 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put to a full queue = %v, want DeadlineExceeded", err)
	}
	done := make(chan error)
	go func() { done <- q.Put(ctx, 3) }()
	if v, err := q.Get(ctx); v != 0 || err != nil {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("blocked Put after a Get = %v", err)
	}
	for _, want := range []int{1, 3} {
		if v, err := q.Get(ctx); v != want || err != nil {
			t.Fatalf("Get = %v, %v; want %d (the timed-out Puts enqueued nothing)", v, err, want)
		}
	}
}

// TestQueueTryPutTryGet mirrors Python's put_nowait and get_nowait: full
// and empty are told apart from closed.
func TestQueueTryPutTryGet(t *testing.T) {
	t.Parallel()
	q := newQueue[int](t, 2)
	if _, err := q.TryGet(); !errors.Is(err, mp.ErrEmpty) {
		t.Fatalf("TryGet of an empty queue = %v, want ErrEmpty", err)
	}
	for i := range 2 {
		if err := q.TryPut(i); err != nil {
			t.Fatalf("TryPut with room = %v", err)
		}
	}
	if err := q.TryPut(2); !errors.Is(err, mp.ErrFull) || errors.Is(err, mp.ErrClosed) {
		t.Fatalf("TryPut to a full queue = %v, want ErrFull", err)
	}
	if v, err := q.TryGet(); v != 0 || err != nil {
		t.Fatalf("TryGet = %v, %v; want 0, nil", v, err)
	}
	if err := q.TryPut(2); err != nil {
		t.Fatalf("TryPut after a TryGet made room = %v", err)
	}
	q.Close()
	if err := q.TryPut(3); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("TryPut after Close = %v, want ErrClosed", err)
	}
	for _, want := range []int{1, 2} {
		if v, err := q.TryGet(); v != want || err != nil {
			t.Fatalf("TryGet after Close = %v, %v; want %d, nil (the items left)", v, err, want)
		}
	}
	if _, err := q.TryGet(); !errors.Is(err, mp.ErrClosed) || errors.Is(err, mp.ErrEmpty) {
		t.Fatalf("TryGet of a closed, drained queue = %v, want ErrClosed", err)
	}
}

func TestQueueGetContext(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 0)
	if _, err := q.Get(shortCtx(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get = %v, want DeadlineExceeded", err)
	}
	got := make(chan int)
	go func() {
		v, err := q.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	if err := q.Put(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != 7 {
		t.Fatalf("waiting Get = %d", v)
	}
}

func TestQueueClose(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 1)
	waitingGet := newQueue[int](t, 0)
	if err := q.Put(ctx, 1); err != nil {
		t.Fatal(err)
	}
	putErr, getErr := make(chan error), make(chan error)
	go func() { putErr <- q.Put(ctx, 2) }()                      // waits: full
	go func() { _, err := waitingGet.Get(ctx); getErr <- err }() // waits: empty
	time.Sleep(5 * time.Millisecond)                             // let them wait; either order is correct
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitingGet.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-putErr; !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Put waiting at Close = %v, want ErrClosed", err)
	}
	if err := <-getErr; !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Get waiting at Close = %v, want ErrClosed", err)
	}
	if err := q.Put(ctx, 3); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if v, err := q.Get(ctx); v != 1 || err != nil {
		t.Fatalf("Get after Close = %v, %v; want the item left", v, err)
	}
	if _, err := q.Get(ctx); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Get of a closed, drained queue = %v, want ErrClosed", err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestSimpleQueue(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q, err := mp.NewSimpleQueue[string]()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownQueue(t, q.Shutdown) })
	if !q.Empty() {
		t.Fatal("not Empty")
	}
	if err := q.Put(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if q.Empty() {
		t.Fatal("Empty after Put")
	}
	if v, err := q.Get(ctx); v != "x" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	q.Close()
	if _, err := q.Get(ctx); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
}

func TestJoinableQueueInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newJoinableQueue(t, 0)
	if err := q.Join(ctx); err != nil {
		t.Fatalf("Join of a new queue = %v", err)
	}
	for i := range 3 {
		q.Put(ctx, i)
	}
	if err := q.Join(shortCtx(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join with tasks left = %v, want DeadlineExceeded", err)
	}
	joined := make(chan error)
	go func() { joined <- q.Join(ctx) }()
	for range 3 {
		if _, err := q.Get(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.TaskDone(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-joined; err != nil {
		t.Fatalf("Join = %v", err)
	}
	if err := q.TaskDone(); !errors.Is(err, mp.ErrTaskDone) {
		t.Fatalf("one TaskDone too many = %v, want ErrTaskDone", err)
	}
}

// Functions that use queues in child processes.
type queueJob struct {
	Q    *mp.Queue[int]
	From int
	N    int
}

type reportJob struct {
	Q      *mp.Queue[int]
	Report *mp.Conn[int]
	Stop   int // after this many items, stop getting and wait to be killed (0: get until closed)
}

var (
	// producer puts From..From+N-1.
	producer = mp.Register("queue-producer", func(ctx context.Context, j queueJob) (int, error) {
		defer j.Q.Close()
		for i := range j.N {
			if err := j.Q.Put(ctx, j.From+i); err != nil {
				return i, err
			}
		}
		return j.N, nil
	})
	// consumer gets until the queue is closed and returns what it got.
	consumer = mp.Register("queue-consumer", func(ctx context.Context, q *mp.Queue[int]) ([]int, error) {
		defer q.Close()
		return getAll(ctx, q)
	})
	// reporter gets items and sends each over a pipe once Get returned it.
	reporter = mp.Register("queue-reporter", func(ctx context.Context, j reportJob) (int, error) {
		n := 0
		for j.Stop == 0 || n < j.Stop {
			v, err := j.Q.Get(ctx)
			if errors.Is(err, mp.ErrClosed) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := j.Report.Send(ctx, v); err != nil {
				return n, err
			}
			n++
		}
		<-ctx.Done() // holds the items sent ahead, without a Get running
		return n, nil
	})
	// putReporter puts From, From+1, ... and reports each after its Put
	// returned, until killed; items are Size bytes.
	putReporter = mp.Register("queue-put-reporter", func(ctx context.Context, j bytesJob) (int, error) {
		for i := 0; ; i++ {
			if err := j.Q.Put(ctx, item(i, j.Size)); err != nil {
				return i, err
			}
			if err := j.Report.Send(ctx, i); err != nil {
				return i, err
			}
		}
	})
	// relayQueue passes its queue on to a grandchild that produces.
	relayQueue = mp.Register("queue-relay", func(ctx context.Context, j queueJob) (int, error) {
		defer j.Q.Close()
		p := mp.NewProcess(producer, j)
		if err := p.Start(); err != nil {
			return 0, err
		}
		return producer.Result(ctx, p)
	})
	// bigEcho gets one []byte and puts it back twice.
	bigEcho = mp.Register("queue-big-echo", func(ctx context.Context, j bigJob) (int, error) {
		defer j.In.Close()
		defer j.Out.Close()
		b, err := j.In.Get(ctx)
		if err != nil {
			return 0, err
		}
		for range 2 {
			if err := j.Out.Put(ctx, b); err != nil {
				return 0, err
			}
		}
		return len(b), nil
	})
	// worker gets items of a joinable queue and marks each done, until
	// the queue is closed.
	worker = mp.Register("queue-worker", func(ctx context.Context, q *mp.JoinableQueue[int]) (int, error) {
		defer q.Close()
		n := 0
		for {
			_, err := q.Get(ctx)
			if errors.Is(err, mp.ErrClosed) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := q.TaskDone(); err != nil {
				return n, err
			}
			n++
		}
	})
	// overfill puts N items to a bounded queue and reports the error of
	// one more Put with a short deadline.
	overfill = mp.Register("queue-overfill", func(ctx context.Context, j queueJob) (string, error) {
		defer j.Q.Close()
		for i := range j.N {
			if err := j.Q.Put(ctx, i); err != nil {
				return "", err
			}
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err := j.Q.Put(short, -1)
		if errors.Is(err, context.DeadlineExceeded) {
			return "deadline", nil
		}
		return fmt.Sprint(err), nil
	})
)

type bytesJob struct {
	Q      *mp.Queue[[]byte]
	Report *mp.Conn[int]
	Size   int
}

type bigJob struct {
	In, Out *mp.SimpleQueue[[]byte]
}

// item is the payload number i of size bytes (at least 8).
func item(i, size int) []byte {
	b := make([]byte, max(size, 8))
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	copy(b, fmt.Sprintf("%08d", i%100000000))
	return b
}

func itemNumber(b []byte) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(string(b[:8]), "%08d", &i); err != nil {
		return 0, false
	}
	return i, bytes.Equal(b, item(i, len(b)))
}

// checkSame fails unless got holds each of 0..n-1 exactly once.
func checkSame(t *testing.T, got []int, n int) {
	t.Helper()
	slices.Sort(got)
	if len(got) != n {
		t.Fatalf("got %d items, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("items differ from 0..%d at %d: %d (duplicated or lost)", n-1, i, v)
		}
	}
}

// Producers and consumers in several processes, and in this one: every
// item is got exactly once.
func TestQueueAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, capacity := range []int{0, 7} {
		t.Run(fmt.Sprint("capacity=", capacity), func(t *testing.T) {
			t.Parallel()
			ctx := guard(t) // here: the subtest may start long after its parent
			q := newQueue[int](t, capacity)
			const producers, each = 3, 3000
			var ps, cs []*mp.Process
			for i := range producers {
				ps = append(ps, start(t, mp.NewProcess(producer, queueJob{Q: q, From: i * each, N: each})))
			}
			for range 2 {
				cs = append(cs, start(t, mp.NewProcess(consumer, q)))
			}
			// This process gets too, until the producers are done.
			var got []int
			var mu sync.Mutex
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
					v, err := q.Get(short)
					cancel()
					if err == nil {
						mu.Lock()
						got = append(got, v)
						mu.Unlock()
					}
				}
			})
			for _, p := range ps {
				if n, err := producer.Result(ctx, p); err != nil || n != each {
					t.Fatalf("producer: %d, %v", n, err)
				}
			}
			close(stop)
			wg.Wait()
			q.Close()
			for _, p := range cs {
				more, err := consumer.Result(ctx, p)
				if err != nil {
					t.Fatalf("consumer: %v", err)
				}
				got = append(got, more...)
			}
			rest, err := getAll(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			checkSame(t, append(got, rest...), producers*each)
		})
	}
}

// A queue inside a struct, passed on by a child to a grandchild.
func TestQueueGrandchild(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 0)
	p := start(t, mp.NewProcess(relayQueue, queueJob{Q: q, From: 0, N: 100}))
	var got []int
	for range 100 {
		v, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if _, err := relayQueue.Result(ctx, p); err != nil {
		t.Fatal(err)
	}
	checkSame(t, got, 100)
}

// A bounded queue makes a Put in another process wait, and that Put's end
// of context leaves nothing behind.
func TestQueueBoundedAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 5)
	p := start(t, mp.NewProcess(overfill, queueJob{Q: q, N: 5}))
	if s, err := overfill.Result(ctx, p); s != "deadline" || err != nil {
		t.Fatalf("Put to a full queue in a child: %q, %v; want a deadline error", s, err)
	}
	var got []int
	for range 5 {
		v, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	checkSame(t, got, 5)
	if _, err := q.Get(shortCtx(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sixth Get = %v; the timed-out Put enqueued something", err)
	}
}

// A Get in another process that times out takes nothing.
func TestQueueRemoteGetContext(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 0)
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(reporter, reportJob{Q: q, Report: theirs}))
	theirs.Close()
	// The child's first Gets wait on an empty queue (time passes); each
	// item put now must reach it once.
	for i := range 10 {
		if err := q.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
		if v, err := mine.Recv(ctx); v != i || err != nil {
			t.Fatalf("child reported %d, %v; want %d", v, err, i)
		}
	}
	q.Close()
	if n, err := reporter.Result(ctx, p); n != 10 || err != nil {
		t.Fatalf("child got %d, %v", n, err)
	}
}

// A consumer killed while items were sent ahead to it: they come back,
// and nothing is got twice.
func TestQueueKilledConsumer(t *testing.T) {
	t.Parallel()
	const n = 2000
	for _, stop := range []int{0, 10} {
		name := "random"
		if stop > 0 {
			name = "holding"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			q := newQueue[int](t, 0)
			for i := range n {
				if err := q.Put(ctx, i); err != nil {
					t.Fatal(err)
				}
			}
			mine, theirs := pipe[int](t)
			p := start(t, mp.NewProcess(reporter, reportJob{Q: q, Report: theirs, Stop: stop}))
			theirs.Close()
			kill := 10
			if stop == 0 {
				kill = 300 + int(time.Now().UnixNano()%500)
			}
			var reported []int
			for len(reported) < kill {
				v, err := mine.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				reported = append(reported, v)
			}
			p.Kill()
			p.Join(ctx)
			// What the child reported before it died, in order.
			for {
				v, err := mine.Recv(ctx)
				if err != nil {
					break
				}
				reported = append(reported, v)
			}
			for i, v := range reported {
				if v != i {
					t.Fatalf("child got %d as item %d", v, i)
				}
			}
			q.Close()
			drained, err := getAll(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all := append(slices.Clone(reported), drained...)
			if len(all) == n-1 && stop == 0 {
				// The child was killed after a Get took item k and before
				// it reported it: that item went with it, and only that.
				k := len(reported)
				if slices.Contains(drained, k) {
					t.Fatalf("item %d is missing... and drained", k)
				}
				all = append(all, k)
				t.Logf("item %d was taken by the killed child after its last report", k)
			}
			checkSame(t, all, n)
		})
	}
}

// A producer killed while putting: every Put that returned enqueued its
// item, at most one more did, whole, and nothing is enqueued twice.
func TestQueueKilledProducer(t *testing.T) {
	t.Parallel()
	for _, size := range []int{16, 150 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			q := newQueue[[]byte](t, 250) // more than the Puts awaited below
			mine, theirs := pipe[int](t)
			p := start(t, mp.NewProcess(putReporter, bytesJob{Q: q, Report: theirs, Size: size}))
			theirs.Close()
			kill := 20 + int(time.Now().UnixNano()%200)
			last := -1
			for last < kill {
				v, err := mine.Recv(ctx)
				if err != nil || v != last+1 {
					t.Fatalf("report %d, %v after %d", v, err, last)
				}
				last = v
			}
			p.Kill()
			p.Join(ctx)
			for {
				v, err := mine.Recv(ctx)
				if err != nil {
					break
				}
				last = v
			}
			q.Close()
			items, err := getAll(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, b := range items {
				i, whole := itemNumber(b)
				if !whole || len(b) != size {
					t.Fatalf("item of %d bytes damaged", len(b))
				}
				got = append(got, i)
			}
			// Items 0..last were reported after their Put returned; one
			// more Put may have returned before the kill.
			if len(got) != last+1 && len(got) != last+2 {
				t.Fatalf("%d items in the queue, %d Puts returned", len(got), last+1)
			}
			checkSame(t, got, len(got))
		})
	}
}

// An item far larger than a socket's buffer and than the shared rings goes
// both ways.
func TestQueueBigItem(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	in, err := mp.NewSimpleQueue[[]byte]()
	if err != nil {
		t.Fatal(err)
	}
	out, err := mp.NewSimpleQueue[[]byte]()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownQueue(t, in.Shutdown); shutdownQueue(t, out.Shutdown) })
	big := item(42, 8<<20)
	p := start(t, mp.NewProcess(bigEcho, bigJob{In: in, Out: out}))
	if err := in.Put(ctx, big); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		b, err := out.Get(ctx)
		if err != nil || !bytes.Equal(b, big) {
			t.Fatalf("got %d bytes, %v", len(b), err)
		}
	}
	if n, err := bigEcho.Result(ctx, p); n != len(big) || err != nil {
		t.Fatalf("child: %d, %v", n, err)
	}
}

// A process that got items ahead and stopped getting gives them back to a
// process that waits.
func TestQueueTakesBackFromIdle(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 0)
	const n = 300
	for i := range n {
		q.Put(ctx, i)
	}
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(reporter, reportJob{Q: q, Report: theirs, Stop: 1}))
	theirs.Close()
	first, err := mine.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{first}
	for range n - 1 {
		v, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	checkSame(t, got, n)
	p.Kill()
	p.Join(ctx)
}

func TestJoinableQueueAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newJoinableQueue(t, 10)
	var ws []*mp.Process
	for range 2 {
		ws = append(ws, start(t, mp.NewProcess(worker, q)))
	}
	const n = 200
	for i := range n {
		if err := q.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Join(ctx); err != nil {
		t.Fatalf("Join = %v", err)
	}
	q.Close()
	total := 0
	for _, w := range ws {
		k, err := worker.Result(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		total += k
	}
	if total != n {
		t.Fatalf("workers marked %d tasks done, want %d", total, n)
	}
}

var (
	// blockedPut fills a queue of capacity 1, reports, and puts once more,
	// which waits until the creator closes the queue.
	blockedPut = mp.Register("queue-blocked-put", func(ctx context.Context, j reportJob) (string, error) {
		defer j.Q.Close()
		if err := j.Q.Put(ctx, 1); err != nil {
			return "", err
		}
		if err := j.Report.Send(ctx, 1); err != nil {
			return "", err
		}
		err := j.Q.Put(ctx, 2)
		if !errors.Is(err, mp.ErrClosed) {
			return fmt.Sprint("second Put: ", err), nil
		}
		if err := j.Q.Put(ctx, 3); !errors.Is(err, mp.ErrClosed) {
			return fmt.Sprint("Put after Close: ", err), nil
		}
		return "closed", nil
	})
	// closedHandle closes its handle and tries it.
	closedHandle = mp.Register("queue-closed-handle", func(ctx context.Context, q *mp.Queue[int]) (string, error) {
		if err := q.Put(ctx, 1); err != nil {
			return "", err
		}
		q.Close()
		if err := q.Put(ctx, 2); !errors.Is(err, mp.ErrClosed) {
			return fmt.Sprint("Put after Close: ", err), nil
		}
		if _, err := q.Get(ctx); !errors.Is(err, mp.ErrClosed) {
			return fmt.Sprint("Get after Close: ", err), nil
		}
		return "closed", q.Close()
	})
	// extraTaskDone calls TaskDone on a queue with no task.
	extraTaskDone = mp.Register("queue-extra-task-done", func(ctx context.Context, q *mp.JoinableQueue[int]) (bool, error) {
		defer q.Close()
		return errors.Is(q.TaskDone(), mp.ErrTaskDone), nil
	})
)

// The creator's Close reaches a Put waiting in another process.
func TestQueueCloseWakesRemotePut(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 1)
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(blockedPut, reportJob{Q: q, Report: theirs}))
	theirs.Close()
	if _, err := mine.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	q.Close() // the child's second Put waits, or is about to: either way it fails
	if s, err := blockedPut.Result(ctx, p); s != "closed" || err != nil {
		t.Fatalf("child: %q, %v", s, err)
	}
	if v, err := q.Get(ctx); v != 1 || err != nil {
		t.Fatalf("Get = %v, %v; want the one item", v, err)
	}
	if _, err := q.Get(ctx); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Get = %v, want ErrClosed", err)
	}
}

// Close in another process releases only its handle.
func TestQueueCloseHandle(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newQueue[int](t, 0)
	p := start(t, mp.NewProcess(closedHandle, q))
	if s, err := closedHandle.Result(ctx, p); s != "closed" || err != nil {
		t.Fatalf("child: %q, %v", s, err)
	}
	if v, err := q.Get(ctx); v != 1 || err != nil {
		t.Fatalf("Get = %v, %v; the queue must live on", v, err)
	}
	if err := q.Put(ctx, 2); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := mp.NewProcess(closedHandle, q).Start(); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Start with a closed queue = %v, want ErrClosed", err)
	}
}

func TestJoinableQueueTaskDoneRemote(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	q := newJoinableQueue(t, 0)
	p := start(t, mp.NewProcess(extraTaskDone, q))
	if ok, err := extraTaskDone.Result(ctx, p); !ok || err != nil {
		t.Fatalf("TaskDone with no task in a child: ErrTaskDone=%v, %v", ok, err)
	}
}

// emptyArg is the argument of putEmpty: one of its queues is set.
type emptyArg struct {
	S           *mp.SimpleQueue[bool]
	Q           *mp.Queue[bool]
	Start, Done *mp.Event
}

// putEmpty is CPython's _test_empty: it puts what Empty says, twice.
var putEmpty = mp.Register("queue_test/put-empty", func(ctx context.Context, a emptyArg) (int, error) {
	defer a.Done.Set()
	if err := a.Start.Wait(ctx); err != nil {
		return 0, err
	}
	put, empty := func(v bool) error { return a.Q.Put(ctx, v) }, a.Q.Empty
	if a.S != nil {
		put, empty = func(v bool) error { return a.S.Put(ctx, v) }, a.S.Empty
	}
	for range 2 {
		if err := put(empty()); err != nil {
			return 0, err
		}
	}
	return 0, nil
})

// TestSimpleQueueEmpty is CPython's TestSimpleQueue.test_empty, on a
// SimpleQueue and on queues with and without a bound: a child puts what
// Empty says, twice, and sees its own first Put.
func TestSimpleQueueEmpty(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		simple   bool
		capacity int
	}{
		{"SimpleQueue", true, 0},
		{"Queue", false, 0},
		{"bounded Queue", false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			a := emptyArg{Start: must(mp.NewEvent())(t), Done: must(mp.NewEvent())(t)}
			get, empty := func() (bool, error) { return a.Q.Get(ctx) }, func() bool { return a.Q.Empty() }
			if tc.simple {
				s, err := mp.NewSimpleQueue[bool]()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { shutdownQueue(t, s.Shutdown) })
				a.S = s
				get, empty = func() (bool, error) { return s.Get(ctx) }, s.Empty
			} else {
				a.Q = newQueue[bool](t, tc.capacity)
			}
			p := start(t, mp.NewProcess(putEmpty, a))
			if !empty() {
				t.Fatal("a new queue is not Empty")
			}
			if err := a.Start.Set(); err != nil {
				t.Fatal(err)
			}
			if err := a.Done.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if empty() {
				t.Fatal("Empty after the child's two Puts")
			}
			for _, want := range []bool{true, false} {
				if got, err := get(); got != want || err != nil {
					t.Fatalf("Get = %v, %v; want %v (what Empty said in the child)", got, err, want)
				}
			}
			if !empty() {
				t.Fatal("not Empty once both items were taken")
			}
			if err := p.Join(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
