package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/bridge"
	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/cmd/multitask/internal/joblog"
	"github.com/multitask-go/multitask/cmd/multitask/internal/perl"
	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"github.com/multitask-go/multitask/cmd/multitask/internal/results"
	"github.com/multitask-go/multitask/cmd/multitask/internal/tmpl"
)

// version is the command's version, printed by --version.
const version = "multitask 0.1"

// run is the whole command: main only calls it, so that tests run every
// behaviour in-process. It returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, args, err := parseWithProfiles(shebangArgs(args))
	if err == nil {
		switch {
		case o.help:
			printHelp(stdout)
			return 0
		case o.version:
			fmt.Fprintln(stdout, version)
			return 0
		case o.shellCompletion != "":
			if err = printCompletion(stdout, o.shellCompletion); err == nil {
				return 0
			}
		default:
			if code, ok := o.answer(stdout); ok {
				return code
			}
			if o.isSemaphore() {
				var code int
				if code, err = o.runSemaphore(ctx, args, stdin, stdout, stderr); err == nil {
					return code
				}
				break
			}
			var r *runPlan
			if r, err = o.plan(stdin, stdout, stderr); err == nil {
				return r.execute(ctx)
			}
		}
	}
	fmt.Fprintf(stderr, "multitask: %v\n", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
	if errors.Is(err, errUsage) {
		fmt.Fprintln(stderr, "Try 'multitask --help' for more information.")
	}
	return 255
}

// shebangArgs turns the command line that a script's #! line makes into
// the one GNU parallel runs itself with: the kernel passes the options of
// the #! line as one argument, then the script's path and arguments.
//
//   - #!/usr/bin/multitask --shebang OPTIONS: the script's lines, after the
//     first, are the values (--skip-first-line -a SCRIPT OPTIONS). As in
//     GNU, the last argument is the file read.
//   - #!/usr/bin/multitask --shebang-wrap OPTIONS COMMAND: the script runs
//     through COMMAND once per argument it is given, in parallel
//     (OPTIONS COMMAND SCRIPT ::: ARGUMENTS).
//
// GNU runs itself again through the shell, which splits the options, and
// the arguments too (but not the file read), at blanks: so does this. Any
// other command line is returned as it is.
func shebangArgs(args []string) []string {
	if len(args) < 2 {
		return args
	}
	split := func(words []string) []string {
		var out []string
		for _, w := range words {
			out = append(out, strings.Fields(w)...)
		}
		return out
	}
	first := args[0]
	for _, wrap := range []string{"--shebang-wrap", "--shebangwrap"} {
		if rest, ok := strings.CutPrefix(first, wrap); ok {
			return slices.Concat(strings.Fields(rest), args[1:2], []string{":::"}, split(args[2:]))
		}
	}
	for _, bang := range []string{"--shebang", "--hashbang"} {
		if rest, ok := strings.CutPrefix(first, bang); ok {
			last := len(args) - 1
			return slices.Concat([]string{"--skip-first-line", "-a", args[last]}, strings.Fields(rest), split(args[1:last]))
		}
	}
	return args
}

// retryFromJoblog makes the run --retry-failed asks for: the commands of
// the joblog's failed jobs, run again with their numbers, in place of the
// command and input given, as GNU parallel reruns them. It is
// --resume-failed over the joblog's own commands, one per job number: the
// last the log holds for it ("" for a number it skips), and no job whose
// number some entry records as succeeded.
func (p *runPlan) retryFromJoblog() error {
	o := p.o
	log, err := joblog.Read(o.joblog)
	if err != nil {
		return err
	}
	p.log = log // the log --resume-failed reads
	var commands []string
	for e := range log.Entries() {
		if e.Seq < 1 {
			continue
		}
		if e.Seq > len(commands) {
			commands = append(commands, make([]string, e.Seq-len(commands))...)
		}
		commands[e.Seq-1] = e.Command
	}
	o.command, o.argFiles = nil, nil
	o.sources = []source{{values: commands}}
	o.resumeFailed, o.resumeKey = true, "seq"
	return nil
}

// answer prints what --minversion, --number-of-cores (and -cpus,
// -threads, -sockets) and --max-line-length-allowed ask, as GNU parallel
// prints it, and reports whether one was asked, with the exit status.
func (o *options) answer(stdout io.Writer) (code int, ok bool) {
	switch {
	case o.minVersion != "":
		fmt.Fprintln(stdout, gnuVersion)
		if v, _ := strconv.ParseFloat(o.minVersion, 64); v > gnuVersion {
			return 255, true
		}
	case o.numCores || o.numThreads || o.numSockets:
		sockets, cores, threads := cpuTopology()
		switch {
		case o.numCores:
			fmt.Fprintln(stdout, cores)
		case o.numThreads:
			fmt.Fprintln(stdout, threads)
		default:
			fmt.Fprintln(stdout, sockets)
		}
	case o.maxLineLen:
		fmt.Fprintln(stdout, maxArgLen)
	default:
		return 0, false
	}
	return 0, true
}

// runPlan is a checked command line, ready to run.
type runPlan struct {
	o       *options
	in      *input.Reader
	tmpl    *tmpl.Template
	tag     *tmpl.Template
	cfg     engine.Config
	log     *joblog.Log
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	bySeq   bool           // --resume by job number (GNU's), not by command line
	noWords bool           // no command: each argument is a command of its own
	maxLine int            // command lines must be shorter (-s, else GNU's limit)
	measure *tmpl.Template // with -q, the line GNU parallel measures
	// resultsPath is --results as a template, when it holds replacement
	// strings: a path per job.
	resultsPath *tmpl.Template
	workdir     *tmpl.Template // --workdir, a directory per job
	listFiles   bool           // --files: print a file's name for each job's output
	tee         *teeStdin      // --pipe --tee: stdin for every job
	bins        *binStdin      // --pipe --shard or --bin: lines spread over the jobs by key
	rr          *roundRobin    // --pipe --round-robin: blocks for running jobs

	perl    *perl.Interp     // evaluates {= =} and --filter, when they are given
	filters []*tmpl.Template // --filter's code
	files   []templateFile   // --template's files

	split pipeSplit  // how --pipe cuts stdin
	pool  *blockPool // --pipe's block buffers, recycled
	parts []partFile // --pipe-part's files, cut
}

