package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A result is one line of `go test -bench` output, such as
//
//	BenchmarkSubmitResult/ants-2   5   320830373 ns/op   1604 ns/task   1.000 allocs/task
//
// split into the benchmark group (SubmitResult), the sub-benchmark, which
// here names a library (ants), GOMAXPROCS (2), the iteration count and the
// metrics by unit.
type result struct {
	group, lib string
	procs      int
	iterations int
	metrics    map[string]float64
}

// A benchOutput is everything report needs from one `go test -bench` run.
type benchOutput struct {
	results []result
	// header holds the "key: value" lines go test prints before the
	// results (goos, goarch, pkg, cpu) and those report saves above them
	// (run-date, run-took, ...).
	header map[string]string
}

// parseBench reads `go test -bench` output. Lines that are not results
// (PASS, ok, logs, test chatter) are skipped; a result line that cannot be
// read is an error, so a change of format does not go unnoticed.
func parseBench(r io.Reader) (benchOutput, error) {
	out := benchOutput{header: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.ContainsAny(k, " \t") {
			if k == "goos" || k == "goarch" || k == "pkg" || k == "cpu" || strings.HasPrefix(k, runKeyPrefix) {
				out.header[k] = v
			}
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		res, ok, err := parseResult(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if ok {
			out.results = append(out.results, res)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

// parseResult reads one line that starts with "Benchmark". It reports false
// without error for a line that holds only a name, as go test prints before
// a benchmark's log output.
func parseResult(line string) (result, bool, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return result{}, false, nil
	}
	iterations, err := strconv.Atoi(f[1])
	if err != nil {
		// "BenchmarkX-2 --- FAIL" and the like: not a result.
		return result{}, false, nil
	}
	if len(f)%2 != 0 {
		return result{}, false, fmt.Errorf("odd number of value/unit fields in %q", line)
	}
	res := result{iterations: iterations, metrics: map[string]float64{}}
	res.group, res.lib, res.procs = splitName(f[0])
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return result{}, false, fmt.Errorf("metric %q of %s: %w", f[i+1], f[0], err)
		}
		res.metrics[f[i+1]] = v
	}
	return res, true, nil
}

// splitName splits "BenchmarkGroup/lib-4" into "Group", "lib" and 4. go test
// leaves the -N suffix out when GOMAXPROCS is 1.
func splitName(name string) (group, lib string, procs int) {
	name = strings.TrimPrefix(name, "Benchmark")
	procs = 1
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil && n > 0 {
			name, procs = name[:i], n
		}
	}
	group, lib, _ = strings.Cut(name, "/")
	return group, lib, procs
}

// pythonMetric is the line python/threadpool.py prints.
const pythonMetric = "python_threadpool_100k_seconds"

// parsePython finds the script's line in its output and returns the seconds.
func parsePython(out string) (float64, error) {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == pythonMetric {
			s, err := strconv.ParseFloat(f[1], 64)
			if err != nil || s <= 0 {
				return 0, fmt.Errorf("bad %s value %q", pythonMetric, f[1])
			}
			return s, nil
		}
	}
	return 0, fmt.Errorf("no %s line in the script's output", pythonMetric)
}

// The lines python/process_start.py prints, one per start method:
//
//	python_process_start_<method>_p50_seconds 0.012345
const (
	pythonStartPrefix = "python_process_start_"
	pythonStartSuffix = "_p50_seconds"
)

// parsePythonStarts finds python/process_start.py's lines in its output and
// returns the p50 seconds by start method. It fails when a line holds no
// positive number or when there is no such line at all; a method the script
// did not print is simply absent.
func parsePythonStarts(out string) (map[string]float64, error) {
	starts := map[string]float64{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		method, ok := strings.CutPrefix(f[0], pythonStartPrefix)
		if !ok {
			continue
		}
		method, ok = strings.CutSuffix(method, pythonStartSuffix)
		if !ok || method == "" {
			continue
		}
		s, err := strconv.ParseFloat(f[1], 64)
		if err != nil || s <= 0 {
			return starts, fmt.Errorf("bad %s value %q", f[0], f[1])
		}
		starts[method] = s
	}
	if len(starts) == 0 {
		return nil, fmt.Errorf("no %s<method>%s line in the script's output", pythonStartPrefix, pythonStartSuffix)
	}
	return starts, nil
}

// parseFigures finds the lines of a script's output that start with prefix,
// in the form the scripts in python/ print them,
//
//	<prefix><key> <value> [<name> <value>]...
//
// and returns the values by key. A name and value after the figure, such as
// "chunksize 512", is stored under "<key>/<name>". Other lines are skipped.
// It fails when a value is not a positive number, when a line has a name
// without a value, or when there is no such line at all; the figures read
// until then are returned all the same, or nil when there are none.
func parseFigures(out, prefix string) (map[string]float64, error) {
	figs := map[string]float64{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		k, ok := strings.CutPrefix(f[0], prefix)
		if !ok || k == "" {
			continue
		}
		if len(f)%2 != 0 {
			return nilIfEmpty(figs), fmt.Errorf("a name without a value in %q", strings.TrimSpace(line))
		}
		for i := 0; i < len(f); i += 2 {
			name := k
			if i > 0 {
				name = k + "/" + f[i]
			}
			v, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return nilIfEmpty(figs), fmt.Errorf("bad %s value %q", prefix+name, f[i+1])
			}
			figs[name] = v
		}
	}
	if len(figs) == 0 {
		return nil, fmt.Errorf("no %s... line in the script's output", prefix)
	}
	return figs, nil
}

func nilIfEmpty(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	return m
}

// A key names one library's entry in one benchmark group.
type key struct{ group, lib string }

// samples gathers, per group and library, every value of every metric over
// the -count repetitions.
type samples map[key]map[string][]float64

func collect(results []result) samples {
	s := samples{}
	for _, r := range results {
		k := key{r.group, r.lib}
		if s[k] == nil {
			s[k] = map[string][]float64{}
		}
		for unit, v := range r.metrics {
			s[k][unit] = append(s[k][unit], v)
		}
	}
	return s
}

// median returns the median of the metric's values, and false when there
// are none.
func (s samples) median(group, lib, unit string) (float64, bool) {
	vs := s[key{group, lib}][unit]
	if len(vs) == 0 {
		return 0, false
	}
	return median(vs), true
}

// best returns the smallest of the metric's values, and false when there are
// none.
func (s samples) best(group, lib, unit string) (float64, bool) {
	vs := s[key{group, lib}][unit]
	if len(vs) == 0 {
		return 0, false
	}
	return slices.Min(vs), true
}

// runs returns how many results there are for a library in a group.
func (s samples) runs(group, lib string) int {
	return len(s[key{group, lib}]["ns/op"])
}

func median(vs []float64) float64 {
	sorted := slices.Sorted(slices.Values(vs))
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
