package main

import (
	"fmt"
	"slices"
	"strconv"
)

// The Queue group (queue_test.go) streams messages through an mp.Queue from
// one producer process to one consumer process, and python/mp_queue.py does
// the same with CPython's multiprocessing.Queue.
const groupQueue = "Queue"

// queuePayloads lists the Queue group's sub-benchmarks, one per payload: an
// int, and a struct of six fields that encodes to about 100 bytes.
var queuePayloads = []string{"int", "struct100"}

// The lines python/mp_queue.py prints, one per payload:
//
//	python_queue_<payload>_msgs_per_second 250000
const (
	pythonQueuePrefix = "python_queue_"
	pythonQueueSuffix = "_msgs_per_second"
)

// parsePythonQueue finds python/mp_queue.py's lines in its output and
// returns its figures by key (int_msgs_per_second, ...), as parseFigures
// does.
func parsePythonQueue(out string) (map[string]float64, error) {
	return parseFigures(out, pythonQueuePrefix)
}

// queueTable lists, per payload, the median over the runs of our messages
// per second, CPython's figure and the ratio CPython/ours of the time per
// message (above 1: CPython is slower).
func (r report) queueTable() table {
	t := table{
		title: groupQueue,
		about: "one producer process → one consumer through mp.Queue; medians over the runs; " +
			"CPython/ours divides the time per message, above 1: CPython is slower",
		head: []string{"payload", "runs", "msgs/s", "CPython msgs/s", "CPython/ours"},
	}
	payloads := r.libsIn(groupQueue, queuePayloads)
	for _, p := range queuePayloads {
		if _, ok := r.pyQueue[p+pythonQueueSuffix]; ok && !slices.Contains(payloads, p) {
			payloads = append(payloads, p)
		}
	}
	slices.SortStableFunc(payloads, func(a, b string) int { return rank(queuePayloads, a) - rank(queuePayloads, b) })
	for _, p := range payloads {
		v, ok := r.s.median(groupQueue, p, "msgs/s")
		py, okPy := r.pyQueue[p+pythonQueueSuffix]
		t.rows = append(t.rows, []string{p, strconv.Itoa(r.s.runs(groupQueue, p)),
			num(v, ok), num(py, okPy), ratio(v, py, ok && okPy)})
	}
	t.notes = append(t.notes, pythonNote("mp_queue.py", r.pyQueueStatus,
		"multiprocessing.Queue, best of 3 runs of 200k messages per payload"))
	return t
}

// queueTargets checks the goal of the Queue group when it ran: for each
// payload, one producer to one consumer at least 10× the messages per
// second of CPython's multiprocessing.Queue.
func (r report) queueTargets() []target {
	if !r.hasGroup(groupQueue) {
		return nil
	}
	var ts []target
	for _, p := range queuePayloads {
		name := fmt.Sprintf("Queue: %s msgs/s ≥ 10× CPython Queue", p)
		v, ok := r.s.median(groupQueue, p, "msgs/s")
		py, okPy := r.pyQueue[p+pythonQueueSuffix]
		switch {
		case !ok:
			ts = append(ts, missing(name, p))
		case !okPy:
			ts = append(ts, noPython(name, r.pyQueueStatus))
		default:
			ts = append(ts, check(name, v >= 10*py,
				fmt.Sprintf("%.1f× (%s vs CPython %s msgs/s)", v/py, num(v, true), num(py, true))))
		}
	}
	return ts
}