// plan checks the options and opens the inputs.
func (o *options) plan(stdin io.Reader, stdout, stderr io.Writer) (_ *runPlan, err error) {
	if o.skipFirstLine && o.pipe && !o.pipePart {
		stdin = input.SkipLine(stdin) // else the first input source's (inputOptions)
	}
	p := &runPlan{o: o, stdin: stdin, stdout: stdout, stderr: stderr}
	defer func() {
		if err != nil {
			closeParts(p.parts)
			if p.in != nil {
				p.in.Close() // opened: the plan fails after it
			}
			p.closePerl()
		}
	}()
	warn := func(line string) { fmt.Fprintf(stderr, "multitask: Warning: %s\n", line) }
	if name := o.ignoredTransfer(); name != "" {
		warn(name + " ignored as there are no remote --sshlogin.")
	}
	c := &p.cfg
	if c.Slots, err = o.slots(); err != nil {
		return nil, err
	}
	if most := fileHandleSlots(); c.Slots > most {
		// GNU parallel's limit, and its words.
		if o.jobs != "0" {
			warn(fmt.Sprintf("Only enough file handles to run %d jobs in parallel.", most))
			warn("Raise the limit of open files (ulimit -n) to run more.")
		}
		c.Slots = most
	}
	if o.jobsFile != "" {
		c.Resize = jobsFileResize(o.jobsFile, o.cpus(), warn)
	}
	if p.maxLine, err = o.lineLimit(warn); err != nil {
		return nil, err
	}
	c.KeepOrder = o.keepOrder
	c.SlotVar = cmp.Or(o.slotVar, "PARALLEL_JOBSLOT0")
	// -u prints the output as it comes, --files or not, as in GNU parallel.
	p.listFiles = o.outputFiles && !o.ungroup
	c.Print = o.results == "" && !p.listFiles
	c.Stdout, c.Stderr = stdout, stderr
	c.TTY = o.tty || o.openTTY
	if c.TTY && o.cluster != "" {
		return nil, fmt.Errorf("%w: --tty and --open-tty give jobs this terminal, which --cluster workers do not have", errUsage)
	}
	switch {
	case o.ungroup:
		c.Output = engine.Ungroup
	case o.lineBuf:
		c.Output = engine.LineBuffer
	}
	c.Shell = shellPath()
	if c.Halt, err = engine.ParseHalt(o.halt); o.halt != "" && err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.timeout != "" {
		if pct, ok := strings.CutSuffix(o.timeout, "%"); ok {
			if c.Timeout.Percent, err = strconv.ParseFloat(pct, 64); err != nil || c.Timeout.Percent <= 0 {
				return nil, fmt.Errorf("%w: --timeout %s: not a percentage", errUsage, o.timeout)
			}
		} else if c.Timeout.After, err = parseDuration(o.timeout); err != nil {
			return nil, err
		}
	}
	if o.termseq != "" {
		if c.TermSeq, err = parseTermSeq(o.termseq); err != nil {
			return nil, err
		}
	}
	c.Retries = o.retries
	if o.retryDelay != "" {
		if c.RetryDelay, err = parseDuration(o.retryDelay); err != nil {
			return nil, err
		}
	}
	if o.delay != "" {
		if c.Delay, err = parseDuration(o.delay); err != nil {
			return nil, err
		}
	}
	if o.memFree != "" {
		if c.MemFree, err = parseSize(o.memFree); err != nil {
			return nil, err
		}
	}
	c.NoSwap = o.noSwap
	if o.interactive && !o.dryRun {
		if c.Confirm, err = confirmOnTTY(stderr); err != nil {
			return nil, err
		}
	}
	if o.memSuspend != "" {
		if c.MemSuspend, err = parseSize(o.memSuspend); err != nil {
			return nil, err
		}
	}
	if o.load != "" {
		if c.Load, err = parseLoad(o.load); err != nil {
			return nil, err
		}
	}
	if o.memLimit != "" {
		if c.MemLimit, err = parseSize(o.memLimit); err != nil {
			return nil, err
		}
	}
	if o.limit != "" {
		if err := p.planLimit(); err != nil {
			return nil, err
		}
	}
	if o.retryFailed && o.joblog != "" {
		if err := p.retryFromJoblog(); err != nil {
			return nil, err
		}
	}
	if (o.resume || o.resumeFailed) && o.joblog == "" && o.results == "" {
		return nil, fmt.Errorf("%w: --resume and --resume-failed need --joblog or --results", errUsage)
	}
	switch o.resumeKey {
	case "", "seq":
		p.bySeq = true
	case "hash":
	default:
		return nil, fmt.Errorf("%w: --resume-key must be seq or hash, not %q", errUsage, o.resumeKey)
	}

	c.Verbose, c.Trace = o.verbose, o.trace
	if o.cat && o.fifo {
		return nil, fmt.Errorf("%w: --fifo cannot be combined with --cat", errUsage)
	}
	c.InputAsFile, c.InputAsFifo = o.cat, o.fifo
	if o.pipe && o.tee {
		switch {
		case o.pipePart, o.cat, o.fifo, o.cluster != "":
			return nil, fmt.Errorf("%w: --tee cannot be combined with --pipe-part, --cat, --fifo or --cluster", errUsage)
		}
		// Every job reads all of stdin; the values of ::: make the jobs.
		p.tee = &teeStdin{src: stdin}
		stdin = strings.NewReader("")
	} else if o.pipe && (o.shard != "" || o.bin != "") {
		if err := p.planBins(stdin); err != nil {
			return nil, err
		}
		stdin = strings.NewReader("")
	} else if o.pipe {
		if (len(o.sources) > 0 || len(o.argFiles) > 0) && !o.pipePart {
			return nil, fmt.Errorf("%w: --pipe reads stdin: ::: and :::: cannot be used with it", errUsage)
		}
		if o.pipePart && (o.replArgs || o.lines > 0) {
			return nil, fmt.Errorf("%w: --pipe-part cannot be combined with -N, -L or -l, as with GNU parallel", errUsage)
		}
		if o.pipePart {
			p.split.warn = warn
			if err = o.records(&p.split); err == nil {
				err = p.planParts(warn)
			}
		} else {
			p.split, err = o.pipeSplit(warn)
			if err == nil && o.groupBy != "" {
				err = p.groupBy(stdin)
			}
		}
		if err != nil {
			return nil, err
		}
		// Blocks in use: one per running job, one being read, and those
		// whose output waits to be printed in order.
		p.pool = newBlockPool(c.Slots + 2)
		p.split.pool = p.pool
		if o.roundRobin {
			if o.pipePart || o.cat || o.fifo || o.cluster != "" {
				return nil, fmt.Errorf("%w: --round-robin cannot be combined with --pipe-part, --cat, --fifo or --cluster", errUsage)
			}
			p.rr = newRoundRobin(c.Slots, p.pool)
		}
		stdin = strings.NewReader("") // the blocks are read by jobs()
	}
	iopts, err := o.inputOptions(stdin)
	if err != nil {
		return nil, err
	}
	iopts.Warn = warn
	if p.in, err = input.Open(iopts); err != nil {
		var oe *input.OpenError
		if errors.As(err, &oe) {
			// GNU parallel's words.
			return nil, fmt.Errorf("cannot open input file `%s': %w", oe.File, oe.Err)
		}
		return nil, err
	}
	words := o.command
	if len(words) == 0 {
		// No command: each argument is run as a command, unquoted.
		p.noWords = true
		words = []string{o.replace}
	}
	var rpls []tmpl.Rpl
	for _, r := range o.rpls {
		rpls = append(rpls, tmpl.ParseRpl(r))
	}
	parens := tmpl.DefaultParens
	if o.parens != "" {
		if parens, err = tmpl.ParseParens(o.parens); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	texts, err := o.templateTexts()
	if err != nil {
		return nil, err
	}
	if len(rpls) > 0 || len(o.filters) > 0 || parens.Has(words...) || parens.Has(o.tagString, o.ctagString, o.results, o.workdir) || parens.Has(texts...) {
		if err = p.startPerl(); err != nil {
			return nil, err
		}
	}
	topts := tmpl.Options{
		Replace: o.replace, Quote: o.quote, Shell: o.shell, Names: p.in.Names(),
		Context: o.context || o.replArgs || o.linesL && !o.multi && !o.xargs, Multi: o.multi || o.xargs,
		Plus: o.plus, Perl: p.perlEval(), Rpls: rpls, Parens: parens, Renames: o.renames(),
	}
	if p.tmpl, err = tmpl.Parse(words, topts); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.quote {
		// The line as GNU parallel measures it under -q: nothing quoted,
		// the values appended as {} would insert them.
		if !p.tmpl.HasReplacement() {
			words = append(slices.Clip(words), o.replace)
		}
		mopts := topts
		mopts.Quote, mopts.Text = false, true
		if p.measure, err = tmpl.Parse(words, mopts); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	// --ctag and --ctagstring are --tag and --tagstring in colour.
	o.tag = o.tag || o.ctag
	o.tagString = cmp.Or(o.tagString, o.ctagString)
	if colorAll := o.color || o.ctag || o.ctagString != ""; colorAll || o.colorFailed {
		c.Color = colorizer(colorAll, o.colorFailed)
	}
	// GNU parallel replaces in them as in the command: with -X, -N or -L,
	// the text around a value repeats with it.
	textOpts := tmpl.Options{
		Replace: o.replace, Names: p.in.Names(), Text: true, Context: topts.Context,
		Plus: o.plus, Perl: p.perlEval(), Rpls: rpls, Parens: parens, Renames: topts.Renames,
	}
	text := func(option, s string) (*tmpl.Template, error) {
		t, err := tmpl.Parse([]string{s}, textOpts)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, option, err)
		}
		return t, nil
	}
	if o.tagString != "" || o.tag {
		if p.tag, err = text("--tagstring", cmp.Or(o.tagString, "{}")); err != nil {
			return nil, err
		}
	}
	if o.results != "" {
		t, err := text("--results", o.results)
		if err != nil {
			return nil, err
		}
		if t.HasReplacement() {
			p.resultsPath = t
		}
	}
	if o.workdir != "" {
		if p.workdir, err = text("--workdir", o.workdir); err != nil {
			return nil, err
		}
	}
	for _, f := range o.filters {
		t, err := text("--filter", f)
		if err != nil {
			return nil, err
		}
		p.filters = append(p.filters, t)
	}
	// GNU parallel writes a --template file's name and text from a list
	// of the values, put together without spaces.
	glued := textOpts
	glued.Glued = true
	for i := 0; i < len(texts); i += 2 {
		var f templateFile
		if f.name, err = tmpl.Parse([]string{texts[i]}, glued); err == nil {
			f.body, err = tmpl.Parse([]string{texts[i+1]}, glued)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: --template: %v", errUsage, err)
		}
		p.files = append(p.files, f)
	}
	c.Nice = o.nice
	if c.Env, err = exportedEnv(o.envs, os.Environ()); err != nil {
		return nil, err
	}
	if o.tmpdir != "" {
		if fi, err := os.Stat(o.tmpdir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--tmpdir %s: not a directory", o.tmpdir)
		}
		c.TempDir = o.tmpdir
		c.Env = append(c.Env, "TMPDIR="+o.tmpdir)
	}
	if p.fills() {
		if err := p.measureAlso(); err != nil {
			return nil, err
		}
	}
	p.setCounts(0)
	return p, nil
}

