package main

import (
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clusterSample is go test -bench output of the Cluster group. The
// medians: rawjs 42000 tasks/s (two runs), procs 34000, inproc 30000,
// procs-map 1,000,000, inproc-map 2,000,000, r1 10000, r3 5000; roundtrip p50 0.5 ms and p99 2 ms, new p50 25 ms,
// cancel p99 6 ms.
const clusterSample = `BenchmarkCluster/rawjs-2       	   20000	     25000 ns/op	     40000 tasks/s	    1000 B/op	      10 allocs/op
BenchmarkCluster/rawjs-2       	   20000	     22727 ns/op	     44000 tasks/s	    1000 B/op	      10 allocs/op
BenchmarkCluster/procs-2       	   20000	     29412 ns/op	     34000 tasks/s	    9000 B/op	     100 allocs/op
BenchmarkCluster/inproc-2      	   20000	     33333 ns/op	     30000 tasks/s	    9000 B/op	     100 allocs/op
BenchmarkCluster/procs-map-2   	 1000000	      1000 ns/op	   1000000 tasks/s	    9000 B/op	     100 allocs/op
BenchmarkCluster/inproc-map-2  	 1000000	       500 ns/op	   2000000 tasks/s	    9000 B/op	     100 allocs/op
BenchmarkCluster/roundtrip-2   	    2000	    600000 ns/op	    500000 p50-ns	   2000000 p99-ns	    9000 B/op	     100 allocs/op
BenchmarkCluster/new-2         	      20	  40000000 ns/op	  25000000 p50-ns	  35000000 p99-ns	 9000000 B/op	   10000 allocs/op
BenchmarkCluster/cancel-2      	    1000	   1000000 ns/op	    400000 p50-ns	   6000000 p99-ns	    9000 B/op	     100 allocs/op
BenchmarkCluster/r1-2          	    5000	    100000 ns/op	     10000 tasks/s	    9000 B/op	     100 allocs/op
BenchmarkCluster/r3-2          	    5000	    200000 ns/op	      5000 tasks/s	    9000 B/op	     100 allocs/op
`

// pythonDask is python/dask_tasks.py's output: 1000 tasks/s.
const pythonDask = "python_dask_tasks_per_s 1000\n"

func TestParsePythonDask(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, out string
		want      map[string]float64
		ok        bool
	}{
		{"figure", pythonDask, map[string]float64{pyDaskRate: 1000}, true},
		{"among logs", "distributed.nanny - INFO - Start\n" + pythonDask, map[string]float64{pyDaskRate: 1000}, true},
		{"missing", "Traceback (most recent call last):\n", nil, false},
		{"not a number", "python_dask_tasks_per_s fast\n", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePythonDask(c.out)
			if (err == nil) != c.ok || !maps.Equal(got, c.want) {
				t.Errorf("parsePythonDask(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

func TestClusterTable(t *testing.T) {
	t.Parallel()
	about := func(lib string) string {
		for _, op := range clusterOps {
			if op.lib == lib {
				return op.about
			}
		}
		t.Fatalf("no op %s", lib)
		return ""
	}
	r := sampleReport(t, clusterSample, "")
	r.pyDask = map[string]float64{pyDaskRate: 1000}
	tb := tableOf(t, r, groupCluster)
	checkRows(t, tb, [][]string{
		{clusterRaw, about(clusterRaw), "2", "42000", "-", "-"},
		{clusterProcs, about(clusterProcs), "1", "34000", "-", "-"},
		{clusterInProc, about(clusterInProc), "1", "30000", "-", "-"},
		{clusterProcsMap, about(clusterProcsMap), "1", "1000000", "-", "-"},
		{clusterInProcMap, about(clusterInProcMap), "1", "2000000", "-", "-"},
		{clusterR1, about(clusterR1), "1", "10000", "-", "-"},
		{clusterR3, about(clusterR3), "1", "5000", "-", "-"},
		{clusterRoundTrip, about(clusterRoundTrip), "1", "-", "0.500", "2.000"},
		{clusterNew, about(clusterNew), "1", "-", "25.000", "35.000"},
		{clusterCancel, about(clusterCancel), "1", "-", "0.400", "6.000"},
		{clusterDask, "Dask LocalCluster, 2 worker processes", "-", "1000", "-", "-"},
	})
	notes := strings.Join(tb.notes, "\n")
	for _, s := range []string{"procs is 81% of rawjs; r3 is 50% of r1; procs is 34.0× Dask; procs-map is 1000.0× Dask", "Dask: python/dask_tasks.py, LocalCluster("} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}

	// Without Dask and the floors: no row for them, and the note says why.
	r = sampleReport(t, without(clusterSample, "rawjs", "r1-"), "")
	r.pyDaskStatus = "skipped: no interpreter imports distributed (tried python3)"
	tb = tableOf(t, r, groupCluster)
	if len(tb.rows) != 8 {
		t.Errorf("%d rows, want 8: %q", len(tb.rows), tb.rows)
	}
	notes = strings.Join(tb.notes, "\n")
	if want := "Dask: python/dask_tasks.py: skipped: no interpreter imports distributed (tried python3)"; notes != want {
		t.Errorf("notes = %q, want %q", notes, want)
	}
}

func TestClusterTargets(t *testing.T) {
	t.Parallel()
	const (
		procsRaw  = "Cluster: procs ≥ 80% of rawjs tasks/s"
		inproc    = "Cluster: inproc ≥ 32k tasks/s"
		rtP50     = "Cluster: roundtrip p50 ≤ 0.8 ms"
		rtP99     = "Cluster: roundtrip p99 ≤ 3 ms"
		newP50    = "Cluster: New → ready p50 ≤ 30 ms"
		cancelP99 = "Cluster: cancel running → done p99 ≤ 5 ms"
		r3r1      = "Cluster: r3 ≥ 40% of r1 tasks/s"
		dask      = "Cluster: procs ≥ 30× Dask tasks/s"
	)
	// slow misses every goal: procs at 30000 of rawjs's 42000, a round
	// trip of 0.9 ms and 3.5 ms, New in 31 ms, r3 at 3900 of 10000, and
	// Dask at 1200.
	slow := strings.NewReplacer(
		"34000 tasks/s", "30000 tasks/s",
		"500000 p50-ns	   2000000 p99-ns", "900000 p50-ns	   3500000 p99-ns",
		"25000000 p50-ns", "31000000 p50-ns",
		"      5000 tasks/s", "      3900 tasks/s",
	).Replace(clusterSample)
	cases := []struct {
		name, bench string
		dask        map[string]float64
		status      string
		want        map[string]string
		details     map[string]string // substrings of some targets' details
	}{
		{
			name: "sample", bench: clusterSample, dask: map[string]float64{pyDaskRate: 1000},
			want: map[string]string{procsRaw: "PASS", inproc: "MISS", rtP50: "PASS", rtP99: "PASS",
				newP50: "PASS", cancelP99: "MISS", r3r1: "PASS", dask: "PASS"},
			details: map[string]string{
				procsRaw:  "81% (34000 vs rawjs 42000 tasks/s)",
				inproc:    "30000 tasks/s",
				rtP50:     "0.500 ms",
				cancelP99: "6.000 ms",
				r3r1:      "50% (5000 vs r1 10000 tasks/s)",
				dask:      "34.0× (34000 vs Dask 1000 tasks/s)",
			},
		},
		{
			name: "slow", bench: slow, dask: map[string]float64{pyDaskRate: 1200},
			want: map[string]string{procsRaw: "MISS", inproc: "MISS", rtP50: "MISS", rtP99: "MISS",
				newP50: "MISS", cancelP99: "MISS", r3r1: "MISS", dask: "MISS"},
			details: map[string]string{procsRaw: "71%", r3r1: "39%", dask: "25.0×"},
		},
		{
			name: "no Dask, no floors", bench: without(clusterSample, "rawjs", "r1-", "cancel"),
			status: "skipped: no interpreter imports distributed (tried python3)",
			want: map[string]string{procsRaw: "n/a", inproc: "MISS", rtP50: "PASS", rtP99: "PASS",
				newP50: "PASS", cancelP99: "n/a", r3r1: "n/a", dask: "n/a"},
			details: map[string]string{
				procsRaw:  "no result for procs, rawjs",
				cancelP99: "no result for cancel",
				dask:      "no Dask figure: skipped: no interpreter imports distributed",
			},
		},
		{name: "did not run", bench: poolSample, want: map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReport(t, c.bench, "")
			r.pyDask, r.pyDaskStatus = c.dask, c.status
			ts := r.clusterTargets()
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

// stub writes an executable shell script into dir and returns its path.
func stub(t *testing.T, dir, name, script string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDaskInterpreter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	installed := filepath.Join(dir, "installed")
	// without imports distributed only once install has run.
	without := stub(t, dir, "without", `[ -e "`+installed+`" ]`+"\n")
	with := stub(t, dir, "with", "exit 0\n")
	missing := filepath.Join(dir, "missing")
	install := stub(t, dir, "install", `echo installing; touch "`+installed+`"`+"\n")
	failing := stub(t, dir, "failing", "echo no room >&2; exit 100\n")
	cases := []struct {
		name        string
		candidates  []string
		install     []string
		want        string
		errContains string
		installs    bool
	}{
		{name: "first", candidates: []string{with, without}, install: []string{install}, want: with},
		{name: "second", candidates: []string{missing, with}, install: []string{install}, want: with},
		{name: "none, no install", candidates: []string{missing, without},
			errContains: "no interpreter imports distributed (tried " + missing + ", " + without + ")"},
		{name: "install fails", candidates: []string{without}, install: []string{failing},
			errContains: "and " + failing + " failed: exit status 100"},
		{name: "still none", candidates: []string{missing}, install: []string{install},
			errContains: ", even after " + install, installs: true},
		{name: "installed", candidates: []string{missing, without}, install: []string{install}, want: without, installs: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: install leaves its mark for the next case.
			os.Remove(installed)
			var progress bytes.Buffer
			got, err := daskInterpreter(context.Background(), &progress, c.candidates, c.install)
			if got != c.want || (err == nil) != (c.errContains == "") || (err != nil && !strings.Contains(err.Error(), c.errContains)) {
				t.Errorf("daskInterpreter = %q, %v; want %q, an error with %q", got, err, c.want, c.errContains)
			}
			if ran := strings.Contains(progress.String(), "installing"); ran != c.installs {
				t.Errorf("install ran: %v, want %v; progress:\n%s", ran, c.installs, progress.String())
			}
		})
	}
}

// TestRunClusterDask drives run on saved output of the Cluster group with
// stand-ins for an interpreter that imports distributed and one that does
// not: dask_tasks.py runs with the first, its figure reaches the table and
// the target, and the second gives a skip that says why.
func TestRunClusterDask(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "bench.txt")
	if err := os.WriteFile(input, []byte(clusterSample), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	dask := stub(t, dir, "dask", `echo "$1" >>"`+ran+`"
case "$1" in
-c) exit 0 ;;
*dask_tasks.py) echo python_dask_tasks_per_s 1000 ;;
esac
`)
	noDask := stub(t, dir, "nodask", `echo "$1" >>"`+ran+`"; exit 1`+"\n")
	cases := []struct {
		name, python string
		ran          []string
		want         []string
	}{
		{
			name: "Dask", python: dask, ran: []string{"-c", "python/dask_tasks.py"},
			want: []string{
				"\nCluster  (",
				"Dask LocalCluster, 2 worker processes",
				"PASS  Cluster: procs ≥ 30× Dask tasks/s",
			},
		},
		{
			name: "no Dask", python: noDask, ran: []string{"-c"},
			want: []string{
				"Dask: python/dask_tasks.py: skipped: no interpreter imports distributed (tried " + noDask + ")",
				"n/a   Cluster: procs ≥ 30× Dask tasks/s",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: the stand-ins note their runs in one file.
			if err := os.WriteFile(ran, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout bytes.Buffer
			args := []string{"-input", input, "-save", "", "-python", c.python, "-dask-python", c.python, "-dask-install=false"}
			if code := run(context.Background(), args, &stdout, io.Discard); code != 0 {
				t.Fatalf("run %q = %d", args, code)
			}
			got, err := os.ReadFile(ran)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Join(c.ran, "\n") + "\n"; string(got) != want {
				t.Errorf("runs of the interpreter: %q, want %q", got, want)
			}
			for _, s := range c.want {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, stdout.String())
				}
			}
		})
	}
}
