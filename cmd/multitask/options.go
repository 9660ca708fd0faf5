package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
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
	// --color, --ctag, --ctagstring and --color-failed.
	color, ctag, colorFailed bool
	ctagString               string
	verbose                  bool // -v: command lines on stdout
	trace                    bool // -t, --verbose: command lines on stderr

	replace    string
	quote      bool
	shell      bool
	context    bool // -X
	multi      bool // -m
	xargs      bool // --xargs
	colsep     string
	header     string
	null       bool
	delim      string
	maxArgs    int
	replArgs   bool // -N: -n with {} in context, as -X puts it
	lines      int  // -L or -l: values (lines) per job, a line ending in white space going on
	linesL     bool // -L, which puts {} in context as -X does, unless -m or --xargs
	argFiles   []string
	plus       bool
	tee        bool
	tty        bool
	openTTY    bool
	roundRobin bool
	workdir    string // --workdir: where jobs run
	tmpdir     string
	// outputFiles is --files: file names are printed instead of output.
	outputFiles bool
	compress    bool
	envs        []string // --env: variables the jobs get from here
	rpls        []string // --rpl: replacement strings defined by Perl code
	filters     []string // --filter: Perl code that must be true for a job to run
	parens      string   // --parens: the brackets of {= =}
	// --er, --bnr, --dnr, --bner, --seqreplace, --slotreplace: new names
	// for {.} {/} {//} {/.} {#} {%}.
	extReplace, baseReplace, dirReplace, baseExtReplace, seqReplace, slotReplace string

	noKeepOrder   bool     // --no-keep-order: undoes -k
	silent        bool     // --silent: undoes -v
	gnu           bool     // --gnu: accepted; multitask behaves as GNU parallel anyway
	skipFirstLine bool     // --skip-first-line: the first input line is no value
	csv           bool     // --csv: values are CSV records
	fifo          bool     // --fifo: each job's block in a named pipe
	rrs           bool     // --remove-rec-sep: blocks without their record separators
	regexp        bool     // --regexp: --recend and --recstart are regular expressions
	groupBy       string   // --group-by: blocks hold whole groups of lines of a key
	shard, bin    string   // --shard, --bin: the key that picks each line's job
	showLimits    bool     // --show-limits: print the limits of command lines first
	limit         string   // --limit: a command whose exit status lets jobs start
	blockTimeout  string   // --block-timeout: cut a block from what came in this time
	templates     []string // --template SOURCE=NAME: files written for each job
	cleanup       bool     // --cleanup: --template's files are removed after their job
	// GNU parallel's options for files on remote hosts (-S), which it
	// ignores with a warning when there are none, as multitask never has.
	transfer                     bool
	transferFiles, returns, trcs []string
	basefiles                    []string
	retired                      bool // an option GNU parallel has retired was given
	tollef                       bool // --tollef: retired, unless --gnu
	// --use-sockets-instead-of-threads, --use-cores-instead-of-threads
	// and --use-cpus-instead-of-cores: what -j counts as a CPU.
	useSockets, useCores, useCPUs bool
	totalJobs                     int    // --total-jobs: the number of jobs, given rather than counted
	slotVar                       string // --process-slot-var: the variable holding the slot less one
	nice                          int
	argSep                        string // ::: unless --arg-sep
	fileSep                       string // :::: unless --arg-file-sep
	eof                           string
	noEmpty                       bool
	link                          bool
	shuf                          bool
	trim                          string
	dryRun                        bool
	shellQuote                    bool // --shell-quote: print each command line quoted for the shell, running nothing

	timeout    string
	termseq    string
	retries    int
	retryDelay string
	halt       string
	haltOnErr  bool

	joblog       string
	resume       bool
	resumeFailed bool
	retryFailed  bool
	resumeKey    string
	results      string
	json         bool

	bar         bool
	progress    bool
	eta         bool
	memFree     string
	memSuspend  string
	noSwap      bool
	interactive bool     // --interactive: ask before each job
	profiles    []string // --profile: read instead of the config files

	shellCompletion string // --shell-completion: print the completion code of this shell
	load            string
	delay           string
	memLimit        string
	maxLines        string // -l, --max-lines, as given
	maxChars        string // -s, --max-chars, as given

	pipe     bool
	pipePart bool // --pipe-part: cut the files of -a and :::: into parts, without reading them
	cat      bool // --cat: each job's block in a temporary file, not on its stdin
	block    string
	recEnd   string
	recStart string

	cluster string // --cluster: the jobs run on a cluster's workers

	// --semaphore (see semaphore.go).
	semaphore, fg, bg, wait bool
	semName                 string        // --id
	semTimeoutArg           string        // --semaphore-timeout as given
	semTimeout              time.Duration // below 0: give up after -semTimeout

	jobsFile string // -j FILE: the file that holds the count of jobs

	delimSet    bool // -d was given, possibly empty (paragraph mode)
	blockSet    bool // --block was given
	maxSet      bool // -n or -N was given, possibly 0
	recEndSet   bool // --recend was given
	recStartSet bool // --recstart was given

	help    bool
	version bool
	// Questions answered without running anything.
	minVersion                                   string
	numCores, numThreads, numSockets, maxLineLen bool
	plain                                        bool
	willCite                                     bool
	session, filterHosts                         bool // accepted: they change nothing without env_parallel and -S

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
func newFlagSet(o *options) *flagSet {
	fs := newFlags()
	retiredFlags(fs, o)
	fs.group("Jobs and output")
	fs.stringVar(&o.jobs, "jobs", 'j', "N", "run N jobs at once: N, N% of the cores, +N or -N cores, 0 for as many as possible, or a FILE holding one of those, read again when it changes (default: the cores)")
	fs.alias("jobs", "P", "max-procs", "maxprocs")
	fs.boolVar(&o.keepOrder, "keep-order", 'k', "print the jobs' output in the order of their input")
	fs.alias("keep-order", "keeporder")
	fs.boolVar(&o.noKeepOrder, "no-keep-order", 0, "undo -k")
	fs.alias("no-keep-order", "nokeeporder", "nok", "no-k")
	fs.boolVar(&o.group, "group", 0, "print each job's output whole when it ends (the default)")
	fs.boolVar(&o.lineBuf, "line-buffer", 0, "print whole lines as they come")
	fs.alias("line-buffer", "line-buffered", "linebuffer", "linebuffered", "lb")
	fs.boolVar(&o.ungroup, "ungroup", 'u', "pass the jobs' output straight through (lines may mix)")
	fs.boolVar(&o.tag, "tag", 0, "prefix each output line with the job's values and a tab")
	fs.stringVar(&o.tagString, "tagstring", 0, "STR", "prefix each output line with STR (replacement strings allowed)")
	fs.alias("tagstring", "tag-string")
	fs.boolVar(&o.color, "color", 0, "colour each job's output lines, a colour per job")
	fs.alias("color", "colour")
	fs.boolVar(&o.ctag, "ctag", 0, "as --tag, and --color")
	fs.stringVar(&o.ctagString, "ctag-string", 0, "STR", "as --tagstring STR, and --color")
	fs.alias("ctag-string", "ctagstring")
	fs.boolVar(&o.colorFailed, "color-failed", 0, "colour the output lines of failed jobs white on red")
	fs.alias("color-failed", "colour-failed", "colorfailed", "colourfailed", "color-fail", "colour-fail", "colorfail", "colourfail", "cf")
	fs.boolVar(&o.verbose, "", 'v', "print each job's command line on stdout before its output")
	fs.boolVar(&o.trace, "verbose", 't', "print each job's command line on stderr as it starts")
	fs.boolVar(&o.silent, "silent", 0, "undo -v")
	fs.stringVar(&o.workdir, "workdir", 0, "DIR", "run the jobs in DIR, made if need be (replacement strings allowed; ... for a new temporary directory per job)")
	fs.alias("workdir", "work-dir", "wd")
	fs.intVar(&o.nice, "nice", 0, "N", "run the jobs at niceness N")
	fs.stringsVar(&o.templates, "template", 0, "SRC=NAME", "before each job, write file NAME with SRC's text, replacement strings in both replaced")
	fs.alias("template", "tmpl")
	fs.boolVar(&o.cleanup, "cleanup", 0, "remove --template's files once their job has ended (without --template, ignored as --transfer)")
	fs.boolVar(&o.transfer, "transfer", 0, "send files to -S hosts: accepted from GNU parallel's scripts, and ignored with GNU's warning, as multitask has no -S hosts")
	fs.stringsVar(&o.transferFiles, "transferfile", 0, "FILE", "as --transfer")
	fs.alias("transferfile", "transfer-file", "transfer-files", "transferfiles", "tf")
	fs.stringsVar(&o.returns, "return", 0, "FILE", "as --transfer, for files brought back from -S hosts")
	fs.stringsVar(&o.trcs, "trc", 0, "FILE", "as --transfer (--transfer --return FILE --cleanup)")
	fs.stringsVar(&o.basefiles, "basefile", 0, "FILE", "as --transfer, for a file sent once to every -S host")
	fs.alias("basefile", "bf")
	fs.stringVar(new(string), "ssh", 0, "CMD", "for -S hosts: accepted from GNU parallel's scripts, and ignored, as GNU parallel ignores it without them")
	fs.stringVar(new(string), "ssh-delay", 0, "DUR", "as --ssh")
	fs.alias("ssh-delay", "sshdelay")
	fs.stringVar(new(string), "rsync-opts", 0, "OPTS", "as --ssh")
	fs.alias("rsync-opts", "rsyncopts")
	fs.boolVar(new(bool), "controlmaster", 'M', "as --ssh")
	fs.stringsVar(&o.envs, "env", 0, "VAR", "give the jobs VAR (a name, a pattern such as 'FOO*', or _ for all) from here: --cluster workers get it; jobs run here have it already")
	fs.boolVar(&o.outputFiles, "files", 0, "print the name of a file holding each job's stdout (in the temporary directory, or --results) instead of its output; stderr is dropped")
	fs.alias("files", "output-as-files", "outputasfiles")
	fs.boolVar(&o.interactive, "interactive", 'p', "ask on the terminal before each job, showing its command; run it if the answer starts with y")
	fs.boolVar(&o.tty, "tty", 0, "give the jobs the terminal as stdin, one job at a time (unless -j), output ungrouped (unless --group or --line-buffer)")
	fs.boolVar(&o.openTTY, "open-tty", 'o', "give the jobs the terminal as stdin")
	fs.boolVar(&o.dryRun, "dry-run", 0, "print the command lines without running them")
	fs.alias("dry-run", "dryrun", "dr")
	fs.boolVar(&o.shellQuote, "shell-quote", 0, "print each command line quoted as one shell word, without running it")
	fs.alias("shell-quote", "shellquote", "shell_quote")

	fs.group("Command line")
	fs.stringVar(&o.replace, "", 'I', "STR", "use STR instead of {}")
	fs.optStringVar(&o.replace, "replace", 'i', "STR", "{}", "as -I; without STR, {} (STR may not start with -)")
	fs.boolVar(&o.plus, "plus", 0, "add GNU's --plus replacement strings: {+/} {+.} {..} {+..} {...} {+...} {/..} {/...} {##} {0#} {0%}, and {:-str} {:n} {:n:m} {#re} {##re} {%re} {%%re} {/re/str} {/#re/str} {/%re/str} {//re/str} {^re} {^^re} {,re} {,,re}")
	fs.stringsVar(&o.rpls, "rpl", 0, "'TAG CODE'", "make TAG a replacement string standing for {= CODE =}; a (group) in TAG is $$1 in CODE")
	fs.stringsVar(&o.filters, "filter", 0, "CODE", "run only the jobs for which the Perl CODE, its replacement strings replaced unquoted, is true ('{1} < {2}'); the others are skipped")
	fs.stringVar(&o.parens, "parens", 0, "LR", "use the halves of LR as the brackets of {= =} (default {==})")
	fs.stringVar(&o.extReplace, "extensionreplace", 0, "STR", "use STR instead of {.}")
	fs.alias("extensionreplace", "er")
	fs.stringVar(&o.baseReplace, "basenamereplace", 0, "STR", "use STR instead of {/}")
	fs.alias("basenamereplace", "bnr")
	fs.stringVar(&o.dirReplace, "dirnamereplace", 0, "STR", "use STR instead of {//}")
	fs.alias("dirnamereplace", "dnr")
	fs.stringVar(&o.baseExtReplace, "basenameextensionreplace", 0, "STR", "use STR instead of {/.}")
	fs.alias("basenameextensionreplace", "bner")
	fs.stringVar(&o.seqReplace, "seqreplace", 0, "STR", "use STR instead of {#}")
	fs.stringVar(&o.slotReplace, "slotreplace", 0, "STR", "use STR instead of {%}")
	fs.boolVar(&o.quote, "quote", 'q', "quote the command's own words too, so no shell expands them")
	fs.boolVar(&o.shell, "shell", 0, "always run through the shell ($PARALLEL_SHELL, $SHELL or /bin/sh)")
	fs.boolVar(&o.context, "xargs-context", 'X', "as many values per command as fit, repeating the words around {}")
	fs.boolVar(&o.multi, "", 'm', "as many values per command as fit, spread over the job slots when all fit")
	fs.boolVar(&o.xargs, "xargs", 0, "as many values per command as fit")
	fs.intVar(&o.maxArgs, "max-args", 'n', "N", "at most N values per command (0: none)")
	fs.alias("max-args", "maxargs")
	fs.intVar(&o.maxArgs, "max-replace-args", 'N', "N", "as -n, and {} repeats the words around it for each value, as with -X")
	fs.alias("max-replace-args", "maxreplaceargs")
	fs.intVar(&o.lines, "", 'L', "N", "N lines per command (a line ending in white space goes on in the next), {} as with -X unless -m or --xargs")
	fs.optStringVar(&o.maxLines, "max-lines", 'l', "N", "1", "N lines per command, as -L but {} as with -n (N: 1 when left out)").numeric = true
	fs.stringVar(&o.maxChars, "max-chars", 's', "N", "command lines shorter than N bytes (default and most: 63664, GNU parallel's); -m and -X fill them to it")

	fs.group("Input")
	fs.stringsVar(&o.argFiles, "arg-file", 'a', "FILE", "read values from FILE, as :::: FILE does")
	fs.alias("arg-file", "argfile")
	fs.stringVar(&o.argSep, "arg-sep", 0, "SEP", "use SEP instead of ::: (and SEP+ instead of :::+)")
	fs.alias("arg-sep", "argsep")
	fs.stringVar(&o.fileSep, "arg-file-sep", 0, "SEP", "use SEP instead of :::: (and SEP+ instead of ::::+)")
	fs.alias("arg-file-sep", "argfilesep")
	fs.stringVar(&o.colsep, "colsep", 'C', "REGEXP", "split each input line into columns at REGEXP: {1} {2} ...")
	fs.alias("colsep", "col-sep")
	fs.boolVar(&o.csv, "csv", 0, "values are CSV records, split into columns at commas (or --colsep, one character); a quoted field may span lines")
	fs.stringVar(&o.header, "header", 0, "REGEXP", "the first input line is a header (: for one line); columns are then named {name}")
	fs.boolVar(&o.null, "null", '0', "input items end at NUL, not newline")
	fs.stringVar(&o.delim, "delimiter", 'd', "DELIM", "input items end at DELIM (\\n, \\t, \\0 ... understood)")
	fs.stringVar(&o.eof, "eof", 'E', "STR", "stop reading input at an item equal to STR")
	fs.boolVar(&o.noEmpty, "no-run-if-empty", 'r', "skip input items that are empty or white space")
	fs.alias("no-run-if-empty", "norunifempty")
	fs.boolVar(&o.link, "link", 0, "pair the sources' values in turn instead of taking every combination")
	fs.alias("link", "xapply")
	fs.boolVar(&o.shuf, "shuf", 0, "run the jobs in a random order (reads all input first)")
	fs.stringVar(&o.trim, "trim", 0, "n|l|r|lr", "trim white space from values")
	fs.boolVar(&o.skipFirstLine, "skip-first-line", 0, "skip the first line of the first input source (or of stdin with --pipe)")
	fs.alias("skip-first-line", "skipfirstline")

	fs.group("Failure, time and halting")
	fs.stringVar(&o.timeout, "timeout", 0, "DUR", "kill a job after DUR (seconds, or 1m30s), or after N% of the median runtime")
	fs.stringVar(&o.termseq, "termseq", 0, "SEQ", "how a job is killed: signals and milliseconds (default TERM,200,TERM,100,TERM,50,KILL,25)")
	fs.alias("termseq", "term-seq")
	fs.intVar(&o.retries, "retries", 0, "N", "run a failing job up to N times")
	fs.stringVar(&o.retryDelay, "retry-delay", 0, "DUR", "wait DUR before the first retry, doubling at each one, with jitter")
	fs.stringVar(&o.halt, "halt", 0, "WHEN,WHY=N", "stop when N jobs (or N%) ended so: WHEN now|soon, WHY fail|success|done")
	fs.alias("halt", "halt-on-error")
	fs.boolVar(&o.haltOnErr, "halt-now-on-fail", 'e', "same as --halt now,fail=1")

	fs.group("Logs and results")
	fs.stringVar(&o.joblog, "joblog", 0, "FILE", "log each ended job in FILE as GNU parallel does (- for stdout, +FILE to append)")
	fs.alias("joblog", "jl")
	fs.boolVar(&o.resume, "resume", 0, "skip the jobs the joblog lists")
	fs.boolVar(&o.resumeFailed, "resume-failed", 0, "skip the jobs the joblog lists as succeeded, rerun the others")
	fs.alias("resume-failed", "resumefailed")
	fs.boolVar(&o.retryFailed, "retry-failed", 0, "run the commands of the jobs the joblog lists as failed again, ignoring the command and input given")
	fs.alias("retry-failed", "retryfailed")
	fs.stringVar(&o.resumeKey, "resume-key", 0, "seq|hash", "know jobs in the joblog by number (seq, GNU's way) or by command line (hash)")
	fs.stringVar(&o.results, "results", 0, "DIR", "save each job's output under DIR/1/<value1>/... instead of printing it; with replacement strings, in the files they name; as one table for .csv, .tsv, .json (-.csv: on stdout)")
	fs.alias("results", "result", "res")
	fs.boolVar(&o.json, "json", 0, "end with a JSON summary of the run on stdout")

	fs.group("Resources and progress")
	fs.boolVar(&o.bar, "bar", 0, "show a progress bar on a terminal, and a summary at the end")
	fs.boolVar(&o.eta, "eta", 0, "show the estimated time left on a terminal, and a summary at the end")
	fs.boolVar(&o.progress, "progress", 0, "as --eta")
	fs.intVar(&o.totalJobs, "total-jobs", 0, "N", "take N as the number of jobs, for --bar, --eta, a percentage --halt, {##} and total_jobs(), instead of counting them")
	fs.alias("total-jobs", "totaljobs", "total")
	fs.boolVar(&o.noSwap, "noswap", 0, "start no job while the machine swaps both in and out (looked at every second; the first start waits for two looks)")
	fs.stringVar(&o.memSuspend, "memsuspend", 0, "SIZE", "start a job only while SIZE more of memory is available; stop (SIGSTOP) the youngest jobs while less than 2 × SIZE is, and let them go on as it comes back")
	fs.stringVar(&o.memFree, "memfree", 0, "SIZE", "start a job only while SIZE of memory is available (k, M, G); kill the youngest job while less than half is")
	fs.stringVar(&o.load, "load", 0, "N", "start a job only while the load is below N: N, N% of the cores, +N or -N cores")
	fs.stringVar(&o.limit, "limit", 0, "CMD", "before starting a job, run CMD: exit 0 starts it, 1 waits, 2 also kills the youngest job; 'mem SIZE' is --memfree SIZE and 'load N' --load N")
	fs.stringVar(&o.delay, "delay", 0, "DUR", "wait DUR between job starts")
	fs.stringVar(&o.tmpdir, "tmpdir", 0, "DIR", "put temporary files (output too big for memory, --cat blocks) in DIR, and give the jobs TMPDIR=DIR")
	fs.alias("tmpdir", "tempdir")
	fs.boolVar(&o.compress, "compress", 0, "accepted from GNU parallel's scripts; multitask's temporary files hold only output past 1 MiB a stream, uncompressed")
	fs.stringVar(new(string), "compress-program", 0, "CMD", "as --compress")
	fs.alias("compress-program", "use-compress-program", "usecompressprogram", "compressprogram")
	fs.stringVar(new(string), "decompress-program", 0, "CMD", "as --compress")
	fs.alias("decompress-program", "use-decompress-program", "usedecompressprogram", "decompressprogram")
	fs.stringVar(&o.memLimit, "mem-limit", 0, "SIZE", "kill a job whose processes' resident memory passes SIZE")

	fs.group("Pipe mode")
	fs.boolVar(&o.pipe, "pipe", 0, "split stdin into blocks and give each job one on its stdin (-n N: N records per job; -L N: records of N lines)")
	fs.alias("pipe", "spreadstdin")
	fs.boolVar(&o.pipePart, "pipe-part", 0, "as --pipe, for the files of -a and :::: instead of stdin: each job gets a part, spliced from the file (--block -N: N parts per job slot; default -10)")
	fs.alias("pipe-part", "pipepart")
	fs.stringVar(&o.block, "block", 0, "SIZE", "the size of a block (default 1M)")
	fs.alias("block", "block-size", "blocksize")
	fs.stringVar(&o.recEnd, "recend", 0, "STR", "records end with STR (default \\n); blocks end at a record's end")
	fs.stringVar(&o.recStart, "recstart", 0, "STR", "records start with STR")
	fs.stringVar(&o.groupBy, "group-by", 0, "KEY", "cut blocks only where the key of the lines changes: a column's number or (from the header line) name, and/or Perl code run on it ('3', 'name', '2 $_=int($_/10)', 's/-.*//')")
	fs.alias("group-by", "groupby")
	fs.stringVar(&o.shard, "shard", 0, "KEY", "with --pipe: run -j jobs for the whole input, each line going to the job its key's hash picks (KEY as for --group-by; columns at --colsep, a comma by default)")
	fs.stringVar(&o.bin, "bin", 0, "KEY", "as --shard, the key being the number of the job (modulo -j; 0 is the last job)")
	fs.stringVar(&o.blockTimeout, "block-timeout", 0, "DUR", "with --pipe: when a whole block has not come in DUR (at least a second), give a job the records that have")
	fs.alias("block-timeout", "blocktimeout", "bt")
	fs.boolVar(&o.regexp, "regexp", 0, "--recend and --recstart are regular expressions (Go's syntax; ^ and $ match at lines)")
	fs.alias("regexp", "regex")
	fs.boolVar(&o.rrs, "remove-rec-sep", 0, "remove --recend and --recstart from the blocks of --pipe")
	fs.alias("remove-rec-sep", "removerecsep", "rrs")
	fs.boolVar(&o.roundRobin, "round-robin", 0, "with --pipe: start at most -j jobs, and give each block to whichever running job takes it first")
	fs.alias("round-robin", "roundrobin", "round")
	fs.boolVar(&o.tee, "tee", 0, "with --pipe: give all of stdin to every job, one job per value of ::: and ::::, all at once")
	fs.boolVar(&o.fifo, "fifo", 0, "as --cat, with a named pipe the job must read instead of a file")
	fs.boolVar(&o.cat, "cat", 0, "give each job its block in a temporary file, named by {} and $PARALLEL_TMP, instead of on its stdin")

	fs.group("Semaphore (GNU's sem)")
	fs.boolVar(&o.semaphore, "semaphore", 0, "run the command once, in the background, when one of the -j places (default 1) of a semaphore shared by name is free")
	fs.stringVar(&o.semName, "semaphore-name", 0, "NAME", "the semaphore's name (default: the terminal's); implies --semaphore")
	fs.alias("semaphore-name", "semaphorename", "id")
	fs.boolVar(&o.fg, "fg", 0, "with --semaphore: run in the foreground, and exit with the command's status")
	fs.boolVar(&o.bg, "bg", 0, "with --semaphore: run in the background (the default); implies --semaphore")
	fs.boolVar(&o.wait, "wait", 0, "wait until fewer than -j (default 1) commands hold the semaphore; implies --semaphore")
	fs.stringVar(&o.semTimeoutArg, "semaphore-timeout", 0, "DUR", "take the semaphore anyway after DUR; with -DUR, exit 1 then")
	fs.alias("semaphore-timeout", "semaphoretimeout", "st")

	fs.group("Cluster")
	fs.stringVar(&o.cluster, "cluster", 0, "URL", "run the jobs on the workers of the cluster at URL (multitask worker); embedded: a cluster of -j workers here")

	fs.group("Other")
	fs.stringVar(&o.slotVar, "process-slot-var", 0, "VAR", "give the jobs VAR holding their slot number less one (default PARALLEL_JOBSLOT0)")
	fs.alias("process-slot-var", "processslotvar")
	fs.boolVar(&o.showLimits, "show-limits", 0, "print the longest command line the system takes and the longest multitask makes, then run")
	fs.alias("show-limits", "showlimits")
	fs.boolVar(&o.useSockets, "use-sockets-instead-of-threads", 0, "count CPU sockets, not threads, for -j")
	fs.alias("use-sockets-instead-of-threads", "usesocketsinsteadofthreads")
	fs.boolVar(&o.useCores, "use-cores-instead-of-threads", 0, "count CPU cores, not threads, for -j")
	fs.alias("use-cores-instead-of-threads", "usecoresinsteadofthreads")
	fs.boolVar(&o.useCPUs, "use-cpus-instead-of-cores", 0, "accepted from GNU parallel's scripts: it changes nothing here, as in GNU parallel")
	fs.alias("use-cpus-instead-of-cores", "usecpusinsteadofcores")
	fs.boolVar(&o.gnu, "gnu", 0, "accepted from GNU parallel's scripts")
	fs.boolVar(new(bool), "exit", 'x', "accepted from GNU parallel's scripts, which ignores it too (with -s, a line that is too long is an error anyway)")
	fs.boolVar(&o.session, "session", 0, "accepted from GNU parallel's scripts: it matters to env_parallel only")
	fs.boolVar(&o.filterHosts, "filter-hosts", 0, "accepted from GNU parallel's scripts: it drops -S hosts that are down, and multitask has none")
	fs.alias("filter-hosts", "filterhosts")
	fs.stringVar(&o.shellCompletion, "shell-completion", 0, "SHELL", "print the code that makes SHELL (bash, zsh, auto: $SHELL's) complete multitask's options, and exit")
	fs.alias("shell-completion", "shellcompletion")
	fs.boolVar(&o.help, "help", 'h', "show this help")
	fs.boolVar(&o.version, "version", 'V', "show the version")
	fs.stringVar(&o.minVersion, "minversion", 0, "VERSION", "print the GNU parallel version multitask follows; exit 255 if it is older than VERSION")
	fs.boolVar(&o.numCores, "number-of-cores", 0, "print the number of CPU cores and exit")
	fs.alias("number-of-cores", "number-of-cpus")
	fs.boolVar(&o.numThreads, "number-of-threads", 0, "print the number of CPU threads and exit")
	fs.boolVar(&o.numSockets, "number-of-sockets", 0, "print the number of CPU sockets and exit")
	fs.boolVar(&o.maxLineLen, "max-line-length-allowed", 0, "print the longest argument exec takes, as GNU parallel finds it, and exit")
	fs.stringsVar(&o.profiles, "profile", 'J', "NAME", "read options from the profile NAME of GNU parallel's configuration directories ($PARALLEL_HOME, ~/.parallel, ...) instead of its config files")
	fs.boolVar(&o.plain, "plain", 0, "read no profile or config file, and ignore $PARALLEL")
	fs.boolVar(&o.willCite, "will-cite", 0, "accepted from GNU parallel's scripts; multitask prints no notice")
	fs.alias("will-cite", "willcite", "nn", "nonotice", "no-notice", "bibtex")
	return fs
}