// templates are the plan's templates, those it has.
func (p *runPlan) templates() []**tmpl.Template {
	all := []**tmpl.Template{&p.tmpl, &p.measure, &p.tag, &p.resultsPath, &p.workdir}
	for i := range p.filters {
		all = append(all, &p.filters[i])
	}
	for i := range p.files {
		all = append(all, &p.files[i].name, &p.files[i].body)
	}
	var ts []**tmpl.Template
	for _, t := range all {
		if *t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// needsTotal reports whether a template holds --plus's {##} or {0#},
// which insert the number of jobs: they are counted before the first
// starts, as GNU parallel counts them.
func (p *runPlan) needsTotal() bool {
	return slices.ContainsFunc(p.templates(), func(t **tmpl.Template) bool { return (*t).NeedsTotal() })
}

// setCounts gives the templates the number of jobs and of job slots, for
// --plus's {##}, {0#} and {0%}.
func (p *runPlan) setCounts(total int) {
	for _, t := range p.templates() {
		*t = (*t).WithCounts(total, p.cfg.Slots)
	}
}

// countJobs reads all jobs when a percentage --halt or a template needs
// their number, and returns them again, with the number (-1 when not
// counted).
func (p *runPlan) countJobs(jobs iter.Seq2[engine.Job, error]) (iter.Seq2[engine.Job, error], int, error) {
	if p.o.totalJobs > 0 && p.tee == nil {
		p.setCounts(p.o.totalJobs)
		return jobs, p.o.totalJobs, nil
	}
	if p.cfg.Halt.Percent == 0 && !p.needsTotal() && p.tee == nil {
		return jobs, -1, nil
	}
	if p.rr != nil {
		// Its jobs read stdin while they run: they cannot be read first.
		return nil, 0, fmt.Errorf("%w: --round-robin cannot be combined with a percentage --halt or {##}", errUsage)
	}
	all, err := collect(jobs)
	if err != nil {
		return nil, 0, err
	}
	p.setCounts(len(all))
	return func(yield func(engine.Job, error) bool) {
		for _, j := range all {
			if !yield(j, nil) {
				return
			}
		}
	}, len(all), nil
}

func (o *options) inputOptions(stdin io.Reader) (input.Options, error) {
	io := input.Options{
		Stdin: stdin, Null: o.null, Colsep: o.colsep, CSV: o.csv, Header: o.header,
		Link: o.link, MaxArgs: o.maxArgs, Trim: o.trim, EOF: o.eof, NoRunIfEmpty: o.noEmpty, Shuf: o.shuf,
		JoinLines: o.lines > 0, SkipFirstLine: o.skipFirstLine && !o.pipe,
	}
	if o.maxSet && o.maxArgs == 0 {
		io.NoArgs = true
	} else if o.maxArgs < 0 {
		return io, fmt.Errorf("%w: -n %d: must not be negative", errUsage, o.maxArgs)
	}
	if o.delimSet {
		d, err := input.UnescapeDelim(o.delim)
		if err != nil {
			return io, fmt.Errorf("%w: -d: %v", errUsage, err)
		}
		io.Delim, io.Paragraph = d, d == ""
	}
	for _, f := range o.argFiles {
		io.Sources = append(io.Sources, input.Source{File: f})
	}
	for _, s := range o.sources {
		if s.files {
			io.Sources = append(io.Sources, input.Source{File: s.values[0], Link: s.link})
		} else {
			io.Sources = append(io.Sources, input.Source{Values: s.values, Link: s.link})
		}
	}
	return io, nil
}

// renames are the new names of built-in replacement strings, in the order
// GNU parallel gives them.
func (o *options) renames() []tmpl.Rename {
	var rs []tmpl.Rename
	for _, r := range []tmpl.Rename{
		{Old: "{.}", New: o.extReplace}, {Old: "{/}", New: o.baseReplace}, {Old: "{//}", New: o.dirReplace},
		{Old: "{#}", New: o.seqReplace}, {Old: "{%}", New: o.slotReplace}, {Old: "{/.}", New: o.baseExtReplace},
	} {
		if r.New != "" {
			rs = append(rs, r)
		}
	}
	return rs
}

// shellPath is the shell that runs command lines, as GNU parallel picks it.
func shellPath() string {
	for _, v := range []string{"PARALLEL_SHELL", "SHELL"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return "/bin/sh"
}

// parseTermSeq reads --termseq: signal names and milliseconds, alternating.
func parseTermSeq(s string) ([]engine.TermStep, error) {
	parts := strings.Split(s, ",")
	if len(parts)%2 != 0 {
		return nil, fmt.Errorf("%w: --termseq %s: signals and milliseconds must alternate", errUsage, s)
	}
	var seq []engine.TermStep
	for i := 0; i < len(parts); i += 2 {
		sig, ok := signalByName(parts[i])
		if !ok {
			return nil, fmt.Errorf("%w: --termseq: unknown signal %q", errUsage, parts[i])
		}
		ms, err := strconv.Atoi(parts[i+1])
		if err != nil || ms < 0 {
			return nil, fmt.Errorf("%w: --termseq: %q is not milliseconds", errUsage, parts[i+1])
		}
		seq = append(seq, engine.TermStep{Signal: sig, Wait: time.Duration(ms) * time.Millisecond})
	}
	return seq, nil
}

// signals are the names --termseq understands, without SIG.
var signals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM,
	"TERM": syscall.SIGTERM, "CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP,
}

func signalByName(name string) (syscall.Signal, bool) {
	name = strings.TrimPrefix(strings.ToUpper(name), "SIG")
	if n, err := strconv.Atoi(name); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), true
	}
	s, ok := signals[name]
	return s, ok
}

