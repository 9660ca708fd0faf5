package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/cmd/multitask/internal/bridge"
	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/cmd/multitask/internal/remote"
)

// Embedded is the URL that makes the bridge start a server of its own.
const Embedded = "embedded"

// bridgeMain serves `multitask --cluster URL`: it submits the jobs the
// command sends on stdin to the cluster and writes their reports to
// stdout, until stdin ends. With the URL "embedded" it starts an embedded
// server with --workers local workers instead of connecting.
func bridgeMain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	token := os.Getenv(bridge.TokenEnv)
	if token == "" {
		return errors.New("the bridge is started by multitask --cluster, not by hand")
	}
	// The command's death shows as a write error on stdout, and as the
	// end of stdin, not as a signal that would leave the jobs running.
	signal.Ignore(syscall.SIGPIPE)
	fs := flagSet("bridge", stderr)
	workers := fs.Int("workers", 1, "with embedded: run `N` jobs at once")
	c := addConnFlags(fs)
	positional, err := parse(fs, args)
	if err == nil {
		err = c.resolve(positional)
	}
	var ex *cluster.Executor
	stop := func() {}
	if err == nil {
		ex, stop, err = connect(c, *workers)
	}
	if err != nil {
		_ = bridge.Refuse(stdout, token, err)
		return err
	}
	defer stop()
	return bridge.Serve(stdin, stdout, token, func(ctx context.Context, job jobexec.Job) (jobexec.Report, error) {
		return remote.Job.Submit(ctx, ex, job).Result(context.Background())
	})
}

// connect reaches the cluster c names, or starts the embedded one, and
// returns what stops it.
func connect(c *conn, workers int) (*cluster.Executor, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts, err := c.options()
	if err != nil {
		return nil, nil, err
	}
	if c.url != Embedded {
		ex, err := cluster.Connect(ctx, c.url, append(opts, cluster.Workers(0))...)
		if err != nil {
			return nil, nil, err
		}
		return ex, func() { shutdown(ex) }, nil
	}
	// The embedded cluster's workers run the jobs in this process.
	rc, err := startReaper()
	if err != nil {
		return nil, nil, err
	}
	// Its streams live in memory: the server ends with this process,
	// and the run with it, so a file store would keep nothing of use.
	ex, err := cluster.New(ctx, cluster.Queue(c.queue), cluster.Workers(max(workers, 1)), cluster.InMemory())
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("the embedded cluster: %w", err)
	}
	return ex, func() { shutdown(ex); rc.Close() }, nil
}
