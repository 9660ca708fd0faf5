package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// compatCase is a command line that must give GNU parallel's stdout and
// exit status.
type compatCase struct {
	name  string
	stdin string
	args  []string
	// anyOrder compares stdout's lines as a set: jobs ran in parallel
	// without -k.
	anyOrder bool
}

func seqArgs(n int, cmd ...string) []string {
	args := append([]string{}, cmd...)
	args = append(args, ":::")
	for i := 1; i <= n; i++ {
		args = append(args, fmt.Sprint(i))
	}
	return args
}

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
	{name: "ungrouped", args: []string{"-k", "-u", "-j1", "echo", ":::", "a", "b"}},
	{name: "line buffer", args: []string{"-k", "--line-buffer", "-j1", "echo", ":::", "a", "b"}},
	{name: "results print nothing", args: []string{"-k", "--results", "res", "echo", ":::", "a"}},
}

// TestCompatibleWithGNUParallel runs each case with GNU parallel and with
// multitask and compares stdout and the exit status.
func TestCompatibleWithGNUParallel(t *testing.T) {
	gnuParallel(t)
	pairs := make([]*pair, len(compatCases))
	for i, tc := range compatCases {
		files := map[string]string{"args.txt": "f1\nf 2\n", "more.txt": "m1\n"}
		pairs[i] = &pair{files: files, stdin: tc.stdin, args: tc.args}
	}
	startPairs(t, pairs...)
	for i, tc := range compatCases {
		t.Run(tc.name, func(t *testing.T) {
			want, got := pairs[i].run(t)
			gotOut, wantOut := got.stdout, want.stdout
			if tc.anyOrder {
				gotOut, wantOut = sortedLines(gotOut), sortedLines(wantOut)
			}
			if gotOut != wantOut || got.code != want.code {
				t.Errorf("multitask %q\n got stdout %q exit %d\nwant stdout %q exit %d (GNU parallel)\nstderr: %s\nGNU's stderr: %s",
					tc.args, got.stdout, got.code, want.stdout, want.code, got.stderr, want.stderr)
			}
		})
	}
}

func sortedLines(s string) string {
	l := strings.SplitAfter(s, "\n")
	slices.Sort(l)
	return strings.Join(l, "")
}