// planParts finds the parts of --pipe-part's files and leaves no values
// for the input to read.
func (p *runPlan) planParts(warn func(string)) error {
	size := int64(-partsPerSlot)
	if p.o.blockSet {
		var err error
		if size, err = signedSize(p.o.block); err != nil {
			return err
		}
		if size == 0 {
			return fmt.Errorf("%w: --block %s: a part must hold at least 1 byte", errUsage, p.o.block)
		}
	}
	var group *partGroups
	if p.o.groupBy != "" {
		key, eval, err := p.groupKey()
		if err != nil {
			return err
		}
		if group, err = newPartGroups(key, p.o.colsep, eval); err != nil {
			return err
		}
	}
	var err error
	if p.parts, err = p.o.pipeParts(p.split, group, size, p.cfg.Slots, warn); err != nil {
		return err
	}
	p.o.argFiles, p.o.sources = nil, nil
	return nil
}

// jobs numbers the input's values as jobs.
func (p *runPlan) jobs() iter.Seq2[engine.Job, error] {
	if p.o.isSemaphore() {
		return p.semaphoreJob()
	}
	if p.o.pipePart {
		return partJobs(p.parts)
	}
	if p.bins != nil {
		return p.bins.jobs()
	}
	if p.o.pipe && p.tee == nil {
		blocks := p.split.blocks(p.stdin)
		if f, ok := p.stdin.(*os.File); ok {
			if sections, ok := p.split.sections(f); ok {
				blocks = sections
			}
		}
		if p.rr != nil {
			return p.rr.jobs(blocks)
		}
		return blocks
	}
	var src iter.Seq2[engine.Job, error] = func(yield func(engine.Job, error) bool) {
		for args, err := range p.in.Jobs() {
			if !yield(engine.Job{Args: args}, err) || err != nil {
				return
			}
		}
	}
	if p.fills() {
		// -m and -X spread the values of the job that reaches the end of
		// the input over the slots; --xargs does not.
		spread := p.cfg.Slots
		if !p.o.multi && !p.o.context {
			spread = 1
		}
		most := 0
		if p.o.maxSet {
			most = p.o.maxArgs
		}
		src = fill(p.in.Records(), spread, most, p.maxLine, p.baseLen(), p.recordLen)
	}
	return func(yield func(engine.Job, error) bool) {
		seq := 0
		for j, err := range src {
			if err != nil {
				yield(engine.Job{}, err)
				return
			}
			seq++
			j.Seq = seq
			if p.tee != nil {
				j.InputStream = p.tee.reader()
			}
			if !yield(j, nil) {
				return
			}
		}
	}
}

// maxLine is the length of the shortest command line that GNU parallel
// refuses, on Linux: half of what it finds a shell takes, less 3000 bytes
// "for wrapping", (maxArgLen - 3000) / 2. What it finds is the end of its
// binary search, to within 1%, for the longest argument exec takes:
// 128 KiB with its NUL (MAX_ARG_STRLEN). -m and -X fill command lines up to
// it, and one that long or longer stops the run, as in GNU parallel.
const maxLine = 63664

// lineLimit is the length command lines must stay under: -s when given
// (0 is not given), at most maxLine, with GNU parallel's warning above it.
func (o *options) lineLimit(warn func(string)) (int, error) {
	if o.maxChars == "" {
		return maxLine, nil
	}
	n, err := parseSize(o.maxChars)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: --max-chars %s: not a number of bytes", errUsage, o.maxChars)
	}
	switch {
	case n == 0:
		return maxLine, nil
	case n > maxLine:
		warn(fmt.Sprintf("Value for option -s should be < %d.", maxLine))
		return maxLine, nil
	}
	return int(n), nil
}

// fills reports whether -m, -X or --xargs gather the jobs' values.
func (p *runPlan) fills() bool {
	return p.o.fills() && !(p.o.maxSet && p.o.maxArgs == 0)
}

// lineLen is the length of job j's command line, line, as GNU parallel
// measures it against its limit: as measured when its values were gathered
// (-m, -X), with -q the line with nothing quoted, tripled ("pessimistic
// length if -q is set"), and otherwise the line's own.
func (p *runPlan) lineLen(j engine.Job, line string) int {
	switch {
	case j.Measured > 0:
		return j.Measured
	case p.measure != nil:
		return 3 * len(p.measure.Expand(1, 1, j.Args).Line)
	}
	return len(line)
}

// tagOf is the prefix of job j's output lines under --tag and --tagstring.
func (p *runPlan) tagOf(j engine.Job, slot int) string {
	return p.tag.Expand(j.Seq, slot, j.Args).Line + "\t"
}

