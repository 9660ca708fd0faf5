package main

import (
	"fmt"
	"strconv"
)

// The ProcPool group (procpool_test.go) times mp.Pool with 2 workers on tiny
// tasks against raw floors measured in the same run, and
// python/process_pool.py times CPython's ProcessPoolExecutor(2) on the same
// tasks.
const groupProcPool = "ProcPool"

// ProcPool's sub-benchmarks: the pool's, then the floors.
const (
	poolSubmit   = "submit"       // 20k tasks submitted one by one, then collected; tasks/s
	poolMap      = "map"          // the same through Map; tasks/s
	poolLatency  = "latency"      // one task at a time; p50-ns
	poolReplace  = "replace"      // a worker crashes: the time to the next task's result; p50-ns
	poolStart    = "start"        // one Spawn process started and joined; p50-ns
	rawPipelined = "rawpipelined" // 20k 8-byte messages pipelined through a static echo program; tasks/s
	rawPingPong  = "rawpingpong"  // one 8-byte message at a time through it; p50-ns

	// startPlusLatency names replace's floor: start's p50 plus latency's.
	startPlusLatency = "start+latency"
)

// pythonPoolPrefix starts the lines python/process_pool.py prints:
//
//	python_pool_submit_tasks_per_s 9500
//	python_pool_map_tasks_per_s 150000 chunksize 512
//	python_pool_latency_p50_seconds 0.000210
const pythonPoolPrefix = "python_pool_"

// The keys of CPython's figures in report.pyPool, as parseFigures names
// them.
const (
	pyPoolSubmit  = "submit_tasks_per_s"
	pyPoolMap     = "map_tasks_per_s"
	pyPoolChunk   = "map_tasks_per_s/chunksize" // the chunksize of the best map
	pyPoolLatency = "latency_p50_seconds"
)

// poolOps lists the ProcPool table's rows: the sub-benchmark, what it does,
// whether its figure is a rate (tasks/s, higher is better) or a p50 time,
// its floor, and the key of CPython's figure ("" for none).
var poolOps = []struct {
	lib, about string
	rate       bool
	floor      string
	python     string
}{
	{poolSubmit, "20k submits, then the results", true, rawPipelined, pyPoolSubmit},
	{poolMap, "20k tasks through Map, in chunks", true, rawPipelined, pyPoolMap},
	{poolLatency, "one task at a time", false, rawPingPong, pyPoolLatency},
	{poolReplace, "worker crash → next result", false, startPlusLatency, ""},
}

// parsePythonPool finds python/process_pool.py's lines in its output and
// returns its figures by key (submit_tasks_per_s, ...), as parseFigures
// does.
func parsePythonPool(out string) (map[string]float64, error) {
	return parseFigures(out, pythonPoolPrefix)
}

// poolFigure returns the median over the runs of a ProcPool sub-benchmark's
// figure: tasks/s for a rate, else the p50 in ns. The floor start+latency is
// the sum of those two medians.
func (r report) poolFigure(lib string, rate bool) (float64, bool) {
	if lib == startPlusLatency {
		start, okS := r.s.median(groupProcPool, poolStart, "p50-ns")
		lat, okL := r.s.median(groupProcPool, poolLatency, "p50-ns")
		return start + lat, okS && okL
	}
	if rate {
		return r.s.median(groupProcPool, lib, "tasks/s")
	}
	return r.s.median(groupProcPool, lib, "p50-ns")
}

// pythonPoolFigure returns CPython's figure for key in the unit of the
// table: tasks/s, or ns for the latency.
func (r report) pythonPoolFigure(key string) (float64, bool) {
	v, ok := r.pyPool[key]
	if key == pyPoolLatency {
		v *= 1e9
	}
	return v, ok
}

// costRatio divides the cost of a task (its time) in v by its cost in base:
// for rates base/v, for times v/base. Above 1, v is slower.
func costRatio(v, base float64, rate, ok bool) string {
	if rate {
		return ratio(base, v, ok && v != 0)
	}
	return ratio(v, base, ok)
}

