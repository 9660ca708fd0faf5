package main

import (
	"fmt"
	"strconv"
)

// The Sync group (sync_test.go) times mp's primitives, and
// python/mp_sync.py times CPython's multiprocessing ones in the same run.
const groupSync = "Sync"

// syncOps lists the Sync table's rows: the sub-benchmark, what it does,
// the unit of its figure, and the key of CPython's figure ("" for none).
var syncOps = []struct{ lib, about, unit, python string }{
	{"lock", "Lock+Unlock, uncontended", "ns/op", "lock_ns_per_op"},
	{"semaphore", "Semaphore Acquire+Release, uncontended", "ns/op", "semaphore_ns_per_op"},
	{"syncmutex", "sync.Mutex Lock+Unlock (the floor)", "ns/op", ""},
	{"value-add", "Value.Add (CPython: += under get_lock)", "ns/op", "value_add_ns_per_op"},
	{"event-wake", "Event.Set → a sleeping waiter in another process runs, p50", "p50-ns", "event_wake_p50_ns"},
}

// pythonSyncPrefix starts the lines python/mp_sync.py prints:
//
//	python_sync_lock_ns_per_op 60.1
//	python_sync_value_add_ns_per_op 512.3
//	python_sync_event_wake_p50_ns 45000
const pythonSyncPrefix = "python_sync_"

// parsePythonSync finds python/mp_sync.py's lines in its output and returns
// the figures by key (lock_ns_per_op, ...), as parseFigures does.
func parsePythonSync(out string) (map[string]float64, error) {
	return parseFigures(out, pythonSyncPrefix)
}

// syncTable lists, per operation, the median over the runs of its time
// (ns/op, or the p50 for event-wake), CPython's figure from the script and
// the ratio CPython/ours (above 1: CPython is slower).
func (r report) syncTable() table {
	t := table{
		title: groupSync,
		about: "mp's primitives against CPython's multiprocessing; medians over the runs; CPython/ours above 1: CPython is slower",
		left:  2,
		head:  []string{"op", "what", "runs", "ns", "CPython ns", "CPython/ours"},
	}
	for _, op := range syncOps {
		n := r.s.runs(groupSync, op.lib)
		py, okPy := r.pySync[op.python]
		if n == 0 && !okPy {
			continue
		}
		v, ok := r.s.median(groupSync, op.lib, op.unit)
		t.rows = append(t.rows, []string{op.lib, op.about, strconv.Itoa(n),
			num(v, ok), num(py, okPy), ratio(py, v, ok && okPy)})
	}
	t.notes = append(t.notes, pythonNote("mp_sync.py", r.pySyncStatus,
		"best of 3 runs (lock, semaphore, value-add), p50 of 200 wake-ups"))
	return t
}

// syncTargets checks the goals of the Sync group when it ran:
//  1. an uncontended Lock+Unlock at most 30 ns, and at most half of
//     CPython's multiprocessing.Lock acquire+release;
//  2. Value.Add at least 20× faster than CPython's increment under its lock;
//  3. a cross-process Event wake-up p50 at most 50 µs.
func (r report) syncTargets() []target {
	if !r.hasGroup(groupSync) {
		return nil
	}
	var ts []target
	med := func(lib, unit string) (float64, bool) { return r.s.median(groupSync, lib, unit) }
	noPy := func(name string) target { return noPython(name, r.pySyncStatus) }

	lock, okL := med("lock", "ns/op")
	name := "Sync: Lock+Unlock ≤ 30 ns"
	if !okL {
		ts = append(ts, missing(name, "lock"))
	} else {
		ts = append(ts, check(name, lock <= 30, fmt.Sprintf("%s ns", num(lock, true))))
	}
	name = "Sync: Lock+Unlock ≤ 0.5× CPython Lock"
	switch py, ok := r.pySync["lock_ns_per_op"]; {
	case !okL:
		ts = append(ts, missing(name, "lock"))
	case !ok:
		ts = append(ts, noPy(name))
	default:
		ts = append(ts, check(name, lock <= 0.5*py, fmt.Sprintf("%.2f× (%s ns vs CPython %s ns)", lock/py, num(lock, true), num(py, true))))
	}

	name = "Sync: Value.Add ≥ 20× faster than CPython Value"
	add, okA := med("value-add", "ns/op")
	switch py, ok := r.pySync["value_add_ns_per_op"]; {
	case !okA:
		ts = append(ts, missing(name, "value-add"))
	case !ok:
		ts = append(ts, noPy(name))
	default:
		ts = append(ts, check(name, py >= 20*add, fmt.Sprintf("%.0f× (%s ns vs CPython %s ns)", py/add, num(add, true), num(py, true))))
	}

	name = "Sync: Event wake-up p50 ≤ 50 µs"
	if wake, ok := med("event-wake", "p50-ns"); !ok {
		ts = append(ts, missing(name, "event-wake"))
	} else {
		ts = append(ts, check(name, wake <= 50e3, fmt.Sprintf("%.1f µs", wake/1e3)))
	}
	return ts
}
