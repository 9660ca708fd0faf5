// Command batch runs a batch of jobs on a process pool where some jobs
// crash their worker and some never return, and still finishes every job
// with a result or a reason: a crash costs the pool one worker, which it
// replaces; a job past its time limit is killed with its worker; the jobs
// those workers held but had not begun run elsewhere.
//
// Usage:
//
//	go run ./examples/batch [-jobs N] [-workers N] [-timeout D]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// A job is one unit of the batch. Its number decides how it behaves, so
// that the demo has every kind of ending.
type job struct {
	ID   int
	Size int // bytes to checksum
}

// behaviour returns what job id does: most compute; a few crash, hang or
// refuse their input.
func behaviour(id int) string {
	switch {
	case id%50 == 17:
		return "crash"
	case id%50 == 33:
		return "hang"
	case id%20 == 9:
		return "refuse"
	}
	return "ok"
}

var errBadInput = errors.New("bad input")

// Registered, errBadInput keeps its identity across processes: errors.Is
// finds it in the error a worker returned.
func init() { mp.RegisterError("batch.errBadInput", errBadInput) }

// checksum is the task; it runs in a worker process.
var checksum = mp.Register("batch-checksum", func(ctx context.Context, j job) (uint32, error) {
	switch behaviour(j.ID) {
	case "crash":
		// A fault no recover can catch, as a cgo library's would be: it
		// ends the worker, and only the worker.
		go func() {
			var p *int
			*p = j.ID
		}()
		select {}
	case "hang":
		select {} // ignores its context: only a kill stops it
	case "refuse":
		return 0, fmt.Errorf("job %d: %w", j.ID, errBadInput)
	}
	buf := make([]byte, j.Size)
	for i := range buf {
		buf[i] = byte(i * j.ID)
	}
	return crc32.ChecksumIEEE(buf), nil
})

func main() {
	mp.Main()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("batch", flag.ContinueOnError)
	flags.SetOutput(stderr)
	jobs := flags.Int("jobs", 200, "jobs in the batch")
	workers := flags.Int("workers", 2, "worker processes")
	timeout := flags.Duration("timeout", 300*time.Millisecond, "time limit of each job")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	pool, err := mp.NewPool(mp.Workers(*workers), mp.Timeout(*timeout), mp.Grace(50*time.Millisecond))
	if err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return 1
	}
	defer pool.Shutdown(context.Background())

	ctx := context.Background()
	start := time.Now()
	fs := make([]*futures.Future[uint32], *jobs)
	for i := range fs {
		fs[i] = checksum.Submit(ctx, pool, job{ID: i, Size: 64 << 10})
	}
	var ok, refused, crashed, killed int
	for i, f := range fs {
		sum, err := f.Result(ctx)
		var died *mp.WorkerDiedError
		switch {
		case err == nil:
			ok++
			if want := behaviour(i); want != "ok" {
				fmt.Fprintf(stdout, "job %d should have ended in %s, got a checksum %08x\n", i, want, sum)
			}
		case errors.Is(err, errBadInput):
			refused++
		case errors.As(err, &died):
			crashed++
			fmt.Fprintf(stdout, "job %3d: worker %d died (exit code %d)\n", i, died.Pid, died.ExitCode)
		case errors.Is(err, context.DeadlineExceeded):
			killed++
			fmt.Fprintf(stdout, "job %3d: past its %v limit, killed with its worker\n", i, *timeout)
		default:
			fmt.Fprintf(stdout, "job %3d: %v\n", i, err)
		}
	}
	st := pool.Stats()
	fmt.Fprintf(stdout, "%d jobs: %d ok, %d refused their input, %d crashed their worker, %d killed past the limit\n",
		*jobs, ok, refused, crashed, killed)
	fmt.Fprintf(stdout, "%d workers started, %d of them to replace one; %v\n",
		st.WorkerStarts, st.WorkerRestarts, time.Since(start).Round(time.Millisecond))
	return 0
}
