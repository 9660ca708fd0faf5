package main

import (
	"fmt"
	"strconv"
)

// The BigPayload group (bigpayload_test.go) measures the growth of peak
// resident memory per payload byte when a 200 MiB []byte crosses between
// processes, and python/big_payload.py does the same with CPython's
// ProcessPoolExecutor and multiprocessing.Queue.
const groupBig = "BigPayload"

// bigSteps lists the group's sub-benchmarks: the payload as a pool task's
// argument, as its result, and as a queue item a child puts and the
// parent gets.
var bigSteps = []string{"argument", "result", "queue"}

// The metrics of a BigPayload result: the parent's growth per payload
// byte, and the other process's (the worker, or the child that puts).
const (
	bigParent = "rss/B"
	bigOther  = "other-rss/B"
)

// The lines python/big_payload.py prints, two per step:
//
//	python_big_argument_parent_per_byte 1.000
//	python_big_argument_other_per_byte 2.000
const pythonBigPrefix = "python_big_"

// parsePythonBig finds python/big_payload.py's lines in its output and
// returns its figures by key (argument_parent_per_byte, ...), as
// parseFigures does.
func parsePythonBig(out string) (map[string]float64, error) {
	return parseFigures(out, pythonBigPrefix)
}

// bigGoals are the targets of the group: the most the parent's and the
// other process's peak may grow per payload byte in each step. The
// argument is written from the caller's slice, and a payload received is
// decoded into the frame it came in; a process that makes the payload
// holds it once, plus at most a quarter to send it.
var bigGoals = []struct {
	step          string
	parent, other float64
}{
	{"argument", 0.25, 1.1},
	{"result", 1.1, 1.25},
	{"queue", 1.1, 1.25},
}

// bigTable lists, per step, the medians over the runs of the parent's and
// the other process's growth per payload byte, with CPython's.
func (r report) bigTable() table {
	t := table{
		title: groupBig,
		about: "a 200 MiB []byte between processes: growth of peak RSS per payload byte, medians over the runs; " +
			"other = the worker (argument, result) or the child that puts (queue)",
		head: []string{"step", "runs", "parent", "CPython parent", "other", "CPython other"},
	}
	for _, s := range bigSteps {
		p, okP := r.s.median(groupBig, s, bigParent)
		o, okO := r.s.median(groupBig, s, bigOther)
		pyP, okPyP := r.pyBig[s+"_parent_per_byte"]
		pyO, okPyO := r.pyBig[s+"_other_per_byte"]
		if !okP && !okPyP {
			continue
		}
		t.rows = append(t.rows, []string{s, strconv.Itoa(r.s.runs(groupBig, s)),
			fixed(p, okP, 2), fixed(pyP, okPyP, 2), fixed(o, okO, 2), fixed(pyO, okPyO, 2)})
	}
	t.notes = append(t.notes, pythonNote("big_payload.py", r.pyBigStatus,
		"ProcessPoolExecutor(1) and multiprocessing.Queue, the same steps, one run"))
	return t
}

// bigTargets checks the goals of the BigPayload group when it ran (see
// bigGoals); CPython's figures are in the details.
func (r report) bigTargets() []target {
	if !r.hasGroup(groupBig) {
		return nil
	}
	var ts []target
	for _, g := range bigGoals {
		for _, side := range []struct {
			who, metric, key string
			goal             float64
		}{
			{"parent", bigParent, "_parent_per_byte", g.parent},
			{"other", bigOther, "_other_per_byte", g.other},
		} {
			name := fmt.Sprintf("BigPayload: %s, %s RSS ≤ %.2f/byte", g.step, side.who, side.goal)
			v, ok := r.s.median(groupBig, g.step, side.metric)
			if !ok {
				ts = append(ts, missing(name, g.step))
				continue
			}
			detail := fmt.Sprintf("%.2f", v)
			if py, ok := r.pyBig[g.step+side.key]; ok {
				detail += fmt.Sprintf(" (CPython %.2f)", py)
			}
			ts = append(ts, check(name, v <= side.goal, detail))
		}
	}
	return ts
}
