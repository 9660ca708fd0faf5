package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// poolSample is go test -bench output of the ProcPool group. The medians:
// submit 250000 tasks/s (two runs), map 400000, latency p50 50 µs, replace
// 2.5 ms, start 2 ms, rawpipelined 1000000 tasks/s, rawpingpong 30 µs.
const poolSample = `BenchmarkProcPool/submit-2         	      10	 100000000 ns/op	    200000 tasks/s	 5600000 B/op	   80000 allocs/op
BenchmarkProcPool/submit-2         	      10	  66666667 ns/op	    300000 tasks/s	 5600000 B/op	   80000 allocs/op
BenchmarkProcPool/map-2            	      10	  50000000 ns/op	    400000 tasks/s	 4000000 B/op	   60000 allocs/op
BenchmarkProcPool/latency-2        	   10000	     60000 ns/op	     50000 p50-ns	     280 B/op	       4 allocs/op
BenchmarkProcPool/replace-2        	     500	   3000000 ns/op	   2500000 p50-ns	   90000 B/op	     100 allocs/op
BenchmarkProcPool/start-2          	     500	   2500000 ns/op	   2000000 p50-ns	   81000 B/op	      76 allocs/op
BenchmarkProcPool/rawpipelined-2   	     100	  20000000 ns/op	   1000000 tasks/s	       0 B/op	       0 allocs/op
BenchmarkProcPool/rawpingpong-2    	   50000	     30000 ns/op	     30000 p50-ns	       0 B/op	       0 allocs/op
`

// pythonPool is python/process_pool.py's output: submit 10000 tasks/s, map
// 200000 at chunksize 512, latency 200 µs.
const pythonPool = `python_pool_submit_tasks_per_s 10000
python_pool_map_tasks_per_s 200000 chunksize 512
python_pool_latency_p50_seconds 0.000200
`

