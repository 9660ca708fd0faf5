// Command report runs the benchmarks of the bench module side by side with
// the CPython scripts in python/ (threadpool.py, process_start.py,
// mp_sync.py, process_pool.py, mp_queue.py and big_payload.py, each only
// when the group it is compared with ran) and prints, per benchmark group, a table of medians
// over the runs with ratios to a baseline: for the thread pools each
// library's time and allocations per task against multitask and a bare
// channel pool; for processes the start time against a raw exec and
// CPython, pipe throughput and round trips against raw pipes, and an idle
// child's memory; for the codecs each one's round trip and wire size; for
// the synchronisation primitives each one's cost against CPython's; for the
// process pool its throughput, latency and crash recovery against raw
// pipes, a process start and CPython's ProcessPoolExecutor; for the queue
// its messages per second against CPython's multiprocessing.Queue; for big
// payloads the growth of peak memory per byte against CPython's. Then
// whether multitask meets its performance targets.
//
// Run it from the bench directory, usually through run.sh:
//
//	go run ./cmd/report [-count 5] [-benchtime 500ms] [-bench .] [-python python3] [-py-starts 20]
//
// Progress (the raw go test output) goes to stderr, the tables to stdout. The
// raw output is also saved under results/ for benchstat. The exit status is
// 0 when the benchmarks ran, whatever the targets say; 1 when they failed or
// printed nothing; 2 for bad flags.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config holds the flags.
type config struct {
	count     int
	benchtime string
	bench     string
	timeout   string
	python    string
	pyRepeat  int
	pyStarts  int
	input     string
	save      string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.count, "count", 5, "runs of each benchmark; the tables show medians")
	fs.StringVar(&c.benchtime, "benchtime", "500ms", "go test -benchtime for each run (a duration, or Nx)")
	fs.StringVar(&c.bench, "bench", ".", "go test -bench pattern, e.g. 'SubmitResult|Latency'")
	fs.StringVar(&c.timeout, "timeout", "30m", "go test -timeout")
	fs.StringVar(&c.python, "python", "python3", "CPython interpreter for the scripts in python/; empty to skip them")
	fs.IntVar(&c.pyRepeat, "py-repeat", 3, "timed runs of python/threadpool.py; it reports the best")
	fs.IntVar(&c.pyStarts, "py-starts", 20, "starts per method that python/process_start.py times; it reports the p50")
	fs.StringVar(&c.input, "input", "", "read go test -bench output from this file instead of running the benchmarks")
	fs.StringVar(&c.save, "save", "results", "directory to save the raw output in; empty to not save")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: report [flags]   (run in the bench module; see README.md)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || c.count < 1 || c.pyRepeat < 1 || c.pyStarts < 1 {
		fmt.Fprintln(stderr, "report: -count, -py-repeat and -py-starts must be at least 1, and no arguments are taken")
		return 2
	}

	start := time.Now()
	raw, benchErr := c.goBench(ctx, stderr)
	out, err := parseBench(bytes.NewReader(raw))
	if err != nil {
		fmt.Fprintf(stderr, "report: parse benchmark output: %v\n", err)
		return 1
	}
	if len(out.results) == 0 {
		if benchErr == nil {
			benchErr = errors.New("no benchmark results in the output")
		}
		fmt.Fprintf(stderr, "report: %v\n", benchErr)
		return 1
	}

	r := report{s: collect(out.results), header: out.header, pyStartsN: c.pyStarts}
	for _, res := range out.results {
		r.procs = max(r.procs, res.procs)
	}
	pyOut, startOut := "", ""
	if _, ok := r.s.best("ThreadPool100k", ours, "ns/op"); !ok {
		r.pyStatus = "not run (no ThreadPool100k result to compare with)"
	} else if c.python == "" {
		r.pyStatus = "not run (-python is empty)"
	} else if ctx.Err() == nil {
		pyOut, err = c.runPython(ctx, stderr)
		if err == nil {
			r.pySecs, err = parsePython(pyOut)
		}
		if err != nil {
			r.pyStatus = "failed: " + err.Error()
			fmt.Fprintf(stderr, "report: python: %v\n", err)
		}
	}
	switch {
	case !r.hasGroup(groupStart):
		// No table to put CPython's figures in.
	case c.python == "":
		r.pyStartStatus = "not run (-python is empty)"
	case ctx.Err() != nil:
		r.pyStartStatus = "not run (interrupted)"
	default:
		// A script that fails part way still printed the methods it timed.
		startOut, err = c.runScript(ctx, stderr, "process_start.py", "--starts", strconv.Itoa(c.pyStarts))
		starts, perr := parsePythonStarts(startOut)
		if len(starts) > 0 {
			r.pyStarts = starts
		}
		if err == nil {
			err = perr
		}
		if err != nil {
			r.pyStartStatus = "failed: " + err.Error()
			fmt.Fprintf(stderr, "report: python: %v\n", err)
		}
	}
	syncOut, poolOut, queueOut, bigOut := "", "", "", ""
	if r.hasGroup(groupSync) {
		syncOut, r.pySync, r.pySyncStatus = c.scriptFigures(ctx, stderr, "mp_sync.py", parsePythonSync)
	}
	if r.hasGroup(groupProcPool) {
		poolOut, r.pyPool, r.pyPoolStatus = c.scriptFigures(ctx, stderr, "process_pool.py", parsePythonPool)
	}
	if r.hasGroup(groupQueue) {
		queueOut, r.pyQueue, r.pyQueueStatus = c.scriptFigures(ctx, stderr, "mp_queue.py", parsePythonQueue)
	}
	if r.hasGroup(groupBig) {
		bigOut, r.pyBig, r.pyBigStatus = c.scriptFigures(ctx, stderr, "big_payload.py", parsePythonBig)
	}
	if c.save != "" && c.input == "" {
		if path, err := save(c.save, start, raw, pyOut+startOut+syncOut+poolOut+queueOut+bigOut); err != nil {
			fmt.Fprintf(stderr, "report: save raw output: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "report: raw output saved in %s\n", path)
		}
	}

	fmt.Fprintf(stdout, "bench report: -count %d -benchtime %s, took %s\n",
		c.count, c.benchtime, time.Since(start).Round(time.Second))
	r.write(stdout)
	if benchErr != nil {
		fmt.Fprintf(stderr, "report: benchmarks failed: %v\n", benchErr)
		return 1
	}
	return 0
}

