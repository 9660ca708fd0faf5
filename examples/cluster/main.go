// Command cluster counts primes in ranges of integers on a cluster
// executor: the same registered function, submitted with the same
// Func.Map, runs in this process or in worker processes that reach the
// tasks through NATS JetStream, as workers on other machines would.
//
// Usage:
//
//	go run ./examples/cluster [-workers N] [-ranges R] [-size S]
//
// With -workers 0 (the default) everything runs in this process: an
// embedded NATS server with no port and local workers. With -workers N the
// embedded server listens on a loopback port and N worker processes of
// this program serve the queue; on a real cluster they would run on other
// machines, started with cluster.Serve and TLS credentials.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/mp"
)

// A span is the half-open range of integers [From, To).
type span struct{ From, To int }

// countPrimes is the task: how many primes lie in a span.
var countPrimes = mp.Register("cluster-example-count-primes", func(ctx context.Context, s span) (int, error) {
	n := 0
	for v := max(s.From, 2); v < s.To; v++ {
		if v%1024 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		prime := true
		for d := 2; d*d <= v; d++ {
			if v%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			n++
		}
	}
	return n, nil
})

// serve makes a worker process serve the queue of the server at url until
// its parent stops it.
var serve = mp.Register("cluster-example-serve", func(ctx context.Context, url string) (struct{}, error) {
	return struct{}{}, cluster.Serve(ctx, cluster.Servers(url), cluster.Workers(2))
})

func main() {
	mp.Main()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workers := fs.Int("workers", 0, "worker `processes` that serve the queue (0: goroutines of this process)")
	ranges := fs.Int("ranges", 20, "how many ranges to count in")
	size := fs.Int("size", 50_000, "the size of each range")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := count(stdout, *workers, *ranges, *size); err != nil {
		fmt.Fprintln(stderr, "cluster:", err)
		return 1
	}
	return 0
}

func count(out io.Writer, workers, ranges, size int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := []cluster.Option{}
	if workers > 0 {
		// Only this machine's processes may connect: loopback, no TLS.
		opts = append(opts, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(0))
	}
	start := time.Now()
	ex, err := cluster.New(ctx, opts...)
	if err != nil {
		return err
	}
	defer ex.Shutdown(context.Background())
	fmt.Fprintf(out, "executor ready in %v\n", time.Since(start).Round(time.Millisecond))

	// The workers stop when the work is done, and are waited for.
	var procs []*mp.Process
	defer func() {
		cancel()
		for _, p := range procs {
			p.Join(context.Background())
		}
	}()
	for range workers {
		p := mp.NewProcess(serve, ex.ClientURL(), mp.Context(ctx))
		if err := p.Start(); err != nil {
			return err
		}
		procs = append(procs, p)
	}
	if err := waitForWorkers(ctx, ex, workers); err != nil {
		return err
	}

	spans := func(yield func(span) bool) {
		for i := range ranges {
			if !yield(span{i * size, (i + 1) * size}) {
				return
			}
		}
	}
	total := 0
	i := 0
	for n, err := range countPrimes.Map(ctx, ex, iter.Seq[span](spans)) {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "[%8d, %8d): %5d primes\n", i*size, (i+1)*size, n)
		total += n
		i++
	}
	s := ex.Stats()
	fmt.Fprintf(out, "%d primes below %d in %v; %d tasks done, %d workers\n",
		total, ranges*size, time.Since(start).Round(time.Millisecond), s.Done, s.Workers)
	return nil
}

// waitForWorkers waits until n workers serve the executor's queue, so that
// the work is spread from the start; tasks submitted earlier would only
// wait in the stream.
func waitForWorkers(ctx context.Context, ex *cluster.Executor, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if s := ex.Stats(); s.Workers >= int64(n) {
			return nil
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d workers: %w", n, ctx.Err())
		}
	}
}
