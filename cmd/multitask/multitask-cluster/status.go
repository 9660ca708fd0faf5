package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/multitask-go/multitask/cluster"
)

// queueStatus is what status prints of a queue.
type queueStatus struct {
	Queue       string `json:"queue"`
	Workers     int64  `json:"workers"`
	Queued      int64  `json:"queued"`
	Running     int64  `json:"running"`
	Redelivered int64  `json:"redelivered"`
	Done        int64  `json:"done"`
	Failed      int64  `json:"failed"`
	Dead        int64  `json:"dead"`
}

// status prints the state of a queue of the cluster.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("status", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	c := addConnFlags(fs)
	opts, err := c.parseConn(fs, args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ex, err := cluster.Connect(ctx, c.url, append(opts, cluster.Workers(0))...)
	if err != nil {
		return err
	}
	st := ex.Stats()
	shutdown(ex)
	if st.Err != nil {
		return st.Err
	}
	s := queueStatus{Queue: c.queue, Workers: st.Workers, Queued: st.Queued, Running: st.Running,
		Redelivered: st.Redelivered, Done: st.QueueDone, Failed: st.QueueFailed, Dead: st.DeadTasks}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(s)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "queue\t%s\n", s.Queue)
	fmt.Fprintf(tw, "workers\t%d\n", s.Workers)
	fmt.Fprintf(tw, "queued\t%d\n", s.Queued)
	fmt.Fprintf(tw, "running\t%d\n", s.Running)
	fmt.Fprintf(tw, "redelivered\t%d\n", s.Redelivered)
	fmt.Fprintf(tw, "done\t%d\n", s.Done)
	fmt.Fprintf(tw, "failed\t%d\n", s.Failed)
	fmt.Fprintf(tw, "dead\t%d\n", s.Dead)
	return tw.Flush()
}