// ignoredTransfer names the option GNU parallel would warn of as ignored
// for want of remote hosts, the first in its order of those given; "" if
// none was.
func (o *options) ignoredTransfer() string {
	switch {
	case len(o.trcs) > 0:
		return "--trc"
	case o.transfer:
		return "--transfer"
	case len(o.transferFiles) > 0:
		return "--transferfile"
	case len(o.returns) > 0:
		return "--return"
	case o.cleanup && len(o.templates) == 0:
		return "--cleanup" // with --template, it removes the template's files
	case len(o.basefiles) > 0:
		return "--basefile"
	}
	return ""
}

// retiredFlags declares the options GNU parallel has retired, each taking
// a value as GNU's parser takes it, so that a command line that uses one
// is refused as GNU refuses it (see retiredError); --help leaves them out.
func retiredFlags(fs *flagSet, o *options) {
	anyValue := func(string) error { o.retired = true; return nil }
	wholeNumber := func(v string) error {
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		o.retired = true
		return nil
	}
	// set is nil for an option that takes no value.
	retire := func(long string, short byte, set func(string) error) {
		fs.addHidden(&flag{long: long, short: short, set: set, setBool: func() { o.retired = true }})
	}
	for _, c := range []byte("gTY") {
		retire("", c, nil)
	}
	for _, c := range []byte("BUW") {
		retire("", c, anyValue)
	}
	retire("", 'H', wholeNumber)
	retire("sql", 0, anyValue)
	retire("ctrl-c", 0, nil)
	fs.alias("ctrl-c", "ctrlc")
	retire("no-ctrl-c", 0, nil)
	fs.alias("no-ctrl-c", "no-ctrlc", "noctrlc")
	fs.addHidden(&flag{long: "tollef", setBool: func() { o.tollef = true }})
}

