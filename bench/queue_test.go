package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/mp"
)

// payload100 is a small record whose CBOR encoding is about 100 bytes, the
// struct100 payload; python/mp_queue.py sends a dict with the same fields.
type payload100 struct {
	ID    int64
	Time  int64
	Name  string
	Note  string
	Score float64
	Flags uint32
}

func newPayload100(i int) payload100 {
	return payload100{
		ID:    int64(i),
		Time:  1764000000 + int64(i),
		Name:  "worker-0000000000000000000000001",
		Note:  "a small record of about one hundred byte",
		Score: float64(i) / 3,
		Flags: 7,
	}
}

// queueRun is the argument of the producer and consumer children: the
// queue, how many items, and a pipe to say that the child is connected and
// (for the producer) to hear when to start.
type queueRun[T any] struct {
	Q    *mp.Queue[T]
	N    int
	Sync *mp.Conn[int]
}

// queueProducer connects, says so, waits for the go and puts N items.
func queueProducer[T any](make func(int) T) func(context.Context, queueRun[T]) (int, error) {
	return func(ctx context.Context, r queueRun[T]) (int, error) {
		defer r.Q.Close()
		r.Q.Empty() // connects
		if err := r.Sync.Send(ctx, 1); err != nil {
			return 0, err
		}
		if _, err := r.Sync.Recv(ctx); err != nil {
			return 0, err
		}
		for i := range r.N {
			if err := r.Q.Put(ctx, make(i)); err != nil {
				return i, err
			}
		}
		return r.N, nil
	}
}

// queueConsumer connects, says so, and gets N items.
func queueConsumer[T any](ctx context.Context, r queueRun[T]) (int, error) {
	defer r.Q.Close()
	r.Q.Empty()
	if err := r.Sync.Send(ctx, 1); err != nil {
		return 0, err
	}
	for i := range r.N {
		if _, err := r.Q.Get(ctx); err != nil {
			return i, err
		}
	}
	return r.N, nil
}

var (
	queueProduceInt    = mp.Register("bench-queue-produce-int", queueProducer(func(i int) int { return i }))
	queueConsumeInt    = mp.Register("bench-queue-consume-int", queueConsumer[int])
	queueProduceStruct = mp.Register("bench-queue-produce-struct100", queueProducer(newPayload100))
	queueConsumeStruct = mp.Register("bench-queue-consume-struct100", queueConsumer[payload100])
)

// BenchmarkQueue streams b.N items through an mp.Queue made here from one
// producer process to one consumer process, as python/mp_queue.py does with
// multiprocessing.Queue, and reports msgs/s. The time runs from the
// producer's go to the consumer's last Get; starting the children is not
// timed. ns/op is per message.
func BenchmarkQueue(b *testing.B) {
	b.Run("int", func(b *testing.B) { benchQueue(b, queueProduceInt, queueConsumeInt) })
	b.Run("struct100", func(b *testing.B) { benchQueue(b, queueProduceStruct, queueConsumeStruct) })
}

func benchQueue[T any](b *testing.B, produce, consume *mp.Func[queueRun[T], int]) {
	ctx := context.Background()
	q, err := mp.NewQueue[T](0)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Shutdown(ctx)
	pMine, pTheirs, err := mp.Pipe[int]()
	if err != nil {
		b.Fatal(err)
	}
	cMine, cTheirs, err := mp.Pipe[int]()
	if err != nil {
		b.Fatal(err)
	}
	defer pMine.Close()
	defer cMine.Close()
	p := mp.NewProcess(produce, queueRun[T]{Q: q, N: b.N, Sync: pTheirs})
	c := mp.NewProcess(consume, queueRun[T]{Q: q, N: b.N, Sync: cTheirs})
	for _, proc := range []*mp.Process{p, c} {
		if err := proc.Start(); err != nil {
			b.Fatal(err)
		}
	}
	pTheirs.Close()
	cTheirs.Close()
	for _, sync := range []*mp.Conn[int]{pMine, cMine} {
		if _, err := sync.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	t0 := time.Now()
	if err := pMine.Send(ctx, 1); err != nil {
		b.Fatal(err)
	}
	n, err := consume.Result(ctx, c)
	elapsed := time.Since(t0)
	b.StopTimer()
	if err != nil || n != b.N {
		b.Fatalf("consumer got %d of %d: %v", n, b.N, err)
	}
	if n, err := produce.Result(ctx, p); err != nil || n != b.N {
		b.Fatalf("producer put %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// TestPayload100Size checks that the struct100 payload encodes to about 100
// bytes, so that the comparison stays honest if the codec changes.
func TestPayload100Size(t *testing.T) {
	b, err := codec.Default().Marshal(newPayload100(12345))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 80 || len(b) > 130 {
		t.Fatalf("struct100 encodes to %d bytes", len(b))
	}
}
