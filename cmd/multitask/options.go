package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// errUsage marks errors in the command line; they exit 255 as GNU
// parallel's do.
var errUsage = errors.New("usage")

// options is the parsed command line of a run.
type options struct {
	jobs      string
	keepOrder bool
	group     bool
	lineBuf   bool
	ungroup   bool
	tag       bool
	tagString string
	verbose   bool

	replace  string
	quote    bool
	shell    bool
	context  bool
	multi    bool
	colsep   string
	header   string
	null     bool
	delim    string
	maxArgs  int
	argFiles []string
	eof      string
	noEmpty  bool
	link     bool
	shuf     bool
	trim     string
	dryRun   bool

	timeout    string
	termseq    string
	retries    int
	retryDelay string
	halt       string
	haltOnErr  bool

	joblog       string
	resume       bool
	resumeFailed bool
	resumeKey    string
	results      string
	json         bool

	bar      bool
	eta      bool
	memFree  string
	load     float64
	delay    string
	memLimit string

	pipe     bool
	block    string
	recEnd   string
	recStart string

	delimSet bool // -d was given, possibly empty (paragraph mode)
	maxSet   bool // -n was given, possibly 0

	help     bool
	version  bool
	willCite bool

	command []string
	sources []source
}

// source is one `:::` or `::::` argument source of the command line.
type source struct {
	values []string
	files  bool // the values are file names (::::)
	link   bool // :::+ or ::::+
}

// newFlagSet declares every option into o, grouped for --help.
func newFlagSet(o *options) (*pflag.FlagSet, []flagGroup) {
	fs := pflag.NewFlagSet("multitask", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	var groups []flagGroup
	group := func(title string, add func()) {
		before := map[string]bool{}
		fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
		add()
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if !before[f.Name] && !f.Hidden {
				names = append(names, f.Name)
			}
		})
		groups = append(groups, flagGroup{title, names})
	}
	group("Jobs and output", func() {
		fs.StringVarP(&o.jobs, "jobs", "j", "", "run `N` jobs at once: N, N% of the cores, +N or -N cores, or 0 for as many as possible (default: the number of cores)")
		fs.BoolVarP(&o.keepOrder, "keep-order", "k", false, "print the jobs' output in the order of their input")
		fs.BoolVar(&o.group, "group", true, "print each job's output whole when it ends (the default)")
		fs.BoolVar(&o.lineBuf, "line-buffer", false, "print whole lines as they come")
		fs.BoolVar(&o.lineBuf, "lb", false, "same as --line-buffer")
		fs.BoolVarP(&o.ungroup, "ungroup", "u", false, "pass the jobs' output straight through (lines may mix)")
		fs.BoolVar(&o.tag, "tag", false, "prefix each output line with the job's arguments and a tab")
		fs.StringVar(&o.tagString, "tagstring", "", "prefix each output line with `STR` (replacement strings allowed)")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "print each job's command before its output")
		fs.BoolVar(&o.dryRun, "dry-run", false, "print the commands without running them")
		fs.BoolVar(&o.dryRun, "dryrun", false, "same as --dry-run")
	})
	group("Command line", func() {
		fs.StringVarP(&o.replace, "replace", "I", "{}", "use `STR` instead of {}")
		fs.BoolVarP(&o.quote, "quote", "q", false, "quote the command, so that it runs without a shell's expansions")
		fs.BoolVar(&o.shell, "shell", false, "always run the command through the shell ($PARALLEL_SHELL, $SHELL or /bin/sh)")
		fs.BoolVarP(&o.context, "xargs-context", "X", false, "as many arguments per command as fit, with context replace")
		fs.BoolVarP(&o.multi, "xargs", "m", false, "as many arguments per command as fit")
		fs.IntVarP(&o.maxArgs, "max-args", "n", 0, "use at most `N` arguments per command")
	})
	group("Input", func() {
		fs.StringArrayVarP(&o.argFiles, "arg-file", "a", nil, "read arguments from `FILE` (as :::: FILE)")
		fs.StringVarP(&o.colsep, "colsep", "C", "", "split each input line into columns at `REGEXP`: {1} {2} ...")
		fs.StringVar(&o.header, "header", "", "the first input line is a header (`REGEXP`, or : for one line): columns named {name}")
		fs.BoolVarP(&o.null, "null", "0", false, "input items end at NUL, not newline")
		fs.StringVarP(&o.delim, "delimiter", "d", "", "input items end at `DELIM` (\\n, \\t, \\0 ... understood)")
		fs.StringVarP(&o.eof, "eof", "E", "", "stop reading input at a line equal to `STR`")
		fs.BoolVarP(&o.noEmpty, "no-run-if-empty", "r", false, "skip empty input lines")
		fs.BoolVar(&o.link, "link", false, "pair the input sources' values instead of taking every combination")
		fs.BoolVar(&o.link, "xapply", false, "same as --link")
		fs.BoolVar(&o.shuf, "shuf", false, "run the jobs in a random order")
		fs.StringVar(&o.trim, "trim", "", "trim white space from the arguments: n, l, r, lr or rl")
	})
	group("Failure, time and halting", func() {
		fs.StringVar(&o.timeout, "timeout", "", "kill a job after `DUR` (seconds, or 1m30s), or after N% of the median runtime")
		fs.StringVar(&o.termseq, "termseq", "", "how a job is killed: `SEQ` of signals and milliseconds (default TERM,200,TERM,100,TERM,50,KILL,25)")
		fs.IntVar(&o.retries, "retries", 0, "run a failing job up to `N` times")
		fs.StringVar(&o.retryDelay, "retry-delay", "", "wait `DUR` before the first retry, doubling at each one, with jitter")
		fs.StringVar(&o.halt, "halt", "", "stop when `WHEN,WHY=N`: now|soon,fail|success|done=N|N%")
		fs.StringVar(&o.halt, "halt-on-error", "", "same as --halt")
		fs.BoolVarP(&o.haltOnErr, "halt-now-on-fail", "e", false, "same as --halt now,fail=1")
	})
	group("Logs and results", func() {
		fs.StringVar(&o.joblog, "joblog", "", "log each ended job in `FILE`, as GNU parallel does")
		fs.BoolVar(&o.resume, "resume", false, "skip the jobs already in the joblog")
		fs.BoolVar(&o.resumeFailed, "resume-failed", false, "skip the jobs that succeeded in the joblog, rerun the failed ones")
		fs.StringVar(&o.resumeKey, "resume-key", "", "with `hash`, --resume knows jobs by their command line, not their number")
		fs.StringVar(&o.results, "results", "", "save each job's output under `DIR`/1/<arg1>/... instead of printing it")
		fs.StringVar(&o.results, "res", "", "same as --results")
		fs.BoolVar(&o.json, "json", false, "end with a JSON summary of the run on stdout")
	})
	group("Resources and progress", func() {
		fs.BoolVar(&o.bar, "bar", false, "show a progress bar on the terminal")
		fs.BoolVar(&o.eta, "eta", false, "show the estimated time left on the terminal")
		fs.StringVar(&o.memFree, "memfree", "", "start a job only when `SIZE` of memory is free (k, M, G suffixes)")
		fs.Float64Var(&o.load, "load", 0, "start a job only while the load average is below `N`")
		fs.StringVar(&o.delay, "delay", "", "wait `DUR` between job starts")
		fs.StringVar(&o.memLimit, "mem-limit", "", "kill a job whose memory (RSS) passes `SIZE`")
	})
	group("Pipe mode", func() {
		fs.BoolVar(&o.pipe, "pipe", false, "split stdin into blocks and feed one to each job's stdin")
		fs.StringVar(&o.block, "block", "1M", "the size of a block with --pipe (k, M, G suffixes)")
		fs.StringVar(&o.recEnd, "recend", "\\n", "records end with `STR`; blocks end at a record's end")
		fs.StringVar(&o.recStart, "recstart", "", "records start with `STR`")
	})
	group("Other", func() {
		fs.BoolVarP(&o.help, "help", "h", false, "show this help")
		fs.BoolVar(&o.version, "version", false, "show the version")
		fs.BoolVar(&o.willCite, "will-cite", false, "accepted for GNU parallel's scripts; multitask prints no notice")
	})
	fs.Lookup("will-cite").Hidden = true
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	return fs, groups
}