func TestParsePythonPool(t *testing.T) {
	t.Parallel()
	all := map[string]float64{pyPoolSubmit: 10000, pyPoolMap: 200000, pyPoolChunk: 512, pyPoolLatency: 0.0002}
	cases := []struct {
		name, out string
		want      map[string]float64
		ok        bool
	}{
		{"all", pythonPool, all, true},
		{"among others", "starting\n" + pythonPool + "done\n", all, true},
		{"cut short", "python_pool_submit_tasks_per_s 9000\nTraceback (most recent call last):\n", map[string]float64{pyPoolSubmit: 9000}, true},
		{"missing", "Traceback (most recent call last):\n", nil, false},
		{"other script", "python_sync_lock_ns_per_op 60\n", nil, false},
		{"not a number", "python_pool_submit_tasks_per_s 9000\npython_pool_map_tasks_per_s many\n", map[string]float64{pyPoolSubmit: 9000}, false},
		{"no chunksize value", "python_pool_map_tasks_per_s 200000 chunksize\n", nil, false},
		{"bad chunksize", "python_pool_map_tasks_per_s 200000 chunksize 0\n", map[string]float64{pyPoolMap: 200000}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePythonPool(c.out)
			if (err == nil) != c.ok || !maps.Equal(got, c.want) {
				t.Errorf("parsePythonPool(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

func TestPoolTable(t *testing.T) {
	t.Parallel()
	r := sampleReport(t, poolSample, "")
	var err error
	if r.pyPool, err = parsePythonPool(pythonPool); err != nil {
		t.Fatal(err)
	}
	tb := tableOf(t, r, groupProcPool)
	checkRows(t, tb, [][]string{
		{"submit", poolOps[0].about, "2", "tasks/s", "250000", rawPipelined, "1000000", "4.00", "10000", "25.00"},
		{"map", poolOps[1].about, "1", "tasks/s", "400000", rawPipelined, "1000000", "2.50", "200000", "2.00"},
		{"latency", poolOps[2].about, "1", "p50 µs", "50.00", rawPingPong, "30.00", "1.67", "200.0", "4.00"},
		{"replace", poolOps[3].about, "1", "p50 µs", "2500", startPlusLatency, "2050", "1.22", "-", "-"},
	})
	notes := strings.Join(tb.notes, "\n")
	for _, s := range []string{"(2000 µs)", "best chunksize (512)"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}

	// Without CPython and without the floors, their cells are empty and
	// the note says why.
	r = sampleReport(t, without(poolSample, "start", "raw"), "")
	r.pyPoolStatus = "not run (-python is empty)"
	tb = tableOf(t, r, groupProcPool)
	checkRows(t, tb, [][]string{
		{"submit", poolOps[0].about, "2", "tasks/s", "250000", rawPipelined, "-", "-", "-", "-"},
		{"map", poolOps[1].about, "1", "tasks/s", "400000", rawPipelined, "-", "-", "-", "-"},
		{"latency", poolOps[2].about, "1", "p50 µs", "50.00", rawPingPong, "-", "-", "-", "-"},
		{"replace", poolOps[3].about, "1", "p50 µs", "2500", startPlusLatency, "-", "-", "-", "-"},
	})
	if notes := strings.Join(tb.notes, "\n"); !strings.Contains(notes, "process_pool.py: not run (-python is empty)") {
		t.Errorf("notes = %q", notes)
	}
}

func TestPoolTargets(t *testing.T) {
	t.Parallel()
	const (
		submitPy  = "ProcPool: submit ≥ 20× CPython tasks/s"
		submitRaw = "ProcPool: submit within 3× of rawpipelined"
		mapPy     = "ProcPool: map ≥ 1.0× CPython map tasks/s"
		latency   = "ProcPool: latency p50 ≤ 2× rawpingpong"
		replace   = "ProcPool: replace p50 ≤ start + latency p50"
	)
	// fast makes every figure pass: submit 400000 tasks/s (2.5× from the
	// raw 1000000), map 250000 against CPython's 200000, replace 2 ms.
	fast := strings.NewReplacer(
		"200000 tasks/s", "400000 tasks/s",
		"300000 tasks/s", "400000 tasks/s",
		"   400000 tasks/s	 4000000", "   250000 tasks/s	 4000000",
		"2500000 p50-ns", "2000000 p50-ns",
	).Replace(poolSample)
	cases := []struct {
		name      string
		bench, py string
		status    string
		want      map[string]string
		details   map[string]string // substrings of some targets' details
	}{
		{
			name: "sample", bench: poolSample, py: pythonPool,
			want: map[string]string{submitPy: "PASS", submitRaw: "MISS", mapPy: "PASS", latency: "PASS", replace: "MISS"},
			details: map[string]string{
				submitPy:  "25.0× (250000 vs CPython 10000 tasks/s)",
				submitRaw: "4.00× (250000 vs rawpipelined 1000000 tasks/s)",
				mapPy:     "2.00× (400000 vs CPython 200000 tasks/s at chunksize 512)",
				latency:   "1.67× (50.00 µs vs 30.00 µs)",
				replace:   "1.22× (2.500 ms vs start 2.000 + latency 0.050 ms)",
			},
		},
		{
			name: "fast", bench: fast, py: pythonPool,
			want:    map[string]string{submitPy: "PASS", submitRaw: "PASS", mapPy: "PASS", latency: "PASS", replace: "PASS"},
			details: map[string]string{submitRaw: "2.50×", mapPy: "1.25×", replace: "0.98×"},
		},
		{
			name: "slow against CPython", bench: poolSample,
			py:      "python_pool_submit_tasks_per_s 20000\npython_pool_map_tasks_per_s 500000 chunksize 4096\n",
			want:    map[string]string{submitPy: "MISS", submitRaw: "MISS", mapPy: "MISS", latency: "PASS", replace: "MISS"},
			details: map[string]string{submitPy: "12.5×", mapPy: "0.80× (400000 vs CPython 500000 tasks/s at chunksize 4096)"},
		},
		{
			name: "no CPython, no floors", bench: without(poolSample, "raw", "start"), status: "failed: exit status 1",
			want: map[string]string{submitPy: "n/a", submitRaw: "n/a", mapPy: "n/a", latency: "n/a", replace: "n/a"},
			details: map[string]string{
				submitPy: "no CPython figure: failed: exit status 1",
				latency:  "no result for latency, rawpingpong",
			},
		},
		{
			name: "did not run", bench: processSample,
			want: map[string]string{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReport(t, c.bench, "")
			r.pyPoolStatus = c.status
			if c.py != "" {
				var err error
				if r.pyPool, err = parsePythonPool(c.py); err != nil {
					t.Fatal(err)
				}
			}
			ts := r.poolTargets()
			if got := verdicts(ts); !maps.Equal(got, c.want) {
				t.Errorf("verdicts:\n got %v\nwant %v", got, c.want)
			}
			for _, tg := range ts {
				if d, ok := c.details[tg.name]; ok && !strings.Contains(tg.detail, d) {
					t.Errorf("%s: detail %q lacks %q", tg.name, tg.detail, d)
				}
			}
		})
	}
}

// TestRunPoolAndQueueScripts drives run on saved output with a stand-in for
// python3 that notes which scripts it ran and prints their lines: each of
// process_pool.py and mp_queue.py runs only when its group ran, and its
// figures reach the tables and the targets.
func TestRunPoolAndQueueScripts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	python := filepath.Join(dir, "python")
	script := `#!/bin/sh
echo "$1" >>"$(dirname "$0")/ran"
case "$1" in
*process_pool.py) printf '%s\n' 'python_pool_submit_tasks_per_s 10000' 'python_pool_map_tasks_per_s 200000 chunksize 512' ;;
*mp_queue.py) printf '%s\n' 'python_queue_int_msgs_per_second 150000' '# int: 5 bytes pickled'; exit 3 ;;
esac
`
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, bench string
		ran         []string
		want        []string
	}{
		{
			name: "ProcPool", bench: poolSample, ran: []string{"python/process_pool.py"},
			want: []string{
				"\nProcPool  (",
				"CPython: python/process_pool.py, ProcessPoolExecutor(2), one run; map at its best chunksize (512)",
				"PASS  ProcPool: submit ≥ 20× CPython tasks/s",
				"PASS  ProcPool: map ≥ 1.0× CPython map tasks/s",
				"   1   p50 µs   50.00    rawpingpong    30.00    1.67        -             -\n", // latency
			},
		},
		{
			name: "Queue", bench: queueSample, ran: []string{"python/mp_queue.py"},
			want: []string{
				"\nQueue  (",
				"  int            2  2000000          150000         13.33\n",
				"CPython: python/mp_queue.py: failed: ",
				"PASS  Queue: int msgs/s ≥ 10× CPython Queue",
				"n/a   Queue: struct100 msgs/s ≥ 10× CPython Queue",
			},
		},
		{
			name: "both", bench: poolSample + queueSample, ran: []string{"python/process_pool.py", "python/mp_queue.py"},
			want: []string{"\nProcPool  (", "\nQueue  ("},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the stand-in notes its runs in one file.
			input := filepath.Join(dir, "bench.txt")
			ran := filepath.Join(dir, "ran")
			err := errors.Join(os.WriteFile(input, []byte(c.bench), 0o644), os.WriteFile(ran, nil, 0o644))
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := []string{"-input", input, "-save", "", "-python", python}
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("run %q = %d, stderr:\n%s", args, code, stderr.String())
			}
			got, err := os.ReadFile(ran)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Join(c.ran, "\n") + "\n"; string(got) != want {
				t.Errorf("scripts run: %q, want %q", got, want)
			}
			for _, s := range c.want {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, stdout.String())
				}
			}
		})
	}
}
