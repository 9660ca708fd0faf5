// Command isolation runs jobs in child processes, where a job that crashes
// the runtime or never returns cannot take the program down with it: each
// job gets its own process, a deadline, and a report.
//
// Usage:
//
//	go run ./examples/isolation [-timeout D] [-method spawn|forkserver|fork]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// A job says what the child should do, so that the demo shows every way a
// task can end.
type job struct {
	Name string
	Kind string // "ok", "error", "panic", "crash", "hang"
	N    int
}

var errBadInput = errors.New("bad input")

// Run is the task; it runs in a child process.
var Run = mp.Register("isolation-run", func(ctx context.Context, j job) (int, error) {
	switch j.Kind {
	case "error":
		return 0, fmt.Errorf("job %s: %w", j.Name, errBadInput)
	case "panic":
		panic("job " + j.Name + " lost its way")
	case "crash":
		// A fault outside any recover, as a cgo library's crash would be:
		// it ends the process, and only the process.
		go func() {
			var p *int
			*p = j.N
		}()
		select {}
	case "hang":
		select {} // ignores its context: only a kill stops it
	}
	sum := 0
	for i := range j.N {
		sum += i
	}
	return sum, nil
})

func main() {
	mp.Main()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("isolation", flag.ContinueOnError)
	flags.SetOutput(stderr)
	timeout := flags.Duration("timeout", 500*time.Millisecond, "deadline of each job")
	method := flags.String("method", "spawn", "start method: spawn, forkserver or fork")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	m, ok := map[string]mp.StartMethod{"spawn": mp.Spawn, "forkserver": mp.ForkServer, "fork": mp.Fork}[*method]
	if !ok {
		fmt.Fprintf(stderr, "isolation: unknown start method %q\n", *method)
		return 2
	}
	jobs := []job{
		{"sum-1k", "ok", 1000},
		{"refuses", "error", 0},
		{"panics", "panic", 0},
		{"segfaults", "crash", 0},
		{"hangs", "hang", 0},
		{"sum-1m", "ok", 1_000_000},
	}
	// Every job in its own child, all at once; each outcome is awaited on a
	// pool of goroutines as a future.
	pool := futures.NewThreadPool(len(jobs))
	defer pool.Shutdown(context.Background())
	fs := make([]*futures.Future[string], len(jobs))
	for i, j := range jobs {
		fs[i] = futures.Submit(context.Background(), pool, func(context.Context) (string, error) {
			return runJob(j, m, *timeout)
		})
	}
	failed := 0
	for i, f := range fs {
		report, err := f.Result(context.Background())
		if err != nil {
			failed++
			report = "failed: " + err.Error()
		}
		fmt.Fprintf(stdout, "%-10s %s\n", jobs[i].Name, report)
	}
	fmt.Fprintf(stdout, "%d jobs, %d failed, and this process is fine\n", len(jobs), failed)
	return 0
}

// runJob runs j in a child with a deadline and describes how it ended.
func runJob(j job, m mp.StartMethod, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	opts := []mp.ProcessOption{mp.Method(m), mp.Context(ctx), mp.Grace(50 * time.Millisecond)}
	// A ForkServer child writes where the program's output went; the others'
	// crash reports are kept to quote their first line.
	var crashLog strings.Builder
	if m != mp.ForkServer {
		opts = append(opts, mp.Output(nil, &crashLog))
	}
	p := mp.NewProcess(Run, j, opts...)
	if err := p.Start(); err != nil {
		return "", err
	}
	v, err := Run.Result(context.Background(), p)
	var ee *mp.ExitError
	var pe *futures.PanicError
	switch {
	case err == nil:
		return fmt.Sprintf("ok: %d", v), nil
	case ctx.Err() != nil && errors.As(err, &ee):
		return "", fmt.Errorf("past its %v deadline, killed (exit code %d)", timeout, ee.Code)
	case errors.As(err, &pe):
		return "", fmt.Errorf("panicked: %v", pe.Value)
	case errors.As(err, &ee):
		first, _, _ := strings.Cut(crashLog.String(), "\n")
		return "", fmt.Errorf("crashed (exit code %d): %s", ee.Code, first)
	}
	return "", err
}
