package threads_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/threads"
)

// Run keeps the program going for its non-daemon threads, even ones main
// never joins, and then stops the daemon threads.
func ExampleRun() {
	err := threads.Run(func(ctx context.Context) error {
		fmt.Println("main runs as", threads.Current(ctx).Name())

		// A daemon runs until Run stops it, which it does only after
		// every non-daemon thread has finished.
		threads.Start(ctx, func(ctx context.Context) {
			<-ctx.Done()
			fmt.Println("heartbeat stopped:", ctx.Err())
		}, threads.Name("heartbeat"), threads.Daemon(true))

		worker := threads.Start(ctx, func(ctx context.Context) {
			me := threads.Current(ctx)
			fmt.Printf("%s working (daemon: %v)\n", me.Name(), me.IsDaemon())
			// Not joined by anyone: Run waits for it all the same.
			threads.Start(ctx, func(ctx context.Context) {
				fmt.Println(threads.Current(ctx).Name(), "flushing")
			}, threads.Name("flusher"))
		})
		return worker.Join(ctx)
	})
	fmt.Println("Run returned", err)
	// Output:
	// main runs as MainThread
	// Thread-1 working (daemon: false)
	// flusher flushing
	// heartbeat stopped: context canceled
	// Run returned <nil>
}

// Outside Run a thread is a named goroutine that its starter joins; a panic
// in it comes back from Join instead of crashing the program.
func ExampleStart() {
	ctx := context.Background()

	var sum int
	adder := threads.Start(ctx, func(context.Context) {
		for i := 1; i <= 10; i++ {
			sum += i
		}
	}, threads.Name("adder"))
	if err := adder.Join(ctx); err == nil {
		fmt.Println(adder.Name(), "computed", sum)
	}

	fragile := threads.Start(ctx, func(context.Context) {
		panic("out of cheese")
	}, threads.Name("fragile"))
	var pe *futures.PanicError
	if err := fragile.Join(ctx); errors.As(err, &pe) {
		fmt.Println(fragile.Name(), "panicked:", pe.Value)
	}
	// Output:
	// adder computed 55
	// fragile panicked: out of cheese
}

// Current tells a function which thread it runs in, through its context.
func ExampleCurrent() {
	fmt.Println(threads.Current(context.Background()) == nil)
	t := threads.Start(context.Background(), func(ctx context.Context) {
		fmt.Println(threads.Current(ctx).Name())
	}, threads.Name("reader"))
	_ = t.Join(context.Background())
	// Output:
	// true
	// reader
}