// exportedEnv is the variables of env that --env names: by name, by a
// shell pattern ('FOO*'), or all of them for _, in env's order.
func exportedEnv(names, env []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	for _, n := range names {
		if _, err := path.Match(n, ""); err != nil {
			return nil, fmt.Errorf("%w: --env %s: %v", errUsage, n, err)
		}
	}
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if slices.ContainsFunc(names, func(n string) bool {
			ok, _ := path.Match(n, name)
			return n == "_" || ok
		}) {
			out = append(out, kv)
		}
	}
	return out, nil
}

// measureAlso makes -m and -X count in their command lines' length the
// replacement strings of --tagstring (and --tag), --results, --workdir and
// --bar, as GNU parallel does.
func (p *runPlan) measureAlso() error {
	var others []*tmpl.Template
	if p.tag != nil {
		others = append(others, p.tag)
	}
	if p.resultsPath != nil {
		others = append(others, p.resultsPath)
	}
	if p.workdir != nil {
		others = append(others, p.workdir)
	}
	if p.o.bar {
		bar, err := tmpl.Parse([]string{"{}"}, tmpl.Options{Text: true})
		if err != nil {
			return err
		}
		others = append(others, bar)
	}
	if len(others) == 0 {
		return nil
	}
	p.tmpl = p.tmpl.MeasureAlso(others...)
	if p.measure != nil {
		p.measure = p.measure.MeasureAlso(others...)
	}
	return nil
}

// baseLen and recordLen measure a job's command line as GNU parallel
// measures it against its limit when -m, -X or --xargs fill it: baseLen,
// plus what each of the job's records adds.
func (p *runPlan) baseLen() int {
	if p.measure != nil {
		return 3 * p.measure.BaseLen()
	}
	return p.tmpl.BaseLen()
}

func (p *runPlan) recordLen(rec []string, width, seq int) int {
	if p.measure != nil {
		return 3 * p.measure.RecordLen(rec, width, seq)
	}
	return p.tmpl.RecordLen(rec, width, seq)
}

// fill groups records into jobs for -m, -X and --xargs: as many as keep the
// command line, measured as baseLen plus each record's recordLen, shorter
// than maxLen, and no more than most (0: no bound). The job that takes the
// last record is spread evenly over slots jobs, as GNU parallel spreads the
// command line that reaches the end of its input. Each job comes with its
// measure. Jobs are numbered from 1, for recordLen, in the order they come.
func fill(records iter.Seq2[[]string, error], slots, most, maxLen, baseLen int, recordLen func(rec []string, width, seq int) int) iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		var pending [][]string
		var lens []int // pending's recordLens
		job := func(recs [][]string, lens []int) engine.Job {
			size := baseLen
			for _, n := range lens {
				size += n
			}
			return engine.Job{Args: slices.Concat(recs...), Measured: size}
		}
		size := 0 // the command line's measure with the pending records
		seq := 1  // the number of the job being filled
		for rec, err := range records {
			if err != nil {
				yield(engine.Job{}, err)
				return
			}
			// Records are measured as wide as the job's first one.
			width := len(rec)
			if len(pending) > 0 {
				width = len(pending[0])
			}
			added := recordLen(rec, width, seq)
			// A full job waits for the next record: only then is it known
			// not to be the last.
			if len(pending) > 0 && (size+added >= maxLen || most > 0 && len(pending) == most) {
				if !yield(job(pending, lens), nil) {
					return
				}
				pending, lens = nil, nil
				seq++
				// Measured again for the next job: its number may differ
				// in length, and its width is its own.
				added = recordLen(rec, len(rec), seq)
			}
			if len(pending) == 0 {
				size = baseLen
			}
			size += added
			pending, lens = append(pending, rec), append(lens, added)
		}
		if len(pending) == 0 {
			return
		}
		per := (len(pending) + slots - 1) / slots
		for i := 0; i < len(pending); i += per {
			end := min(i+per, len(pending))
			if !yield(job(pending[i:end], lens[i:end]), nil) {
				return
			}
		}
	}
}

// catMarker stands for the block's file in a --cat command line until
// $PARALLEL_TMP replaces it: letters only, which no quoting changes.
const catMarker = "MULTITASKxCATxBLOCKxFILE"

// command expands a job's command line, and its --workdir.
func (p *runPlan) command(seq, slot int, args []string) engine.Command {
	c := p.commandLine(seq, slot, args)
	if p.workdir != nil {
		c.Dir = p.workdir.Expand(seq, slot, args).Line
	}
	// GNU parallel skips a job any --filter finds false, testing them in
	// turn.
	for _, f := range p.filters {
		if c.Skip {
			break
		}
		c.Skip = !p.perl.Filter(f.Expand(seq, slot, args).Line)
	}
	// It writes --template's files for every job it starts, skipped or
	// not, and in a dry run too.
	for _, f := range p.files {
		if err := f.write(seq, slot, args); err != nil && c.Err == nil {
			c.Err = err
		}
	}
	c.Err = cmp.Or(c.Err, p.perlErr())
	return c
}

// templateTexts reads --template's values: the name, then the source's
// text, of each file.
func (o *options) templateTexts() ([]string, error) {
	var texts []string
	for _, t := range o.templates {
		src, name, ok := strings.Cut(t, "=")
		if !ok {
			return nil, fmt.Errorf("%w: --template %s: give SOURCE=NAME", errUsage, t)
		}
		body, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("cannot open '%s': %w", src, err)
		}
		texts = append(texts, name, string(body))
	}
	return texts, nil
}

// A templateFile is a file --template writes for each job: its name and
// its text, each with the job's values in place.
type templateFile struct{ name, body *tmpl.Template }

func (f templateFile) write(seq, slot int, args []string) error {
	name := f.name.Expand(seq, slot, args).Line
	if err := os.WriteFile(name, []byte(f.body.Expand(seq, slot, args).Line), 0o666); err != nil {
		return fmt.Errorf("--template: %w", err)
	}
	return nil
}

// remove removes the file written for a job, for --cleanup.
func (f templateFile) remove(seq, slot int, args []string) {
	os.Remove(f.name.Expand(seq, slot, args).Line)
}

// planLimit reads --limit: GNU parallel's "mem SIZE" and "load N" are
// --memfree and --load; any other command runs through the shell before
// each start, and while jobs run.
func (p *runPlan) planLimit() error {
	c := &p.cfg
	fields := strings.Fields(p.o.limit)
	var err error
	switch {
	case len(fields) == 2 && fields[0] == "mem":
		c.MemFree, err = parseSize(fields[1])
	case len(fields) == 2 && fields[0] == "load":
		c.Load, err = parseLoad(fields[1])
	case len(fields) > 0 && fields[0] == "io":
		err = fmt.Errorf("%w: --limit io: not supported (GNU parallel reads iostat)", errUsage)
	default:
		// Its output may come at any time, and is no job's: stdout is
		// dropped, and stderr is kept when it is a file.
		var stderr *os.File
		if f, ok := p.stderr.(*os.File); ok {
			stderr = f
		}
		script, shell := p.o.limit, c.Shell
		c.Limit = func() int {
			cmd := exec.Command(shell, "-c", script)
			cmd.Env = append(os.Environ(), "SSHLOGIN=:")
			if stderr != nil {
				cmd.Stderr = stderr
			}
			// One that cannot run at all limits nothing: the jobs will
			// fail to run too, and say why.
			var exit *exec.ExitError
			if errors.As(cmd.Run(), &exit) {
				return exit.ExitCode()
			}
			return 0
		}
	}
	return err
}

