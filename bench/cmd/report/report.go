package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The libraries in the order the tables list them: ours, the rivals, and
// the bare channel pool that serves as the floor.
const (
	ours  = "multitask"
	floor = "chanpool"
)

var (
	libOrder = []string{ours, "ants", "pond", "conc", "errgroup", floor}
	rivals   = []string{"ants", "pond", "conc", "errgroup"}
)

// groups describes the thread-pool benchmark groups, in the order they are
// printed; processGroups lists the others.
var groups = []groupInfo{
	{"FireAndForget", "200k tiny tasks, wait for all, no results through the library"},
	{"SubmitResult", "200k tiny tasks (x+1), the caller collects every result"},
	{"CPU1us", "20k tasks of ~1µs CPU each; efficiency = CPU in tasks / CPU available"},
	{"Latency", "one task at a time: submit, wait for the result"},
	{"ThreadPool100k", "100k submit + result, multitask alone; CPython below"},
}

// A groupInfo names a thread-pool group and says what it measures.
type groupInfo struct{ name, about string }

// A report is what the tables are made from: the Go benchmarks and, when the
// scripts ran, CPython's best time for 100k tasks and its p50 process start
// per start method.
type report struct {
	s        samples
	header   map[string]string
	procs    int     // GOMAXPROCS the benchmarks ran with
	pySecs   float64 // 0: no CPython figure
	pyStatus string  // why there is no CPython figure

	pyStarts      map[string]float64 // CPython's p50 start in seconds by method; nil: none
	pyStartsN     int                // starts per method the script timed
	pyStartStatus string             // why CPython's start figures are missing or partial

	pySync       map[string]float64 // python/mp_sync.py's figures by key; nil: none
	pySyncStatus string             // why CPython's sync figures are missing or partial

	pyPool       map[string]float64 // python/process_pool.py's figures by key; nil: none
	pyPoolStatus string             // why CPython's pool figures are missing or partial

	pyQueue       map[string]float64 // python/mp_queue.py's figures by key; nil: none
	pyQueueStatus string             // why CPython's queue figures are missing or partial

	pyBig       map[string]float64 // python/big_payload.py's figures by key; nil: none
	pyBigStatus string             // why CPython's big payload figures are missing or partial

	pyDask       map[string]float64 // python/dask_tasks.py's figures by key; nil: none
	pyDaskStatus string             // why Dask's figure is missing
}

