package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// readmeResults is where -readme saves a run's raw output, relative to the
// bench module. It is committed, so that the README's tables can be rebuilt
// and checked without running anything.
const readmeResults = "results/readme.txt"

// The lines a saved run starts with, above go test's output, in the
// "key: value" form that benchstat takes for configuration.
const (
	runKeyPrefix = "run-"
	keyDate      = "run-date"    // when the run began, RFC 3339 in UTC
	keyTook      = "run-took"    // the whole run, the scripts included
	keyCommand   = "run-command" // the command that makes such a run
	keyGo        = "run-go"      // the Go toolchain and platform
	keyPython    = "run-python"  // CPython's version, or "not run"
	keyCores     = "run-cores"   // the machine's CPUs
	keyProcs     = "run-gomaxprocs"
)

// The scripts in python/, by file name.
const (
	scriptThreadPool = "threadpool.py"
	scriptStart      = "process_start.py"
	scriptSync       = "mp_sync.py"
	scriptPool       = "process_pool.py"
	scriptQueue      = "mp_queue.py"
	scriptBig        = "big_payload.py"
	scriptDask       = "dask_tasks.py"
)

// newReport gathers the results of one go test run; CPython's figures
// are added by the caller.
func newReport(out benchOutput) report {
	r := report{s: collect(out.results), header: out.header}
	for _, res := range out.results {
		r.procs = max(r.procs, res.procs)
	}
	return r
}

// readPython takes CPython's figures from text, saved output that holds
// the scripts' lines after go test's, and returns the scripts whose
// figures it found. A script's malformed line leaves the figures read
// before it, and the error as that script's status.
func (r *report) readPython(text string) map[string]bool {
	found := map[string]bool{}
	if s, err := parsePython(text); err == nil {
		r.pySecs, r.pyStatus, found[scriptThreadPool] = s, "", true
	}
	if starts, err := parsePythonStarts(text); len(starts) > 0 {
		r.pyStarts, r.pyStartStatus, found[scriptStart] = starts, errStatus(err), true
	}
	for _, s := range []struct {
		script string
		parse  func(string) (map[string]float64, error)
		figs   *map[string]float64
		status *string
	}{
		{scriptSync, parsePythonSync, &r.pySync, &r.pySyncStatus},
		{scriptPool, parsePythonPool, &r.pyPool, &r.pyPoolStatus},
		{scriptQueue, parsePythonQueue, &r.pyQueue, &r.pyQueueStatus},
		{scriptBig, parsePythonBig, &r.pyBig, &r.pyBigStatus},
		{scriptDask, parsePythonDask, &r.pyDask, &r.pyDaskStatus},
	} {
		if figs, err := s.parse(text); len(figs) > 0 {
			*s.figs, *s.status, found[s.script] = figs, errStatus(err), true
		}
	}
	return found
}

func errStatus(err error) string {
	if err == nil {
		return ""
	}
	return "in the input: " + err.Error()
}

// The README's generated sections, by the name in their start marker:
//
//	<!-- bench:table NAME -->
//	(generated)
//	<!-- bench:end -->
const (
	markerStart     = "<!-- bench:table "
	markerStartTail = " -->"
	markerEnd       = "<!-- bench:end -->"
)

// readmeSections returns the README's generated sections by name, made
// from saved, the raw output of one run as -readme saves it: the run-*
// lines, go test's output, then the scripts'. Each section opens with the
// machine, the date and the command of the run.
func readmeSections(saved []byte) (map[string]string, error) {
	out, err := parseBench(bytes.NewReader(saved))
	if err != nil {
		return nil, fmt.Errorf("parse saved output: %w", err)
	}
	if len(out.results) == 0 {
		return nil, errors.New("no benchmark results in the saved output")
	}
	r := newReport(out)
	r.readPython(string(saved))
	about := r.runLine()
	return map[string]string{
		"pools":     about + "\n\n" + r.readmePools(),
		"processes": about + "\n\n" + r.readmeProcesses(),
		"big":       about + "\n\n" + r.readmeBig(),
		"codec":     about + "\n\n" + r.readmeCodec(),
		"cluster":   about + "\n\n" + r.readmeCluster(),
	}, nil
}

