//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The names of the rows that targets and ratios refer to.
const (
	nameMultitask = "multitask"
	nameCluster   = "multitask --cluster embedded"
	nameXargs     = "xargs"
	nameXargsSh   = "xargs + sh"
	nameGNU       = "GNU parallel"
	nameRush      = "rush"
	nameTrue      = "true"
	nameWc        = "wc -l"
)

// sizes are the amounts of work of the scenarios.
type sizes struct {
	trivialJobs int    // jobs of trivial and shell
	outputJobs  int    // jobs of output
	outputBytes int    // bytes each job of output prints
	pipeBytes   int64  // size of pipe's file
	block       string // --block of pipe
	barJobs     int    // jobs of bar
}

var (
	fullSizes  = sizes{trivialJobs: 2000, outputJobs: 200, outputBytes: 1_000_000, pipeBytes: 1 << 30, block: "10M", barJobs: 20_000}
	quickSizes = sizes{trivialJobs: 50, outputJobs: 10, outputBytes: 100_000, pipeBytes: 8 << 20, block: "1M", barJobs: 500}
)

// A tool is one row of a scenario: a peer and the arguments it runs with.
type tool struct {
	name string
	peer peer
	args []string
}

// A scenario is one comparison: its tools, each run with the same stdin,
// interleaved for passes passes, and the targets judged on the figures.
type scenario struct {
	name   string
	about  string // what it runs, under its name
	stdin  string // the tools' stdin; "" for /dev/null
	passes int    // each runs every tool once
	warm   bool   // run every tool once, untimed, first
	// keepInput leaves stdin for the next scenario, which reads it too;
	// otherwise it is removed once the scenario has run.
	keepInput bool
	tools     []tool
	baseline  string // the row that "added" is measured against; "" for no such column

	prepare func(ctx context.Context) error // makes stdin; nil when there is nothing to make
	check   func(stdout []byte) error       // nil: stdout goes to /dev/null
	notes   func(res results) []string      // ratios printed under the table
	targets func(res results) []target      // nil for a scenario without targets
}

// config holds the flags.
type config struct {
	rounds    int
	barRounds int
	starts    int
	only      string
	quick     bool
	out       string
	repo      string
}

