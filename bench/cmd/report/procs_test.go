package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// processSample is go test -bench output of the process and codec groups:
// three runs of some benchmarks, one of the others, forkserver included.
// The medians: spawn 3.5 ms, forkserver 0.25 ms (its function begins at
// 0.15 ms), fork 3 ms, rawexec 2 ms, rawwake 0.5 ms;
// Pipe1MiB 1500 vs 1800 (rawchild) and 2000 (rawpipe) MB/s; PipeRoundTrip 150000 vs 80000 ns; RSS 5588 KiB.
const processSample = `goos: linux
goarch: amd64
pkg: github.com/multitask-go/multitask/bench
cpu: AMD EPYC
BenchmarkCodec/int/cbor-2            	      20	       600.0 ns/op	         5.000 wire-bytes	      16 B/op	       2 allocs/op
BenchmarkCodec/int/cbor-2            	      20	       500.0 ns/op	         5.000 wire-bytes	      16 B/op	       3 allocs/op
BenchmarkCodec/int/json-2            	      20	      1000 ns/op	         9.000 wire-bytes	     168 B/op	       3 allocs/op
BenchmarkCodec/int/json-2            	      20	      1000 ns/op	         9.000 wire-bytes	     168 B/op	       3 allocs/op
BenchmarkCodec/bytes1MiB/gob-2       	      20	   2929335 ns/op	   1048586 wire-bytes	 4220701 B/op	      33 allocs/op
BenchmarkCodec/int/newcodec-2        	      20	       800.0 ns/op	         4.000 wire-bytes	      16 B/op	       1 allocs/op
BenchmarkProcessStart/spawn-2        	      20	   4018716 ns/op	   3000000 p50-ns	   81020 B/op	      76 allocs/op
BenchmarkProcessStart/spawn-2        	      20	   4018716 ns/op	   4000000 p50-ns	   81020 B/op	      76 allocs/op
BenchmarkProcessStart/spawn-2        	      20	   4018716 ns/op	   3500000 p50-ns	   81020 B/op	      76 allocs/op
BenchmarkProcessStart/forkserver-2   	      20	    300000 ns/op	    250000 p50-ns	    150000 run-p50-ns	   80422 B/op	      69 allocs/op
BenchmarkProcessStart/fork-2         	      20	   3978690 ns/op	   3000000 p50-ns	   80422 B/op	      69 allocs/op
BenchmarkProcessStart/rawexec-2      	      20	   2685807 ns/op	   2000000 p50-ns	    6304 B/op	      35 allocs/op
BenchmarkProcessStart/rawwake-2      	      20	  20685807 ns/op	    500000 p50-ns	    6304 B/op	      35 allocs/op
BenchmarkPipe1MiB/multitask-2        	      20	   1157338 ns/op	1400.00 MB/s	    3311 B/op	       1 allocs/op
BenchmarkPipe1MiB/multitask-2        	      20	   1157338 ns/op	1600.00 MB/s	    3311 B/op	       1 allocs/op
BenchmarkPipe1MiB/multitask-2        	      20	   1157338 ns/op	1500.00 MB/s	    3311 B/op	       1 allocs/op
BenchmarkPipe1MiB/rawchild-2         	      20	    582542 ns/op	1800.00 MB/s	   52428 B/op	       0 allocs/op
BenchmarkPipe1MiB/rawpipe-2          	      20	    477157 ns/op	2000.00 MB/s	   52428 B/op	       0 allocs/op
BenchmarkPipeRoundTrip/multitask-2   	      20	    150000 ns/op	    6633 B/op	       5 allocs/op
BenchmarkPipeRoundTrip/rawpipe-2     	      20	     80000 ns/op	       0 B/op	       0 allocs/op
BenchmarkIdleChildRSS/spawn-2        	      20	  20727324 ns/op	      5588 rss-KiB	   11776 B/op	      12 allocs/op
PASS
ok  	github.com/multitask-go/multitask/bench	1.846s
`