// write prints one table per benchmark group that has results: the thread
// pools and their CPython comparison first (when any of them ran), then the
// process and codec groups, then any group this program does not know; then
// the targets.
func (r report) write(w io.Writer) {
	if cpu := r.header["cpu"]; cpu != "" {
		fmt.Fprintf(w, "cpu: %s, ", cpu)
	}
	fmt.Fprintf(w, "GOMAXPROCS %d (the size of every pool)\n", r.procs)
	names := r.groupNames()
	pools := slices.ContainsFunc(groups, func(g groupInfo) bool { return slices.Contains(names, g.name) })
	if pools {
		fmt.Fprintf(w, "ns/task and allocs/task are medians over the runs; ×%s and ×%s divide a library's ns/task\n"+
			"by theirs (above 1: slower).\n", ours, floor)
	}
	for _, g := range groups {
		if slices.Contains(names, g.name) {
			r.writeGroup(w, g.name)
		}
	}
	if pools {
		r.writePython(w)
	}
	for _, t := range r.processTables() {
		t.write(w)
	}
	for _, g := range names {
		if !slices.ContainsFunc(groups, func(k groupInfo) bool { return k.name == g }) && !slices.Contains(processGroups, g) {
			r.writeGroup(w, g)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "targets")
	for _, t := range append(r.targets(), r.processTargets()...) {
		fmt.Fprintf(w, "  %-4s  %-52s %s\n", t.status, t.name, t.detail)
	}
}

// groupNames returns the groups that have results: the known ones in their
// order, then any others by name.
func (r report) groupNames() []string {
	var names, others []string
	seen := map[string]bool{}
	for _, g := range groups {
		seen[g.name] = true
	}
	for k := range r.s {
		if !seen[k.group] && !slices.Contains(others, k.group) {
			others = append(others, k.group)
		}
	}
	for _, g := range groups {
		if r.hasGroup(g.name) {
			names = append(names, g.name)
		}
	}
	slices.Sort(others)
	return append(names, others...)
}

func (r report) hasGroup(group string) bool {
	for k := range r.s {
		if k.group == group {
			return true
		}
	}
	return false
}

// libsOf returns the libraries with results in group: the known ones in
// their order, then any others by name.
func (r report) libsOf(group string) []string {
	return r.libsIn(group, libOrder)
}

// libsIn returns the sub-benchmarks with results in group: those in order
// first, in that order, then any others by name.
func (r report) libsIn(group string, order []string) []string {
	var libs, others []string
	for _, l := range order {
		if r.s.runs(group, l) > 0 {
			libs = append(libs, l)
		}
	}
	for k := range r.s {
		if k.group == group && !slices.Contains(order, k.lib) {
			others = append(others, k.lib)
		}
	}
	slices.Sort(others)
	return append(libs, others...)
}

func (r report) writeGroup(w io.Writer, group string) {
	about := ""
	for _, g := range groups {
		if g.name == group {
			about = "  (" + g.about + ")"
		}
	}
	libs := r.libsOf(group)
	eff := false
	for _, l := range libs {
		if _, ok := r.s.median(group, l, "efficiency"); ok {
			eff = true
		}
	}
	fmt.Fprintf(w, "\n%s%s\n", group, about)
	head := fmt.Sprintf("  %-10s %5s %10s %12s %11s %10s", "library", "runs", "ns/task", "allocs/task", "×"+ours, "×"+floor)
	if eff {
		head += fmt.Sprintf(" %10s", "efficiency")
	}
	fmt.Fprintln(w, head)
	ourNs, haveOurs := r.s.median(group, ours, "ns/task")
	floorNs, haveFloor := r.s.median(group, floor, "ns/task")
	for _, l := range libs {
		ns, ok := r.s.median(group, l, "ns/task")
		allocs, okA := r.s.median(group, l, "allocs/task")
		line := fmt.Sprintf("  %-10s %5d %10s %12s %11s %10s", l, r.s.runs(group, l),
			num(ns, ok), fixed(allocs, okA, 2), ratio(ns, ourNs, ok && haveOurs), ratio(ns, floorNs, ok && haveFloor))
		if eff {
			e, okE := r.s.median(group, l, "efficiency")
			line += fmt.Sprintf(" %10s", fixed(e, okE, 3))
		}
		fmt.Fprintln(w, line)
	}
}

// writePython compares the best Go run of ThreadPool100k with CPython's best
// of its repeats, so that both sides get their best case.
func (r report) writePython(w io.Writer) {
	fmt.Fprintf(w, "\n%s vs CPython ThreadPoolExecutor  (100k submit + result, best run of each)\n", ours)
	goNs, ok := r.s.best("ThreadPool100k", ours, "ns/op")
	switch {
	case !ok:
		fmt.Fprintln(w, "  no ThreadPool100k result for "+ours)
		return
	case r.pySecs == 0:
		fmt.Fprintf(w, "  %-10s %10.4f s\n  CPython: %s\n", ours, goNs/1e9, r.pyStatus)
		return
	}
	fmt.Fprintf(w, "  %-10s %10.4f s  %8s ns/task\n", ours, goNs/1e9, num(goNs/1e5, true))
	fmt.Fprintf(w, "  %-10s %10.4f s  %8s ns/task\n", "CPython", r.pySecs, num(r.pySecs*1e4, true))
	fmt.Fprintf(w, "  CPython takes %.1f× as long as %s\n", r.pySecs*1e9/goNs, ours)
}

// A target is one performance goal of the library, checked on the medians.
type target struct {
	status string // PASS, MISS, or n/a when a figure is missing
	name   string
	detail string
}

func check(name string, pass bool, detail string) target {
	t := target{status: "MISS", name: name, detail: detail}
	if pass {
		t.status = "PASS"
	}
	return t
}

func missing(name string, what ...string) target {
	return target{status: "n/a", name: name, detail: "no result for " + strings.Join(what, ", ")}
}

// noPython is the n/a verdict of a target that needs a figure of a CPython
// script that did not give it; status says why, when known.
func noPython(name, status string) target {
	detail := "no CPython figure"
	if status != "" {
		detail += ": " + status
	}
	return target{status: "n/a", name: name, detail: detail}
}

// targets checks multitask's performance goals:
//  1. SubmitResult: multitask no slower than the best of ants and conc, at
//     most 3× the channel pool, at most 2 allocations per task;
//  2. Latency: multitask at most 1.2× ants;
//  3. CPU1us: multitask's efficiency at least the best rival's.
//
// Allocations are compared after rounding to two decimals, as printed: the
// pool's own background work adds a few allocations over a whole run.
func (r report) targets() []target {
	var ts []target
	med := func(group, lib, unit string) (float64, bool) { return r.s.median(group, lib, unit) }

	const sr = "SubmitResult"
	name := "SubmitResult: multitask ≤ 1.0× best of ants, conc"
	our, okO := med(sr, ours, "ns/task")
	bestLib, bestNs := "", 0.0
	for _, l := range []string{"ants", "conc"} {
		if v, ok := med(sr, l, "ns/task"); ok && (bestLib == "" || v < bestNs) {
			bestLib, bestNs = l, v
		}
	}
	if !okO || bestLib == "" {
		ts = append(ts, missing(name, ours, "ants or conc"))
	} else {
		ts = append(ts, check(name, our <= bestNs,
			fmt.Sprintf("%.2f× (%s ns/task vs %s %s)", our/bestNs, num(our, true), bestLib, num(bestNs, true))))
	}

	name = "SubmitResult: multitask ≤ 3× chanpool"
	if fl, ok := med(sr, floor, "ns/task"); !okO || !ok {
		ts = append(ts, missing(name, ours, floor))
	} else {
		ts = append(ts, check(name, our <= 3*fl, fmt.Sprintf("%.2f×", our/fl)))
	}

	name = "SubmitResult: multitask allocs/task ≤ 2"
	if a, ok := med(sr, ours, "allocs/task"); !ok {
		ts = append(ts, missing(name, ours))
	} else {
		ts = append(ts, check(name, a <= 2.005, fmt.Sprintf("%.2f", a)))
	}

	name = "Latency: multitask ≤ 1.2× ants"
	ourLat, okO := med("Latency", ours, "ns/task")
	if ants, ok := med("Latency", "ants", "ns/task"); !okO || !ok {
		ts = append(ts, missing(name, ours, "ants"))
	} else {
		ts = append(ts, check(name, ourLat <= 1.2*ants,
			fmt.Sprintf("%.2f× (%s ns vs %s ns)", ourLat/ants, num(ourLat, true), num(ants, true))))
	}

	name = "CPU1us: multitask efficiency ≥ best rival's"
	ourEff, okO := med("CPU1us", ours, "efficiency")
	bestLib, bestEff := "", 0.0
	for _, l := range rivals {
		if v, ok := med("CPU1us", l, "efficiency"); ok && (bestLib == "" || v > bestEff) {
			bestLib, bestEff = l, v
		}
	}
	if !okO || bestLib == "" {
		ts = append(ts, missing(name, ours, "a rival"))
	} else {
		ts = append(ts, check(name, ourEff >= bestEff,
			fmt.Sprintf("%.3f vs %s %.3f", ourEff, bestLib, bestEff)))
	}
	return ts
}

// num formats a time in nanoseconds with about four significant digits.
func num(v float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func fixed(v float64, ok bool, digits int) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.*f", digits, v)
}

func ratio(v, base float64, ok bool) string {
	if !ok || base == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v/base)
}

// pythonNote is a table's note on CPython's figures: how script measured
// them, or why it gave none (status).
func pythonNote(script, status, how string) string {
	if status != "" {
		return "CPython: python/" + script + ": " + status
	}
	return "CPython: python/" + script + ", " + how
}