// scenarios returns every scenario, with its inputs to be made in dir.
func scenarios(c config, p peers, dir string) []scenario {
	sz := fullSizes
	if c.quick {
		sz = quickSizes
	}
	mt, gnu := p.multitask, p.gnu
	gnuArgs := func(args ...string) []string { return append([]string{"--will-cite"}, args...) }

	seqFile := filepath.Join(dir, fmt.Sprintf("seq-%d", sz.trivialJobs))
	seq := func(context.Context) error { return writeSeq(seqFile, sz.trivialJobs) }
	perJob := func(d time.Duration) time.Duration { return d / time.Duration(sz.trivialJobs) }

	sizeFile := filepath.Join(dir, fmt.Sprintf("size-%d", sz.outputJobs))
	barFile := filepath.Join(dir, fmt.Sprintf("seq-%d", sz.barJobs))
	bigFile := filepath.Join(dir, "lines")
	var bigLines int64 // set by makeBig
	makeBig := func(context.Context) error {
		if bigLines > 0 {
			return nil // pipe made it, and kept it for pipe-file
		}
		var err error
		bigLines, err = writeLines(bigFile, sz.pipeBytes)
		return err
	}
	countLines := func(out []byte) error {
		var n int64
		for f := range bytes.FieldsSeq(out) {
			v, err := strconv.ParseInt(string(f), 10, 64)
			if err != nil {
				return fmt.Errorf("wrong output: %q is not a count", f)
			}
			n += v
		}
		if n != bigLines {
			return fmt.Errorf("wrong output: the counts add up to %d, the file has %d lines", n, bigLines)
		}
		return nil
	}

	return []scenario{{
		name:    "trivial",
		about:   fmt.Sprintf("seq %d | TOOL -j2 true: %d jobs that do nothing, 2 at a time", sz.trivialJobs, sz.trivialJobs),
		stdin:   seqFile,
		prepare: seq,
		passes:  c.rounds,
		warm:    true,
		tools: []tool{
			{nameMultitask, mt, []string{"-j2", "true"}},
			{nameXargs, p.xargs, []string{"-P2", "-n1", "true"}},
			{nameGNU, gnu, gnuArgs("-j2", "true")},
			{nameRush, p.rush, []string{"-j2", "true"}},
		},
		notes: func(res results) []string {
			return []string{res.speedup(nameGNU), res.speedup(nameRush)}
		},
		targets: func(res results) []target {
			m := res[nameMultitask]
			return []target{
				res.ratioTarget("1", "trivial: multitask wall ≤ 1.3× xargs's", nameMultitask, nameXargs, 1.3),
				res.limitTarget("3", fmt.Sprintf("trivial: multitask CPU per job ≤ 1.3 ms (whole tree, %d jobs)", sz.trivialJobs),
					nameMultitask, float64(time.Millisecond)*1.3, func() (float64, string) {
						cpu := perJob(m.cpu().med)
						return float64(cpu), fmt.Sprintf("%s (median CPU %s ÷ %d jobs)", ms(cpu), ms(m.cpu().med), sz.trivialJobs)
					}),
				rssTarget(res, "7a", "trivial: multitask peak memory ≤ 20 MB", 20e6),
			}
		},
	}, {
		name:    "shell",
		about:   fmt.Sprintf("seq %d | TOOL -j2 true, multitask with --shell: %d jobs, each through a shell", sz.trivialJobs, sz.trivialJobs),
		stdin:   seqFile,
		prepare: seq,
		passes:  c.rounds,
		warm:    true,
		tools: []tool{
			{nameMultitask, mt, []string{"--shell", "-j2", "true"}},
			{nameXargsSh, p.xargs, []string{"-P2", "-n1", "sh", "-c", `true "$@"`, "_"}},
			{nameGNU, gnu, gnuArgs("-j2", "true")},
			{nameRush, p.rush, []string{"-j2", "true"}},
		},
		notes: func(res results) []string {
			return []string{res.speedup(nameGNU), res.speedup(nameRush)}
		},
		targets: func(res results) []target {
			return []target{
				res.ratioTarget("2", "shell: multitask --shell wall ≤ rush's", nameMultitask, nameRush, 1),
				res.ratioTarget("2p", "shell, proxy for rush (not the target): multitask --shell wall ≤ xargs -P2 -n1 sh -c's",
					nameMultitask, nameXargsSh, 1),
			}
		},
	}, {
		name:   "startup",
		about:  fmt.Sprintf("TOOL true ::: 1: one job; %d runs of each per round", c.starts),
		passes: c.rounds * c.starts,
		warm:   true,
		tools: []tool{
			{nameTrue, p.bareTrue, nil},
			{nameMultitask, mt, []string{"true", ":::", "1"}},
			{nameGNU, gnu, gnuArgs("true", ":::", "1")},
		},
		targets: func(res results) []target {
			m := res[nameMultitask]
			return []target{res.limitTarget("4", "startup: multitask true ::: 1 wall ≤ 10 ms", nameMultitask,
				float64(10*time.Millisecond), func() (float64, string) {
					w := m.wall()
					fig := fmt.Sprintf("median %s, min %s", ms(w.med), ms(w.min))
					if g := res[nameGNU]; g.ok() {
						fig += fmt.Sprintf("; GNU parallel median %s, min %s", ms(g.wall().med), ms(g.wall().min))
					}
					return float64(w.med), fig
				})}
		},
	}, {
		name: "output",
		about: fmt.Sprintf("TOOL -j2 -k head -c {} /dev/zero > /dev/null: %d jobs that each print %s",
			sz.outputJobs, mb(int64(sz.outputBytes))),
		stdin:   sizeFile,
		prepare: func(context.Context) error { return writeRepeat(sizeFile, strconv.Itoa(sz.outputBytes), sz.outputJobs) },
		passes:  c.rounds,
		warm:    true,
		tools: []tool{
			{nameMultitask, mt, []string{"-j2", "-k", "head", "-c", "{}", "/dev/zero"}},
			{nameGNU, gnu, gnuArgs("-j2", "-k", "head", "-c", "{}", "/dev/zero")},
			{nameXargs + " (unordered)", p.xargs, []string{"-P2", "-I{}", "head", "-c", "{}", "/dev/zero"}},
		},
		notes: func(res results) []string { return []string{res.speedup(nameGNU)} },
		targets: func(res results) []target {
			return []target{res.ratioTarget("5", "output: multitask -k wall ≤ GNU parallel's", nameMultitask, nameGNU, 1)}
		},
	}, {
		// The pipeline: multitask between a producer and the
		// reader of its jobs' output, against the pipeline without it.
		name:      "pipe",
		about:     fmt.Sprintf("cat | TOOL --pipe --block %s wc -l, a file of %s of lines on cat's stdin", sz.block, mib(sz.pipeBytes)),
		stdin:     bigFile,
		keepInput: true,
		prepare:   makeBig,
		passes:    c.rounds,
		warm:      true,
		baseline:  nameWc,
		check:     countLines,
		tools: []tool{
			p.piped(nameWc, p.bareWc, "-l"),
			p.piped(nameMultitask, mt, "--pipe", "--block", sz.block, "wc", "-l"),
			p.piped(nameGNU, gnu, gnuArgs("--pipe", "--block", sz.block, "wc", "-l")...),
		},
		targets: func(res results) []target {
			return []target{res.limitTarget("6", "pipe: multitask adds ≤ 25% to the pipeline's wall (cat | wc -l)", nameMultitask, 25,
				func() (float64, string) {
					fig := res.added(nameMultitask, nameWc)
					if res[nameGNU].ok() {
						fig += "; GNU parallel " + res.added(nameGNU, nameWc)
					}
					return res.addedPercent(nameMultitask, nameWc), fig
				})}
		},
	}, {
		// The same with the file itself on the tools' stdin, which
		// multitask splices to the jobs and wc reads at its own pace.
		name:     "pipe-file",
		about:    fmt.Sprintf("TOOL --pipe --block %s wc -l < the same file", sz.block),
		stdin:    bigFile,
		prepare:  makeBig,
		passes:   c.rounds,
		warm:     true,
		baseline: nameWc,
		check:    countLines,
		tools: []tool{
			{nameWc, p.bareWc, []string{"-l"}},
			{nameMultitask, mt, []string{"--pipe", "--block", sz.block, "wc", "-l"}},
			{nameGNU, gnu, gnuArgs("--pipe", "--block", sz.block, "wc", "-l")},
		},
	}, {
		name: "cluster",
		about: fmt.Sprintf("seq %d | multitask -j2 true, here and through --cluster embedded (a JetStream server and 2 workers in its bridge)",
			sz.trivialJobs),
		stdin:   seqFile,
		prepare: seq,
		passes:  c.rounds,
		warm:    true,
		tools: []tool{
			{nameMultitask, mt, []string{"-j2", "true"}},
			{nameCluster, p.cluster, []string{"--cluster", "embedded", "-j2", "true"}},
		},
		targets: func(res results) []target {
			return []target{res.ratioTarget("8", "cluster: multitask --cluster embedded -j2 wall ≤ 1.25× local's (≥ 80% of its jobs/s)",
				nameCluster, nameMultitask, 1.25)}
		},
	}, {
		name:    "bar",
		about:   fmt.Sprintf("seq %d | multitask -j2 --bar true: peak memory only", sz.barJobs),
		stdin:   barFile,
		prepare: func(context.Context) error { return writeSeq(barFile, sz.barJobs) },
		passes:  c.barRounds,
		tools:   []tool{{nameMultitask, mt, []string{"-j2", "--bar", "true"}}},
		targets: func(res results) []target {
			return []target{rssTarget(res, "7b", fmt.Sprintf("bar: multitask -j2 --bar over %d jobs, peak memory ≤ 25 MB", sz.barJobs), 25e6)}
		},
	}}
}

