package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
)

// compatCase is a command line that must give GNU parallel's stdout and
// exit status.
type compatCase struct {
	name  string
	stdin string
	args  []string
	// anyOrder compares stdout's lines as a set: jobs ran in parallel
	// without -k, or in a random order.
	anyOrder bool
	// gnuArgs, when set, is GNU parallel's command line, for an option
	// of multitask's own that must not change what is printed.
	gnuArgs []string
	// gnuUsage: GNU parallel prints its usage on stdout after this error;
	// multitask prints only the error, on stderr. The exit status must
	// agree, and multitask's stdout must be empty.
	gnuUsage bool
	// stdinOut: stdout must also equal stdin (--pipe -k cat).
	stdinOut bool
	// sameStderr: stderr must be GNU's too (it holds no message of the
	// runner's own).
	sameStderr bool
	// sameMessages: stderr must be GNU's, its "parallel: Error: " and
	// "parallel: Warning: " read as multitask's "multitask: " and
	// "multitask: Warning: ".
	sameMessages bool
	// files are more files the case's directory holds, by name.
	files map[string]string
}

// barrier is a job that waits (3 s at most) until n jobs have started,
// then prints its slot: with n slots or more the first n jobs print 1 to
// n, with fewer the slots are reused.
func barrier(n int) string {
	return fmt.Sprintf("mkdir -p s; touch s/{#}; i=0; while [ $(ls s | wc -l) -lt %d ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; echo {%%}", n)
}

// lines is n numbered lines.
func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintln(&b, i)
	}
	return b.String()
}

// raggedLines is n lines of 1 to 3 comma-separated numbers.
func raggedLines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		for j := range i*7%3 + 1 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, i*10+j)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func seqArgs(n int, cmd ...string) []string {
	args := append([]string{}, cmd...)
	args = append(args, ":::")
	for i := 1; i <= n; i++ {
		args = append(args, fmt.Sprint(i))
	}
	return args
}

// fastaText is records that start with a line of >, as FASTA files hold.
const fastaText = ">a\nAC\nGT\n>b\nTT\n>c\nGG\nCC\n>d\nA\n"

