package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The process and codec groups (process_test.go, codec_test.go), each with
// a table of its own, and the raw baselines they are measured against. The
// groups Sync, ProcPool and Queue have files of their own here.
const (
	groupStart     = "ProcessStart"
	groupPipe      = "Pipe1MiB"
	groupRoundTrip = "PipeRoundTrip"
	groupRSS       = "IdleChildRSS"
	groupCodec     = "Codec"

	rawExec  = "rawexec"  // exec of a static Go program that writes one byte
	rawWake  = "rawwake"  // the same program, started ahead, woken to write it
	rawPipe  = "rawpipe"  // os.Pipe between two goroutines with a reused buffer, or a static echo program
	rawChild = "rawchild" // a pipe into a static Go program that drains it into a reused buffer
	refJSON  = "json"     // encoding/json, the codec table's reference point
)

var (
	// startMethods lists ProcessStart's rows: mp's start methods as Python
	// spells them, then the floor.
	startMethods = []string{"spawn", "forkserver", "fork", rawExec, rawWake}
	codecOrder   = []string{"cbor", "gob", "msgpack", refJSON}
	payloadOrder = []string{"int", "struct100B", "struct1KiB", "bytes1MiB"}
)

// processGroups are the groups that processTables prints, in that order.
var processGroups = []string{groupStart, groupPipe, groupRoundTrip, groupRSS, groupCodec, groupSync, groupProcPool, groupQueue, groupBig, groupCluster}

// processTables returns a table for each process or codec group that has
// results, in the order of processGroups.
func (r report) processTables() []table {
	var ts []table
	for _, g := range processGroups {
		if !r.hasGroup(g) {
			continue
		}
		switch g {
		case groupStart:
			ts = append(ts, r.startTable())
		case groupPipe:
			ts = append(ts, r.baselineTable(groupPipe, rawChild,
				"1 MiB messages to a child that drains them; MB/s, higher is better; ×"+rawChild+" divides MB/s",
				"MB/s"))
		case groupRoundTrip:
			ts = append(ts, r.baselineTable(groupRoundTrip, rawPipe,
				"one small message to a child and back; ×"+rawPipe+" divides ns/op, above 1: slower",
				"ns/op"))
		case groupRSS:
			ts = append(ts, r.rssTable())
		case groupCodec:
			ts = append(ts, r.codecTable())
		case groupSync:
			ts = append(ts, r.syncTable())
		case groupProcPool:
			ts = append(ts, r.poolTable())
		case groupQueue:
			ts = append(ts, r.queueTable())
		case groupBig:
			ts = append(ts, r.bigTable())
		case groupCluster:
			ts = append(ts, r.clusterTable())
		}
	}
	return ts
}