// rssTarget judges multitask's median peak memory against limit bytes.
func rssTarget(res results, n, text string, limit float64) target {
	return res.limitTarget(n, text, nameMultitask, limit, func() (float64, string) {
		r := res[nameMultitask].rss()
		return float64(r.med), fmt.Sprintf("median %s, min %s", mb(r.med), mb(r.min))
	})
}

// writeSeq writes the lines that seq n prints.
func writeSeq(path string, n int) error {
	var b []byte
	for i := 1; i <= n; i++ {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}

// writeRepeat writes n lines of line.
func writeRepeat(path, line string, n int) error {
	return os.WriteFile(path, bytes.Repeat([]byte(line+"\n"), n), 0o644)
}

// writeLines writes a file of exactly size bytes of text lines of a few to
// about a hundred bytes each, and returns how many lines it holds.
func writeLines(path string, size int64) (lines int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	const text = "the quick brown fox jumps over the lazy dog, then naps in the sun by the old mill; the dog does not mind "
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for written := int64(0); written < size; written += int64(len(line)) {
		line = strconv.AppendInt(line[:0], lines, 10)
		line = append(line, ' ')
		line = append(line, text[:lines*7919%int64(len(text))]...) // lengths spread over the text's
		line = append(line, '\n')
		if rest := size - written; int64(len(line)) > rest {
			line = append(line[:rest-1], '\n')
		}
		if _, err := w.Write(line); err != nil {
			return 0, err
		}
		lines++
	}
	return lines, w.Flush()
}