// pythonStarts is python/process_start.py's output: spawn 50 ms,
// forkserver 20 ms, fork 4 ms.
const pythonStarts = `python_process_start_spawn_p50_seconds 0.050000
python_process_start_forkserver_p50_seconds 0.020000
python_process_start_fork_p50_seconds 0.004000
`

// sampleReport parses go test output and, when py is not empty, the
// script's output into a report.
func sampleReport(t *testing.T, bench, py string) report {
	t.Helper()
	out, err := parseBench(strings.NewReader(bench))
	if err != nil {
		t.Fatal(err)
	}
	r := report{s: collect(out.results), header: out.header, pyStartsN: 20, procs: 2}
	if py == "" {
		r.pyStartStatus = "not run (-python is empty)"
		return r
	}
	if r.pyStarts, err = parsePythonStarts(py); err != nil {
		t.Fatal(err)
	}
	return r
}

// without returns the lines of bench output that do not contain any of drop.
func without(bench string, drop ...string) string {
	var b strings.Builder
	for line := range strings.Lines(bench) {
		if !slices.ContainsFunc(drop, func(d string) bool { return strings.Contains(line, d) }) {
			b.WriteString(line)
		}
	}
	return b.String()
}

// tableOf returns the report's table for group.
func tableOf(t *testing.T, r report, group string) table {
	t.Helper()
	for _, tb := range r.processTables() {
		if tb.title == group {
			return tb
		}
	}
	t.Fatalf("no %s table", group)
	return table{}
}

// checkRows checks that the table has each row in want, cell by cell.
func checkRows(t *testing.T, tb table, want [][]string) {
	t.Helper()
	if len(tb.rows) != len(want) {
		t.Errorf("%s: %d rows, want %d: %q", tb.title, len(tb.rows), len(want), tb.rows)
	}
	for _, w := range want {
		got, ok := tb.row(w[0])
		if tb.left == 2 {
			got, ok = tb.row(w[0], w[1])
		}
		if !ok {
			t.Errorf("%s: no row %q", tb.title, w[:max(tb.left, 1)])
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s row:\n got %q\nwant %q", tb.title, got, w)
		}
	}
}

// verdicts maps each target's name to its status.
func verdicts(ts []target) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[t.name] = t.status
	}
	return m
}