// startPerl starts the evaluator of Perl code, unless it runs.
func (p *runPlan) startPerl() (err error) {
	if p.perl == nil {
		p.perl, err = perl.Start(p.stderr)
	}
	return err
}

// groupBy makes --pipe cut stdin only between groups of lines, as GNU
// parallel does: it marks stdin where the key of the lines changes, cuts
// it at the marks, which each block then loses, and gives each block the
// header line the key reads.
func (p *runPlan) groupBy(stdin io.Reader) error {
	o := p.o
	key, eval, err := p.groupKey()
	if err != nil {
		return err
	}
	marker := make([]byte, 20) // GNU's: 119 random bits
	const chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := range marker {
		marker[i] = chars[rand.IntN(len(chars))]
	}
	grouped, err := input.GroupBy(stdin, key, o.colsep, eval, string(marker))
	if err != nil {
		return err
	}
	p.stdin = grouped
	p.split.recEnd, p.split.recStart, p.split.rrs = "", string(marker), true
	if key.Header {
		p.split.header = regexp.MustCompile(`^.*\n`)
	}
	return nil
}

// groupKey reads --group-by's key, refusing what GNU parallel refuses
// with it, and starts perl when the key runs Perl code, which eval runs.
func (p *runPlan) groupKey() (key input.GroupKey, eval func(code, v string) (string, error), err error) {
	o := p.o
	switch {
	case o.rrs:
		return key, nil, fmt.Errorf("%w: --remove-rec-sep is not compatible with --groupby", errUsage)
	case o.recStartSet:
		return key, nil, fmt.Errorf("%w: --recstart is not compatible with --groupby", errUsage)
	case p.split.recEnd != "\n":
		return key, nil, fmt.Errorf("%w: --recend is not compatible with --groupby", errUsage)
	}
	key = input.ParseGroupKey(o.groupBy)
	if key.NeedsPerl() {
		if err := p.startPerl(); err != nil {
			return key, nil, err
		}
		eval = p.perlValue
	}
	return key, eval, nil
}

// planBins makes --shard or --bin spread the lines of stdin over -j jobs.
func (p *runPlan) planBins(stdin io.Reader) error {
	o := p.o
	switch {
	case o.shard != "" && o.bin != "":
		return fmt.Errorf("%w: --shard cannot be combined with --bin", errUsage)
	case o.pipePart || o.cat || o.fifo || o.cluster != "" || o.roundRobin || o.groupBy != "":
		return fmt.Errorf("%w: --shard and --bin cannot be combined with --pipe-part, --cat, --fifo, --cluster, --round-robin or --group-by", errUsage)
	case len(o.sources) > 0 || len(o.argFiles) > 0:
		return fmt.Errorf("%w: --pipe reads stdin: ::: and :::: cannot be used with it", errUsage)
	}
	key := input.ParseGroupKey(o.shard + o.bin)
	var eval func(code, v string) (string, error)
	if key.NeedsPerl() {
		if err := p.startPerl(); err != nil {
			return err
		}
		eval = p.perlValue
	}
	binner, err := input.NewBinner(key, o.colsep, eval, p.cfg.Slots, o.shard != "")
	if err != nil {
		return err
	}
	p.bins = newBinStdin(stdin, binner, key.Header, p.cfg.Slots)
	return nil
}

// perlValue runs Perl code with $_ set to v, and returns $_.
func (p *runPlan) perlValue(code, v string) (string, error) {
	return p.perl.Eval(code, v, tmpl.PerlJob{}).Value, p.perl.Err()
}

// perlEval is the evaluator of {= =} for the templates, if one runs.
func (p *runPlan) perlEval() tmpl.Perl {
	if p.perl == nil {
		return nil
	}
	return p.perl
}

// perlErr is the error of the first {= =} expression that failed.
func (p *runPlan) perlErr() error {
	if p.perl == nil {
		return nil
	}
	return p.perl.Err()
}

// closePerl ends the evaluator of {= =}, if one runs.
func (p *runPlan) closePerl() {
	if p.perl != nil {
		_ = p.perl.Close()
	}
}

// commandLine expands a job's command line.
func (p *runPlan) commandLine(seq, slot int, args []string) engine.Command {
	if p.noWords {
		return engine.Command{Line: strings.Join(args, " ")}
	}
	if p.o.pipe && (p.o.cat || p.o.fifo) {
		// {} is the block's file: $PARALLEL_TMP, unquoted, as GNU
		// parallel puts it, so the shell runs the line.
		c := p.tmpl.Expand(seq, slot, []string{catMarker})
		return engine.Command{Line: strings.ReplaceAll(c.Line, catMarker, "$PARALLEL_TMP"), Skip: c.Skip}
	}
	if p.o.pipe && (p.tee == nil || !p.tmpl.HasReplacement()) {
		// A block is no value: nothing is appended, and the separator
		// before the nothing goes too, as GNU parallel composes it. The
		// values of --tee's jobs go only where the command asks for them.
		c := p.tmpl.Expand(seq, slot, []string{tmpl.NoArg})
		if !p.tmpl.HasReplacement() {
			c.Line = strings.TrimSuffix(c.Line, " ")
		}
		return engine.Command{Line: c.Line, Argv: c.Argv, Skip: c.Skip}
	}
	c := p.tmpl.Expand(seq, slot, args)
	return engine.Command{Line: c.Line, Argv: c.Argv, Skip: c.Skip}
}

