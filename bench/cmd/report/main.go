// Command report runs the benchmarks of the bench module side by side with
// python/threadpool.py and prints, per benchmark group, each library's time
// and allocations per task, its ratio to multitask and to a bare channel
// pool, and whether multitask meets its performance targets.
//
// Run it from the bench directory, usually through run.sh:
//
//	go run ./cmd/report [-count 5] [-benchtime 500ms] [-bench .] [-python python3]
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
	fs.StringVar(&c.python, "python", "python3", "CPython interpreter for python/threadpool.py; empty to skip")
	fs.IntVar(&c.pyRepeat, "py-repeat", 3, "timed runs of the Python script; it reports the best")
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
	if fs.NArg() > 0 || c.count < 1 || c.pyRepeat < 1 {
		fmt.Fprintln(stderr, "report: -count and -py-repeat must be at least 1, and no arguments are taken")
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

	r := report{s: collect(out.results), header: out.header}
	for _, res := range out.results {
		r.procs = max(r.procs, res.procs)
	}
	pyOut := ""
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
	if c.save != "" && c.input == "" {
		if path, err := save(c.save, start, raw, pyOut); err != nil {
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
	args := []string{filepath.Join("python", "threadpool.py"), "--repeat", strconv.Itoa(c.pyRepeat)}
	fmt.Fprintf(progress, "report: %s %s\n", c.python, quoteArgs(args))
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, c.python, args...)
	cmd.Stdout = io.MultiWriter(&buf, progress)
	cmd.Stderr = progress
	if err := cmd.Run(); err != nil {
		return buf.String(), fmt.Errorf("%s: %w", c.python, err)
	}
	return buf.String(), nil
}

// save writes the raw outputs to dir/bench-<start time>.txt, in the format
// benchstat reads, and returns the file's path.
func save(dir string, start time.Time, raw []byte, pyOut string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "bench-"+start.Format("20060102-150405")+".txt")
	data := append(bytes.Clone(raw), pyOut...)
	return path, os.WriteFile(path, data, 0o644)
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
