package futures_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/multitask-go/multitask/futures"
)

func ExampleSubmit() {
	ctx := context.Background()
	pool := futures.NewThreadPool(4)
	defer pool.Shutdown(ctx)

	f := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return strings.ToUpper("hello"), nil
	})
	s, err := f.Result(ctx)
	fmt.Println(s, err)
	// Output: HELLO <nil>
}

func ExampleSubmit_panic() {
	ctx := context.Background()
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(ctx)

	f := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		panic("out of paper")
	})
	// The panic fails the future; the program goes on.
	_, err := f.Result(ctx)
	var pe *futures.PanicError
	if errors.As(err, &pe) {
		fmt.Println("task panicked:", pe.Value)
	}
	// Output: task panicked: out of paper
}

func ExampleNewThreadPool() {
	ctx := context.Background()
	// At most 2 goroutines, and at most 100 tasks waiting for them: Submit
	// blocks beyond that, which keeps a fast producer in check.
	pool := futures.NewThreadPool(2, futures.QueueSize(100))

	var fs []*futures.Future[int]
	for i := range 10 {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			return i * i, nil
		}))
	}
	// Shutdown waits for everything submitted.
	if err := pool.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	sum := 0
	for _, f := range fs {
		v, _ := f.Result(ctx)
		sum += v
	}
	fmt.Println(sum)
	// Output: 285
}

func ExampleWait() {
	ctx := context.Background()
	pool := futures.NewThreadPool(2)
	defer pool.Shutdown(ctx)

	release := make(chan struct{})
	slow := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		<-release
		return "slow", nil
	})
	fast := futures.Submit(ctx, pool, func(ctx context.Context) (string, error) {
		return "fast", nil
	})
	done, pending, _ := futures.Wait(ctx, []*futures.Future[string]{slow, fast}, futures.FirstCompleted)
	v, _ := done[0].Result(ctx)
	fmt.Println(len(done), len(pending), v)
	close(release)
	// Output: 1 1 fast
}

func ExampleAsCompleted() {
	ctx := context.Background()
	pool := futures.NewThreadPool(3)
	defer pool.Shutdown(ctx)

	// Each task waits for the one after it, so they finish last to first.
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var fs []*futures.Future[int]
	for i := range gates {
		fs = append(fs, futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			<-gates[i]
			return i, nil
		}))
	}
	close(gates[2])
	for f := range futures.AsCompleted(ctx, fs) {
		i, _ := f.Result(ctx)
		fmt.Println("finished", i)
		if i > 0 {
			close(gates[i-1])
		}
	}
	// Output:
	// finished 2
	// finished 1
	// finished 0
}

func ExampleMap() {
	ctx := context.Background()
	pool := futures.NewThreadPool(4)
	defer pool.Shutdown(ctx)

	words := []string{"futures", "", "threads", "processes"}
	count := func(ctx context.Context, w string) (int, error) {
		if w == "" {
			return 0, errors.New("empty word")
		}
		return len(w), nil
	}
	for n, err := range futures.Map(ctx, pool, count, slices.Values(words)) {
		fmt.Println(n, err)
	}
	// Output:
	// 7 <nil>
	// 0 empty word
	// 7 <nil>
	// 9 <nil>
}

func ExampleMapFutures() {
	ctx := context.Background()
	pool := futures.NewThreadPool(4)
	defer pool.Shutdown(ctx)

	// The caller makes each input's task: here one that sums a whole
	// batch of numbers, so that a batch costs one task.
	sum := func(ctx context.Context, batch []int) *futures.Future[int] {
		return futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
			total := 0
			for _, x := range batch {
				total += x
			}
			return total, nil
		})
	}
	batches := slices.Values([][]int{{1, 2}, {3, 4, 5}, {6}})
	for f, err := range futures.MapFutures(ctx, sum, batches, futures.ReadAhead(2)) {
		if err != nil { // ctx ended
			fmt.Println(err)
			break
		}
		fmt.Println(f.Result(ctx)) // f is done: no wait
	}
	// Output:
	// 3 <nil>
	// 12 <nil>
	// 6 <nil>
}

func ExampleFuture_Cancel() {
	ctx := context.Background()
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(ctx)

	release := make(chan struct{})
	busy := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		<-release
		return 1, nil
	})
	queued := futures.Submit(ctx, pool, func(ctx context.Context) (int, error) { return 2, nil })
	fmt.Println(queued.Cancel(), queued.State())
	_, err := queued.Result(ctx)
	fmt.Println(errors.Is(err, futures.ErrCancelled))
	close(release)
	busy.Result(ctx)
	// Output:
	// true CANCELLED
	// true
}