// execute runs the plan and returns the exit status.
func (p *runPlan) execute(ctx context.Context) int {
	defer p.in.Close()
	defer p.closePerl()
	defer closeParts(p.parts)
	o := p.o
	if o.showLimits {
		// GNU parallel's words.
		fmt.Fprintf(p.stdout, "Maximal size of command: %d\nMaximal usable size of command: %d\n\n"+
			"Execution will continue now, and it will try to read its input\n"+
			"and run commands; if this is not what you wanted to happen, please\n"+
			"press CTRL-D or CTRL-C\n", maxArgLen, p.maxLine)
	}
	if o.dryRun || o.shellQuote {
		return p.dryRun()
	}
	c := &p.cfg
	c.Command = p.command
	c.MaxLine = p.maxLine
	if o.quote || p.fills() {
		c.LineLen = func(j engine.Job, cmd engine.Command) int { return p.lineLen(j, cmd.Line) }
	}
	if p.tag != nil {
		c.Tag = p.tagOf
	}
	// A percentage --halt is of all jobs, and {##} is their number: count
	// them first.
	jobs, total, err := p.countJobs(p.jobs())
	if err != nil {
		return p.fail(err)
	}
	c.Total = max(total, 0)
	if p.rr != nil {
		defer p.rr.close()
	}
	if p.bins != nil {
		defer p.bins.close()
		go p.bins.run()
	}
	if p.tee != nil {
		// Every job must run at once, as they all read stdin together.
		if p.o.jobs == "" {
			c.Slots = max(total, 1)
		} else if c.Slots < total {
			return p.fail(errors.New("--tee requires --jobs to be higher: try --jobs 0"))
		}
		defer p.tee.close()
		go p.tee.run()
	}
	var logw *joblog.Writer
	if o.joblog != "" {
		var err error
		if (o.resume || o.resumeFailed) && p.log == nil {
			if p.log, err = joblog.Read(o.joblog); err != nil {
				return p.fail(err)
			}
		}
		if logw, err = joblog.Create(o.joblog, o.resume || o.resumeFailed, p.stdout); err != nil {
			return p.fail(err)
		}
		defer logw.Close()
	}
	table, closeTable, err := p.openTable()
	if err != nil {
		return p.fail(err)
	}
	defer closeTable()
	// --resume also skips the jobs whose --results files are there,
	// failed or not, as GNU parallel's does; --resume-failed does not. From
	// a table it cannot.
	fromResults := o.resume && o.results != ""
	if fromResults && table != nil {
		if o.joblog == "" {
			fmt.Fprintln(p.stderr, "multitask: Warning: --resume --results .csv/.tsv/.json is not supported yet")
		}
		fromResults = false
	}
	if p.log != nil || fromResults {
		c.Skip = func(j engine.Job, cmd engine.Command) bool {
			return p.log != nil && p.skip(j, cmd) || fromResults && results.Done(p.resultPath(j, 1))
		}
	}
	var prog *progress
	if o.bar || o.eta || o.progress {
		prog = newProgress(p.stderr, o.bar, o.eta || o.progress, max(total, 0))
		jobs = counted(jobs, prog)
	}
	var endErr error
	semExit := 0 // --semaphore exits with its one job's status
	c.Ended = func(r *engine.Result) {
		// Ended is the last use of a --pipe block.
		defer p.pool.put(r.Input)
		semExit = r.ExitValue()
		if o.cleanup {
			for _, f := range p.files {
				f.remove(r.Seq, r.Slot, r.Args)
			}
		}
		if r.Killed {
			return
		}
		if prog != nil {
			prog.endedOne(r.Failed())
		}
		if logw != nil {
			if err := logw.Write(p.entry(r)); err != nil && endErr == nil {
				endErr = err
			}
		}
		if o.results != "" {
			if err := p.saveResults(r, table); err != nil && endErr == nil {
				endErr = err
			}
		}
		if p.listFiles {
			if err := p.listOutputFile(r.Job, r.Slot, r.WriteStdout); err != nil && endErr == nil {
				endErr = err
			}
		}
	}
	var br *bridge.Client
	var lost <-chan struct{} // closed should the bridge to the cluster fail
	if o.cluster != "" {
		var err error
		if br, err = startBridge(o.cluster, c.Slots, p.stderr); err != nil {
			return p.fail(err)
		}
		defer br.Close()
		c.Exec, lost = br.Exec, br.Done()
	} else {
		exe, err := os.Executable()
		if err == nil {
			c.Reaper, err = reaper.Start(exe)
		}
		if err != nil {
			return p.fail(err)
		}
		defer c.Reaper.Close()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	c.Stop = stop
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		// The first signal starts no more jobs; the second kills them.
		select {
		case <-sigs:
			close(stop)
		case <-lost:
			close(stop)
		case <-ctx.Done():
			return
		}
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()

	start := time.Now()
	sum, err := engine.Run(ctx, *c, jobs)
	if prog != nil {
		prog.finish()
	}
	if err == nil {
		err = p.perlErr() // from a --tagstring, say, expanded as output is printed
	}
	if err == nil && p.bins != nil {
		err = p.bins.Err()
	}
	if err != nil {
		return p.fail(err)
	}
	if br != nil && br.Err() != nil {
		return p.fail(br.Err())
	}
	if endErr != nil {
		return p.fail(endErr)
	}
	if o.json {
		if err := writeSummary(p.stdout, sum, time.Since(start)); err != nil {
			return p.fail(err)
		}
	}
	select {
	case <-stop:
		// Interrupted: jobs were left unstarted, so the run failed as a
		// whole, as GNU parallel's interrupted runs do.
		return 255
	default:
	}
	if o.isSemaphore() {
		return semExit
	}
	return sum.ExitCode()
}

// counted tells prog of each job the input yields, and of its end.
func counted(jobs iter.Seq2[engine.Job, error], prog *progress) iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		for j, err := range jobs {
			if err == nil {
				prog.readOne()
			}
			if !yield(j, err) {
				return
			}
		}
		prog.inputEnded()
	}
}

// writeSummary prints --json's summary of the run.
func writeSummary(w io.Writer, sum engine.Summary, wall time.Duration) error {
	return json.NewEncoder(w).Encode(struct {
		Jobs      int     `json:"jobs"`
		Succeeded int     `json:"succeeded"`
		Failed    int     `json:"failed"`
		Halted    bool    `json:"halted"`
		Stopped   bool    `json:"stopped"`
		Exit      int     `json:"exit_status"`
		Seconds   float64 `json:"seconds"`
	}{sum.Done, sum.Done - sum.Failed, sum.Failed, sum.Trigger != nil, sum.Stopped, sum.ExitCode(), wall.Seconds()})
}

func (p *runPlan) fail(err error) int {
	fmt.Fprintf(p.stderr, "multitask: %v\n", err)
	return 255
}

// skip says whether --resume or --resume-failed skips a job.
func (p *runPlan) skip(j engine.Job, c engine.Command) bool {
	switch {
	case p.bySeq && p.o.resumeFailed:
		return p.log.Succeeded(j.Seq)
	case p.bySeq:
		return p.log.Done(j.Seq)
	case p.o.resumeFailed:
		return p.log.SucceededCommand(c.Line)
	default:
		return p.log.DoneCommand(c.Line)
	}
}