// retiredError is GNU parallel's answer to a retired option: whichever
// was given, it names them all.
type retiredError struct{ tollef bool }

func (e retiredError) Error() string {
	lines := []string{
		"-g has been retired. Use --group.",
		"-B has been retired. Use --bf.",
		"-T has been retired. Use --tty.",
		"-U has been retired. Use --er.",
		"-W has been retired. Use --wd.",
		"-Y has been retired. Use --shebang.",
		"-H has been retired. Use --halt.",
		"--sql has been retired. Use --sqlmaster.",
		"--ctrlc has been retired.",
		"--noctrlc has been retired.",
	}
	if e.tollef {
		lines = []string{"--tollef has been retired.", "Remove --tollef or use --gnu to override --tollef."}
	}
	// run prints an error after "multitask: ": every line gets it, as
	// each of GNU's gets "parallel: Error: ".
	return strings.Join(lines, "\nmultitask: ")
}

// parseOptions parses a command line: options, the command, then sources.
func parseOptions(args []string) (*options, error) {
	o := &options{block: "1M", recEnd: "\\n", replace: "{}", argSep: ":::", fileSep: "::::"}
	fs := newFlagSet(o)
	rest, err := fs.parse(args)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	// As GNU parallel, whatever their order.
	o.keepOrder = o.keepOrder && !o.noKeepOrder
	o.verbose = o.verbose && !o.silent
	// Output modes exclude each other, as GNU parallel checks them.
	for _, both := range [][2]string{{"group", "ungroup"}, {"group", "line-buffer"}, {"ungroup", "line-buffer"}} {
		if fs.changed(both[0]) && fs.changed(both[1]) {
			return nil, fmt.Errorf("%w: --%s cannot be combined with --%s", errUsage, both[0], both[1])
		}
	}
	switch {
	case o.tollef && !o.gnu:
		return nil, retiredError{tollef: true}
	case o.retired:
		return nil, retiredError{}
	}
	if o.tty {
		// --tty runs one job at a time on the terminal, unless told.
		if !fs.changed("jobs") {
			o.jobs = "1"
		}
		if !fs.changed("group") && !fs.changed("line-buffer") {
			o.ungroup = true
		}
	}
	o.delimSet = fs.changed("delimiter")
	o.blockSet = fs.changed("block")
	// --cat and --fifo read stdin in blocks, as GNU parallel makes them.
	o.pipe = o.pipe || o.pipePart || o.cat || o.fifo || o.groupBy != ""
	o.replArgs = fs.changed("max-replace-args")
	o.maxSet = fs.changed("max-args") || o.replArgs
	if err := o.setLines(fs.changed("max-lines"), fs.byShort['L'].changed); err != nil {
		return nil, err
	}
	o.recEndSet, o.recStartSet = fs.changed("recend"), fs.changed("recstart")
	if o.haltOnErr {
		o.halt = "now,fail=1"
	}
	if o.isSemaphore() && !fs.changed("jobs") {
		o.jobs = "1" // GNU's sem runs one command at a time, unless told
	}
	if o.semTimeoutArg != "" {
		d, err := parseDuration(strings.TrimPrefix(o.semTimeoutArg, "-"))
		if err != nil {
			return nil, fmt.Errorf("%w: --semaphore-timeout: %s", errUsage, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		o.semTimeout = d
		if strings.HasPrefix(o.semTimeoutArg, "-") {
			o.semTimeout = -d
		}
	}
	if _, err := strconv.ParseFloat(o.minVersion, 64); o.minVersion != "" && err != nil {
		return nil, fmt.Errorf("%w: --minversion %s: a number is expected", errUsage, o.minVersion)
	}
	if o.argSep == "" || o.fileSep == "" || o.argSep == o.fileSep {
		return nil, fmt.Errorf("%w: --arg-sep and --arg-file-sep must be given, and differ", errUsage)
	}
	i := 0
	for i < len(rest) && !o.isSeparator(rest[i]) {
		i++
	}
	o.command = rest[:i]
	for i < len(rest) {
		sep := rest[i]
		i++
		j := i
		for j < len(rest) && !o.isSeparator(rest[j]) {
			j++
		}
		files := sep == o.fileSep || sep == o.fileSep+"+"
		s := source{values: rest[i:j], files: files, link: sep == o.argSep+"+" || sep == o.fileSep+"+"}
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

// isSeparator reports whether s starts an input source: :::, ::::, or
// those of --arg-sep and --arg-file-sep, with a + to link the source.
func (o *options) isSeparator(s string) bool {
	return s == o.argSep || s == o.argSep+"+" || s == o.fileSep || s == o.fileSep+"+"
}

// fills reports whether commands take as many values as fit (-m, -X,
// --xargs).
func (o *options) fills() bool { return o.multi || o.context || o.xargs }

// setLines reads -L (given with L) and -l or --max-lines (given with l)
// as GNU parallel reads them: N lines (values) per job, unless -n says how
// many values, or with --pipe N lines per record; -l without N, or with 0,
// is 1.
func (o *options) setLines(l, L bool) error {
	if l && !L {
		n, err := strconv.Atoi(o.maxLines)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: --max-lines %s: not a number of lines", errUsage, o.maxLines)
		}
		o.lines = max(n, 1)
	}
	o.linesL = L
	if o.lines < 0 {
		return fmt.Errorf("%w: -L %d: must not be negative", errUsage, o.lines)
	}
	// With --pipe, N is the lines of a record, not the records of a job.
	if o.lines > 0 && !o.maxSet && !o.pipe {
		o.maxArgs, o.maxSet = o.lines, true
	}
	return nil
}

// slots is the number of jobs to run at once, from -j, computed as GNU
// parallel computes it: a share of the cores is rounded up, and a count
// below one is an error. -j FILE, when FILE is not a count, reads the
// count from the file FILE, which may change while jobs run (see
// jobsFileResize).
func (o *options) slots() (int, error) {
	n, err := jobsCount(o.jobs, o.cpus())
	if err == nil {
		return n, nil
	}
	if fi, serr := os.Stat(o.jobs); serr != nil || !fi.Mode().IsRegular() {
		return 0, err
	}
	o.jobsFile = o.jobs
	if n, err = readJobsFile(o.jobs, o.cpus()); err != nil {
		return 0, fmt.Errorf("%w: %w", errUsage, err)
	}
	return n, nil
}

// readJobsFile reads the count of jobs from file, as -j FILE gives it.
func readJobsFile(file string, cpus int) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("-j %s: %w", file, err)
	}
	// As GNU's Perl matches it: a line, with or without its newline.
	count := strings.TrimSuffix(string(b), "\n")
	n, err := jobsCount(count, cpus)
	if err != nil || count == "" {
		return 0, fmt.Errorf("-j %s: the file holds no count of jobs: %q", file, count)
	}
	return n, nil
}

// jobsFileResize is Config.Resize for -j FILE: the count FILE holds once
// it has changed since it was last read, looked at no more than once a
// second, as GNU parallel looks. A count that cannot be read keeps the
// last one, and warns.
func jobsFileResize(file string, cpus int, warn func(string)) func() int {
	var read, looked time.Time
	if fi, err := os.Stat(file); err == nil {
		read = fi.ModTime()
	}
	return func() int {
		if time.Since(looked) < time.Second {
			return 0
		}
		looked = time.Now()
		fi, err := os.Stat(file)
		if err != nil || !fi.ModTime().After(read) {
			return 0
		}
		read = fi.ModTime()
		n, err := readJobsFile(file, cpus)
		if err != nil {
			warn(err.Error() + "; the number of jobs stays as it was.")
			return 0
		}
		return min(n, fileHandleSlots())
	}
}

// cpus is what -j counts as the CPUs: their threads, or with
// --use-sockets-instead-of-threads their sockets, or with
// --use-cores-instead-of-threads their cores, as GNU parallel counts them
// here (--use-cpus-instead-of-cores changes nothing but on remote hosts).
func (o *options) cpus() int {
	sockets, cores, threads := cpuTopology()
	switch {
	case o.useSockets:
		return sockets
	case o.useCores:
		return cores
	}
	return threads
}

// jobsCount reads a count of jobs as -j gives it: N, N% of the cores, +N
// or -N cores, or 0 for as many as possible; cores is the number of CPUs
// (see options.cpus).
func jobsCount(s string, cores int) (int, error) {
	var n float64
	switch {
	case s == "":
		return cores, nil
	case s == "0":
		return 256, nil
	case strings.HasSuffix(s, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || p < 0 {
			return 0, fmt.Errorf("%w: -j %s: not a percentage of the cores", errUsage, s)
		}
		n = math.Ceil(float64(cores) * p / 100)
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-"):
		d, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%w: -j %s: not a number of cores to add", errUsage, s)
		}
		n = float64(cores + d)
	default:
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%w: -j %s: not a number of jobs", errUsage, s)
		}
		n = float64(d)
	}
	if n < 1 {
		return 0, fmt.Errorf("-j %s: cannot run any jobs", s)
	}
	return int(n), nil
}