// runLine says where, when and how the figures were measured, from the
// saved output's header.
func (r report) runLine() string {
	h := func(k string) string {
		if v := r.header[k]; v != "" {
			return v
		}
		return "unknown"
	}
	runs := 0
	for k := range r.s {
		runs = max(runs, r.s.runs(k.group, k.lib))
	}
	return fmt.Sprintf("<sub>Measured %s on %s, %s cores, GOMAXPROCS %d; %s, CPython %s. "+
		"Medians of %d runs; the whole run took %s. Reproduce: `%s`.</sub>",
		strings.TrimSuffix(strings.SplitN(h(keyDate), "T", 2)[0], "Z"), h("cpu"), h(keyCores), r.procs,
		h(keyGo), h(keyPython), runs, h(keyTook), h(keyCommand))
}

// cpython names CPython with its version from the saved output.
func (r report) cpython() string {
	if v := r.header[keyPython]; v != "" && v != "not run" {
		return "CPython " + v
	}
	return "CPython"
}

const dash = "—" // a figure the run did not produce

// sig3 formats v with about three significant digits.
func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 99.95:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 9.995:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// A figKind says what a figure measures, and so how to print it and how to
// compare it.
type figKind int

const (
	kindTime figKind = iota // ns per operation
	kindRate                // operations per second, printed with k or M
	kindMBs                 // MB/s
	kindMiB                 // memory; no ratios
	kindText                // a statement instead of a figure
)

// A fig is one cell of the processes table.
type fig struct {
	v      float64
	ok     bool
	kind   figKind
	unit   string // a rate's: tasks/s, msgs/s
	before string // what the figure is, such as "exec:"
	after  string // a remark after it
}

func (f fig) String() string {
	switch {
	case f.kind == kindText:
		return f.before
	case !f.ok && f.before == "":
		return dash
	}
	s := dash
	if f.ok {
		switch f.kind {
		case kindTime:
			s = mdTime(f.v)
		case kindRate:
			s = mdRate(f.v) + " " + f.unit
		case kindMBs:
			s = strconv.FormatFloat(f.v, 'f', 0, 64) + " MB/s"
		case kindMiB:
			s = sig3(f.v) + " MiB"
		}
	}
	return strings.TrimSpace(strings.Join([]string{f.before, s, f.after}, " "))
}

// perOp returns the time per operation in any unit common to figures of
// one kind, for ratios, and false when there is no figure or no ratio.
func (f fig) perOp() (float64, bool) {
	switch {
	case !f.ok || f.v <= 0:
		return 0, false
	case f.kind == kindTime:
		return f.v, true
	case f.kind == kindRate, f.kind == kindMBs:
		return 1 / f.v, true
	}
	return 0, false
}

// costRatioOf divides a's time per operation by b's.
func costRatioOf(a, b fig) string {
	x, okA := a.perOp()
	y, okB := b.perOp()
	if !okA || !okB || a.kind != b.kind {
		return ""
	}
	return sig3(x / y)
}

func mdTime(ns float64) string {
	switch {
	case ns < 1e3:
		return sig3(ns) + " ns"
	case ns < 1e6:
		return sig3(ns/1e3) + " µs"
	case ns < 1e9:
		return sig3(ns/1e6) + " ms"
	default:
		return sig3(ns/1e9) + " s"
	}
}

func mdRate(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + " M"
	case v >= 1e3:
		return sig3(v/1e3) + " k"
	default:
		return sig3(v)
	}
}

