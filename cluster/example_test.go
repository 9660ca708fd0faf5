package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync/atomic"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/mp"
)

// Functions that run on a cluster are registered at package level, so that
// every process of the binary knows them by name.
var (
	Square = mp.Register("example-square", func(ctx context.Context, x int) (int, error) { return x * x, nil })

	Sleep = mp.Register("example-sleep", func(ctx context.Context, d time.Duration) (string, error) {
		select {
		case <-time.After(d):
			return "slept", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})

	// Flaky fails its first two runs.
	flakyRuns atomic.Int64
	Flaky     = mp.Register("example-flaky", func(ctx context.Context, s string) (string, error) {
		if flakyRuns.Add(1) <= 2 {
			return "", errors.New("not yet")
		}
		return s + "!", nil
	})
)

// New starts an embedded server and local workers in this process; the
// registered function's Submit sends it a task.
func ExampleNew() {
	ctx := context.Background()
	ex, err := cluster.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer ex.Shutdown(ctx)

	v, err := Square.Submit(ctx, ex, 7).Result(ctx)
	fmt.Println(v, err)
	// Output: 49 <nil>
}

// Map yields the results in the order of the inputs, sending them in
// chunks of ten.
func Example_map() {
	ctx := context.Background()
	ex, err := cluster.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer ex.Shutdown(ctx)

	var squares []int
	for v, err := range Square.Map(ctx, ex, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), mp.Chunk(10)) {
		if err != nil {
			log.Fatal(err)
		}
		squares = append(squares, v)
	}
	fmt.Println(squares)
	// Output: [1 4 9 16 25 36 49 64 81 100 121 144]
}

// With gives some tasks other settings: a time limit, or retries.
func ExampleExecutor_With() {
	ctx := context.Background()
	ex, err := cluster.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer ex.Shutdown(ctx)

	quick, err := ex.With(cluster.Timeout(50 * time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	_, err = Sleep.Submit(ctx, quick, time.Hour).Result(ctx)
	fmt.Println("timed out:", errors.Is(err, context.DeadlineExceeded))

	flakyRuns.Store(0)
	patient, err := ex.With(cluster.Retries(3), cluster.Backoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	v, err := Flaky.Submit(ctx, patient, "done").Result(ctx)
	fmt.Println(v, err, "after", flakyRuns.Load(), "runs")
	// Output:
	// timed out: true
	// done! <nil> after 3 runs
}
