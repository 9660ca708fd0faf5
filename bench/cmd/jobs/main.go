//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the program with args and returns its exit status.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.rounds, "rounds", 5, "rounds of each scenario; a round runs every tool once")
	fs.IntVar(&c.barRounds, "bar-rounds", 1, "rounds of the bar scenario (multitask --bar, for its peak memory)")
	fs.IntVar(&c.starts, "starts", 10, "runs of each tool per round in the startup scenario (2 with -quick)")
	fs.StringVar(&c.only, "only", "", "run only the scenarios whose names match this regexp\n(trivial, shell, startup, output, pipe, cluster, bar)")
	fs.BoolVar(&c.quick, "quick", false, "tiny sizes, for a smoke test: the figures mean nothing")
	fs.StringVar(&c.out, "out", "", "also write the output to this file (its directory is made)")
	fs.StringVar(&c.repo, "repo", "..", "the repository to build multitask from")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: jobs [flags]   (run in the bench module; see README.md)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.quick && !isSet(fs, "starts") {
		c.starts = 2
	}
	only, err := regexp.Compile(c.only)
	if err != nil || fs.NArg() > 0 || c.rounds < 1 || c.barRounds < 1 || c.starts < 1 {
		fmt.Fprintln(stderr, "jobs: -only must be a regexp, -rounds, -bar-rounds and -starts at least 1, and no arguments are taken")
		return 2
	}

	w := stdout
	if c.out != "" {
		if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
			fmt.Fprintf(stderr, "jobs: %v\n", err)
			return 1
		}
		f, err := os.Create(c.out)
		if err != nil {
			fmt.Fprintf(stderr, "jobs: %v\n", err)
			return 1
		}
		defer f.Close()
		w = io.MultiWriter(stdout, f)
	}
	if err := c.run(ctx, only, w, stderr); err != nil {
		fmt.Fprintf(stderr, "jobs: %v\n", err)
		return 1
	}
	return 0
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// run builds multitask, finds its peers, runs the scenarios that only
// matches and prints their tables and targets on w, and progress on
// progress. It returns an error when a run failed.
func (c config) run(ctx context.Context, only *regexp.Regexp, w, progress io.Writer) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "jobs-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		return err
	}

	var p peers
	bin, err := buildMultitask(ctx, c.repo, dir, progress)
	if err != nil {
		return err
	}
	env := toolEnv()
	p.multitask = peer{path: bin, env: env}
	if only.MatchString("cluster") {
		p.cluster = clusterPeer(ctx, c.repo, bin, env, progress)
	}
	p.commit = commit(ctx, c.repo)
	p.xargs = lookup(ctx, "xargs", env)
	p.bareTrue = lookup(ctx, "true", env)
	p.bareWc = lookup(ctx, "wc", env)
	p.sh = lookup(ctx, "sh", env)
	p.gnu = findGNU(ctx, env, home, progress)
	p.rush = findRush(ctx, env)

	writeHeader(w, c, p, start)
	// From here on, the only children are the tools and what they leave.
	if err := becomeSubreaper(); err != nil {
		return err
	}
	var targets []target
	var failed []string
	for _, sc := range scenarios(c, p, dir) {
		if !only.MatchString(sc.name) {
			continue
		}
		res, err := runScenario(ctx, sc, dir, progress)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		writeScenario(w, sc, res)
		if sc.targets != nil {
			targets = append(targets, sc.targets(res)...)
		}
		for _, t := range sc.tools {
			if res[t.name].err != nil {
				failed = append(failed, sc.name+"/"+t.name)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	writeTargets(w, targets)
	fmt.Fprintf(w, "\ntook %s\n", time.Since(start).Round(time.Second))
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case len(failed) > 0:
		return fmt.Errorf("runs failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// runScenario makes sc's input, then runs its tools interleaved and returns
// their figures. It returns an error only when the input could not be made.
func runScenario(ctx context.Context, sc scenario, dir string, progress io.Writer) (results, error) {
	if sc.prepare != nil {
		fmt.Fprintf(progress, "jobs: %s: making the input\n", sc.name)
		if err := sc.prepare(ctx); err != nil {
			return nil, fmt.Errorf("make the input: %w", err)
		}
		if !sc.keepInput {
			defer os.Remove(sc.stdin) // the pipe's is 1 GiB
		}
	}
	res := results{}
	for _, t := range sc.tools {
		res[t.name] = &result{tool: t}
	}
	once := func(r *result) (sample, error) {
		rn := run{
			argv:   append([]string{r.tool.peer.path}, r.tool.args...),
			env:    r.tool.peer.env,
			stdin:  sc.stdin,
			stderr: filepath.Join(dir, "stderr"),
		}
		if sc.check != nil {
			rn.stdout = filepath.Join(dir, "stdout")
		}
		s, out, err := measure(ctx, rn)
		if err == nil && sc.check != nil {
			err = sc.check(out)
		}
		return s, err
	}
	for pass := -1; pass < sc.passes && ctx.Err() == nil; pass++ {
		if pass < 0 && !sc.warm {
			continue
		}
		if pass < 0 {
			fmt.Fprintf(progress, "jobs: %s: warm-up\n", sc.name)
		} else if pass == 0 || (pass+1)%max(1, sc.passes/5) == 0 {
			fmt.Fprintf(progress, "jobs: %s: round %d of %d\n", sc.name, pass+1, sc.passes)
		}
		for _, t := range sc.tools {
			r := res[t.name]
			if t.peer.skip != "" || r.err != nil {
				continue
			}
			s, err := once(r)
			if err != nil {
				r.err = err
				fmt.Fprintf(progress, "jobs: %s: %s: %v\n", sc.name, t.name, err)
				continue
			}
			if pass >= 0 {
				r.samples = append(r.samples, s)
			}
		}
	}
	return res, nil
}

// writeHeader prints when, where and with what the run was made.
func writeHeader(w io.Writer, c config, p peers, start time.Time) {
	version := func(name string, p peer) string {
		if p.skip != "" {
			return name + ": skipped: " + p.skip
		}
		return p.version
	}
	fmt.Fprintf(w, "jobs bench %s on %s; %s %s/%s; %s\n", start.UTC().Format(time.RFC3339),
		machine(), runtime.Version(), runtime.GOOS, runtime.GOARCH, version(nameGNU, p.gnu))
	fmt.Fprintf(w, "  multitask built from %s; %s; %s; SHELL=/bin/sh\n", p.commit, version(nameXargs, p.xargs), version(nameRush, p.rush))
	mode := fmt.Sprintf("  -rounds %d -starts %d -bar-rounds %d", c.rounds, c.starts, c.barRounds)
	if c.only != "" {
		mode += fmt.Sprintf(" -only '%s'", c.only)
	}
	if c.quick {
		mode += " -quick: tiny sizes, the figures mean nothing"
	}
	fmt.Fprintln(w, mode)
}