// readmePools is the thread-pool comparison: one row per benchmark group,
// one column per library, the fastest library other than the floor in
// bold; then multitask's allocations per task and CPython's thread pool
// against it.
func (r report) readmePools() string {
	rows := []struct {
		group, what, unit string
		higher            bool // a higher figure is better
	}{
		{"SubmitResult", "submit 200k tiny tasks, collect every result (ns/task)", "ns/task", false},
		{"CPU1us", "20k tasks of 1 µs CPU: efficiency (1.0 = all CPUs in task work)", "efficiency", true},
		{"Latency", "one task at a time, submit → result (ns)", "ns/task", false},
		{"FireAndForget", "200k fire-and-forget tasks (ns/task)", "ns/task", false},
	}
	var b strings.Builder
	b.WriteString("| benchmark | multitask | ants | pond | conc | errgroup | bare channel pool |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, row := range rows {
		best := ""
		bestV := 0.0
		for _, l := range libOrder[:len(libOrder)-1] {
			if v, ok := r.s.median(row.group, l, row.unit); ok && (best == "" || (row.higher && v > bestV) || (!row.higher && v < bestV)) {
				best, bestV = l, v
			}
		}
		b.WriteString("| " + row.what)
		for _, l := range libOrder {
			cell := dash
			if v, ok := r.s.median(row.group, l, row.unit); ok {
				cell = sig3(v)
				if row.higher {
					cell = strconv.FormatFloat(v, 'f', 2, 64)
				}
				if l == best {
					cell = "**" + cell + "**"
				}
			}
			b.WriteString(" | " + cell)
		}
		b.WriteString(" |\n")
	}

	b.WriteString("\nIn bold, the best of each row, the bare channel pool aside: it is the floor, with no futures and no API. ")
	if a, ok := r.s.median("SubmitResult", ours, "allocs/task"); ok {
		fmt.Fprintf(&b, "A task submitted to `futures.ThreadPool` and collected from its future costs %.2f allocations. ", a)
	}
	goNs, ok := r.s.best("ThreadPool100k", ours, "ns/op")
	if ok && r.pySecs > 0 {
		fmt.Fprintf(&b, "%s's `ThreadPoolExecutor` takes %s× as long as `futures.ThreadPool` for 100k submit + result "+
			"(%s against %s, the best run of each).", r.cpython(), sig3(r.pySecs*1e9/goNs), mdTime(r.pySecs*1e9), mdTime(goNs))
	} else {
		b.WriteString("This run has no comparison with CPython's `ThreadPoolExecutor`.")
	}
	return b.String()
}