func TestParsePythonStarts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, out string
		want      map[string]float64
		ok        bool
	}{
		{"three methods", pythonStarts, map[string]float64{"spawn": 0.05, "forkserver": 0.02, "fork": 0.004}, true},
		{"among others", "warming up\npython_process_start_spawn_p50_seconds 0.5\nbye\n", map[string]float64{"spawn": 0.5}, true},
		{"cut short", "python_process_start_spawn_p50_seconds 0.5\nTraceback (most recent call last):\n", map[string]float64{"spawn": 0.5}, true},
		{"missing", "Traceback (most recent call last):\n", nil, false},
		{"no method", "python_process_start__p50_seconds 0.5\n", nil, false},
		{"other metric", "python_threadpool_100k_seconds 1.5\n", nil, false},
		{"not a number", "python_process_start_fork_p50_seconds soon\n", map[string]float64{}, false},
		{"zero", "python_process_start_fork_p50_seconds 0\n", map[string]float64{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePythonStarts(c.out)
			if (err == nil) != c.ok || !maps.Equal(got, c.want) {
				t.Errorf("parsePythonStarts(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

func TestProcessTables(t *testing.T) {
	t.Parallel()
	r := sampleReport(t, processSample, pythonStarts)

	start := tableOf(t, r, groupStart)
	checkRows(t, start, [][]string{
		{"spawn", "3", "3.500", "-", "1.75", "7.00", "50.000", "14.29"},
		{"forkserver", "1", "0.250", "0.150", "0.12", "0.50", "20.000", "80.00"},
		{"fork", "1", "3.000", "-", "1.50", "6.00", "4.000", "1.33"},
		{"rawexec", "1", "2.000", "-", "1.00", "4.00", "-", "-"},
		{"rawwake", "1", "0.500", "-", "0.25", "1.00", "-", "-"},
	})
	if got := strings.Join(start.notes, "\n"); strings.Contains(got, "not measured") || !strings.Contains(got, "--starts 20") {
		t.Errorf("ProcessStart notes = %q", got)
	}

	checkRows(t, tableOf(t, r, groupPipe), [][]string{
		{"multitask", "3", "1500", "0.83", "1"},
		{"rawchild", "1", "1800", "1.00", "0"},
		{"rawpipe", "1", "2000", "1.11", "0"},
	})
	checkRows(t, tableOf(t, r, groupRoundTrip), [][]string{
		{"multitask", "1", "150000", "1.88", "5"},
		{"rawpipe", "1", "80000", "1.00", "0"},
	})
	checkRows(t, tableOf(t, r, groupRSS), [][]string{
		{"spawn", "1", "5.46"},
	})
	// Payloads and codecs in their known order, unknown ones after; two
	// runs give medians between the values; gob's payload has no json row.
	codec := tableOf(t, r, groupCodec)
	checkRows(t, codec, [][]string{
		{"int", "cbor", "2", "550.0", "2.5", "5", "0.55"},
		{"int", "json", "2", "1000", "3", "9", "1.00"},
		{"int", "newcodec", "1", "800.0", "1", "4", "0.80"},
		{"bytes1MiB", "gob", "1", "2929335", "33", "1048586", "-"},
	})
	if got := codec.rows[len(codec.rows)-1][0]; got != "bytes1MiB" {
		t.Errorf("last codec row is for %s, want bytes1MiB", got)
	}
}

// TestStartTableWithoutForkServer checks the rows and notes when the
// benchmark has no forkserver case and CPython did not run.
func TestStartTableWithoutForkServer(t *testing.T) {
	t.Parallel()
	r := sampleReport(t, without(processSample, "forkserver", "rawwake"), "")
	start := tableOf(t, r, groupStart)
	checkRows(t, start, [][]string{
		{"spawn", "3", "3.500", "-", "1.75", "-", "-", "-"},
		{"fork", "1", "3.000", "-", "1.50", "-", "-", "-"},
		{"rawexec", "1", "2.000", "-", "1.00", "-", "-", "-"},
	})
	want := []string{
		"forkserver: not measured (no ProcessStart/forkserver result)",
		"CPython: not run (-python is empty)",
	}
	if !slices.Equal(start.notes, want) {
		t.Errorf("notes = %q, want %q", start.notes, want)
	}

	// CPython's figures still get a row when ours are missing.
	r.pyStarts = map[string]float64{"forkserver": 0.02}
	r.pyStartStatus = ""
	row, ok := tableOf(t, r, groupStart).row("forkserver")
	if want := []string{"forkserver", "0", "-", "-", "-", "-", "20.000", "-"}; !ok || !slices.Equal(row, want) {
		t.Errorf("forkserver row = %q, want %q", row, want)
	}
}

func TestProcessTargets(t *testing.T) {
	t.Parallel()
	const (
		spawnRaw = "ProcessStart: spawn p50 ≤ 2× rawexec"
		fsAbs    = "ProcessStart: forkserver Start → running p50 ≤ 0.3 ms"
		spawnPy  = "ProcessStart: spawn ≥ 10× faster than CPython spawn"
		fsPy     = "ProcessStart: forkserver p50 ≤ 0.8× CPython fork"
		pipe     = "Pipe1MiB: multitask ≥ 80% of rawchild MB/s"
		rt       = "PipeRoundTrip: multitask ≤ 2× rawpipe"
		rss      = "IdleChildRSS: spawn ≤ 10 MiB"
	)
	// slow makes every process figure miss its target: spawn 5 ms against
	// rawexec 2 ms and CPython's 40 ms, forkserver 0.5 ms (its function
	// begins at 0.35 ms) against CPython's fork at 0.4 ms, 1000 MB/s, 2.5× the round trip, 11000 KiB.
	slow := strings.NewReplacer(
		"3000000 p50-ns	   81020", "5000000 p50-ns	   81020",
		"4000000 p50-ns", "5000000 p50-ns",
		"3500000 p50-ns", "5000000 p50-ns",
		"250000 p50-ns", "500000 p50-ns",
		"150000 run-p50-ns", "350000 run-p50-ns",
		"1400.00 MB/s", "1000.00 MB/s",
		"1600.00 MB/s", "1000.00 MB/s",
		"1500.00 MB/s", "1000.00 MB/s",
		"150000 ns/op", "200000 ns/op",
		"5588 rss-KiB", "11000 rss-KiB",
	).Replace(processSample)
	slowPy := "python_process_start_spawn_p50_seconds 0.040\npython_process_start_fork_p50_seconds 0.0004\n"

	cases := []struct {
		name      string
		bench, py string
		want      map[string]string
		details   map[string]string // substrings of some targets' details
	}{
		{
			name: "all pass", bench: processSample, py: pythonStarts,
			want: map[string]string{spawnRaw: "PASS", fsAbs: "PASS", spawnPy: "PASS", fsPy: "PASS", pipe: "PASS", rt: "PASS", rss: "PASS"},
			details: map[string]string{
				spawnRaw: "1.75× (3.500 ms vs 2.000 ms)", spawnPy: "14.3×", pipe: "83%", rt: "1.88×", rss: "5.46 MiB",
			},
		},
		{
			name: "all miss", bench: slow, py: slowPy,
			want: map[string]string{spawnRaw: "MISS", fsAbs: "MISS", spawnPy: "MISS", fsPy: "MISS", pipe: "MISS", rt: "MISS", rss: "MISS"},
			details: map[string]string{
				spawnRaw: "2.50×", fsAbs: "0.350 ms", spawnPy: "8.0×", fsPy: "1.25× (0.500 ms vs CPython fork 0.400 ms); rawwake: 0.500 ms",
				pipe: "56%", rt: "2.50×", rss: "10.74 MiB",
			},
		},
		{
			name: "no forkserver, no CPython", bench: without(processSample, "forkserver"),
			want:    map[string]string{spawnRaw: "PASS", fsAbs: "MISS", spawnPy: "n/a", fsPy: "MISS", pipe: "PASS", rt: "PASS", rss: "PASS"},
			details: map[string]string{fsAbs: "not measured", fsPy: "not measured", spawnPy: "not run (-python is empty)"},
		},
		{
			name: "CPython without fork", bench: processSample, py: "python_process_start_spawn_p50_seconds 0.05\n",
			want:    map[string]string{spawnRaw: "PASS", fsAbs: "PASS", spawnPy: "PASS", fsPy: "n/a", pipe: "PASS", rt: "PASS", rss: "PASS"},
			details: map[string]string{fsPy: "no CPython fork figure"},
		},
		{
			name: "one side missing", bench: without(processSample, "rawexec", "Pipe1MiB/rawchild", "RoundTrip/multitask"), py: pythonStarts,
			want: map[string]string{spawnRaw: "n/a", fsAbs: "PASS", spawnPy: "PASS", fsPy: "PASS", pipe: "n/a", rt: "n/a", rss: "PASS"},
		},
		{
			name: "only two groups ran", bench: without(processSample, "ProcessStart", "IdleChildRSS"),
			want: map[string]string{pipe: "PASS", rt: "PASS"},
		},
		{
			name: "none ran", bench: sample,
			want: map[string]string{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := sampleReport(t, c.bench, c.py).processTargets()
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

// TestWriteGroups checks that each kind of group is printed only when it ran:
// the thread pools with their CPython line, the process groups, and both.
func TestWriteGroups(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		bench     string
		want, not []string
	}{
		{
			name:  "thread pools only",
			bench: sample,
			want:  []string{"SubmitResult", "CPython ThreadPoolExecutor", "ns/task and allocs/task"},
			not:   []string{"ProcessStart", "Pipe1MiB", "PipeRoundTrip", "IdleChildRSS", "Codec"},
		},
		{
			name:  "processes only",
			bench: processSample,
			want: []string{
				"\nProcessStart  (", "  spawn          3   3.500        -      1.75      7.00      50.000         14.29\n",
				"\nPipe1MiB  (", "\nPipeRoundTrip  (", "\nIdleChildRSS  (", "\nCodec  (",
				"  int         cbor         2    550.0        2.5           5   0.55\n",
				"PASS  IdleChildRSS: spawn ≤ 10 MiB",
			},
			not: []string{"SubmitResult  (", "CPython ThreadPoolExecutor", "ns/task and allocs/task"},
		},
		{
			name:  "both",
			bench: sample + processSample,
			want:  []string{"SubmitResult", "CPython ThreadPoolExecutor", "ProcessStart", "Codec", "PASS  Pipe1MiB"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := sampleReport(t, c.bench, pythonStarts)
			var buf bytes.Buffer
			r.write(&buf)
			out := buf.String()
			for _, s := range c.want {
				if !strings.Contains(out, s) {
					t.Errorf("report lacks %q:\n%s", s, out)
				}
			}
			for _, s := range c.not {
				if strings.Contains(out, s) {
					t.Errorf("report has %q:\n%s", s, out)
				}
			}
			if i, j := strings.Index(out, "CPython ThreadPoolExecutor"), strings.Index(out, "\nProcessStart"); i >= 0 && j >= 0 && i > j {
				t.Errorf("the thread pools' CPython line comes after ProcessStart:\n%s", out)
			}
		})
	}
}

func TestTableWrite(t *testing.T) {
	t.Parallel()
	tb := table{
		title: "Group", about: "what it measures", left: 2,
		head:  []string{"a", "b", "×long"},
		rows:  [][]string{{"x", "yy", "1"}, {"longer name", "z", "22"}},
		notes: []string{"a note"},
	}
	want := "\nGroup  (what it measures)\n" +
		"  a            b   ×long\n" +
		"  x            yy      1\n" +
		"  longer name  z      22\n" +
		"  a note\n"
	var buf bytes.Buffer
	tb.write(&buf)
	if buf.String() != want {
		t.Errorf("table.write:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestRunWithScripts drives run on saved output with a stand-in for python3
// that prints CPython's lines, and checks that -py-starts reaches
// process_start.py and its figures reach the table.
func TestRunWithScripts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "bench.txt")
	python := filepath.Join(dir, "python")
	script := `#!/bin/sh
case "$1" in
*threadpool.py) echo python_threadpool_100k_seconds 2 ;;
*process_start.py) [ "$2" = --starts ] && echo python_process_start_spawn_p50_seconds "0.0$3" ;;
esac
`
	err := errors.Join(
		os.WriteFile(input, []byte(sample+processSample), 0o644),
		os.WriteFile(python, []byte(script), 0o755))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-input", input, "-save", "", "-python", python, "-py-starts", "5"}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("run %q = %d, stderr:\n%s", args, code, stderr.String())
	}
	for _, s := range []string{
		"CPython takes 40.0× as long",
		"  spawn          3   3.500        -      1.75      7.00      50.000         14.29\n",
		"CPython: python/process_start.py --starts 5",
		"PASS  ProcessStart: spawn ≥ 10× faster than CPython spawn",
		"n/a   ProcessStart: forkserver p50 ≤ 0.8× CPython fork     no CPython fork figure",
	} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, stdout.String())
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-py-starts", "0"}, {"-count", "0"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("run %q = %d, want 2", args, code)
		}
	}
}
