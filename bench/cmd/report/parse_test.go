package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// sample is go test -bench output as the benchmarks print it, with the
// chatter that surrounds it.
const sample = `goos: linux
goarch: amd64
pkg: github.com/multitask-go/multitask/bench
cpu: AMD EPYC
BenchmarkSubmitResult/multitask-2   	       5	 100000000 ns/op	         2.000 allocs/task	       500.0 ns/task	27200336 B/op	  400003 allocs/op
BenchmarkSubmitResult/multitask-2   	       5	 120000000 ns/op	         2.000 allocs/task	       600.0 ns/task	27200336 B/op	  400003 allocs/op
BenchmarkSubmitResult/multitask-2   	       5	 110000000 ns/op	         2.001 allocs/task	       550.0 ns/task	27200336 B/op	  400003 allocs/op
BenchmarkSubmitResult/ants-2        	       3	 200000000 ns/op	         1.000 allocs/task	      1000 ns/task	12800016 B/op	  200001 allocs/op
BenchmarkSubmitResult/conc-2        	       3	 180000000 ns/op	         2.000 allocs/task	       900.0 ns/task	19569808 B/op	  400038 allocs/op
BenchmarkSubmitResult/chanpool-2    	       9	  50000000 ns/op	         1.000 allocs/task	       250.0 ns/task	12800016 B/op	  200001 allocs/op
BenchmarkCPU1us/multitask-2         	      20	  44277619 ns/op	         2.001 allocs/task	      1209 cpu-ns/task	         0.9000 efficiency	      2214 ns/task	 2721344 B/op	   40012 allocs/op
BenchmarkCPU1us/pond-2              	      20	  41912221 ns/op	         7.001 allocs/task	      1209 cpu-ns/task	         0.9500 efficiency	      2096 ns/task	 5435808 B/op	  140016 allocs/op
BenchmarkLatency/multitask-2        	 1000000	      1100 ns/op	         3.000 allocs/task	      1100 ns/task	     240 B/op	       3 allocs/op
BenchmarkLatency/ants-2             	 1000000	      1000 ns/op	         3.000 allocs/task	      1000 ns/task	     264 B/op	       3 allocs/op
BenchmarkLatency/conc-2
    pool_test.go:99: a log line from a benchmark
BenchmarkLatency/conc-2             	  500000	      2000 ns/op
BenchmarkThreadPool100k/multitask	       2	  50000000 ns/op
--- FAIL: BenchmarkBroken/x-2
PASS
ok  	github.com/multitask-go/multitask/bench	5.681s
`

func TestParseBench(t *testing.T) {
	t.Parallel()
	out, err := parseBench(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.results), 12; got != want {
		t.Fatalf("got %d results, want %d", got, want)
	}
	if got := out.header["cpu"]; got != "AMD EPYC" {
		t.Errorf("cpu header = %q, want AMD EPYC", got)
	}

	first := out.results[0]
	if first.group != "SubmitResult" || first.lib != "multitask" || first.procs != 2 || first.iterations != 5 {
		t.Errorf("first result = %+v", first)
	}
	for unit, want := range map[string]float64{"ns/op": 1e8, "ns/task": 500, "allocs/task": 2, "B/op": 27200336, "allocs/op": 400003} {
		if got := first.metrics[unit]; got != want {
			t.Errorf("first result %s = %v, want %v", unit, got, want)
		}
	}
	last := out.results[len(out.results)-1]
	if last.group != "ThreadPool100k" || last.lib != "multitask" || last.procs != 1 {
		t.Errorf("a name without -N: got %+v, want procs 1", last)
	}

	s := collect(out.results)
	cases := []struct {
		group, lib, unit string
		want             float64
		ok               bool
	}{
		{"SubmitResult", "multitask", "ns/task", 550, true}, // odd count: the middle value
		{"SubmitResult", "multitask", "allocs/task", 2, true},
		{"CPU1us", "pond", "efficiency", 0.95, true},
		{"Latency", "conc", "ns/op", 2000, true},
		{"Latency", "conc", "ns/task", 0, false},
		{"Latency", "pond", "ns/op", 0, false},
	}
	for _, c := range cases {
		got, ok := s.median(c.group, c.lib, c.unit)
		if got != c.want || ok != c.ok {
			t.Errorf("median %s/%s %s = %v, %v; want %v, %v", c.group, c.lib, c.unit, got, ok, c.want, c.ok)
		}
	}
	if got, _ := s.best("SubmitResult", "multitask", "ns/op"); got != 1e8 {
		t.Errorf("best SubmitResult/multitask ns/op = %v, want 1e8", got)
	}
}

func TestParseBenchRejectsBadResult(t *testing.T) {
	t.Parallel()
	for name, line := range map[string]string{
		"bad number":   "BenchmarkX/multitask-2  5  12x3 ns/op",
		"missing unit": "BenchmarkX/multitask-2  5  123 ns/op  4",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseBench(strings.NewReader(line + "\n")); err == nil {
				t.Errorf("parseBench(%q) succeeded, want an error", line)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, c := range cases {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParsePython(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, out string
		want      float64
		ok        bool
	}{
		{"line", "python_threadpool_100k_seconds 1.234567\n", 1.234567, true},
		{"among others", "warming up\npython_threadpool_100k_seconds 0.5\n", 0.5, true},
		{"missing", "Traceback (most recent call last):\n", 0, false},
		{"not a number", "python_threadpool_100k_seconds soon\n", 0, false},
		{"zero", "python_threadpool_100k_seconds 0\n", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePython(c.out)
			if (err == nil) != c.ok || got != c.want {
				t.Errorf("parsePython(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

// TestTargets checks the verdicts on the sample: SubmitResult beats the
// best of ants and conc (550 vs 900), is 2.2× chanpool and allocates 2 per
// task; Latency is 1.1× ants; CPU1us efficiency 0.90 is below pond's 0.95.
func TestTargets(t *testing.T) {
	t.Parallel()
	out, err := parseBench(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	r := report{s: collect(out.results), header: out.header, pySecs: 2}
	want := []string{"PASS", "PASS", "PASS", "PASS", "MISS"}
	ts := r.targets()
	if len(ts) != len(want) {
		t.Fatalf("got %d targets, want %d", len(ts), len(want))
	}
	for i, tg := range ts {
		if tg.status != want[i] {
			t.Errorf("target %q: %s (%s), want %s", tg.name, tg.status, tg.detail, want[i])
		}
	}

	var buf bytes.Buffer
	r.write(&buf)
	for _, s := range []string{"SubmitResult", "CPython takes 40.0× as long", "MISS  CPU1us"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, buf.String())
		}
	}
}