// readmeProcesses is the table of process figures: multitask's, a raw
// baseline's and CPython's, with the ratios between them.
func (r report) readmeProcesses() string {
	med := func(group, lib, unit string) (float64, bool) { return r.s.median(group, lib, unit) }
	timeOf := func(group, lib, unit, before string) fig {
		v, ok := med(group, lib, unit)
		return fig{v: v, ok: ok, kind: kindTime, before: before}
	}
	rateOf := func(group, lib, metric, unit, before string) fig {
		v, ok := med(group, lib, metric)
		return fig{v: v, ok: ok, kind: kindRate, unit: unit, before: before}
	}
	pyStart := func(method string) fig {
		v, ok := r.pyStarts[method]
		return fig{v: v * 1e9, ok: ok, kind: kindTime}
	}
	pyFig := func(figs map[string]float64, key string, kind figKind, scale float64, unit string) fig {
		v, ok := figs[key]
		return fig{v: v * scale, ok: ok, kind: kind, unit: unit}
	}
	none := fig{kind: kindText}

	start, okS := med(groupProcPool, poolStart, "p50-ns")
	lat, okL := med(groupProcPool, poolLatency, "p50-ns")
	rss, okRSS := med(groupRSS, "spawn", "rss-KiB")
	pyMap := pyFig(r.pyPool, pyPoolMap, kindRate, 1, "tasks/s")
	if c, ok := r.pyPool[pyPoolChunk]; ok {
		pyMap.after = fmt.Sprintf("(`map`, best chunksize: %.0f)", c)
	}
	mbs := func(lib, before string) fig {
		v, ok := med(groupPipe, lib, "MB/s")
		return fig{v: v, ok: ok, kind: kindMBs, before: before}
	}

	rows := []struct {
		what          string
		ours, raw, py fig
	}{
		{"start a child, run a no-op, join it: `Spawn` (p50)",
			timeOf(groupStart, "spawn", "p50-ns", ""), timeOf(groupStart, rawExec, "p50-ns", "exec:"), pyStart("spawn")},
		{"… `ForkServer` (warm spares)",
			timeOf(groupStart, "forkserver", "p50-ns", ""), timeOf(groupStart, rawWake, "p50-ns", "wake:"), pyStart("forkserver")},
		{"… `Fork` (snapshot)", timeOf(groupStart, "fork", "p50-ns", ""), none, pyStart("fork")},
		{"1 MiB messages through a `Pipe` to a child (receiver reusing its buffer)",
			mbs(ours, ""), mbs(rawChild, "a pipe into a second program:"), none},
		{"a small message to a child over a `Pipe` and back",
			timeOf(groupRoundTrip, ours, "ns/op", ""), timeOf(groupRoundTrip, rawPipe, "ns/op", "echo program:"), none},
		{"one producer → one consumer process through a `Queue`, ints",
			rateOf(groupQueue, "int", "msgs/s", "msgs/s", ""), none, pyFig(r.pyQueue, "int"+pythonQueueSuffix, kindRate, 1, "msgs/s")},
		{"… 100-byte structs",
			rateOf(groupQueue, "struct100", "msgs/s", "msgs/s", ""), none, pyFig(r.pyQueue, "struct100"+pythonQueueSuffix, kindRate, 1, "msgs/s")},
		{"resident memory of an idle `Spawn` child", fig{v: rss / 1024, ok: okRSS, kind: kindMiB}, none, none},
		{"process pool, 2 workers: 20k tiny tasks submitted one by one, then collected",
			rateOf(groupProcPool, poolSubmit, "tasks/s", "tasks/s", ""),
			rateOf(groupProcPool, rawPipelined, "tasks/s", "msgs/s", "pipelined echo:"),
			pyFig(r.pyPool, pyPoolSubmit, kindRate, 1, "tasks/s")},
		{"… the same 20k through `Map` (chunks)", rateOf(groupProcPool, poolMap, "tasks/s", "tasks/s", ""), none, pyMap},
		{"… one task at a time, submit → result (p50)",
			timeOf(groupProcPool, poolLatency, "p50-ns", ""), timeOf(groupProcPool, rawPingPong, "p50-ns", "ping-pong:"),
			pyFig(r.pyPool, pyPoolLatency, kindTime, 1e9, "")},
		{"… a worker crashes: time to the next result (p50)",
			timeOf(groupProcPool, poolReplace, "p50-ns", ""),
			fig{v: start + lat, ok: okS && okL, kind: kindTime, before: "a `Spawn` start + one task:"},
			fig{kind: kindText, before: "the pool is broken"}},
		{"`Lock` + `Unlock` across processes, uncontended",
			timeOf(groupSync, "lock", "ns/op", ""), timeOf(groupSync, "syncmutex", "ns/op", "`sync.Mutex`:"),
			pyFig(r.pySync, "lock_ns_per_op", kindTime, 1, "")},
		{"`Semaphore` `Acquire` + `Release`, uncontended",
			timeOf(groupSync, "semaphore", "ns/op", ""), none, pyFig(r.pySync, "semaphore_ns_per_op", kindTime, 1, "")},
		{"`Value.Add` (CPython: `+=` under its lock)",
			timeOf(groupSync, "value-add", "ns/op", ""), none, pyFig(r.pySync, "value_add_ns_per_op", kindTime, 1, "")},
		{"`Event.Set` → a waiter in another process runs (p50)",
			timeOf(groupSync, "event-wake", "p50-ns", ""), none, pyFig(r.pySync, "event_wake_p50_ns", kindTime, 1, "")},
	}

	var b strings.Builder
	fmt.Fprintf(&b, "| benchmark | multitask | raw baseline | ×raw | %s | %s/ours |\n", r.cpython(), "CPython")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, row := range rows {
		raw, py := row.raw.String(), row.py.String()
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", row.what, row.ours, raw,
			costRatioOf(row.ours, row.raw), py, costRatioOf(row.py, row.ours))
	}
	b.WriteString("\n×raw is multitask's time per operation divided by the raw baseline's (above 1: slower); " +
		"CPython/ours is CPython's divided by multitask's (above 1: CPython is slower).")
	return b.String()
}