func (p *runPlan) dryRun() int {
	if p.rr != nil {
		return 0 // GNU parallel prints none of --round-robin's jobs
	}
	table, closeTable, err := p.openTable()
	if err != nil {
		return p.fail(err)
	}
	defer closeTable()
	jobs, _, err := p.countJobs(p.jobs())
	if err != nil {
		return p.fail(err)
	}
	n, skipped := 0, 0
	for j, err := range jobs {
		if err != nil {
			return p.fail(err)
		}
		n++
		slot := (n-1)%max(p.cfg.Slots, 1) + 1
		cmd := p.command(j.Seq, slot, j.Args)
		if cmd.Err != nil {
			return p.fail(cmd.Err)
		}
		if cmd.Skip {
			skipped++ // GNU parallel counts it failed, and prints it
		}
		line := cmd.Line
		if p.o.shellQuote && !p.o.dryRun {
			line = tmpl.Quote(line) // --dry-run prints it as it is, as in GNU parallel
		}
		if n := p.lineLen(j, cmd.Line); n >= p.maxLine {
			return p.fail(&engine.TooLongError{Seq: j.Seq, Len: n, Max: p.maxLine, Args: j.Args})
		}
		switch {
		case table != nil:
			// GNU parallel takes the line for the job's output.
			err := table.Write(results.Row{
				Entry: joblog.Entry{Seq: j.Seq, Host: ":", Start: time.Now(), Receive: int64(len(line) + 1), Command: line},
				Args:  j.Args, Stdout: []byte(line + "\n"),
			})
			if err != nil {
				return p.fail(err)
			}
		case p.o.results != "":
			// GNU parallel prints nothing, and makes the job's seq and
			// stderr files, but no stdout.
			if err := results.DryRun(p.resultPath(j, slot), j.Seq); err != nil {
				return p.fail(err)
			}
		case p.listFiles:
			// GNU parallel prints the name of a file it leaves no trace of.
			if err := p.listOutputFile(j, slot, nil); err != nil {
				return p.fail(err)
			}
		default:
			if p.tag != nil {
				// Tagged as output would be; the trace below is not, as
				// in GNU parallel.
				fmt.Fprint(p.stdout, p.tagOf(j, slot))
			}
			fmt.Fprintln(p.stdout, line)
		}
		if p.o.trace {
			fmt.Fprintln(p.stderr, line)
		}
	}
	return min(skipped, 101)
}

func collect[T any](s iter.Seq2[T, error]) ([]T, error) {
	var all []T
	for v, err := range s {
		if err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	return all, nil
}

// resultNames names the columns of a job's n values for --results: the
// header's names, or 1, 2, ... per input source.
func (p *runPlan) resultNames(n int) []string {
	if names := p.in.Names(); names != nil {
		return names
	}
	if p.o.maxArgs > 1 || p.o.fills() {
		n = max(1, len(p.o.sources)+len(p.o.argFiles))
	}
	names := make([]string, n)
	for i := range names {
		names[i] = strconv.Itoa(i + 1)
	}
	return names
}

// entry is job r as a joblog line, and a row of a --results table.
func (p *runPlan) entry(r *engine.Result) joblog.Entry {
	e := joblog.Entry{
		Seq: r.Seq, Host: ":", Start: r.Start, Runtime: r.Runtime,
		Send: r.InputLen(), Receive: r.StdoutLen(),
		Exitval: r.Exit, Signal: r.Signal, Command: r.Command.Line,
	}
	if p.o.pipePart {
		e.Send = 0 // GNU parallel pipes the parts itself, uncounted
	}
	return e
}

// listOutputFile prints, for --files, the name of a file holding job j's
// stdout, which write writes: its --results file when there is one, else a
// new file in the temporary directory, named as GNU parallel names it, and
// removed again when write is nil (--dry-run). The name comes after the
// job's tag.
func (p *runPlan) listOutputFile(j engine.Job, slot int, write func(io.Writer) error) error {
	var name string
	if p.o.results != "" && results.FormatOf(p.o.results) == results.Files {
		if name = p.resultPath(j, slot); strings.HasSuffix(name, "/") {
			name += "stdout"
		}
	} else {
		dir := p.o.tmpdir
		if dir == "" {
			dir = os.TempDir()
		}
		f, err := jobexec.TempFile(dir, ".par")
		if err != nil {
			return fmt.Errorf("--files: %w", err)
		}
		if write != nil {
			err = write(f)
		}
		err = errors.Join(err, f.Close())
		if write == nil {
			err = errors.Join(err, os.Remove(f.Name()))
		}
		if err != nil {
			return fmt.Errorf("--files: %w", err)
		}
		name = f.Name()
	}
	if p.tag != nil {
		name = p.tagOf(j, slot) + name
	}
	_, err := fmt.Fprintln(p.stdout, name)
	return err
}

// openTable opens the table --results writes when its value ends in .csv,
// .tsv or .json: on stdout for -.csv, -.tsv and -.json, else in a file
// made empty now, as GNU parallel does; nil for the other values.
// closeTable closes its file, reporting an error on stderr.
func (p *runPlan) openTable() (t *results.Table, closeTable func(), err error) {
	f := results.FormatOf(p.o.results)
	switch {
	case p.o.results == "" || f == results.Files:
		return nil, func() {}, nil
	case p.o.results == "-.csv" || p.o.results == "-.tsv" || p.o.results == "-.json":
		return results.NewTable(p.stdout, f, p.in.Names()), func() {}, nil
	}
	file, err := os.Create(p.o.results)
	if err != nil {
		return nil, nil, fmt.Errorf("--results: %w", err)
	}
	closeTable = func() {
		if err := file.Close(); err != nil {
			fmt.Fprintf(p.stderr, "multitask: --results: %v\n", err)
		}
	}
	return results.NewTable(file, f, p.in.Names()), closeTable, nil
}

// resultPath is where --results puts job j's files: the value expanded for
// the job when it holds replacement strings and that changes it (a
// directory when it ends in "/", else the stdout file itself), or else the
// job's directory in GNU parallel's tree under the value, ending in "/".
func (p *runPlan) resultPath(j engine.Job, slot int) string {
	if p.resultsPath != nil {
		if out := p.resultsPath.Expand(j.Seq, slot, j.Args).Line; out != p.o.results {
			return out
		}
	}
	names := p.resultNames(len(j.Args))
	if len(j.Args) == 0 {
		names = nil
	}
	return strings.TrimSuffix(results.Dir(p.o.results, names, j.Args), "/") + "/"
}

// saveResults writes job r's output under --results, with a meta file of
// multitask's own beside it, or as a row of table.
func (p *runPlan) saveResults(r *engine.Result, table *results.Table) error {
	if table != nil {
		var stdout, stderr bytes.Buffer
		if err := errors.Join(r.WriteStdout(&stdout), r.WriteStderr(&stderr)); err != nil {
			return err
		}
		return table.Write(results.Row{Entry: p.entry(r), Args: r.Args, Stdout: stdout.Bytes(), Stderr: stderr.Bytes()})
	}
	j, err := results.OpenPath(p.resultPath(r.Job, r.Slot), r.Seq)
	if err != nil {
		return err
	}
	werr := errors.Join(r.WriteStdout(j.Stdout), r.WriteStderr(j.Stderr))
	m := results.Meta{
		Seq: r.Seq, Command: r.Command.Line, Exitval: r.Exit, Signal: r.Signal,
		Start: r.Start, Runtime: r.Runtime, MaxRSS: r.MaxRSS,
	}
	switch {
	case r.TimedOut:
		m.KilledBy = "timeout"
	case r.OverMem:
		m.KilledBy = "mem-limit"
	}
	return errors.Join(werr, j.Finish(m))
}