// goBench returns the output of go test -bench, run in the current directory
// (the bench module), or the contents of -input. While go test runs, its
// output is copied to progress.
func (c config) goBench(ctx context.Context, progress io.Writer) ([]byte, error) {
	if c.input != "" {
		return os.ReadFile(c.input)
	}
	args := []string{"test", "-run", "^$", "-bench", c.bench, "-benchmem",
		"-count", strconv.Itoa(c.count), "-benchtime", c.benchtime, "-timeout", c.timeout, "."}
	fmt.Fprintf(progress, "report: go %s\n", quoteArgs(args))
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	progress = &lockedWriter{w: progress} // written by two of cmd's goroutines
	cmd.Stdout = io.MultiWriter(&buf, progress)
	cmd.Stderr = progress
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("go test: %w", err)
	}
	return buf.Bytes(), err
}

// runPython runs python/threadpool.py and returns what it printed on stdout.
func (c config) runPython(ctx context.Context, progress io.Writer) (string, error) {
	return c.runScript(ctx, progress, "threadpool.py", "--repeat", strconv.Itoa(c.pyRepeat))
}

// runScript runs python/<script> with args and returns what it printed on
// stdout, also when it fails. Its output is copied to progress.
func (c config) runScript(ctx context.Context, progress io.Writer, script string, scriptArgs ...string) (string, error) {
	args := append([]string{filepath.Join("python", script)}, scriptArgs...)
	fmt.Fprintf(progress, "report: %s %s\n", c.python, quoteArgs(args))
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, c.python, args...)
	progress = &lockedWriter{w: progress} // written by two of cmd's goroutines
	cmd.Stdout = io.MultiWriter(&buf, progress)
	cmd.Stderr = progress
	if err := cmd.Run(); err != nil {
		return buf.String(), fmt.Errorf("%s: %w", c.python, err)
	}
	return buf.String(), nil
}

// scriptFigures runs python/<script>, when -python is set and the run was
// not interrupted, and reads its figures with parse. It returns what the
// script printed, its figures (also those of a script that failed part way;
// nil when there are none) and why they are missing or partial ("" when
// they are all there).
func (c config) scriptFigures(ctx context.Context, stderr io.Writer, script string,
	parse func(string) (map[string]float64, error)) (string, map[string]float64, string) {
	switch {
	case c.python == "":
		return "", nil, "not run (-python is empty)"
	case ctx.Err() != nil:
		return "", nil, "not run (interrupted)"
	}
	out, err := c.runScript(ctx, stderr, script)
	figs, perr := parse(out)
	if len(figs) == 0 {
		figs = nil
	}
	if err == nil {
		err = perr
	}
	if err != nil {
		fmt.Fprintf(stderr, "report: python: %v\n", err)
		return out, figs, "failed: " + err.Error()
	}
	return out, figs, ""
}

// save writes the raw outputs (go test's, then the scripts') to
// dir/bench-<start time>.txt, in the format
// benchstat reads, and returns the file's path.
func save(dir string, start time.Time, raw []byte, pyOut string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "bench-"+start.Format("20060102-150405")+".txt")
	data := append(bytes.Clone(raw), pyOut...)
	return path, os.WriteFile(path, data, 0o644)
}

// A lockedWriter serialises writes to w, so that a command's stdout and
// stderr can both be copied to one writer that is not safe for concurrent
// use (os/exec shares a goroutine only when the two are the same writer).
type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func quoteArgs(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " ^$|*?()[]\"\\") {
			a = "'" + a + "'" // for the eye of a shell user, not for a shell
		}
		b.WriteString(a)
	}
	return b.String()
}