// fileHandleSlots is how many jobs can run at once within the limit of
// open files, as GNU parallel counts it: four per job, and twenty kept
// for other uses; and never more than a million.
func fileHandleSlots() int {
	const most = 1 << 20
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= 4*most {
		return most
	}
	return max(int(lim.Cur)-20, 4) / 4
}

// loadSpec is what GNU parallel takes for --load: +N or -N cores more or
// fewer than there are, N% of the cores, or a number.
var loadSpec = regexp.MustCompile(`^(?:([+-])(\d+)|(\d+)%|(\d+(?:\.\d+)?))$`)

// parseLoad reads --load as GNU parallel does; the limit is never below
// 0.01.
func parseLoad(s string) (float64, error) {
	m := loadSpec.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%w: --load %s: not a load (N, N%%, +N or -N)", errUsage, s)
	}
	cores := float64(runtime.NumCPU())
	var v float64
	switch {
	case m[1] == "+":
		n, _ := strconv.Atoi(m[2])
		v = cores + float64(n)
	case m[1] == "-":
		n, _ := strconv.Atoi(m[2])
		v = cores - float64(n)
	case m[3] != "":
		p, _ := strconv.Atoi(m[3])
		v = cores * float64(p) / 100
	default:
		v, _ = strconv.ParseFloat(m[4], 64)
	}
	return max(v, 0.01), nil
}

// parseSize reads a size as GNU parallel does: a number with an optional
// unit, where k, m, g, t, p and e are powers of 1000, K, M, G, T, P and E
// powers of 1024, and Ki, mi ... (i in either case) powers of 1024 too. A
// trailing b or B is allowed.
func parseSize(s string) (int64, error) {
	t := strings.TrimRight(s, "bB")
	mult := float64(1)
	if t != "" {
		binary := false
		if last := t[len(t)-1]; last == 'i' || last == 'I' {
			binary, t = true, t[:len(t)-1]
		}
		if t != "" {
			if i := strings.IndexByte("kmgtpe", t[len(t)-1]|0x20); i >= 0 {
				base := 1000.0
				if binary || t[len(t)-1] < 'a' {
					base = 1024
				}
				mult = math.Pow(base, float64(i+1))
				t = t[:len(t)-1]
			} else if binary {
				t = "" // an i without a unit
			}
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
