package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// The Cluster group (cluster_test.go) measures the cluster executor over
// NATS JetStream against a raw JetStream loop in the same run, and
// python/dask_tasks.py runs the same tiny tasks on Dask distributed.
const groupCluster = "Cluster"

// Cluster's sub-benchmarks.
const (
	clusterRaw       = "rawjs"         // the raw JetStream loop, 2 worker processes; tasks/s
	clusterProcs     = "procs"         // New listening, 2 Serve worker processes; tasks/s
	clusterInProc    = "inproc"        // New as it comes, goroutine workers; tasks/s
	clusterProcsMap  = "procs-map"     // procs, through Map, which sends chunks; tasks/s
	clusterInProcMap = "inproc-map"    // inproc, through Map; tasks/s
	clusterRoundTrip = "roundtrip"     // one task at a time on New; p50-ns, p99-ns
	clusterRoundMem  = "roundtrip-mem" // the same on New with InMemory
	clusterNew       = "new"           // New until it returns; p50-ns
	clusterCancel    = "cancel"        // a running task's ctx cancelled → its future done; p99-ns
	clusterR1        = "r1"            // three routed servers, Replicas(1); tasks/s
	clusterR3        = "r3"            // the same with Replicas(3); tasks/s

	// clusterDask names the table's row of python/dask_tasks.py's figure.
	clusterDask = "dask"
)

// clusterOps lists the Cluster table's rows: the sub-benchmark, what it
// does, and whether its figure is a rate (tasks/s) or times (p50, p99).
var clusterOps = []struct {
	lib, about string
	rate       bool
}{
	{clusterRaw, "raw JetStream loop, 2 worker processes (the floor)", true},
	{clusterProcs, "New on loopback, 2 Serve worker processes", true},
	{clusterInProc, "New, goroutine workers", true},
	{clusterProcsMap, "procs, through Map (chunks of inputs)", true},
	{clusterInProcMap, "inproc, through Map (chunks of inputs)", true},
	{clusterR1, "3 routed servers, Replicas(1)", true},
	{clusterR3, "3 routed servers, Replicas(3)", true},
	{clusterRoundTrip, "one task at a time: Submit, Result", false},
	{clusterRoundMem, "the same, New with InMemory", false},
	{clusterNew, "New until ready", false},
	{clusterCancel, "cancel a running task → its future done", false},
}

// pythonDaskPrefix starts the line python/dask_tasks.py prints:
//
//	python_dask_tasks_per_s 1500
const pythonDaskPrefix = "python_dask_"

// pyDaskRate is the key of Dask's figure in report.pyDask.
const pyDaskRate = "tasks_per_s"

// parsePythonDask finds python/dask_tasks.py's line in its output and
// returns its figure by key, as parseFigures does.
func parsePythonDask(out string) (map[string]float64, error) {
	return parseFigures(out, pythonDaskPrefix)
}

// The interpreter dask_tasks.py runs with, when -dask-python does not
// name one: the first of -python and systemPython that imports
// distributed, after daskInstall when none does (Debian's package, which
// a python3 of pyenv's does not see).
var (
	systemPython = "/usr/bin/python3"
	daskInstall  = []string{"apt-get", "install", "-y", "--no-install-recommends", "python3-distributed"}
)

// daskInterpreter returns the first of candidates that imports
// distributed. When none does and install is not empty, it runs install,
// its output copied to progress, and looks again. The error says why
// there is none.
func daskInterpreter(ctx context.Context, progress io.Writer, candidates, install []string) (string, error) {
	find := func() string {
		for _, py := range candidates {
			if exec.CommandContext(ctx, py, "-c", "import distributed").Run() == nil {
				return py
			}
		}
		return ""
	}
	if py := find(); py != "" {
		return py, nil
	}
	none := "no interpreter imports distributed (tried " + strings.Join(candidates, ", ") + ")"
	if len(install) == 0 {
		return "", errors.New(none)
	}
	fmt.Fprintf(progress, "report: %s: %s\n", none, quoteArgs(install))
	cmd := exec.CommandContext(ctx, install[0], install[1:]...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out := &lockedWriter{w: progress} // written by two of cmd's goroutines
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s, and %s failed: %w", none, quoteArgs(install), err)
	}
	if py := find(); py != "" {
		return py, nil
	}
	return "", fmt.Errorf("%s, even after %s", none, quoteArgs(install))
}

// daskFigures runs python/dask_tasks.py with an interpreter that imports
// distributed (see daskInterpreter) and returns what it printed, its
// figures and why they are missing ("skipped: ..." when no interpreter
// could run it), as scriptFigures does.
func (c config) daskFigures(ctx context.Context, stderr io.Writer) (string, map[string]float64, string) {
	switch {
	case c.python == "":
		return "", nil, "not run (-python is empty)"
	case ctx.Err() != nil:
		return "", nil, "not run (interrupted)"
	}
	candidates := []string{c.daskPython}
	if c.daskPython == "" {
		candidates = slices.Compact([]string{c.python, systemPython})
	}
	var install []string
	if c.daskInstall {
		install = daskInstall
	}
	py, err := daskInterpreter(ctx, stderr, candidates, install)
	if err != nil {
		fmt.Fprintf(stderr, "report: python/%s skipped: %v\n", scriptDask, err)
		return "", nil, "skipped: " + err.Error()
	}
	c.python = py
	return c.scriptFigures(ctx, stderr, scriptDask, parsePythonDask)
}