type flagGroup struct {
	title string
	names []string
}

// parseOptions parses a command line: options, the command, then sources.
func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs, _ := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	o.delimSet = fs.Changed("delimiter")
	o.maxSet = fs.Changed("max-args")
	if o.haltOnErr {
		o.halt = "now,fail=1"
	}
	rest := fs.Args()
	i := 0
	for i < len(rest) && !isSeparator(rest[i]) {
		i++
	}
	o.command = rest[:i]
	for i < len(rest) {
		sep := rest[i]
		i++
		j := i
		for j < len(rest) && !isSeparator(rest[j]) {
			j++
		}
		s := source{values: rest[i:j], files: strings.HasPrefix(sep, "::::"), link: strings.HasSuffix(sep, "+")}
		if s.files {
			// Each file of a `:::: a b` is a source of its own.
			for k, f := range s.values {
				o.sources = append(o.sources, source{values: []string{f}, files: true, link: s.link && k == 0})
			}
		} else {
			o.sources = append(o.sources, s)
		}
		i = j
	}
	return o, nil
}

func isSeparator(s string) bool {
	switch s {
	case ":::", ":::+", "::::", "::::+":
		return true
	}
	return false
}

// slots is the number of jobs to run at once, from -j.
func (o *options) slots() (int, error) {
	cores := runtime.NumCPU()
	s := o.jobs
	switch {
	case s == "":
		return cores, nil
	case s == "0":
		return 256, nil
	case strings.HasSuffix(s, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || p <= 0 {
			return 0, fmt.Errorf("%w: -j %s: not a percentage of the cores", errUsage, s)
		}
		return max(1, int(float64(cores)*p/100)), nil
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-"):
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%w: -j %s: not a number of cores to add", errUsage, s)
		}
		return max(1, cores+n), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: -j %s: not a number of jobs", errUsage, s)
	}
	return n, nil
}

// parseSize reads a size such as 10M or 1.5G (powers of 1024; a trailing
// b or B is allowed, as GNU parallel allows).
func parseSize(s string) (int64, error) {
	t := strings.TrimRight(s, "bB")
	mult := float64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: %q is not a size (such as 512k, 10M, 2G)", errUsage, s)
	}
	return int64(v * mult), nil
}

// parseDuration reads GNU parallel's durations: seconds (2.5) or with
// units (1m30s, 2h, 3d).
func parseDuration(s string) (time.Duration, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 {
		return time.Duration(v * float64(time.Second)), nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("%w: %q is not a duration (such as 30, 2.5, 1m30s, 2h)", errUsage, s)
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q is not a duration", errUsage, s)
		}
		var unit time.Duration
		switch rest[i] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		default:
			return 0, fmt.Errorf("%w: %q is not a duration (units: s, m, h, d)", errUsage, s)
		}
		total += time.Duration(v * float64(unit))
		rest = rest[i+1:]
	}
	return total, nil
}
