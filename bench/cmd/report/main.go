// Command report runs the benchmarks of the bench module side by side with
// the CPython scripts in python/ (threadpool.py, process_start.py,
// mp_sync.py, process_pool.py, mp_queue.py, big_payload.py and
// dask_tasks.py, each only when the group it is compared with ran) and
// prints, per benchmark group, a table of medians
// over the runs with ratios to a baseline: for the thread pools each
// library's time and allocations per task against multitask and a bare
// channel pool; for processes the start time against a raw exec and
// CPython, pipe throughput and round trips against raw pipes, and an idle
// child's memory; for the codecs each one's round trip and wire size; for
// the synchronisation primitives each one's cost against CPython's; for the
// process pool its throughput, latency and crash recovery against raw
// pipes, a process start and CPython's ProcessPoolExecutor; for the queue
// its messages per second against CPython's multiprocessing.Queue; for big
// payloads the growth of peak memory per byte against CPython's; for the
// cluster executor its throughput against a raw JetStream loop and Dask
// distributed, its latencies, and three servers' replication. Then whether
// multitask meets its performance targets.
//
// dask_tasks.py needs Dask's distributed package: it runs with the first of
// -python and /usr/bin/python3 that imports it (or -dask-python), after
// installing Debian's python3-distributed with apt-get when none does
// (-dask-install=false skips that); without one its figure is skipped.
//
// Run it from the bench directory, usually through run.sh:
//
//	go run ./cmd/report [-count 5] [-benchtime 500ms] [-bench .] [-python python3] [-py-starts 20] [-readme]
//
// Progress (the raw go test output) goes to stderr, the tables to stdout. The
// raw output, the scripts' after go test's, is also saved under results/ for
// benchstat, below lines that say when, how and on what the run was made.
// With -readme it is saved in results/readme.txt, and the README's
// performance tables are rewritten from it; -readme -input FILE rewrites
// them from a saved run without running anything (see readme.go). The exit
// status is 0 when the benchmarks ran, whatever the targets say; 1 when they
// failed or printed nothing, or the README could not be rewritten; 2 for bad
// flags.
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
	"runtime"
	"slices"
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
	count      int
	benchtime  string
	bench      string
	timeout    string
	python     string
	pyRepeat   int
	pyStarts   int
	input      string
	save       string
	readme     bool
	readmeFile string

	daskPython  string // the interpreter of dask_tasks.py; "": find one (see daskFigures)
	daskInstall bool   // install Debian's python3-distributed when no interpreter imports it
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.count, "count", 5, "rounds, each a go test -count 1 that runs every benchmark once, so that those\ncompared alternate; the tables show medians over the rounds")
	fs.StringVar(&c.benchtime, "benchtime", "500ms", "go test -benchtime for each run (a duration, or Nx)")
	fs.StringVar(&c.bench, "bench", ".", "go test -bench pattern, e.g. 'SubmitResult|Latency'")
	fs.StringVar(&c.timeout, "timeout", "30m", "go test -timeout")
	fs.StringVar(&c.python, "python", "python3", "CPython interpreter for the scripts in python/; empty to skip them")
	fs.IntVar(&c.pyRepeat, "py-repeat", 3, "timed runs of python/threadpool.py; it reports the best")
	fs.IntVar(&c.pyStarts, "py-starts", 20, "starts per method that python/process_start.py times; it reports the p50")
	fs.StringVar(&c.input, "input", "", "read go test -bench output from this file instead of running the benchmarks")
	fs.StringVar(&c.save, "save", "results", "directory to save the raw output in; empty to not save")
	fs.BoolVar(&c.readme, "readme", false, "save the raw output in "+readmeResults+" and rewrite the tables of -readme-file from it;\n"+
		"with -input, rewrite them from that file without running anything")
	fs.StringVar(&c.readmeFile, "readme-file", filepath.Join("..", "README.md"), "the README whose tables -readme rewrites")
	fs.StringVar(&c.daskPython, "dask-python", "", "interpreter for python/dask_tasks.py (Dask distributed); empty: the first of\n"+
		"-python and "+systemPython+" that imports distributed")
	fs.BoolVar(&c.daskInstall, "dask-install", true, "when no interpreter imports distributed, run "+quoteArgs(daskInstall)+" first")
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

	if c.readme && c.input != "" {
		c.python = "" // the figures come from the input alone
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

	r := newReport(out)
	r.pyStartsN = c.pyStarts
	// Saved output holds the scripts' figures too: those it has are not
	// measured again.
	var found map[string]bool
	if c.input != "" {
		found = r.readPython(string(raw))
	}
	pyOut, startOut := "", ""
	switch _, ok := r.s.best("ThreadPool100k", ours, "ns/op"); {
	case !ok:
		r.pyStatus = "not run (no ThreadPool100k result to compare with)"
	case found[scriptThreadPool]:
		// CPython's figure came with the input.
	case c.python == "":
		r.pyStatus = "not run (-python is empty)"
	case ctx.Err() == nil:
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
	case !r.hasGroup(groupStart), found[scriptStart]:
		// No table to put CPython's figures in, or they came with the input.
	case c.python == "":
		r.pyStartStatus = "not run (-python is empty)"
	case ctx.Err() != nil:
		r.pyStartStatus = "not run (interrupted)"
	default:
		// A script that fails part way still printed the methods it timed.
		startOut, err = c.runScript(ctx, stderr, scriptStart, "--starts", strconv.Itoa(c.pyStarts))
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
	syncOut, poolOut, queueOut, bigOut, daskOut := "", "", "", "", ""
	if r.hasGroup(groupSync) && !found[scriptSync] {
		syncOut, r.pySync, r.pySyncStatus = c.scriptFigures(ctx, stderr, scriptSync, parsePythonSync)
	}
	if r.hasGroup(groupProcPool) && !found[scriptPool] {
		poolOut, r.pyPool, r.pyPoolStatus = c.scriptFigures(ctx, stderr, scriptPool, parsePythonPool)
	}
	if r.hasGroup(groupQueue) && !found[scriptQueue] {
		queueOut, r.pyQueue, r.pyQueueStatus = c.scriptFigures(ctx, stderr, scriptQueue, parsePythonQueue)
	}
	if r.hasGroup(groupBig) && !found[scriptBig] {
		bigOut, r.pyBig, r.pyBigStatus = c.scriptFigures(ctx, stderr, scriptBig, parsePythonBig)
	}
	if r.hasGroup(groupCluster) && !found[scriptDask] {
		daskOut, r.pyDask, r.pyDaskStatus = c.daskFigures(ctx, stderr)
	}

	readmeOut := raw // what the README's tables are made from
	if c.input == "" && (c.save != "" || c.readme) {
		took := time.Since(start).Round(time.Second)
		info := c.runInfo(ctx, args, start, took, r.procs)
		data := slices.Concat([]byte(info), raw, []byte(pyOut+startOut+syncOut+poolOut+queueOut+bigOut+daskOut))
		path, err := c.savePath(start, benchErr == nil && ctx.Err() == nil)
		if err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "report: save raw output: %v\n", err)
			if c.readme {
				return 1
			}
		} else {
			fmt.Fprintf(stderr, "report: raw output saved in %s\n", path)
		}
		readmeOut = data
	}

	fmt.Fprintf(stdout, "bench report: -count %d -benchtime %s, took %s\n",
		c.count, c.benchtime, time.Since(start).Round(time.Second))
	r.write(stdout)
	if c.readme && benchErr == nil && ctx.Err() != nil {
		benchErr = ctx.Err() // half the scripts' figures would be missing
	}
	if benchErr != nil {
		fmt.Fprintf(stderr, "report: benchmarks failed: %v\n", benchErr)
		if c.readme {
			fmt.Fprintf(stderr, "report: %s left as it was\n", c.readmeFile)
		}
		return 1
	}
	if c.readme {
		if err := updateReadme(c.readmeFile, readmeOut); err != nil {
			fmt.Fprintf(stderr, "report: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "report: tables of %s rewritten\n", c.readmeFile)
	}
	return 0
}

// goBench returns the output of go test -bench, run in the current directory
// (the bench module) once per round, or the contents of -input. While go
// test runs, its output is copied to progress.
//
// Each round runs every benchmark once, rather than one go test -count
// running each benchmark that many times in a row: the speed of a shared
// machine drifts over minutes, and the benchmarks whose ratios a target
// takes then see the same drift.
func (c config) goBench(ctx context.Context, progress io.Writer) ([]byte, error) {
	if c.input != "" {
		return os.ReadFile(c.input)
	}
	args := []string{"test", "-run", "^$", "-bench", c.bench, "-benchmem",
		"-count", "1", "-benchtime", c.benchtime, "-timeout", c.timeout, ".", "./clusterbench"}
	var buf bytes.Buffer
	progress = &lockedWriter{w: progress} // written by two of cmd's goroutines
	for round := 1; round <= c.count; round++ {
		fmt.Fprintf(progress, "report: round %d of %d: go %s\n", round, c.count, quoteArgs(args))
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Stdout = io.MultiWriter(&buf, progress)
		cmd.Stderr = progress
		if err := cmd.Run(); err != nil {
			return buf.Bytes(), fmt.Errorf("go test, round %d: %w", round, err)
		}
	}
	return buf.Bytes(), nil
}

// runPython runs python/threadpool.py and returns what it printed on stdout.
func (c config) runPython(ctx context.Context, progress io.Writer) (string, error) {
	return c.runScript(ctx, progress, scriptThreadPool, "--repeat", strconv.Itoa(c.pyRepeat))
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

// savePath returns where to save the raw output of a run that began at
// start: readmeResults for -readme when the run is complete (the
// benchmarks passed and nothing interrupted it), else
// <-save>/bench-<start time>.txt, in results/ when -save is empty. It makes
// the directory.
func (c config) savePath(start time.Time, complete bool) (string, error) {
	path := filepath.Join(c.save, "bench-"+start.Format("20060102-150405")+".txt")
	if c.readme && complete {
		path = readmeResults
	} else if c.save == "" {
		path = filepath.Join("results", filepath.Base(path))
	}
	return path, os.MkdirAll(filepath.Dir(path), 0o755)
}

// runInfo returns the lines the saved output starts with: when and how the
// run was made and on what, for the README's tables, as "key: value" lines
// that benchstat takes for configuration.
func (c config) runInfo(ctx context.Context, args []string, start time.Time, took time.Duration, procs int) string {
	python := "not run"
	if c.python != "" {
		out, err := exec.CommandContext(ctx, c.python, "--version").Output()
		if v := strings.TrimSpace(strings.TrimPrefix(string(out), "Python ")); err == nil && v != "" {
			python = v
		}
	}
	var b strings.Builder
	for _, kv := range [][2]string{
		{keyDate, start.UTC().Format(time.RFC3339)},
		{keyTook, took.String()},
		{keyCommand, "bash bench/run.sh " + quoteArgs(args)},
		{keyGo, runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
		{keyPython, python},
		{keyCores, strconv.Itoa(runtime.NumCPU())},
		{keyProcs, strconv.Itoa(procs)},
	} {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], strings.TrimSpace(kv[1]))
	}
	return b.String()
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