// clusterTable lists, per sub-benchmark, the median over the runs of its
// tasks/s or of its p50 and p99, then Dask's tasks/s; the notes give the
// ratios the targets check.
func (r report) clusterTable() table {
	t := table{
		title: groupCluster,
		about: "the cluster executor over NATS JetStream, tiny tasks, at most 1024 unfinished; medians over the runs",
		left:  2,
		head:  []string{"op", "what", "runs", "tasks/s", "p50 ms", "p99 ms"},
	}
	ms := func(v float64, ok bool) string { return fixed(v/1e6, ok, 3) }
	for _, op := range clusterOps {
		n := r.s.runs(groupCluster, op.lib)
		if n == 0 {
			continue
		}
		row := []string{op.lib, op.about, strconv.Itoa(n), "-", "-", "-"}
		if op.rate {
			row[3] = num(r.s.median(groupCluster, op.lib, "tasks/s"))
		} else {
			row[4] = ms(r.s.median(groupCluster, op.lib, "p50-ns"))
			row[5] = ms(r.s.median(groupCluster, op.lib, "p99-ns"))
		}
		t.rows = append(t.rows, row)
	}
	if v, ok := r.pyDask[pyDaskRate]; ok {
		t.rows = append(t.rows, []string{clusterDask, "Dask LocalCluster, 2 worker processes", "-", num(v, true), "-", "-"})
	}
	rate := func(lib string) (float64, bool) { return r.s.median(groupCluster, lib, "tasks/s") }
	var ratios []string
	for _, p := range []struct{ lib, base string }{{clusterProcs, clusterRaw}, {clusterR3, clusterR1}} {
		v, ok := rate(p.lib)
		base, okB := rate(p.base)
		if ok && okB && base > 0 {
			ratios = append(ratios, fmt.Sprintf("%s is %.0f%% of %s", p.lib, 100*v/base, p.base))
		}
	}
	// Dask's figure is of client.map: procs-map is the same call here.
	for _, lib := range []string{clusterProcs, clusterProcsMap} {
		if v, ok := rate(lib); ok && r.pyDask[pyDaskRate] > 0 {
			ratios = append(ratios, fmt.Sprintf("%s is %.1f× Dask", lib, v/r.pyDask[pyDaskRate]))
		}
	}
	if len(ratios) > 0 {
		t.notes = append(t.notes, "tasks/s: "+strings.Join(ratios, "; "))
	}
	dask := "Dask: python/" + scriptDask
	if r.pyDaskStatus != "" {
		dask += ": " + r.pyDaskStatus
	} else {
		dask += ", LocalCluster(n_workers=2, threads_per_worker=1, processes=True), client.map, best of 3 runs of 2000 tasks"
	}
	t.notes = append(t.notes, dask)
	return t
}

// clusterTargets checks the goals of the Cluster group when it ran:
//  1. two Serve worker processes at least 80% of the raw loop's tasks/s;
//  2. New with goroutine workers at least 32,000 tasks/s;
//  3. one task at a time: p50 at most 0.8 ms, p99 at most 3 ms;
//  4. New ready in at most 30 ms (p50);
//  5. a running task cancelled: its future done within 5 ms (p99);
//  6. Replicas(3) at least 40% of Replicas(1)'s tasks/s on three servers;
//  7. two Serve worker processes at least 30× Dask's tasks/s.
func (r report) clusterTargets() []target {
	if !r.hasGroup(groupCluster) {
		return nil
	}
	med := func(lib, unit string) (float64, bool) { return r.s.median(groupCluster, lib, unit) }
	var ts []target
	share := func(name, lib, base string, min float64) {
		v, ok := med(lib, "tasks/s")
		b, okB := med(base, "tasks/s")
		if !ok || !okB || b == 0 {
			ts = append(ts, missing(name, lib, base))
			return
		}
		ts = append(ts, check(name, v >= min*b,
			fmt.Sprintf("%.0f%% (%s vs %s %s tasks/s)", 100*v/b, num(v, true), base, num(b, true))))
	}
	atMost := func(name, lib, unit string, limit float64) {
		if v, ok := med(lib, unit); !ok {
			ts = append(ts, missing(name, lib))
		} else {
			ts = append(ts, check(name, v <= limit, fmt.Sprintf("%.3f ms", v/1e6)))
		}
	}

	share("Cluster: procs ≥ 80% of rawjs tasks/s", clusterProcs, clusterRaw, 0.8)
	name := "Cluster: inproc ≥ 32k tasks/s"
	if v, ok := med(clusterInProc, "tasks/s"); !ok {
		ts = append(ts, missing(name, clusterInProc))
	} else {
		ts = append(ts, check(name, v >= 32000, num(v, true)+" tasks/s"))
	}
	atMost("Cluster: roundtrip p50 ≤ 0.8 ms", clusterRoundTrip, "p50-ns", 0.8e6)
	atMost("Cluster: roundtrip p99 ≤ 3 ms", clusterRoundTrip, "p99-ns", 3e6)
	atMost("Cluster: New → ready p50 ≤ 30 ms", clusterNew, "p50-ns", 30e6)
	atMost("Cluster: cancel running → done p99 ≤ 5 ms", clusterCancel, "p99-ns", 5e6)
	share("Cluster: r3 ≥ 40% of r1 tasks/s", clusterR3, clusterR1, 0.4)

	name = "Cluster: procs ≥ 30× Dask tasks/s"
	procs, okP := med(clusterProcs, "tasks/s")
	switch py, ok := r.pyDask[pyDaskRate]; {
	case !okP:
		ts = append(ts, missing(name, clusterProcs))
	case !ok:
		detail := "no Dask figure"
		if r.pyDaskStatus != "" {
			detail += ": " + r.pyDaskStatus
		}
		ts = append(ts, target{status: "n/a", name: name, detail: detail})
	default:
		ts = append(ts, check(name, procs >= 30*py,
			fmt.Sprintf("%.1f× (%s vs Dask %s tasks/s)", procs/py, num(procs, true), num(py, true))))
	}
	return ts
}