var compatCases = []compatCase{
	{name: "values", args: []string{"-k", "echo", ":::", "a", "b", "c"}},
	{name: "stdin lines", stdin: "x\ny\n\nz", args: []string{"-k", "echo", "[{}]"}},
	{name: "crlf and blanks", stdin: "a b\r\n  c  \n", args: []string{"-k", "echo", "[{}]"}},
	{name: "path replacements", args: []string{"-k", "echo", "{}", "{.}", "{/}", "{//}", "{/.}", ":::", "dir/sub/file.tar.gz", "plain", "/abs/x.y", "./rel"}},
	{name: "seq and slot", args: []string{"-k", "-j1", "echo", "{#}", "{%}", "{}", ":::", "a", "b", "c"}},
	{name: "appended", args: []string{"-k", "echo", "pre", ":::", "a", "b"}},
	{name: "cross product", args: []string{"-k", "echo", "{1}-{2}", ":::", "a", "b", ":::", "1", "2", "3"}},
	{name: "positional path", args: []string{"-k", "echo", "{2/}", "{1.}", ":::", "a.x", ":::", "d/e.f"}},
	{name: "link", args: []string{"-k", "--link", "echo", ":::", "a", "b", "c", ":::", "1", "2"}},
	{name: "linked source", args: []string{"-k", "echo", ":::", "a", "b", ":::+", "1", "2", ":::", "x", "y"}},
	{name: "null", stdin: "a b\x00c\nd\x00", args: []string{"-k", "-0", "echo", "[{}]"}},
	{name: "delimiter", stdin: "a,b,c", args: []string{"-k", "-d", ",", "echo", "[{}]"}},
	{name: "max args", args: []string{"-k", "-n2", "echo", ":::", "1", "2", "3", "4", "5"}},
	{name: "max args positional", args: []string{"-k", "-n", "2", "echo", "{2}", "{1}", ":::", "1", "2", "3", "4"}},
	{name: "max args and context", args: []string{"-k", "-n2", "echo", "x{}y", ":::", "a", "b", "c"}},
	{name: "max replace args", args: []string{"-k", "-N2", "echo", "x{}y", "{1}-{2}", ":::", "a", "b", "c"}},
	{name: "replace without a value", args: []string{"-i", "-k", "echo", "<{}>", ":::", "a", "b"}},
	{name: "replace takes the next word", args: []string{"-i", "echo", "{}", ":::", "a"}},
	{name: "replace with a value", args: []string{"-k", "-iXX", "--replace=YY", "echo", "YY", ":::", "a"}},
	{name: "max args spread at the end", args: []string{"-k", "-j2", "-n3", "-X", "echo", "x{}y", ":::", "a", "b", "c", "d", "e", "f"}},
	{name: "max args spread at the end, -m", args: []string{"-k", "-j3", "-n4", "-m", "echo", ":::", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
	{name: "max args not spread with --xargs", args: []string{"-k", "-j2", "-n3", "--xargs", "echo", ":::", "a", "b", "c", "d", "e"}},
	{name: "max lines", stdin: "a\nb\nc\nd\ne\n", args: []string{"-k", "-L2", "echo", "x{}y"}},
	{name: "max lines go on after white space", stdin: "a \nb\n\nc\n \nd\t\ne", args: []string{"-k", "-L1", "echo", "[{}]"}},
	{name: "max lines with -m", stdin: "a \nb\nc\n", args: []string{"-k", "-j2", "-L2", "-m", "echo", "x{}y"}},
	{name: "max lines and max args", stdin: "a\nb\nc\n", args: []string{"-k", "-L1", "-n2", "echo"}},
	{name: "max lines of ::: values", args: []string{"-k", "-L1", "echo", ":::", "a ", "b", "c"}},
	{name: "max lines at the EOF string", stdin: "a \nEND\nb\n", args: []string{"-k", "-E", "END", "-L1", "echo", "[{}]"}},
	{name: "max lines short", stdin: "a \nb\nc\n", args: []string{"-k", "-l", "echo", "x{}y"}},
	{name: "max lines short with a count", stdin: "a\nb\nc\n", args: []string{"-k", "-l2", "echo"}},
	{name: "max lines long", stdin: "a\nb\nc\n", args: []string{"-k", "--max-lines", "echo"}},
	{name: "max replace args zero", args: []string{"-k", "-N0", "echo", "hi", ":::", "a", "b"}},
	{name: "max replace args long", args: []string{"-k", "--max-replace-args", "3", "echo", "[{}]", "{3}", ":::", "a", "b", "c", "d"}},
	{name: "colsep", stdin: "a\tb\nc\td\n", args: []string{"-k", "--colsep", "\t", "echo", "{2}", "{1}"}},
	{name: "colsep regexp", stdin: "a1b22c\n", args: []string{"-k", "--colsep", "[0-9]+", "echo", "{3}{2}{1}"}},
	{name: "header", stdin: "x y\n1 2\n3 4\n", args: []string{"-k", "--header", ":", "--colsep", " ", "echo", "{y}{x}"}},
	{name: "header values", args: []string{"-k", "--header", ":", "echo", "{f}={g}", ":::", "f", "1", "2", ":::", "g", "3"}},
	{name: "quoting", args: []string{"-k", "echo", ":::", "a b", "$HOME", "it's", "*", `a"b`, "a\\b", "-n", "", "tab\there", "ü"}},
	{name: "quoting in a shell line", args: []string{"-k", "echo {} | tr a-z A-Z", ":::", "a b", "c;d"}},
	{name: "quote option", args: []string{"-k", "-q", "printf", "%s|", ":::", "a b"}},
	{name: "no command", args: []string{"-k", ":::", "echo 1", "echo 2; echo 3"}},
	{name: "arg file", args: []string{"-k", "echo", "::::", "args.txt"}},
	{name: "arg files crossed", args: []string{"-k", "echo", "::::", "args.txt", "::::", "more.txt"}},
	{name: "arg file option", args: []string{"-k", "-a", "args.txt", "echo", "[{}]"}},
	{name: "arg sep", args: []string{"-k", "--arg-sep", ",,", "echo", "{1}{2}", ":::", ",,", "a", "b", ",,+", "1", "2"}},
	{name: "arg file sep", stdin: "s\n", args: []string{"-k", "--arg-file-sep", "%%", "--argsep", "+", "echo", "::::", "+", "a", "%%", "-"}},
	{name: "stdin among sources", stdin: "s1\ns2\n", args: []string{"-k", "echo", "::::", "-", ":::", "v1", "v2"}},
	{name: "exit statuses", args: []string{"exit {}", ":::", "0", "1", "2", "0"}, anyOrder: true},
	{name: "more than 100 failed", args: seqArgs(103, "-j8", "exit 1"), anyOrder: true},
	{name: "not found", args: []string{"no-such-command-anywhere", ":::", "1", "2"}, anyOrder: true},
	{name: "killed by a signal", args: []string{"-k", "kill -9 $$", ":::", "1"}},
	{name: "halt now fail", args: []string{"-j1", "--halt", "now,fail=1", "exit {}", ":::", "0", "3", "4"}},
	{name: "halt soon fail=2", args: []string{"-j1", "--halt", "soon,fail=2", "exit {}", ":::", "0", "3", "4", "5", "0"}},
	{name: "halt done=1", args: []string{"-j1", "--halt", "now,done=1", "exit {}", ":::", "7", "4"}},
	{name: "halt success", args: []string{"-j1", "--halt", "now,success=1", "exit {}", ":::", "1", "0", "1"}},
	{name: "halt percent", args: []string{"-j1", "--halt", "now,fail=50%", "exit {}", ":::", "0", "1", "0", "1", "1"}},
	{name: "halt legacy 2", args: []string{"-j1", "--halt", "2", "exit {}", ":::", "0", "6", "4"}},
	{name: "halt signal", args: []string{"-j1", "--halt", "now,fail=1", "kill -9 $$", ":::", "1"}},
	{name: "tag", args: []string{"-k", "--tag", "echo", ":::", "a", "b"}},
	{name: "tag two sources", args: []string{"-k", "--tag", "echo", "x", ":::", "a", ":::", "b", "c"}},
	{name: "tagstring", args: []string{"-k", "--tagstring", "<{}:{#}>", "echo", "x", ":::", "a", "b"}},
	{name: "dry run", args: []string{"--dry-run", "-k", "echo", ":::", "a b", "c"}},
	{name: "verbose", args: []string{"-k", "-v", "echo", ":::", "a", "b c"}},
	{name: "xargs", args: []string{"-k", "-j1", "-m", "echo", ":::", "a", "b", "c"}},
	{name: "xargs context", args: []string{"-k", "-j1", "-X", "echo", "pre{}post", ":::", "a", "b", "c"}},
	{name: "no run if empty", stdin: "a\n\nb\n", args: []string{"-k", "-r", "echo", "[{}]"}},
	{name: "eof string", stdin: "a\nSTOP\nb\n", args: []string{"-k", "-E", "STOP", "echo"}},
	{name: "replace string", args: []string{"-k", "-I", "@@", "echo", "<@@>", ":::", "a"}},
	{name: "environment", args: []string{"-k", "-j1", "echo $PARALLEL_SEQ $PARALLEL_JOBSLOT", ":::", "a", "b"}},
	{name: "retries", args: []string{"-k", "--retries", "3", "echo out; exit 2", ":::", "1"}},
	{name: "timeout", args: []string{"-k", "--timeout", "0.5", "sleep {}; echo {}", ":::", "0.1", "5"}},
	// GNU parallel applies a percentage from the first job that succeeded.
	{name: "timeout percent", args: []string{"-k", "-j1", "--timeout", "200%", "sleep {}; echo {}", ":::", "0.1", "3"}},
	{name: "timeout percent after a failure", args: []string{"-k", "-j1", "--timeout", "200%", "sleep {}; echo {}; [ {} != 0.1 ]", ":::", "0.1", "0.2", "3"}},
	{name: "ungrouped", args: []string{"-k", "-u", "-j1", "echo", ":::", "a", "b"}},
	{name: "line buffer", args: []string{"-k", "--line-buffer", "-j1", "echo", ":::", "a", "b"}},
	{name: "results print nothing", args: []string{"-k", "--results", "res", "echo", ":::", "a"}},

	{name: "GNU's other names", args: []string{"--keeporder", "-P", "1", "--max-procs=1", "--maxprocs", "1", "--line-buffered", "--tag-string", "<{}>", "--maxargs", "1", "--jl", "jl", "--term-seq", "TERM,10", "--willcite", "--nn", "--nonotice", "--no-notice", "echo", ":::", "a", "b"}},
	{name: "GNU's other names 2", stdin: "a,b\n\nc,d\n", args: []string{"--keeporder", "--linebuffer", "--col-sep", ",", "--norunifempty", "--dr", "echo", "{2}", "{1}"}},
	{name: "GNU's other names 3", args: []string{"-k", "--argfile", "args.txt", "--result", "res", "echo"}},
	{name: "GNU's other names 4", args: []string{"-k", "--linebuffered", "--argfile", "args.txt", "echo"}},
	{name: "GNU's other names 5", stdin: lines(10), args: []string{"-k", "--blocksize", "10", "--pipe", "wc", "-l"}},
	{name: "jobs more than the cores", args: []string{"-k", "-j", "+1", barrier(3), ":::", "a", "b", "c"}},
	{name: "jobs as many as possible", args: []string{"-k", "-j", "0", barrier(3), ":::", "a", "b", "c"}},
	{name: "jobs 0 clustered", args: []string{"-kj0", barrier(3), ":::", "a", "b", "c"}},
	// GNU parallel rounds a share of the cores up.
	{name: "jobs a share of the cores", args: []string{"-k", "-j", "75%", barrier(2), ":::", "a", "b"}},
	{name: "jobs a tiny share of the cores", args: []string{"-k", "-j", "0.5%", "echo", ":::", "a", "b"}},
	{name: "jobs no share of the cores", args: []string{"-k", "-j", "0%", "echo", ":::", "a", "b"}},
	{name: "jobs fewer than none", args: []string{"-k", "-j", "-1000", "echo", ":::", "a"}},
	{name: "group after ungroup", args: []string{"-k", "-u", "--group", "echo", ":::", "a"}},
	{name: "group before ungroup", args: []string{"-k", "--group", "-u", "echo", ":::", "a"}},
	{name: "group and line buffer", args: []string{"-k", "--group", "--line-buffer", "echo", ":::", "a"}},
	{name: "ungroup and line buffer", args: []string{"-k", "--lb", "-u", "echo", ":::", "a"}},
	{name: "group twice", args: []string{"-k", "--group", "--group", "echo", ":::", "a"}},
	// With -k, the oldest job prints its lines as they come, and the
	// others hold theirs until it is their turn.
	{name: "line buffer keeps order", args: []string{"-k", "--line-buffer", "sleep {}; echo {}; echo x{}", ":::", "0.5", "0"}},
	{name: "tag line buffer keeps order", args: []string{"-k", "--tag", "--line-buffer", "sleep {}; echo {}; echo x{}", ":::", "0.5", "0"}},
	{name: "verbose line buffer keeps order", args: []string{"-k", "-v", "--lb", "sleep {}; echo {}", ":::", "0.5", "0"}},
	{name: "line buffer keeps order of many", args: seqArgs(9, "-k", "-j3", "--lb", "sleep 0.$(( 9 - {} )); echo {}")},
	{name: "tag line buffer one job", args: []string{"-k", "-j1", "--tag", "--line-buffer", "echo {}; echo x{}", ":::", "a", "b"}},
	{name: "tag ungrouped prints no tag", args: []string{"-k", "-j1", "--tag", "-u", "echo", ":::", "a", "b"}},
	{name: "tagstring seq and slot", args: []string{"-k", "-j1", "--tagstring", "{#}-{%}-{}", "echo", ":::", "a", "b", "c"}},
	{name: "tagstring slot line buffer", args: []string{"-k", "-j1", "--lb", "--tagstring", "{%}", "echo", ":::", "a", "b"}},
	{name: "tagstring seq", args: []string{"-k", "--tagstring", "{#}:{}", "echo", "x", ":::", "a", "b", "c"}},
	{name: "tagstring without replacement", args: []string{"-k", "--tagstring", "const", "echo", ":::", "x", "y"}},
	{name: "tagstring values as they are", args: []string{"-k", "--tagstring", "T {} {#}", "echo", ":::", "a b", "c'd", "$HOME"}},
	// -t and --verbose print the command line on stderr as the job
	// starts; -v prints it on stdout with the job's output.
	{name: "trace", args: []string{"-k", "-j1", "-t", "echo", ":::", "a", "b c"}, sameStderr: true},
	{name: "trace long", args: []string{"-k", "-j1", "--verbose", "echo", ":::", "a"}, sameStderr: true},
	{name: "trace and verbose", args: []string{"-k", "-j1", "-v", "-t", "echo", ":::", "a"}, sameStderr: true},
	{name: "trace dry run", args: []string{"-k", "-t", "--dry-run", "echo", ":::", "a", "b"}, sameStderr: true},
	{name: "trace ungrouped", args: []string{"-k", "-j1", "-t", "-u", "echo", ":::", "a"}, sameStderr: true},
	{name: "verbose dry run", args: []string{"-k", "-v", "--dry-run", "echo", ":::", "a", "b c"}},
	{name: "verbose twice", args: []string{"-k", "-vv", "echo", ":::", "a"}},
	{name: "no args", args: []string{"-k", "-n", "0", "echo", "x", ":::", "a", "b", "c"}},
	{name: "no args replaced", args: []string{"-k", "-n0", "echo", "x{}y", ":::", "a", "b"}},
	{name: "no args from stdin", stdin: "a\nb\n", args: []string{"-k", "-n0", "echo", "x"}},
	// --xargs fills each command line; -m spreads the values over the
	// slots when they all fit.
	{name: "xargs long", args: seqArgs(11, "-k", "-j3", "--xargs", "echo")},
	{name: "xargs over the slots", args: seqArgs(11, "-k", "-j3", "-m", "echo", "pre")},
	{name: "xargs default slots", args: seqArgs(11, "-k", "-m", "echo")},
	{name: "xargs context over the slots", args: seqArgs(7, "-k", "-j2", "-X", "echo", "<{}>")},
	// Command lines are filled to GNU parallel's length, and one longer
	// than it stops the run.
	{name: "xargs fills lines", stdin: lines(60000), args: []string{"-k", "--dry-run", "-m", "echo"}},
	{name: "xargs fills lines in context", stdin: lines(30000), args: []string{"-k", "--dry-run", "-j3", "-X", "echo", "pre{}post"}},
	{name: "xargs fills quoted lines", stdin: strings.Repeat("a b'c\n", 20000), args: []string{"-k", "--dry-run", "--xargs", "echo", "{}", "{.}"}},
	{name: "xargs fills lines with -q", stdin: strings.Repeat("a b'c\n", 20000), args: []string{"-k", "--dry-run", "-q", "-X", "echo", "<{}>"}},
	// Values that {1} names count, though the line shows only the first
	// record's; with -X, the text around a run counts once per value of
	// every input source, and a tab in it as text outside it.
	{name: "xargs fills lines by positional values", stdin: lines(30000), args: []string{"-k", "--dry-run", "-X", "echo", "a{1}b"}},
	{name: "xargs fills lines of two sources in context", stdin: lines(30000), args: []string{"-k", "--dry-run", "-X", "echo", "a{1}b", "{2}", "::::", "-", ":::", "x", "yy"}},
	{name: "xargs fills lines of two sources", stdin: lines(30000), args: []string{"-k", "--dry-run", "-m", "echo", "{}", "c{1}", "::::", "-", ":::", "x", "yy"}},
	{name: "xargs fills lines with a value and a positional", stdin: lines(30000), args: []string{"-k", "--dry-run", "-X", "echo", "{}", "x{1}"}},
	{name: "xargs fills lines with a tab in context", stdin: lines(30000), args: []string{"-k", "--dry-run", "-X", "echo", "a{}b\tc{}"}},
	// Records of --colsep that differ in width count as wide as a line's
	// first.
	{name: "xargs fills lines of ragged records", stdin: raggedLines(30000), args: []string{"-k", "--dry-run", "--colsep", ",", "-X", "echo", "x{}y", "{2}"}},
	{name: "xargs fills lines of ragged records with -m", stdin: raggedLines(30000), args: []string{"-k", "--dry-run", "--colsep", ",", "-m", "echo"}},
	// {#} counts as the job's own number; the replacement strings of
	// --tagstring, --tag and --bar count too, and beside a command
	// without any, {} twice.
	{name: "xargs fills lines by the job's number", stdin: lines(5000), args: []string{"-k", "--dry-run", "-s", "2000", "-X", "echo", "{#}x{}"}},
	{name: "xargs fills lines with a tag", stdin: lines(5000), args: []string{"-k", "--dry-run", "-s", "2000", "-X", "--tag", "echo", "{.}"}},
	{name: "xargs fills lines with a tag and no replacement string", stdin: lines(5000), args: []string{"-k", "--dry-run", "-s", "2000", "-m", "--tag", "echo"}},
	{name: "xargs fills lines with a tagstring", stdin: lines(5000), args: []string{"-k", "--dry-run", "-s", "2000", "-X", "--tagstring", "<{#}{1}>", "echo", "{}"}},
	{name: "xargs fills lines with a bar", stdin: lines(5000), args: []string{"-k", "--dry-run", "-s", "2000", "-X", "--bar", "echo", "{/}"}},
	{name: "dry run with tags", args: []string{"-k", "--dry-run", "-j1", "--tagstring", "<{}:{#}:{%}>", "echo", ":::", "a", "b", "c"}},
	{name: "command line too long with -q", args: []string{"-k", "--dry-run", "-q", "echo", ":::", strings.Repeat("x", 21217)}},
	{name: "command line just short enough with -q", args: []string{"-k", "--dry-run", "-q", "echo", ":::", strings.Repeat("x", 21216)}},
	{name: "command line too long", args: []string{"-k", "--dry-run", "echo", ":::", strings.Repeat("x", 63659)}},
	{name: "command line just short enough", args: []string{"-k", "--dry-run", "echo", ":::", strings.Repeat("x", 63658)}},
	{name: "max chars", stdin: lines(300), args: []string{"-k", "--dry-run", "-s", "60", "-X", "echo"}},
	{name: "max chars with a prefix", stdin: lines(300), args: []string{"-k", "--dry-run", "-s", "1k", "-m", "echo"}},
	{name: "max chars above the limit", stdin: lines(30), args: []string{"-k", "-s", "100000", "echo"}},
	{name: "max chars 0", stdin: lines(30), args: []string{"-k", "-s", "0", "-m", "echo"}},
	{name: "max chars too short", stdin: lines(30), args: []string{"-k", "--max-chars=6", "echo"}},
	{name: "header path modifiers", stdin: "name\tfile\nx\td/e.tar.gz\ny\tf.c\n",
		args: []string{"-k", "--colsep", "\t", "--header", ":", "echo", "{file.}", "{file/}", "{name}", "{file//}", "{file/.}"}},
	{name: "tab delimiter", stdin: "a b\tc\td\n", args: []string{"-k", "-d", "\\t", "echo", "[{}]"}},
	{name: "null pairs", stdin: "a\x00b c\x00d\x00e\x00f", args: []string{"-k", "-0", "-n2", "echo", "[{1}]", "[{2}]"}},
	{name: "null pairs appended", stdin: "a\x00b c\x00d\x00e\x00f", args: []string{"-k", "-0", "-n2", "echo"}},
	{name: "trim none", args: []string{"-k", "--trim", "n", "echo", "[{}]", ":::", "  a  ", " b", "c "}},
	{name: "trim left", args: []string{"-k", "--trim", "l", "echo", "[{}]", ":::", "  a  ", " b", "c "}},
	{name: "trim right", args: []string{"-k", "--trim", "r", "echo", "[{}]", ":::", "  a  ", " b", "c "}},
	{name: "trim both", args: []string{"-k", "--trim", "lr", "echo", "[{}]", ":::", "  a  ", " b", "c "}},
	{name: "trim both rl", args: []string{"-k", "--trim", "rl", "echo", "[{}]", ":::", "  a  ", " b", "c "}},
	{name: "trim columns", stdin: " a , b ,c\n", args: []string{"-k", "--trim", "lr", "--colsep", ",", "echo", "[{1}]", "[{2}]", "[{3}]"}},
	{name: "trim bad", args: []string{"-k", "--trim", "x", "echo", ":::", "a"}},
	{name: "shuffled", args: seqArgs(20, "--shuf", "echo"), anyOrder: true},
	{name: "shuffled numbers", args: seqArgs(20, "--shuf", "-k", "echo", "{#}"), anyOrder: true},
	{name: "shuffled cross product", args: []string{"--shuf", "echo", "{1}{2}", ":::", "a", "b", ":::", "1", "2"}, anyOrder: true},
	// The job traps the first signal and goes on; the second ends it.
	{name: "termseq", args: []string{"-k", "--timeout", "0.3", "--termseq", "USR1,200,TERM,200,KILL,25",
		"trap 'echo usr1' USR1; trap 'echo term; exit 3' TERM; sleep 3 & wait; sleep 3 & wait; echo after", ":::", "1"}},
	{name: "termseq int", args: []string{"-k", "--timeout", "0.3", "--termseq", "INT,300,KILL,25", "trap 'echo int' INT; sleep 3 & wait; echo after", ":::", "1"}},
	{name: "retries until one succeeds", args: []string{"-k", "--retries", "3", "if [ -e {}.tried ]; then echo ok {}; else touch {}.tried; echo fail {}; exit 1; fi", ":::", "a", "b"}},
	// --retry-delay is multitask's own (GNU parallel 20221122 has no
	// such option): it only waits, and prints what --retries prints.
	{name: "retry delay", args: []string{"-k", "--retries", "3", "--retry-delay", "0.05", "echo {}; exit 1", ":::", "a", "b"},
		gnuArgs: []string{"-k", "--retries", "3", "echo {}; exit 1", ":::", "a", "b"}},
	// GNU parallel fixes a halt's exit status when the halt triggers:
	// the job still running fails too, and does not count.
	{name: "halt soon done=2", args: []string{"-k", "-j2", "--halt", "soon,done=2", "sleep {1}; echo {2}; exit {2}", ":::", "0", "1.5", "2", "0", ":::+", "1", "3", "4", "5"}},
	// A percentage halt that never triggers exits with the percentage of
	// the started jobs that failed.
	{name: "halt success percent not reached", args: []string{"-k", "-j1", "--halt", "now,success=50%", "echo {}; exit {}", ":::", "1", "0", "2", "0", "3", "4"}},
	{name: "halt soon success percent not reached", args: []string{"-k", "-j1", "--halt", "soon,success=50%", "echo {}; exit {}", ":::", "1", "0", "2", "0", "3", "4"}},
	{name: "halt fail percent not reached", args: []string{"-k", "-j1", "--halt", "now,fail=50%", "echo {}; exit {}", ":::", "0", "1", "0", "0"}},
	// 28% of 25 jobs is a little more than 7 in floating point: 7
	// failures do not trigger the halt, and they are 29% rounded up.
	{name: "halt percent in floating point", args: seqArgs(25, "-j8", "--halt", "soon,fail=28%", "[ {} -gt 7 ]")},
	{name: "halt percent short", args: []string{"-k", "-j1", "--halt", "50%", "echo {}; exit {}", ":::", "0", "1", "1", "0"}},
	// A timed-out job's exit status is -1: exit 255.
	{name: "halt on a timeout", args: []string{"-k", "-j1", "--halt", "now,fail=1", "--timeout", "0.3", "sleep {}", ":::", "2", "1"}},
	{name: "halt soon done=2 one at a time", args: []string{"-k", "-j1", "--halt", "soon,done=2", "echo {}; exit {}", ":::", "0", "3", "4", "5"}},
	// -e is multitask's short form of --halt now,fail=1. GNU parallel
	// 20221122 reads -e as --eof with an optional value, which scripts
	// written for it hardly use; the two are not compatible.
	{name: "halt on the first failure", args: []string{"-k", "-j1", "-e", "echo {}; exit {}", ":::", "0", "3", "4"},
		gnuArgs: []string{"-k", "-j1", "--halt", "now,fail=1", "echo {}; exit {}", ":::", "0", "3", "4"}},
	{name: "delay", args: []string{"-k", "--delay", "0.1", "echo", ":::", "a", "b", "c"}},
	{name: "delay with a unit", args: []string{"-k", "--delay", "0.1s", "echo", ":::", "a", "b"}},
	{name: "memfree", args: []string{"-k", "--memfree", "1k", "echo", ":::", "a", "b", "c"}},
	{name: "load", args: []string{"-k", "--load", "100", "echo", ":::", "a", "b", "c"}},
	{name: "load a share of the cores", args: []string{"-k", "--load", "10000%", "echo", ":::", "a", "b"}},
	{name: "load more than the cores", args: []string{"-k", "--load", "+100", "echo", ":::", "a", "b"}},
	{name: "load not a number", args: []string{"-k", "--load", "x", "echo", ":::", "a"}, gnuUsage: true},
	{name: "pipe keeps order", stdin: lines(500), args: []string{"-k", "--pipe", "--block", "500", "cat"}, stdinOut: true},
	{name: "pipe seq", stdin: lines(500), args: []string{"-k", "--pipe", "--block", "500", "echo {#}; wc -l"}},
	{name: "pipe counts", stdin: lines(500), args: []string{"--pipe", "--block", "300", "wc", "-l"}, anyOrder: true},
	// GNU parallel's k is 1000, its K 1024.
	{name: "pipe decimal block size", stdin: lines(500), args: []string{"-k", "--pipe", "--block", "1k", "wc", "-c"}},
	{name: "pipe binary block size ki", stdin: lines(500), args: []string{"-k", "--pipe", "--block", "1ki", "wc", "-c"}},
	{name: "pipe binary block size", stdin: lines(500), args: []string{"-k", "--pipe", "--block", "1K", "wc", "-c"}},
	{name: "pipe recstart", stdin: "a1\nb\nSTARTa2\nc\nSTARTa3\nd\n", args: []string{"-k", "--pipe", "--block", "5", "--recstart", "START", "echo [; cat; echo ]"}},
	{name: "pipe tab recend", stdin: "a\tb\tc\t", args: []string{"-k", "--pipe", "--block", "2", "--recend", "\\t", "echo [; cat; echo ]"}},
	{name: "pipe record longer than a block", stdin: "aaaaaaaaaa\nb\nc\n", args: []string{"-k", "--pipe", "--block", "3", "echo [; cat; echo ]"}},
	// GNU parallel reads up to the next multiple of --block, cuts after
	// the last record end, and grows the block by 30% when no record
	// ended in it: the blocks it gives are those.
	{name: "pipe recend", stdin: "r1;r2;r3;r4;r5;", args: []string{"-k", "--pipe", "--block", "5", "--recend", ";", "echo [; cat; echo ]"}},
	{name: "pipe recend and recstart", stdin: "x;Ya;Yb;c;Yd;", args: []string{"-k", "--pipe", "--block", "4", "--recend", ";", "--recstart", "Y", "echo [; cat; echo ]"}},
	{name: "pipe recstart alone", stdin: "xSTARTa\nSTARTb STARTc\n", args: []string{"-k", "--pipe", "--block", "4", "--recstart", "START", "echo [; cat; echo ]"}},
	{name: "pipe empty recend", stdin: "abcdefgh", args: []string{"-k", "--pipe", "--block", "3", "--recend", "", "echo [; cat; echo ]"}},
	{name: "pipe block grows", stdin: "aaaaaaaa\nb\nc\nd\ne\nf\n", args: []string{"-k", "--pipe", "--block", "3", "echo [; cat; echo ]"}},
	{name: "pipe verbose", stdin: "a\nb\nc\nd\n", args: []string{"-k", "--pipe", "--block", "3", "-v", "cat"}},
	// -n gives each job that many records.
	{name: "pipe records", stdin: "a\nb\nc\nd\ne\n", args: []string{"-k", "--pipe", "-n2", "echo [; cat; echo ]"}},
	{name: "pipe records in small blocks", stdin: lines(30), args: []string{"-k", "--pipe", "--block", "4", "-n", "7", "wc", "-l"}},
	// A record start at the very beginning does not count.
	{name: "pipe records by start", stdin: ">a\n>b\n>c\n", args: []string{"-k", "--pipe", "--recstart", ">", "-n1", "echo [; cat; echo ]"}},
	// -N is -n; -L and -l make a record of that many lines, whatever
	// --recend says, and -n or -N then count such records.
	{name: "pipe -N", stdin: lines(30), args: []string{"-k", "--pipe", "-N7", "echo [; cat; echo ]"}},
	{name: "pipe lines per record", stdin: lines(30), args: []string{"-k", "--pipe", "-L3", "--block", "20", "echo [; cat; echo ]"}},
	{name: "pipe lines per record, end", stdin: "a\nb\nc\nd\ne", args: []string{"-k", "--pipe", "-L2", "echo [; cat; echo ]"}},
	{name: "pipe records of lines", stdin: lines(30), args: []string{"-k", "--pipe", "-L2", "-N3", "echo [; cat; echo ]"}},
	{name: "pipe max-lines", stdin: lines(30), args: []string{"-k", "--pipe", "--max-lines=4", "--block", "30", "wc", "-l"}},
	{name: "pipe -l", stdin: lines(30), args: []string{"-k", "--pipe", "-l", "--block", "30", "wc", "-l"}},
	{name: "pipe lines ignore recend", stdin: "a;b\nc;d\ne;f\ng\n", args: []string{"-k", "--pipe", "-L2", "--recend", ";", "--block", "5", "echo [; cat; echo ]"}},
	{name: "pipe records of lines by recend", stdin: "a;b;c;d;e;f;g;", args: []string{"-k", "--pipe", "-L2", "-n1", "--recend", ";", "echo [; cat; echo ]"}},
	{name: "pipe lines with a header", stdin: "H\n" + lines(9), args: []string{"-k", "--pipe", "--header", ":", "-L2", "--block", "6", "echo [; cat; echo ]"}},
	// --cat gives each job its block in a file, {} being $PARALLEL_TMP.
	{name: "pipe cat", stdin: lines(30), args: []string{"-k", "--pipe", "--cat", "--block", "20", "wc -l < {}"}},
	{name: "pipe cat verbose", stdin: lines(5), args: []string{"-k", "--pipe", "--cat", "--block", "3", "-v", "cat"}},
	{name: "pipe cat, stdin empty", stdin: lines(5), args: []string{"-k", "--pipe", "--cat", "--block", "3", "cat {} > /dev/null; cat | wc -c"}},
	{name: "pipe cat dry run", stdin: lines(5), args: []string{"-k", "--pipe", "--cat", "--dry-run", "wc", "{}"}},
	{name: "pipe part cat", args: []string{"-k", "--pipe-part", "--cat", "-a", "parts.txt", "--block", "500", "wc -c < {}"}},
	{name: "cat implies pipe", stdin: lines(5), args: []string{"-k", "--cat", "--block", "3", "wc -l < {}"}},
	{name: "pipe fifo", stdin: lines(30), args: []string{"-k", "--pipe", "--fifo", "--block", "20", "wc -l < {}; echo {#}"}},
	{name: "fifo implies pipe", stdin: lines(5), args: []string{"-k", "--fifo", "-N2", "cat {} | tr 1-5 a-e"}},
	{name: "pipe fifo exit", stdin: lines(5), args: []string{"-k", "--pipe", "--fifo", "-N2", "cat {} > /dev/null; exit 3"}},
	{name: "pipe fifo dry run", stdin: lines(5), args: []string{"-k", "--pipe", "--fifo", "--dry-run", "wc", "{}"}},
	{name: "pipe part fifo", args: []string{"-k", "--pipe-part", "--fifo", "-a", "parts.txt", "--block", "500", "wc -c < {}"}},
	{name: "pipe rrs", stdin: "a,b,c,d,", args: []string{"-k", "--pipe", "--recend", ",", "--rrs", "-N2", "cat; echo"}},
	{name: "pipe rrs newlines", stdin: lines(3), args: []string{"-k", "--pipe", "--rrs", "-N2", "cat; echo -"}},
	{name: "pipe rrs recstart", stdin: ">a\nx\n>b\ny\n", args: []string{"-k", "--pipe", "--recstart", ">", "--rrs", "-N1", "cat; echo -"}},
	{name: "pipe rrs before a newline", stdin: "ax\nbx", args: []string{"-k", "--pipe", "--recend", "x", "--rrs", "cat; echo -"}},
	{name: "pipe rrs header", stdin: "h\na,b,", args: []string{"-k", "--pipe", "--header", ":", "--recend", ",", "--rrs", "-N1", "cat; echo -"}},
	{name: "pipe rrs empty block", stdin: "aXXXXbXXXX", args: []string{"-k", "--pipe", "--recend", "XX", "--rrs", "-N1", "--joblog", "log", "echo {#}; cat; echo"}},
	{name: "pipe rrs empty block header", stdin: "HXXaXXXX", args: []string{"-k", "--pipe", "--recend", "XX", "--header", "1", "--rrs", "-N1", "echo {#}; cat; echo"}},
	{name: "pipe part rrs", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--rrs", "--block", "500", "wc -c"}},

	// --group-by: blocks of whole groups of lines.
	{name: "group by column", stdin: "1\tx\n2\tx\n3\ty\n4\tx\n", args: []string{"-k", "--pipe", "--group-by", "2", "-N1", "cat; echo -"}},
	{name: "group by two groups", stdin: "1\tx\n2\tx\n3\ty\n4\tx\n", args: []string{"-k", "--pipe", "--group-by", "2", "-N2", "cat; echo -"}},
	{name: "group by name", stdin: "a\tb\tc\n1\tx\t5\n2\tx\t6\n3\ty\t7\n", args: []string{"-k", "--group-by", "b", "-N1", "cat; echo -"}},
	{name: "group by last name", stdin: "a\tb\n1\tx\n", args: []string{"-k", "--group-by", "b", "-N1", "cat; echo -"}},
	{name: "group by perl", stdin: "10\n11\n20\n21\n", args: []string{"-k", "--pipe", "--group-by", "s/.$//", "-N1", "cat; echo -"}},
	{name: "group by column and perl", stdin: "1,10\n2,11\n3,20\n", args: []string{"-k", "--pipe", "--colsep", ",", "--group-by", "2 $_=int($_/10)", "-N1", "cat; echo -"}},
	{name: "group by no last newline", stdin: "1\tx\n2\tx", args: []string{"-k", "--pipe", "--group-by", "2", "-N1", "cat; echo -"}},
	{name: "group by negative", stdin: "1\tx\n2\ty\n", args: []string{"-k", "--pipe", "--group-by", "-1", "-N1", "cat; echo -"}},
	{name: "group by blocks", stdin: lines(40), args: []string{"-k", "--pipe", "--group-by", "s/.$//", "--block", "20", "cat | wc -l"}},
	{name: "group by rrs", stdin: "a\n", args: []string{"-k", "--pipe", "--group-by", "1", "--rrs", "cat"}},
	{name: "group by recend", stdin: "a\n", args: []string{"-k", "--pipe", "--group-by", "1", "--recend", ",", "cat"}},

	// --bin: lines spread over -j jobs by the number of their key.
	{name: "bin", stdin: "1\n-1\n2.7\nx\n 5\n1e1\n", args: []string{"-k", "--pipe", "--bin", "1", "-j3", "cat | paste -sd:"}},
	{name: "bin column", stdin: "a,1\nb,2\nc,3\n", args: []string{"-k", "--pipe", "--bin", "2", "--colsep", ",", "-j2", "cat | paste -sd:"}},
	{name: "bin perl", stdin: "a,1\nb,2\nc,3\n", args: []string{"-k", "--pipe", "--bin", "2 $_*=3; $_+=1", "--colsep", ",", "-j2", "cat | paste -sd:"}},
	{name: "bin name", stdin: "x,y,z\na,1,q\nb,2,q\nc,3,q\n", args: []string{"-k", "--pipe", "--bin", "y", "--colsep", ",", "-j2", "cat | paste -sd:"}},
	{name: "bin name without colsep", stdin: "x,y\na,1\n", args: []string{"-k", "--pipe", "--bin", "y", "-j2", "echo {#} {%}; cat"}},
	{name: "bin dry run", stdin: lines(6), args: []string{"-k", "--pipe", "--bin", "1", "-j2", "--dry-run", "cat"}},
	{name: "bin job stops reading", stdin: lines(10), args: []string{"-k", "--pipe", "--bin", "1", "-j2", "head -1"}},
	{name: "show limits", args: []string{"-k", "--show-limits", "echo", ":::", "a"}},
	{name: "show limits of -s", args: []string{"-k", "-s", "1000", "--show-limits", "echo", ":::", "a"}},
	{name: "limit", args: []string{"-k", "--limit", "exit 0", "echo", ":::", "a", "b"}},
	{name: "limit waits", args: []string{"-k", "-j1", "--limit", "n=$(cat c 2>/dev/null || echo 0); echo $((n+1)) > c; [ $n -ge 3 ]", "echo {}", ":::", "a", "b"}},
	{name: "limit mem", args: []string{"-k", "--limit", "mem 1k", "echo", ":::", "a"}},
	{name: "limit load", args: []string{"-k", "--limit", "load 100", "echo", ":::", "a"}},
	// barrier(2) prints 1 and 1 with one slot, 1 and 2 with more.
	{name: "use sockets", args: []string{"-k", "--use-sockets-instead-of-threads", barrier(2), ":::", "a", "b"}},
	{name: "use sockets percent", args: []string{"-k", "--use-sockets-instead-of-threads", "-j", "200%", barrier(2), ":::", "a", "b"}},
	{name: "use cores", args: []string{"-k", "--use-cores-instead-of-threads", "-j", "+0", barrier(2), ":::", "a", "b"}},
	{name: "use cpus", args: []string{"-k", "--use-cpus-instead-of-cores", "--number-of-cores"}},
	{name: "session and filter hosts", args: []string{"-k", "--session", "--filter-hosts", "--filterhosts", "echo", ":::", "a", "b"}},

	// Options for remote hosts, which GNU ignores without -S hosts: the
	// file transfers with a warning (one, in GNU's order), the others
	// without.
	{name: "trc ignored", args: []string{"-k", "--trc", "{}.out", "--tf", "x", "echo", ":::", "a", "b"}, sameMessages: true},
	{name: "transfer ignored", args: []string{"-k", "--transfer", "--return", "x", "echo", ":::", "a"}, sameMessages: true},
	{name: "transferfile ignored", args: []string{"-k", "--transferfile", "x", "--basefile", "y", "echo", ":::", "a"}, sameMessages: true},
	{name: "return ignored", args: []string{"-k", "--return", "x", "--cleanup", "echo", ":::", "a"}, sameMessages: true},
	{name: "cleanup ignored", args: []string{"-k", "--cleanup", "--bf", "y", "echo", ":::", "a"}, sameMessages: true},
	{name: "basefile ignored", args: []string{"-k", "--basefile", "y", "echo", ":::", "a"}, sameMessages: true},
	{name: "basefile ignored with template cleanup", args: []string{"-k", "--cleanup", "--bf", "y", "--tmpl", "my.tmpl=t.out", "cat t.out", ":::", "a"}, sameMessages: true},
	{name: "ssh options ignored", args: []string{"-k", "--ssh", "ssh -x", "--ssh-delay", "0.1", "--sshdelay", "1", "-M", "--controlmaster", "--rsync-opts", "-v", "echo", ":::", "a"}, sameMessages: true},
	{name: "exit accepted", args: []string{"-k", "-x", "--exit", "-s", "20", "-m", "echo", ":::", "aaaa", "bbbb", "cccc", "dddd"}, sameMessages: true},
	{name: "compress programs", args: []string{"-k", "--compress-program", "gzip", "--use-decompress-program", "zcat", "echo", ":::", "a", "b"}, sameMessages: true},

	// Retired options: GNU names them all, whichever was given, and exits
	// 255; -H takes a number, -B, -U, -W and --sql a value, as before.
	{name: "retired g", args: []string{"-g", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired in a cluster", args: []string{"-kT", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired B", args: []string{"-B", "x", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired U value", args: []string{"-Ux", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired W", args: []string{"-W", "x", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired Y", args: []string{"-Y", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired H", args: []string{"-H", "2", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired H not a number", args: []string{"-H", "echo", ":::", "a"}, gnuUsage: true},
	{name: "retired sql", args: []string{"--sql", "x", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired ctrl-c", args: []string{"--ctrl-c", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired no-ctrl-c", args: []string{"--noctrlc", "echo", ":::", "a"}, sameMessages: true},
	{name: "retired tollef", args: []string{"--tollef", "echo", ":::", "a"}, sameMessages: true},
	{name: "tollef with gnu", args: []string{"-k", "--tollef", "--gnu", "echo", ":::", "a"}, sameMessages: true},

	// --template: a file written for each job.
	{name: "template", args: []string{"-k", "-j1", "--template", "my.tmpl=t_{#}.out", "--colsep", ",", "--header", ":", "cat t_{#}.out; ls t_*", ":::", "x,y", "a,b", "c,d"}},
	{name: "template cleanup", args: []string{"-k", "-j1", "--tmpl", "my.tmpl=t_{#}.out", "--cleanup", "--colsep", ",", "--header", ":", "cat t_{#}.out; ls t_*", ":::", "x,y", "a,b", "c,d"}},
	{name: "template in a dry run", args: []string{"-k", "--template", "my.tmpl={}.out", "--dry-run", "cat {}.out", ":::", "a"}},
	{name: "template missing", args: []string{"-k", "--template", "nosuch=x", "echo", ":::", "a"}},

	// The text of other options repeats around each value as the
	// command's does.
	{name: "tagstring with -X", args: []string{"-k", "-X", "-j1", "--tagstring", "T{}", "echo", ":::", "a", "b"}},
	{name: "tagstring with -N", args: []string{"-k", "-N2", "--tagstring", "T{} {#}", "echo", ":::", "a", "b"}},
	{name: "tagstring with -m", args: []string{"-k", "-m", "-j1", "--tagstring", "T{}", "echo", ":::", "a", "b"}},
	{name: "tag with -X", args: []string{"-k", "-X", "-j1", "--tag", "echo", ":::", "a", "b"}},
	{name: "template with -N", args: []string{"-k", "-N2", "--template", "my.tmpl=t_{#}.out", "--colsep", ",", "--header", ":", "cat t_*.out; ls t_*", ":::", "x,y", "a,b", "c,d"}},
	// -r drops blank lines, and --header gives every job the header.
	{name: "pipe skips blank lines", stdin: "a\n\n\nb\n \t\nc\n\n", args: []string{"-k", "--pipe", "-r", "--block", "3", "echo [; cat; echo ]"}},
	{name: "pipe header", stdin: "H\na\nb\nc\n", args: []string{"-k", "--pipe", "--header", ":", "--block", "2", "echo [; cat; echo ]"}},
	{name: "pipe header lines", stdin: "H1\nH2\na\nb\nc\n", args: []string{"-k", "--pipe", "--header", "2", "--block", "3", "echo [; cat; echo ]"}},
	{name: "pipe header regexp", stdin: "#h\nx\n#h\ny\n", args: []string{"-k", "--pipe", "--header", "#.*\\n", "--block", "3", "echo [; cat; echo ]"}},
	{name: "pipe counts small blocks", stdin: lines(40), args: []string{"--pipe", "--block", "7", "wc", "-l"}, anyOrder: true},
	{name: "joblog on stdout of a dry run", args: []string{"-k", "--dry-run", "--joblog", "-", "echo", ":::", "a"}},
	{name: "unknown option", args: []string{"--no-such-option", "echo", ":::", "a"}, gnuUsage: true},
	{name: "pipe part", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--block", "500", "wc", "-c"}},
	{name: "pipe part by default", args: []string{"-k", "-j3", "--pipepart", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part per slot", args: []string{"-k", "-j2", "--pipe-part", "--block", "-3", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part with a header", args: []string{"-k", "--pipe-part", "--header", ":", "--block", "700", "-a", "parts.txt", "head", "-n", "2"}},
	{name: "pipe part records", args: []string{"-k", "--pipe-part", "--recend", "7", "--recstart", "x", "--block", "400", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part no records", args: []string{"-k", "--pipe-part", "--recend", "", "--block", "999", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part files", args: []string{"-k", "--pipe-part", "--block", "2k", "-a", "parts.txt", "-a", "args.txt", "wc", "-c"}},
	{name: "pipe part file source", args: []string{"-k", "--pipe-part", "--block", "3k", "wc", "-c", "::::", "parts.txt"}},
	{name: "pipe part missing file", args: []string{"--pipe-part", "-a", "no-such-file", "wc", "-c"}},
	{name: "pipe part dry run", args: []string{"-k", "--dry-run", "--pipe-part", "--block", "3k", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part without files", stdin: "a\nb\n", args: []string{"--pipe-part", "wc", "-c"}},
	{name: "pipe part with -L", args: []string{"--pipe-part", "-L2", "-a", "parts.txt", "wc", "-c"}},
	{name: "pipe part with -N", args: []string{"--pipe-part", "-N2", "-a", "parts.txt", "wc", "-c"}},
	{name: "jobs from a file", args: []string{"-k", "-j", "procs.txt", "echo", "{%}", ":::", "a", "b", "c"}},
	{name: "jobs from a file without a count", args: []string{"-j", "noprocs.txt", "echo", ":::", "a"}, gnuUsage: true},
	{name: "abbreviated options", args: []string{"--keep", "--tagstr", "<{}>", "--jobs", "1", "--verb", "echo", ":::", "a", "b"}},
	{name: "abbreviated options 2", args: []string{"--keep-o", "--dry", "--max-a", "2", "echo", ":::", "a", "b", "c"}},
	{name: "options in any case", args: []string{"--KEEP-ORDER", "--Dry-Run", "echo", ":::", "a", "b"}},
	{name: "long names of one letter", args: []string{"--k", "--j", "1", "echo", ":::", "a", "b"}},
	{name: "ambiguous abbreviation", args: []string{"--jo", "1", "echo", ":::", "a"}, gnuUsage: true},
	{name: "ambiguous abbreviation 2", args: []string{"--resu", "echo", ":::", "a"}, gnuUsage: true},
	{name: "underscore for dash", args: []string{"--dry_run", "echo", ":::", "a"}, gnuUsage: true},
	{name: "option without its value", args: []string{"-k", "echo", "-j"}, gnuUsage: true},
	{name: "missing arg file", args: []string{"-k", "echo", "::::", "no-such-file"}},
	{name: "missing arg file option", args: []string{"-k", "-a", "no-such-file", "echo"}},
	{name: "nice", args: []string{"-k", "--nice", "5", "echo {}; nice", ":::", "a"}},
	{name: "workdir", args: []string{"-k", "--wd", "w/{}", "basename $PWD; pwd | grep -c /w/", ":::", "a", "b"}},
	{name: "workdir here", args: []string{"-k", "--workdir", ".", "cat", "args.txt", ":::", "a"}},
	{name: "workdir temporary", args: []string{"-k", "--wd", "...", "ls | wc -l; echo {}", ":::", "a", "b"}},
	{name: "tee", stdin: lines(100), args: []string{"-k", "--tee", "--pipe", "grep {}; echo {}", ":::", "1", "2", "99", "x"}},
	{name: "tee of two sources", stdin: lines(50000), args: []string{"-k", "--tee", "--pipe", "wc -c; echo {1}{2}", ":::", "a", "b", ":::", "1", "2"}},
	{name: "tee to jobs that stop reading", stdin: lines(200000), args: []string{"-k", "--tee", "--pipe", "--tag", "head", "-2", ":::", "a", "b"}},
	{name: "tee without replacement strings", stdin: lines(10), args: []string{"-k", "--tee", "--pipe", "wc", "-l", ":::", "a", "b"}},
	{name: "tee with too few job slots", stdin: lines(10), args: []string{"-k", "-j1", "--tee", "--pipe", "wc -l", ":::", "a", "b"}},
	{name: "tee without pipe", stdin: lines(10), args: []string{"-k", "--tee", "echo {}; wc -l", ":::", "a", "b"}},
	// How --round-robin spreads blocks differs from run to run, in GNU
	// parallel too: these print only what does not.
	{name: "round robin", stdin: lines(100000), args: []string{"-k", "-j3", "--round-robin", "--pipe", "--block", "10k", "cat >/dev/null; echo {#}"}},
	{name: "round robin with fewer blocks than jobs", stdin: lines(100), args: []string{"-k", "-j3", "--round-robin", "--pipe", "echo {#}; wc -l"}},
	// Without a terminal, GNU parallel's colours end with \033[K and
	// \033[m, as multitask's do.
	{name: "color", args: []string{"-k", "--color", "echo", ":::", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}},
	{name: "color tag with carriage returns", args: []string{"-k", "--ctag", `printf "x\ry\nz"`, ":::", "a"}},
	{name: "color tagstring and stderr", args: []string{"-k", "--ctagstring", "<{}>", "echo {}; echo e >&2", ":::", "a", "b"}, sameStderr: true},
	{name: "color failed", args: []string{"-k", "--cf", "--tag", "echo {}; printf x; exit {}", ":::", "0", "1"}},
	{name: "color line buffer", args: []string{"-k", "--line-buffer", "--colour", "echo {}; printf x", ":::", "a", "b"}},
	{name: "color ungrouped", args: []string{"-k", "-u", "--color", "echo", ":::", "a"}},
	// Without a terminal, as under tests, --tty's jobs read nothing.
	{name: "tty", args: []string{"--tty", "echo {}; cat; echo $?", ":::", "a", "b", "c"}},
	{name: "tty with jobs and grouping", args: []string{"-k", "--tty", "-j2", "--group", "echo", ":::", "a", "b"}},
	{name: "open tty", stdin: "input\n", args: []string{"-k", "-o", "cat; echo {}", ":::", "a", "b"}},
	{name: "plus", args: []string{"-k", "--plus", "echo", "{+/}/{/}", "{.}.{+.}", "{..}.{+..}", "{...}.{+...}", "{/..}", "{/...}", ":::", "a/b.c.d.e", "a.b", "x/y", "z/", "/r.s", ".hid/q.tar.gz", ""}},
	{name: "plus positional", args: []string{"-k", "--plus", "echo", "{1+.}", "{2..}", "{-1+/}", ":::", "a.b.c", ":::", "d.e.f", "g/h"}},
	{name: "plus counts", args: []string{"-k", "-j1", "--plus", "--tagstring", "{0#}", "echo", "{##}", "{0#}", "{0%}", ":::", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	{name: "plus counts in a dry run", args: []string{"-k", "--plus", "--dry-run", "-N2", "echo", "{##}", ":::", "a", "b", "c"}},
	{name: "plus strings with an argument", args: []string{"-k", "--plus", "echo", "{:-x}", "{:2}", "{:1:2}", "{#a.}", "{##a.}", "{%.c}", "{%%.*}", "{/b/X}", "{/#a/Y}", "{/%c/Z}", "{//b/W}", "{^a}", "{^^b}", "{,A}", "{,,B}", ":::", "0", "abc.bbc", "a.b.c", "ABC", ""}},
	{name: "plus strings with an argument, positional", args: []string{"-k", "--plus", "echo", "{1%.gz}", "{2#x}", "{-1:-d}", "{1:9}", "{1:9:2}", ":::", "a.gz", ":::", "xy", ""}},
	{name: "plus strings with regular expressions", args: []string{"-k", "--plus", "echo", "{/[ab]+/Z}", "{%[0-9]*}", "{/a b/c}", ":::", "aabbc12", "xa by"}},
	{name: "plus strings under -X", args: []string{"-k", "--plus", "-X", "echo", "<{%.gz}>", ":::", "a.gz", "b.gz"}},
	{name: "plus strings without plus", args: []string{"-k", "echo", "{..}", "{+.}", "{##}", ":::", "a.b.c"}},
	{name: "retry failed without a joblog", args: []string{"-k", "--retry-failed", "echo", ":::", "a"}},
	{name: "tmpdir", args: []string{"-k", "--tmpdir", ".", "--compress", "echo $TMPDIR {}", ":::", "a"}},
	{name: "plain", args: []string{"-k", "--plain", "echo", ":::", "a"}},
	{name: "minversion", args: []string{"--minversion", "20130722"}},
	{name: "minversion too new", args: []string{"--minversion", "20990101"}},
	{name: "minversion not a number", args: []string{"--minversion", "x"}, gnuUsage: true},
	{name: "number of cores", args: []string{"--number-of-cores"}},
	{name: "number of cpus", args: []string{"--number-of-cpus"}},
	{name: "number of threads", args: []string{"--number-of-threads"}},
	{name: "number of sockets", args: []string{"--number-of-sockets"}},
	{name: "max line length allowed", args: []string{"--max-line-length-allowed"}},
	{name: "results keep order", args: []string{"-k", "--results", "res", "echo {}; echo err{} >&2", ":::", "a", "b"}},
	{name: "results with a slash", args: []string{"-k", "--results", "res/", "echo", ":::", "a", "b"}},

	// {= perl expression =}, evaluated by perl.
	{name: "perl substitution", args: []string{"-k", "echo", "{= s/a/X/ =}", ":::", "a", "ab", "b"}},
	{name: "perl in three words", args: []string{"-k", "echo", "{=", "s/a/X/", "=}", "<", ":::", "a"}},
	{name: "perl positional", args: []string{"-k", "echo", "{=2 s/b/B/ =}", "{1}", "{=-1 $_.=1 =}", ":::", "a", "b", ":::", "b", "c"}},
	{name: "perl once per value", args: []string{"-k", "-j1", "echo", "{= $_=++$::i =}", "{= $_=++$::i =}", "{}", ":::", "a", "b", "c"}},
	{name: "perl job numbers", args: []string{"-k", "-j1", "echo", "{= $_=$job->seq().' '.slot().' '.seq() =}", ":::", "a", "b"}},
	{name: "perl unquoted", args: []string{"-k", "echo", "{= uq(); $_='a  b;echo c' =}", ":::", "x"}},
	{name: "perl quoted", args: []string{"-k", "echo", "{= $_='x  y;' =}", "{= $_=Q($_) =}", ":::", "a b"}},
	{name: "perl quoting helpers", args: []string{"-k", "echo", "{= $_=pQ('a$b@c\"d\\e') =}", ":::", "a"}},
	{name: "perl args", args: []string{"-k", "echo", "{= $_=$arg[2] =}", "[{= $_=$arg[0] =}]", ":::", "a", ":::", "b"}},
	{name: "perl skip", args: []string{"-k", "echo {= $_ > 2 and skip() =}", ":::", "1", "2", "3", "4"}},
	{name: "perl skip verbose", args: []string{"-k", "-v", "echo {= $_ eq 'b' and skip() =}", ":::", "a", "b"}},
	{name: "perl skip halts", args: []string{"-k", "--halt", "now,fail=1", "echo {= $_ eq 'a' and skip() =}; sleep 0.2", ":::", "a", "b"}},
	{name: "perl skip dry run", args: []string{"-k", "--dry-run", "echo {= skip() =}", ":::", "a", "b"}},
	{name: "perl total jobs", args: []string{"-k", "echo", "{= $_=total_jobs() =}", ":::", "a", "b", "c"}},
	{name: "perl context", args: []string{"-k", "-j1", "-X", "echo", "a{= $_.='x' =}b", ":::", "1", "2"}},
	{name: "perl multi", args: []string{"-k", "-j1", "-m", "echo", "{= $_=uc =}", ":::", "a", "b"}},
	{name: "perl no arg", args: []string{"-k", "-N0", "echo", "[{= $_='x' =}]", ":::", "a", "b"}},
	{name: "perl tagstring", args: []string{"-k", "--tagstring", "{= $_.='!' =}", "echo", ":::", "a"}},
	{name: "perl tag", args: []string{"-k", "--tag", "echo", "{= $_.='!' =}", ":::", "a"}},
	{name: "perl command name", args: []string{"-k", "{= $_='echo '.$_ =}", ":::", "a"}},
	{name: "perl quote all", args: []string{"-k", "-q", "echo", "{= $_.=' x' =}", ":::", "a"}},
	{name: "perl empty", args: []string{"-k", "echo", "{==}", "{={==}=}", ":::", "a"}},
	{name: "perl nested", args: []string{"-k", "echo", "{= $_='{' =}=}", ":::", "a"}},
	{name: "perl syntax error", args: []string{"-k", "echo", "{= syntax error ( =}", ":::", "a"}},
	{name: "perl no input", stdin: "", args: []string{"-k", "echo", "{= syntax error ( =}"}},

	// --rpl: replacement strings defined by Perl code.
	{name: "rpl", args: []string{"-k", "--rpl", "{..} s:\\.[^.]+$::;s:\\.[^.]+$::;", "echo", "{..}", "{2..}", ":::", "a.tar.gz", ":::", "b.c.d"}},
	{name: "rpl groups", args: []string{"-k", "--rpl", "{/(\\.\\S+)/(\\.\\S+)} s/$$1/$$2/g;", "echo", "{/.tar/.gz}", ":::", "UU.tar.gz"}},
	{name: "rpl positional groups", args: []string{"-k", "--rpl", "{x(\\d+)} $_ x= $$1", "echo", "{x3}", "{2x2}", "{-1 x1}", ":::", "a", ":::", "b"}},
	{name: "rpl replaces a built-in", args: []string{"-k", "--rpl", "{} s/a/A/", "--rpl", "{%} s/b/c/", "--rpl", "{%%} s/a/b/", "echo", "{}", "{1}", "{%%}", "{%}", ":::", "abc"}},
	{name: "rpl without braces", args: []string{"-k", "--rpl", "X $_=uc", "--rpl", "Q", "echo", "X", "Q", "aXb", ":::", "ab"}},
	{name: "rpl after -I", args: []string{"-k", "-I", "@@", "--rpl", "{} $_=uc", "echo", "@@", "{}", ":::", "ab"}},
	{name: "rpl in tagstring", args: []string{"-k", "--rpl", "{u} $_=uc", "--tagstring", "{u}", "echo", ":::", "ab"}},
	{name: "rpl bad regexp", args: []string{"-k", "--rpl", "{x(*)} 1", "echo", "{x}", ":::", "a"}},

	// --filter: Perl code that must be true for a job to run.
	{name: "filter", args: []string{"-k", "--filter", "{1} < {2}+1", "echo", ":::", "1", "2", "3", ":::", "1", "2", "3"}},
	{name: "filter under strict", args: []string{"-k", "--filter", "{} > 1", "echo", ":::", "a", "2", "3"}},
	{name: "filters", args: []string{"-k", "--filter", "{} > 1", "--filter", "{} < 3", "echo", ":::", "1", "2", "3"}},
	{name: "filter of perl", args: []string{"-k", "--filter", "{= $_ = $_ > 1 ? 1 : 0 =}", "--rpl", "{q} $_ = Q($_)", "--filter", "{q} ne q{'c d'}", "echo", ":::", "1", "2", "c d"}},
	{name: "filter dry run", args: []string{"-k", "--dry-run", "--filter", "'{}' ne 'b'", "echo", ":::", "a", "b", "c"}},
	{name: "filter joblog", args: []string{"-k", "--joblog", "log", "--filter", "{#} % 2", "echo", ":::", "a", "b", "c"}},
	{name: "parens", args: []string{"-k", "--parens", "[[]]", "echo", "[[ $_=uc ]]", "{= x =}", ":::", "ab"}},
	{name: "parens alike", args: []string{"-k", "--parens", ",,,,", "echo", ",, $_=uc ,,", ":::", "ab"}},
	{name: "perl brackets inside", args: []string{"-k", "echo", "{= $_='{' =}=}", "{={==}=}", "a{={= b=}", ":::", "ab"}},

	// Renamed replacement strings, and options scripts give.
	{name: "renames", args: []string{"-k", "-j1", "--er", "ZZ", "--bnr", "BB", "--dnr", "DD", "--bner", "EE", "--seqreplace", "SS", "--slotreplace", "LL", "echo", "ZZ", "BB", "DD", "EE", "SS", "LL", "{.}", "{/}", "{#}", "{%}", ":::", "a/b.c"}},
	{name: "rename positional", args: []string{"-k", "--er", "{x}", "echo", "{x}", "{2x}", ":::", "a.b", ":::", "c.d"}},
	{name: "no keep order", args: []string{"--nok", "-k", "-j2", "sleep {}; echo {}", ":::", "0.5", "0.1"}},
	{name: "silent", args: []string{"-k", "--silent", "-v", "echo", ":::", "a"}},
	{name: "silent after", args: []string{"-k", "-v", "--silent", "echo", ":::", "a"}},
	{name: "gnu", args: []string{"-k", "--gnu", "echo", ":::", "a"}},
	{name: "skip first line", args: []string{"-k", "--skip-first-line", "echo", ":::", "a", "b", "c"}},
	{name: "skip first line of stdin", stdin: "h\na\nb\n", args: []string{"-k", "--skip-first-line", "echo"}},
	{name: "skip first line of a file", args: []string{"-k", "--skip-first-line", "-a", "args.txt", "echo", ":::", "x", "y"}},
	{name: "skip first line pipe", stdin: "h\na\nb\n", args: []string{"-k", "--pipe", "-N1", "--skip-first-line", "cat"}},
	{name: "skip first line pipe part", args: []string{"-k", "--pipe-part", "--block", "300", "-a", "parts.txt", "--header", ":", "--skip-first-line", "cat; echo -"}},
	{name: "process slot var", args: []string{"-k", "-j1", "--process-slot-var", "XX", "echo $XX $PARALLEL_JOBSLOT0", ":::", "a", "b"}},
	{name: "jobslot0", args: []string{"-k", "-j1", "echo $PARALLEL_JOBSLOT0 $PARALLEL_JOBSLOT", ":::", "a", "b"}},

	// --csv, which GNU parallel reads with Perl's Text::CSV.
	{name: "csv", stdin: csvText, args: []string{"-k", "--csv", "echo", "[{1}]", "[{2}]", "[{3}]"}},
	{name: "csv header", stdin: "h1,\"h 2\"\n1,2\n", args: []string{"-k", "--csv", "--header", ":", "echo", "{h1}", "{2}"}},
	{name: "csv colsep", args: []string{"-k", "--csv", "--colsep", ";", "echo", "{2}", "{1}", ":::", "a;b", " c ; d "}},
	{name: "csv untrimmed", args: []string{"-k", "--csv", "echo", "[{2}]", "[{1}]", ":::", " c , d "}},
	{name: "csv values", args: []string{"-k", "--csv", "-N2", "echo", "{}", "{3}", ":::", "a,b", "c,d"}},
	{name: "csv bad", stdin: "a\"b\n", args: []string{"-k", "--csv", "echo", "{1}"}},
	{name: "csv pipe", stdin: csvText, args: []string{"-k", "--pipe", "--csv", "-N1", "cat; echo -"}},
	{name: "csv pipe blocks", stdin: csvText, args: []string{"-k", "--pipe", "--csv", "--block", "12", "cat; echo -"}},

	{name: "shell quote values", args: []string{"-k", "--shell-quote", ":::", "a b", "c'd"}},
	{name: "shell quote", args: []string{"-k", "--shell-quote", "echo", "{}", "x", ":::", "a b"}},
	{name: "shell quote tag", args: []string{"-k", "--shell-quote", "--tag", "echo", ":::", "a b"}},
	{name: "shell quote dry run", args: []string{"-k", "--dry-run", "--shell-quote", "echo", ":::", "a b"}},
	{name: "total jobs", args: []string{"-k", "--total-jobs", "5", "--plus", "echo", "{##}", "{= $_=total_jobs() =}", ":::", "a", "b"}},
	{name: "total jobs halt", args: []string{"-k", "-j1", "--total-jobs", "4", "--halt", "soon,fail=50%", "echo {}; exit {}", ":::", "0", "1", "1", "0", "0"}},

	// --regexp: --recstart and --recend as regular expressions.
	{name: "regexp records", stdin: fastaText, args: []string{"-k", "--pipe", "--regexp", "--recstart", "^>", "-N1", "cat; echo -"}},
	{name: "regexp two records", stdin: fastaText, args: []string{"-k", "--pipe", "--regexp", "--recstart", "^>", "-N2", "cat; echo -"}},
	{name: "regexp garbage first", stdin: "junk\n" + fastaText, args: []string{"-k", "--pipe", "--regexp", "--recstart", "^>", "-N1", "cat; echo -"}},
	{name: "regexp blocks", stdin: fastaText, args: []string{"-k", "--pipe", "--regexp", "--recstart", "^>", "--block", "8", "cat; echo -"}},
	{name: "regexp alternation", stdin: "x1\nA\ny2\nB\nx3\n", args: []string{"-k", "--pipe", "--regexp", "--recstart", "x|y", "-N1", "cat; echo -"}},
	{name: "regexp end and start", stdin: "a;\nb;\nc;\n", args: []string{"-k", "--pipe", "--regexp", "--recend", ";\\n", "--recstart", "[a-z]", "-N2", "cat; echo -"}},
	{name: "regexp end", stdin: "1,2;3;4,5;", args: []string{"-k", "--pipe", "--regexp", "--recend", "[,;]", "-N2", "cat; echo -"}},
	{name: "regexp remove separators", stdin: fastaText, args: []string{"-k", "--pipe", "--regexp", "--recstart", "^>", "--rrs", "-N1", "cat; echo -"}},
	{name: "regexp remove both", stdin: "a1;\nb2;\nc3;\n", args: []string{"-k", "--pipe", "--regexp", "--recend", ";\\n", "--recstart", "[a-z]", "--rrs", "-N1", "cat; echo -"}},
	// With --pipe-part, GNU cuts after the last match in what it has read
	// from each look's start: 128 KiB at a time, so the file of "windows"
	// is bigger than that.
	{name: "regexp pipe part start", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--regexp", "--recstart", "x{5}", "--block", "500", "wc", "-c"}},
	{name: "regexp pipe part end", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--regexp", "--recend", "[05]\\n", "--block", "400", "wc", "-c"}},
	{name: "regexp pipe part anchored", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--regexp", "--recstart", "^x", "--block", "500", "wc", "-c"}},
	{name: "regexp pipe part both", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--regexp", "--recend", "7\\n", "--recstart", "x+1", "--block", "300", "wc", "-c"}},
	{name: "regexp pipe part any end", args: []string{"-k", "--pipe-part", "-a", "parts.txt", "--regexp", "--recend", "", "--block", "999", "wc", "-c"}},
	{name: "regexp pipe part windows", files: map[string]string{"big.txt": strings.Repeat(partsText, 40)},
		args: []string{"-k", "--pipe-part", "-a", "big.txt", "--regexp", "--recstart", "x{3}", "--block", "100k", "wc", "-c"}},
	// --group-by with --pipe-part: GNU's binary search for where keys
	// change, quirks included; with two files it reads the first to cut
	// both (and loops for ever when the second is the longer).
	{name: "group by pipe part", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "sorted.tsv", "--group-by", "1", "--block", "100", "head -c 4; wc -c"}},
	{name: "group by pipe part name", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "named.tsv", "--group-by", "key", "--block", "300", "head -c 4; wc -c"}},
	{name: "group by pipe part names twice", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "named.tsv", "-a", "named.tsv", "--group-by", "key", "--block", "300", "head -c 4; wc -c"}},
	{name: "group by pipe part perl", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "mixed.tsv", "--group-by", "2 $_=int($_/10)", "--block", "77", "head -c 4; wc -c"}},
	{name: "group by pipe part from the end", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "mixed.tsv", "--group-by", "-1", "--block", "300", "wc -c"}},
	{name: "group by pipe part header", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "named.tsv", "--header", ":", "--group-by", "1", "--block", "200", "head -n 2; wc -c"}},
	{name: "group by pipe part two files", files: groupFiles, args: []string{"-k", "--pipe-part", "-a", "mixed.tsv", "-a", "sorted.tsv", "--group-by", "1", "--block", "300", "wc -c"}},
	{name: "regexp pipe part header", files: map[string]string{"big.txt": strings.Repeat(partsText, 40)},
		args: []string{"-k", "--pipe-part", "-a", "big.txt", "--header", ":", "--regexp", "--recend", "9\\n", "--block", "60k", "head", "-n", "2"}},

	{name: "shell completion of another shell", args: []string{"--shell-completion", "fish"}},
	{name: "noswap", args: []string{"-k", "--noswap", "echo", ":::", "a", "b"}},
	{name: "memsuspend", args: []string{"-k", "--memsuspend", "1M", "echo", ":::", "a", "b"}},

	// --semaphore in the foreground: one job, of no value, with stdin.
	{name: "semaphore status", args: []string{"--semaphore", "--fg", "--id", "compat", "echo hi; exit 3"}},
	{name: "semaphore killed", args: []string{"--fg", "--id", "compat", "kill -9 $$"}},
	{name: "semaphore status above 255", args: []string{"--fg", "--id", "compat", "exit 300"}},
	{name: "semaphore no value", args: []string{"--fg", "--id", "compat", "echo", "[{}]", "x"}},
	{name: "semaphore drops sources", args: []string{"--fg", "--semaphore-name", "compat", "echo", "a", ":::", "b", "c"}},
	{name: "semaphore stdin", stdin: "x\ny\n", args: []string{"--fg", "--id", "compat", "cat"}},
	{name: "semaphore arg file", stdin: "ignored\n", args: []string{"--fg", "--id", "compat", "-a", "args.txt", "cat"}},
	{name: "semaphore two arg files", args: []string{"--fg", "--id", "compat", "-a", "args.txt", "-a", "more.txt", "cat"}},
	{name: "semaphore wait", args: []string{"--wait", "--id", "compat-free"}},
	{name: "semaphore tag", args: []string{"--fg", "--id", "compat", "--tag", "echo", "t"}},
	{name: "semaphore slots", args: []string{"--fg", "--id", "compat", "-j3", "echo $PARALLEL_SEQ $PARALLEL_JOBSLOT"}},
}

// gnuMessages is GNU parallel's stderr with its errors and warnings
// worded as multitask's.
func gnuMessages(stderr string) string {
	stderr = strings.ReplaceAll(stderr, "parallel: Error: ", "multitask: ")
	return strings.ReplaceAll(stderr, "parallel: Warning: ", "multitask: Warning: ")
}

// csvText is CSV with quoted fields, doubled quotes, a field over two
// lines and an empty line.
const csvText = "a,\"b c\",d\n\"x,y\",\"q\"\"uote\",z\n\"multi\nline\",2,3\n\nlast,,\n"

// TestCompatibleWithGNUParallel runs each case with GNU parallel and with
// multitask and compares stdout and the exit status.
func TestCompatibleWithGNUParallel(t *testing.T) {
	gnutest.Path(t)
	pairs := make([]*pair, len(compatCases))
	for i, tc := range compatCases {
		files := map[string]string{"args.txt": "f1\nf 2\n", "more.txt": "m1\n", "procs.txt": "1\n", "noprocs.txt": "many\n", "parts.txt": partsText,
			"my.tmpl": "Xval: {x}\nYval: {y}\nFixed: {1}\nSeq: {#} {= $_ = uc =}\n"}
		maps.Copy(files, tc.files)
		pairs[i] = &pair{files: files, stdin: tc.stdin, args: tc.args, gnuArgs: tc.gnuArgs}
	}
	startPairs(t, pairs...)
	for i, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			want, got := pairs[i].run(t)
			gotOut, wantOut := got.stdout, want.stdout
			if tc.anyOrder {
				gotOut, wantOut = sortedLines(gotOut), sortedLines(wantOut)
			}
			if tc.gnuUsage {
				wantOut = ""
			}
			if tc.stdinOut && got.stdout != tc.stdin {
				t.Errorf("multitask %q: stdout is not stdin\n got %q", tc.args, got.stdout)
			}
			if tc.sameMessages {
				if msgs := gnuMessages(want.stderr); got.stderr != msgs {
					t.Errorf("multitask %q\n got stderr %q\nwant stderr %q (GNU parallel's)", tc.args, got.stderr, msgs)
				}
			}
			if tc.sameStderr && got.stderr != want.stderr {
				t.Errorf("multitask %q\n got stderr %q\nwant stderr %q (GNU parallel)", tc.args, got.stderr, want.stderr)
			}
			if gotOut != wantOut || got.code != want.code {
				t.Errorf("multitask %q\n got stdout %q exit %d\nwant stdout %q exit %d (GNU parallel)\nstderr: %s\nGNU's stderr: %s",
					tc.args, got.stdout, got.code, want.stdout, want.code, got.stderr, want.stderr)
			}
			if slices.Contains(tc.args, "--pipe") {
				// --pipe cuts a regular file without reading it through:
				// the jobs must be the same.
				var file outcome
				inDir(t, pairs[i].ourDir, func() { file = runInFile(t, tc.stdin, tc.args...) })
				if tc.anyOrder {
					file.stdout = sortedLines(file.stdout)
				}
				if file.stdout != gotOut || file.code != got.code {
					t.Errorf("multitask %q < file\n got stdout %q exit %d\nwant stdout %q exit %d (from a pipe)", tc.args, file.stdout, file.code, gotOut, got.code)
				}
			}
		})
	}
}

func sortedLines(s string) string {
	l := strings.SplitAfter(s, "\n")
	slices.Sort(l)
	return strings.Join(l, "")
}

// partsText is a file for --pipe-part: 300 lines of varied lengths.
// groupFiles are tab-separated files for --group-by with --pipe-part:
// sorted.tsv has its keys in groups of 1 to 8 lines, named.tsv is that
// with a header line, and mixed.tsv has keys in no order.
var groupFiles = func() map[string]string {
	rng := rand.New(rand.NewPCG(5, 9))
	var sorted, mixed strings.Builder
	for k := range 60 {
		for j := range 1 + rng.IntN(8) {
			fmt.Fprintf(&sorted, "k%02d\tv%d\n", k, j)
		}
	}
	for range 400 {
		fmt.Fprintf(&mixed, "%s\t%d\t%s\n", []string{"a", "b", "c", "dd", "e"}[rng.IntN(5)], rng.IntN(31), strings.Repeat("x", rng.IntN(21)))
	}
	return map[string]string{"sorted.tsv": sorted.String(), "named.tsv": "key\tval\n" + sorted.String(), "mixed.tsv": mixed.String()}
}()

var partsText = func() string {
	var b strings.Builder
	for i := range 300 {
		b.WriteString(strings.Repeat("x", i*7%41))
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\n")
	}
	return b.String()
}()
