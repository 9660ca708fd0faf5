package main

import (
	"maps"
	"strings"
	"testing"
)

// syncSample is go test -bench output of the Sync group: lock 12 and 14 ns
// (median 13), value-add 8 ns, event-wake p50 20 µs.
const syncSample = `BenchmarkSync/lock-2         	20835886	        12.00 ns/op
BenchmarkSync/lock-2         	20835886	        14.00 ns/op
BenchmarkSync/syncmutex-2    	37441357	         6.000 ns/op
BenchmarkSync/value-add-2    	32971543	         8.000 ns/op
BenchmarkSync/event-wake-2   	     211	   1137439 ns/op	     20000 p50-ns
`

// pythonSync is python/mp_sync.py's output: lock 60 ns, value 800 ns,
// event wake 55 µs.
const pythonSync = `python_sync_lock_ns_per_op 60.0
python_sync_value_add_ns_per_op 800.0
python_sync_event_wake_p50_ns 55000
`

func TestParsePythonSync(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, out string
		want      map[string]float64
		ok        bool
	}{
		{"all", pythonSync, map[string]float64{"lock_ns_per_op": 60, "value_add_ns_per_op": 800, "event_wake_p50_ns": 55000}, true},
		{"cut short", "python_sync_lock_ns_per_op 61\nTraceback (most recent call last):\n", map[string]float64{"lock_ns_per_op": 61}, true},
		{"missing", "Traceback (most recent call last):\n", nil, false},
		{"other script", "python_threadpool_100k_seconds 1.5\n", nil, false},
		{"not a number", "python_sync_lock_ns_per_op fast\n", map[string]float64{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePythonSync(c.out)
			if (err == nil) != c.ok || !maps.Equal(got, c.want) {
				t.Errorf("parsePythonSync(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

func TestSyncTableAndTargets(t *testing.T) {
	t.Parallel()
	r := sampleReport(t, syncSample, "")
	r.pyStartStatus = ""
	var err error
	if r.pySync, err = parsePythonSync(pythonSync); err != nil {
		t.Fatal(err)
	}
	checkRows(t, tableOf(t, r, groupSync), [][]string{
		{"lock", syncOps[0].about, "2", "13.00", "60.00", "4.62"},
		{"syncmutex", syncOps[2].about, "1", "6.00", "-", "-"},
		{"value-add", syncOps[3].about, "1", "8.00", "800.0", "100.00"},
		{"event-wake", syncOps[4].about, "1", "20000", "55000", "2.75"},
	})
	got := verdicts(r.processTargets())
	want := map[string]string{
		"Sync: Lock+Unlock ≤ 30 ns":                       "PASS",
		"Sync: Lock+Unlock ≤ 0.5× CPython Lock":           "PASS",
		"Sync: Value.Add ≥ 20× faster than CPython Value": "PASS",
		"Sync: Event wake-up p50 ≤ 50 µs":                 "PASS",
	}
	if !maps.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}

	// Slow figures miss; without CPython, its targets are n/a.
	slow := strings.NewReplacer("12.00 ns/op", "40.00 ns/op", "14.00 ns/op", "45.00 ns/op", "20000 p50-ns", "80000 p50-ns").Replace(syncSample)
	r = sampleReport(t, slow, "")
	r.pySyncStatus = "not run (-python is empty)"
	got = verdicts(r.processTargets())
	want = map[string]string{
		"Sync: Lock+Unlock ≤ 30 ns":                       "MISS",
		"Sync: Lock+Unlock ≤ 0.5× CPython Lock":           "n/a",
		"Sync: Value.Add ≥ 20× faster than CPython Value": "n/a",
		"Sync: Event wake-up p50 ≤ 50 µs":                 "MISS",
	}
	if !maps.Equal(got, want) {
		t.Errorf("targets without CPython = %v, want %v", got, want)
	}
	if notes := strings.Join(tableOf(t, r, groupSync).notes, "\n"); !strings.Contains(notes, "-python is empty") {
		t.Errorf("notes = %q", notes)
	}
}
