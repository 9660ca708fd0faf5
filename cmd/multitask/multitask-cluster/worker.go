package main

import (
	"context"
	"io"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/multitask-go/multitask/cluster"
)

// worker runs jobs taken from the cluster until SIGINT or SIGTERM.
func worker(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flagSet("worker", stderr)
	jobs := fs.Int("j", runtime.NumCPU(), "run `N` jobs at once")
	ackWait := fs.Duration("ack-wait", cluster.DefaultAckWait, "how soon the job of a worker that died runs elsewhere")
	grace := fs.Duration("grace", cluster.DefaultGrace, "how long running jobs have to end when the worker stops")
	c := addConnFlags(fs)
	opts, err := c.parseConn(fs, args)
	if err != nil {
		return err
	}
	if *jobs < 1 {
		*jobs = 1
	}
	rc, err := startReaper()
	if err != nil {
		return err
	}
	defer rc.Close()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	opts = append(opts, cluster.Servers(c.url), cluster.Workers(*jobs), cluster.AckWait(*ackWait), cluster.Grace(*grace))
	return cluster.Serve(ctx, opts...)
}