// readmeCluster is the table of the cluster executor's figures, beside
// the raw JetStream loop's and Dask's from the same run.
func (r report) readmeCluster() string {
	med := func(lib, unit string) (float64, bool) { return r.s.median(groupCluster, lib, unit) }
	rate := func(lib, before string) fig {
		v, ok := med(lib, "tasks/s")
		return fig{v: v, ok: ok, kind: kindRate, unit: "tasks/s", before: before}
	}
	timeOf := func(lib, unit string) fig {
		v, ok := med(lib, unit)
		return fig{v: v, ok: ok, kind: kindTime}
	}
	dask := fig{kind: kindText}
	if v, ok := r.pyDask[pyDaskRate]; ok {
		dask = fig{v: v, ok: true, kind: kindRate, unit: "tasks/s"}
	}
	none := fig{kind: kindText}
	rows := []struct {
		what            string
		ours, raw, dask fig
	}{
		{"tiny tasks, 2 worker processes (`Serve`), against New listening on loopback",
			rate(clusterProcs, ""), rate(clusterRaw, "raw JetStream loop:"), dask},
		{"… workers in the executor's process (New as it comes)", rate(clusterInProc, ""), none, none},
		{"the same tiny tasks through `Map` (chunks of inputs), 2 worker processes; Dask: `client.map`",
			rate(clusterProcsMap, ""), none, dask},
		{"… workers in the executor's process", rate(clusterInProcMap, ""), none, none},
		{"… 3 routed nats-servers, streams on all three (`Replicas(3)`)",
			rate(clusterR3, ""), rate(clusterR1, "`Replicas(1)`:"), none},
		{"one task at a time, Submit → Result (p50)", timeOf(clusterRoundTrip, "p50-ns"), none, none},
		{"… (p99)", timeOf(clusterRoundTrip, "p99-ns"), none, none},
		{"… with `InMemory` (p50)", timeOf(clusterRoundMem, "p50-ns"), none, none},
		{"`New` until ready (p50)", timeOf(clusterNew, "p50-ns"), none, none},
		{"a running task cancelled → its future done (p99)", timeOf(clusterCancel, "p99-ns"), none, none},
	}
	var b strings.Builder
	b.WriteString("| benchmark | multitask | baseline | ×baseline | Dask | Dask/ours |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", row.what, row.ours, row.raw,
			costRatioOf(row.ours, row.raw), row.dask, costRatioOf(row.dask, row.ours))
	}
	b.WriteString("\n×baseline is multitask's time per task divided by the baseline's (above 1: slower); " +
		"Dask/ours is Dask's divided by multitask's (above 1: Dask is slower). ")
	switch _, ok := r.pyDask[pyDaskRate]; {
	case r.pyDaskStatus != "":
		b.WriteString("Dask: " + r.pyDaskStatus + ".")
	case !ok:
		b.WriteString("This run has no Dask figure.")
	default:
		b.WriteString("Dask: a `LocalCluster` of 2 worker processes × 1 thread on the same tasks, " +
			"the best of 3 runs of 2000 through `client.map`, which makes a task of each input (`bench/python/" + scriptDask + "`).")
	}
	return b.String()
}