// startTable lists, per start method, the median over the runs of each run's
// p50, its ratios to rawexec and to rawwake, and CPython's p50 for the same
// method with the ratio CPython/ours (above 1: CPython is slower).
func (r report) startTable() table {
	t := table{
		title: groupStart,
		about: "Start → the function runs → Join, one child (p50 ms), and Start → the function begins (→run ms); each run's p50, median over the runs",
		head:  []string{"method", "runs", "p50 ms", "→run ms", "×" + rawExec, "×" + rawWake, "CPython ms", "CPython/ours"},
	}
	raw, okRaw := r.s.median(groupStart, rawExec, "p50-ns")
	wake, okWake := r.s.median(groupStart, rawWake, "p50-ns")
	methods := r.libsIn(groupStart, startMethods)
	for _, m := range startMethods {
		if _, ok := r.pyStarts[m]; ok && !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	slices.SortStableFunc(methods, func(a, b string) int { return rank(startMethods, a) - rank(startMethods, b) })
	for _, m := range methods {
		ns, ok := r.s.median(groupStart, m, "p50-ns")
		run, okRun := r.s.median(groupStart, m, "run-p50-ns")
		py, okPy := r.pyStarts[m]
		t.rows = append(t.rows, []string{m, strconv.Itoa(r.s.runs(groupStart, m)),
			fixed(ns/1e6, ok, 3), fixed(run/1e6, okRun, 3), ratio(ns, raw, ok && okRaw), ratio(ns, wake, ok && okWake),
			fixed(py*1e3, okPy, 3), ratio(py*1e9, ns, ok && okPy)})
	}
	if r.s.runs(groupStart, "forkserver") == 0 {
		t.notes = append(t.notes, "forkserver: not measured (no ProcessStart/forkserver result)")
	}
	switch {
	case len(r.pyStarts) > 0 && r.pyStartStatus != "":
		t.notes = append(t.notes, fmt.Sprintf("CPython: python/process_start.py --starts %d, one run; %s", r.pyStartsN, r.pyStartStatus))
	case len(r.pyStarts) > 0:
		t.notes = append(t.notes, fmt.Sprintf("CPython: python/process_start.py --starts %d, p50 of one run", r.pyStartsN))
	default:
		t.notes = append(t.notes, "CPython: "+r.pyStartStatus)
	}
	return t
}

// baselineTable lists multitask and the raw floors in group: the median of
// unit, its ratio to floor's, and allocations per operation.
func (r report) baselineTable(group, floor, about, unit string) table {
	t := table{title: group, about: about, head: []string{"library", "runs", unit, "×" + floor, "allocs/op"}}
	base, okBase := r.s.median(group, floor, unit)
	for _, l := range r.libsIn(group, []string{ours, rawChild, rawPipe}) {
		v, ok := r.s.median(group, l, unit)
		a, okA := r.s.median(group, l, "allocs/op")
		t.rows = append(t.rows, []string{l, strconv.Itoa(r.s.runs(group, l)),
			num(v, ok), ratio(v, base, ok && okBase), count(a, okA)})
	}
	return t
}

// rssTable lists the resident memory of an idle child in MiB.
func (r report) rssTable() table {
	t := table{title: groupRSS, about: "VmRSS of a child idle in its function, median over the runs",
		head: []string{"method", "runs", "RSS MiB"}}
	for _, m := range r.libsIn(groupRSS, startMethods) {
		kib, ok := r.s.median(groupRSS, m, "rss-KiB")
		t.rows = append(t.rows, []string{m, strconv.Itoa(r.s.runs(groupRSS, m)), fixed(kib/1024, ok, 2)})
	}
	return t
}

// codecTable lists, per payload and codec, the round trip's time and
// allocations, the encoded size, and the time as a multiple of json's for
// the same payload. The sub-benchmarks are named Codec/<payload>/<codec>.
func (r report) codecTable() table {
	t := table{
		title: groupCodec,
		about: "Marshal + Unmarshal of one value; ×json divides ns/op by json's for the payload; no targets",
		left:  2,
		head:  []string{"payload", "codec", "runs", "ns/op", "allocs/op", "wire-bytes", "×" + refJSON},
	}
	var payloads, codecs []string
	for k := range r.s {
		if k.group != groupCodec {
			continue
		}
		p, c, _ := strings.Cut(k.lib, "/")
		if !slices.Contains(payloads, p) {
			payloads = append(payloads, p)
		}
		if !slices.Contains(codecs, c) {
			codecs = append(codecs, c)
		}
	}
	byRank := func(order []string) func(a, b string) int {
		return func(a, b string) int {
			if d := rank(order, a) - rank(order, b); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		}
	}
	slices.SortFunc(payloads, byRank(payloadOrder))
	slices.SortFunc(codecs, byRank(codecOrder))
	for _, p := range payloads {
		ref, okRef := r.s.median(groupCodec, p+"/"+refJSON, "ns/op")
		for _, c := range codecs {
			lib := p + "/" + c
			if c == "" {
				lib = p
			}
			n := r.s.runs(groupCodec, lib)
			if n == 0 {
				continue
			}
			ns, ok := r.s.median(groupCodec, lib, "ns/op")
			a, okA := r.s.median(groupCodec, lib, "allocs/op")
			wire, okW := r.s.median(groupCodec, lib, "wire-bytes")
			t.rows = append(t.rows, []string{p, c, strconv.Itoa(n),
				num(ns, ok), count(a, okA), count(wire, okW), ratio(ns, ref, ok && okRef)})
		}
	}
	return t
}

// processTargets checks the goals of the process groups that ran; a group
// that did not run adds no line:
//  1. ProcessStart: spawn's p50 at most 2× rawexec's; forkserver's Start →
//     the function begins at most 0.3 ms (a warm spare); spawn at least 10×
//     faster than CPython's spawn; forkserver's start → join at most 0.8×
//     CPython's fork. A forkserver that was not measured misses.
//  2. Pipe1MiB: multitask at least 80% of rawchild's MB/s, the floor of two
//     processes.
//  3. PipeRoundTrip: multitask at most 2× rawpipe's ns/op.
//  4. IdleChildRSS: an idle spawned child at most 10 MiB resident;
//
// then those of Sync, ProcPool, Queue, BigPayload and Cluster
// (syncTargets, poolTargets, queueTargets, bigTargets, clusterTargets).
func (r report) processTargets() []target {
	var ts []target
	med := func(group, lib, unit string) (float64, bool) { return r.s.median(group, lib, unit) }

	if r.hasGroup(groupStart) {
		spawn, okS := med(groupStart, "spawn", "p50-ns")
		fs, okF := med(groupStart, "forkserver", "p50-ns")
		const notMeasured = "not measured (no ProcessStart/forkserver result)"

		name := "ProcessStart: spawn p50 ≤ 2× rawexec"
		if raw, ok := med(groupStart, rawExec, "p50-ns"); !okS || !ok {
			ts = append(ts, missing(name, "spawn", rawExec))
		} else {
			ts = append(ts, check(name, spawn <= 2*raw,
				fmt.Sprintf("%.2f× (%.3f ms vs %.3f ms)", spawn/raw, spawn/1e6, raw/1e6)))
		}

		name = "ProcessStart: forkserver Start → running p50 ≤ 0.3 ms"
		if run, ok := med(groupStart, "forkserver", "run-p50-ns"); !ok {
			ts = append(ts, target{status: "MISS", name: name, detail: notMeasured})
		} else {
			ts = append(ts, check(name, run <= 0.3e6, fmt.Sprintf("%.3f ms", run/1e6)))
		}

		name = "ProcessStart: spawn ≥ 10× faster than CPython spawn"
		py, okPy := r.pyStarts["spawn"]
		switch {
		case !okS:
			ts = append(ts, missing(name, "spawn"))
		case !okPy:
			ts = append(ts, r.noCPython(name, "spawn"))
		default:
			ts = append(ts, check(name, py*1e9 >= 10*spawn,
				fmt.Sprintf("%.1f× (CPython %.3f ms vs %.3f ms)", py*1e9/spawn, py*1e3, spawn/1e6)))
		}

		name = "ProcessStart: forkserver p50 ≤ 0.8× CPython fork"
		py, okPy = r.pyStarts["fork"]
		switch {
		case !okF:
			ts = append(ts, target{status: "MISS", name: name, detail: notMeasured})
		case !okPy:
			ts = append(ts, r.noCPython(name, "fork"))
		default:
			detail := fmt.Sprintf("%.2f× (%.3f ms vs CPython fork %.3f ms)", fs/(py*1e9), fs/1e6, py*1e3)
			if wake, ok := med(groupStart, rawWake, "p50-ns"); ok {
				detail += fmt.Sprintf("; %s: %.3f ms", rawWake, wake/1e6)
			}
			ts = append(ts, check(name, fs <= 0.8*py*1e9, detail))
		}
	}

	if r.hasGroup(groupPipe) {
		name := "Pipe1MiB: multitask ≥ 80% of rawchild MB/s"
		our, okO := med(groupPipe, ours, "MB/s")
		if raw, ok := med(groupPipe, rawChild, "MB/s"); !okO || !ok {
			ts = append(ts, missing(name, ours, rawChild))
		} else {
			ts = append(ts, check(name, our >= 0.8*raw,
				fmt.Sprintf("%.0f%% (%s vs %s MB/s)", 100*our/raw, num(our, true), num(raw, true))))
		}
	}

	if r.hasGroup(groupRoundTrip) {
		name := "PipeRoundTrip: multitask ≤ 2× rawpipe"
		our, okO := med(groupRoundTrip, ours, "ns/op")
		if raw, ok := med(groupRoundTrip, rawPipe, "ns/op"); !okO || !ok {
			ts = append(ts, missing(name, ours, rawPipe))
		} else {
			ts = append(ts, check(name, our <= 2*raw,
				fmt.Sprintf("%.2f× (%s ns vs %s ns)", our/raw, num(our, true), num(raw, true))))
		}
	}

	if r.hasGroup(groupRSS) {
		name := "IdleChildRSS: spawn ≤ 10 MiB"
		if kib, ok := med(groupRSS, "spawn", "rss-KiB"); !ok {
			ts = append(ts, missing(name, "spawn"))
		} else {
			ts = append(ts, check(name, kib <= 10*1024, fmt.Sprintf("%.2f MiB", kib/1024)))
		}
	}
	ts = append(ts, r.syncTargets()...)
	ts = append(ts, r.poolTargets()...)
	ts = append(ts, r.queueTargets()...)
	ts = append(ts, r.bigTargets()...)
	return append(ts, r.clusterTargets()...)
}

// noCPython is the n/a verdict of a target that needs CPython's figure for
// method when the script did not give one.
func (r report) noCPython(name, method string) target {
	detail := "no CPython " + method + " figure"
	if r.pyStartStatus != "" {
		detail += ": " + r.pyStartStatus
	}
	return target{status: "n/a", name: name, detail: detail}
}

// rank returns the index of s in order, or len(order) when it is not there,
// so that unknown names sort after the known ones.
func rank(order []string, s string) int {
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// count formats a median of whole numbers, such as allocations or bytes:
// with no decimals unless an even number of runs put it between two.
func count(v float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v == float64(int64(v)):
		return strconv.FormatInt(int64(v), 10)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}
