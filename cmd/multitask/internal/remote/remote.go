package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/mp"
)

// Name is the name the job function is registered under.
const Name = "multitask.job"

// Job runs one try of a job in the process that calls it and reports how
// it ended, with its output. It fails only when its context ended before
// the job did, and the job was killed.
var Job = mp.Register(Name, run)

// groups is told of the process groups of the jobs this process runs,
// when a reaper is in use (UseReaper).
var groups atomic.Pointer[jobexec.Groups]

// UseReaper makes every job this process runs from now on known to g
// while it runs: a reaper (see the command's internal/reaper), which kills
// the job's process group should this process die. A program that serves
// jobs calls it once, before it serves.
func UseReaper(g jobexec.Groups) {
	groups.Store(&g)
}

// paths finds the jobs' programs. A worker serves many runs, for long:
// a path found is looked up again after a second, so that a program
// installed or removed on the worker's machine is seen.
var paths = jobexec.Paths{TTL: time.Second}

// ErrStopped fails a job killed because its context ended.
var ErrStopped = errors.New("remote: the job was stopped")

func run(ctx context.Context, job jobexec.Job) (jobexec.Report, error) {
	var out, errOut bytes.Buffer
	spec := &jobexec.Spec{Job: job, Stdout: &out, Stderr: &errOut, Lookup: paths.Lookup}
	if g := groups.Load(); g != nil {
		spec.Groups = *g
	}
	o := jobexec.Run(ctx, spec)
	if o.Killed {
		return jobexec.Report{}, fmt.Errorf("%w: %w", ErrStopped, context.Cause(ctx))
	}
	return jobexec.NewReport(o, out.Bytes(), errOut.Bytes()), nil
}