// poolTable lists, per operation of the pool, the median over the runs of
// its figure, its floor in the same run and the cost ratio to it (above 1:
// slower), and CPython's figure with the cost ratio CPython/ours (above 1:
// CPython is slower).
func (r report) poolTable() table {
	t := table{
		title: groupProcPool,
		about: "mp.Pool, 2 workers, tiny tasks; medians over the runs; ×floor: our time per task ÷ the floor's, " +
			"above 1: slower; CPython/ours: CPython's time per task ÷ ours, above 1: CPython is slower",
		left: 2,
		head: []string{"op", "what", "runs", "unit", "ours", "floor", "figure", "×floor", "CPython", "CPython/ours"},
	}
	for _, op := range poolOps {
		n := r.s.runs(groupProcPool, op.lib)
		py, okPy := r.pythonPoolFigure(op.python)
		if n == 0 && !okPy {
			continue
		}
		v, ok := r.poolFigure(op.lib, op.rate)
		fl, okF := r.poolFigure(op.floor, op.rate)
		unit, show := "tasks/s", func(v float64, ok bool) string { return num(v, ok) }
		if !op.rate {
			unit, show = "p50 µs", func(v float64, ok bool) string { return num(v/1e3, ok) }
		}
		t.rows = append(t.rows, []string{op.lib, op.about, strconv.Itoa(n), unit,
			show(v, ok), op.floor, show(fl, okF), costRatio(v, fl, op.rate, ok && okF),
			show(py, okPy), costRatio(py, v, op.rate, ok && okPy)})
	}
	t.notes = append(t.notes,
		"floors: "+rawPipelined+" and "+rawPingPong+" send 8-byte messages, pipelined or one at a time, through a static Go echo program;")
	start, okS := r.s.median(groupProcPool, poolStart, "p50-ns")
	t.notes = append(t.notes, fmt.Sprintf(
		"  %s is one Spawn start's p50 (%s µs) plus latency's p50: a crash should cost one worker start and the task;", startPlusLatency, num(start/1e3, okS)),
		"  map sends many tasks per message, "+rawPipelined+" one, so map's ×floor can be below 1")
	how := "ProcessPoolExecutor(2), one run"
	if chunk, ok := r.pyPool[pyPoolChunk]; ok {
		how += fmt.Sprintf("; map at its best chunksize (%.0f), p50 of 500 tasks", chunk)
	}
	t.notes = append(t.notes, pythonNote("process_pool.py", r.pyPoolStatus, how))
	return t
}

// poolTargets checks the goals of the ProcPool group when it ran:
//  1. submit at least 20× CPython's tasks/s, and at most 3× slower per
//     task than the pipelined raw round trips;
//  2. map at least as many tasks/s as CPython's map at its best chunksize;
//  3. latency's p50 at most 2× the raw ping-pong's;
//  4. replace's p50 at most start's plus latency's: a crashed worker costs
//     at most one worker start on top of the next task.
func (r report) poolTargets() []target {
	if !r.hasGroup(groupProcPool) {
		return nil
	}
	var ts []target
	med := func(lib, unit string) (float64, bool) { return r.s.median(groupProcPool, lib, unit) }
	noPy := func(name string) target { return noPython(name, r.pyPoolStatus) }

	submit, okS := med(poolSubmit, "tasks/s")
	name := "ProcPool: submit ≥ 20× CPython tasks/s"
	switch py, ok := r.pyPool[pyPoolSubmit]; {
	case !okS:
		ts = append(ts, missing(name, poolSubmit))
	case !ok:
		ts = append(ts, noPy(name))
	default:
		ts = append(ts, check(name, submit >= 20*py,
			fmt.Sprintf("%.1f× (%s vs CPython %s tasks/s)", submit/py, num(submit, true), num(py, true))))
	}

	name = "ProcPool: submit within 3× of rawpipelined"
	if raw, ok := med(rawPipelined, "tasks/s"); !okS || !ok {
		ts = append(ts, missing(name, poolSubmit, rawPipelined))
	} else {
		ts = append(ts, check(name, raw <= 3*submit,
			fmt.Sprintf("%.2f× (%s vs rawpipelined %s tasks/s)", raw/submit, num(submit, true), num(raw, true))))
	}

	name = "ProcPool: map ≥ 1.0× CPython map tasks/s"
	mapRate, okM := med(poolMap, "tasks/s")
	switch py, ok := r.pyPool[pyPoolMap]; {
	case !okM:
		ts = append(ts, missing(name, poolMap))
	case !ok:
		ts = append(ts, noPy(name))
	default:
		chunk := "?"
		if c, ok := r.pyPool[pyPoolChunk]; ok {
			chunk = strconv.FormatFloat(c, 'f', -1, 64)
		}
		ts = append(ts, check(name, mapRate >= py,
			fmt.Sprintf("%.2f× (%s vs CPython %s tasks/s at chunksize %s)", mapRate/py, num(mapRate, true), num(py, true), chunk)))
	}

	name = "ProcPool: latency p50 ≤ 2× rawpingpong"
	lat, okL := med(poolLatency, "p50-ns")
	if raw, ok := med(rawPingPong, "p50-ns"); !okL || !ok {
		ts = append(ts, missing(name, poolLatency, rawPingPong))
	} else {
		ts = append(ts, check(name, lat <= 2*raw,
			fmt.Sprintf("%.2f× (%s µs vs %s µs)", lat/raw, num(lat/1e3, true), num(raw/1e3, true))))
	}

	name = "ProcPool: replace p50 ≤ start + latency p50"
	replace, okR := med(poolReplace, "p50-ns")
	if start, ok := med(poolStart, "p50-ns"); !okR || !ok || !okL {
		ts = append(ts, missing(name, poolReplace, poolStart, poolLatency))
	} else {
		ts = append(ts, check(name, replace <= start+lat,
			fmt.Sprintf("%.2f× (%.3f ms vs start %.3f + latency %.3f ms)", replace/(start+lat), replace/1e6, start/1e6, lat/1e6)))
	}
	return ts
}
