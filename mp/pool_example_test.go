package mp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/multitask-go/multitask/mp"
)

var cube = mp.Register("example-cube", func(ctx context.Context, x int) (int, error) {
	return x * x * x, nil
})

func ExamplePool() {
	ctx := context.Background()
	pool, err := mp.NewPool(mp.Workers(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Shutdown(ctx)

	// One task, one future.
	v, err := cube.Submit(ctx, pool, 3).Result(ctx)
	fmt.Println(v, err)

	// Many small tasks: Map sends them in chunks, results in input order.
	for v, err := range cube.Map(ctx, pool, slices.Values([]int{1, 2, 3, 4})) {
		fmt.Print(v, err, " ")
	}
	fmt.Println()
	// Output:
	// 27 <nil>
	// 1 <nil> 8 <nil> 27 <nil> 64 <nil>
}

var quits = mp.Register("example-quits", func(ctx context.Context, code int) (int, error) {
	os.Exit(code) // as a crash would, it ends the worker
	return 0, nil
})

func ExampleWorkerDiedError() {
	ctx := context.Background()
	pool, err := mp.NewPool(mp.Workers(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Shutdown(ctx)

	_, err = quits.Submit(ctx, pool, 3).Result(ctx)
	var died *mp.WorkerDiedError
	if errors.As(err, &died) {
		fmt.Println("worker died with exit code", died.ExitCode, errors.Is(err, mp.ErrWorkerDied))
	}
	// The pool replaced the worker and goes on.
	v, err := cube.Submit(ctx, pool, 2).Result(ctx)
	fmt.Println(v, err, pool.Stats().WorkerRestarts)
	// Output:
	// worker died with exit code 3 true
	// 8 <nil> 1
}