// readmeBig is the table of big payloads: growth of peak resident memory
// per payload byte, for each process, next to CPython's.
func (r report) readmeBig() string {
	what := map[string]string{
		"argument": "as a pool task's argument (the other: the worker)",
		"result":   "as its result (the worker makes it)",
		"queue":    "as a queue item a child puts and the parent gets",
	}
	cell := func(v float64, ok bool) string {
		if !ok {
			return dash
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| a 200 MiB `[]byte` | the parent | %[1]s | the other process | %[1]s |\n", r.cpython())
	b.WriteString("|---|---|---|---|---|\n")
	for _, s := range bigSteps {
		p, okP := r.s.median(groupBig, s, bigParent)
		o, okO := r.s.median(groupBig, s, bigOther)
		pyP, okPyP := r.pyBig[s+"_parent_per_byte"]
		pyO, okPyO := r.pyBig[s+"_other_per_byte"]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", what[s], cell(p, okP), cell(pyP, okPyP), cell(o, okO), cell(pyO, okPyO))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// readmeCodec is the table of the codecs: one Marshal plus one Unmarshal
// per payload and codec, against encoding/json.
func (r report) readmeCodec() string {
	what := map[string]string{
		"int":        "`int`",
		"struct100B": "a struct, ~100 B",
		"struct1KiB": "16 structs, ~1 KiB",
		"bytes1MiB":  "`[]byte`, 1 MiB",
	}
	var b strings.Builder
	b.WriteString("| payload | codec | Marshal + Unmarshal | allocations | bytes on the wire | ×json |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	t := r.codecTable()
	if len(t.rows) == 0 {
		b.WriteString("| " + strings.Repeat(dash+" | ", 6) + "\n")
	}
	prev := ""
	for _, row := range t.rows {
		p, c := row[0], row[1]
		lib := p + "/" + c
		ns, ok := r.s.median(groupCodec, lib, "ns/op")
		a, okA := r.s.median(groupCodec, lib, "allocs/op")
		wire, okW := r.s.median(groupCodec, lib, "wire-bytes")
		ref, okRef := r.s.median(groupCodec, p+"/"+refJSON, "ns/op")
		label := what[p]
		if label == "" {
			label = p
		}
		if p == prev {
			label = ""
		}
		prev = p
		t := dash
		if ok {
			t = mdTime(ns)
		}
		x := dash
		if ok && okRef && ref > 0 {
			x = sig3(ns / ref)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", label, c, t, dashed(count(a, okA)), dashed(count(wire, okW)), x)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func dashed(s string) string {
	if s == "-" {
		return dash
	}
	return s
}

// rewriteReadme returns doc with the lines between each start marker and
// the next end marker replaced by the section the start marker names. It
// fails on a marker that names no section, a section named twice or
// never, and a start marker without its end or an end without its start,
// so that no table is dropped or written twice without notice.
func rewriteReadme(doc []byte, sections map[string]string) ([]byte, error) {
	var out bytes.Buffer
	seen := map[string]bool{}
	open := "" // the section whose old lines are being dropped
	n := 0
	for line := range strings.Lines(string(doc)) {
		n++
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, markerStart):
			name, ok := strings.CutSuffix(strings.TrimPrefix(t, markerStart), markerStartTail)
			name = strings.TrimSpace(name)
			switch _, known := sections[name]; {
			case open != "":
				return nil, fmt.Errorf("line %d: table %q starts inside table %q", n, name, open)
			case !ok || name == "":
				return nil, fmt.Errorf("line %d: malformed marker %q", n, t)
			case !known:
				return nil, fmt.Errorf("line %d: unknown table %q (known: %s)", n, name, strings.Join(sortedKeys(sections), ", "))
			case seen[name]:
				return nil, fmt.Errorf("line %d: table %q a second time", n, name)
			}
			seen[name], open = true, name
			out.WriteString(strings.TrimSuffix(line, "\n") + "\n\n" + strings.TrimSpace(sections[name]) + "\n\n")
		case t == markerEnd:
			if open == "" {
				return nil, fmt.Errorf("line %d: %s without a table marker before it", n, markerEnd)
			}
			open = ""
			out.WriteString(line)
		case open == "":
			out.WriteString(line)
		}
	}
	if open != "" {
		return nil, fmt.Errorf("table %q has no %s", open, markerEnd)
	}
	var missing []string
	for _, name := range sortedKeys(sections) {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no %sNAME%s marker for table %s", markerStart, markerStartTail, strings.Join(missing, ", "))
	}
	return out.Bytes(), nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// updateReadme rewrites the tables of the README at path from saved, the
// raw output of one run.
func updateReadme(path string, saved []byte) error {
	sections, err := readmeSections(saved)
	if err != nil {
		return fmt.Errorf("README tables: %w", err)
	}
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("README tables: %w", err)
	}
	out, err := rewriteReadme(doc, sections)
	if err != nil {
		return fmt.Errorf("README tables: %s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return nil
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("README tables: %w", err)
	}
	return nil
}
