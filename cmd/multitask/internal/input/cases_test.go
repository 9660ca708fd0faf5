package input

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A gnuCase is one GNU parallel command line and the jobs GNU parallel
// 20221122 runs for it. TestJobs checks that this package yields them;
// TestAgainstGNU checks that GNU parallel still does.
type gnuCase struct {
	name string
	// args are GNU's options and input sources, in GNU's syntax. A word
	// "@name" is the file name in the case's directory, created from files.
	args  []string
	stdin string
	files map[string]string
	// cmd is the command's template after the program: nil appends {} (every
	// value a word of its own); else only {n} and {name} words.
	cmd []string
	// want is each job's words as the program receives them.
	want [][]string
	// names is what Names returns (with "@name" as above).
	names []string
	// wantErr is the error this package yields where GNU parallel exits 255.
	wantErr error
}

// j builds the wanted jobs: each string is one job, its words separated by
// "|" ("" is a job with one empty word; "∅" a job with no word).
func j(jobs ...string) [][]string {
	out := make([][]string, 0, len(jobs))
	for _, s := range jobs {
		if s == "∅" {
			out = append(out, []string{})
			continue
		}
		out = append(out, strings.Split(s, "|"))
	}
	return out
}

var gnuCases = []gnuCase{
	// The cross product and links.
	{name: "cross product, last source fastest", args: []string{":::", "a", "b", ":::", "1", "2", "3"},
		want: j("a|1", "a|2", "a|3", "b|1", "b|2", "b|3")},
	{name: "cross product of three", args: []string{":::", "a", "b", ":::", "1", "2", ":::", "x", "y"},
		want: j("a|1|x", "a|1|y", "a|2|x", "a|2|y", "b|1|x", "b|1|y", "b|2|x", "b|2|y")},
	{name: ":::+ links and drops the longer source's rest", args: []string{":::", "a", "b", "c", ":::+", "1", "2", ":::", "x", "y"},
		want: j("a|1|x", "a|1|y", "b|2|x", "b|2|y")},
	{name: ":::+ with a longer linked source", args: []string{":::", "a", "b", ":::+", "1", "2", "3"},
		want: j("a|1", "b|2")},
	{name: ":::+ chain of three", args: []string{":::", "a", "b", "c", ":::+", "1", "2", "3", ":::+", "x", "y"},
		want: j("a|1|x", "b|2|y")},
	{name: ":::+ on the last pair", args: []string{":::", "a", "b", ":::", "1", "2", "3", ":::+", "x", "y", "z"},
		want: j("a|1|x", "a|2|y", "a|3|z", "b|1|x", "b|2|y", "b|3|z")},
	{name: ":::+ on the last pair, unequal", args: []string{":::", "a", "b", ":::", "1", "2", "3", ":::+", "x", "y"},
		want: j("a|1|x", "a|2|y", "b|1|x", "b|2|y")},
	{name: "--link wraps shorter sources", args: []string{"--link", ":::", "a", "b", "c", ":::", "1", "2", ":::", "x", "y", "z", "w"},
		want: j("a|1|x", "b|2|y", "c|1|z", "a|2|w")},
	{name: "--link ignores :::+", args: []string{"--link", ":::", "a", "b", "c", ":::+", "1", "2", ":::", "x"},
		want: j("a|1|x", "b|2|x", "c|1|x")},
	{name: "--link with -n 2", args: []string{"--link", "-n", "2", ":::", "a", "b", "c", ":::", "1", "2"},
		want: j("a|1|b|2", "c|1")},
	{name: "::::+ links files", args: []string{"::::", "@f", "::::+", "@g"},
		files: map[string]string{"f": "f1\nf2\nf3\n", "g": "g1\ng2\n"},
		want:  j("f1|g1", "f2|g2")},
	{name: ":::: with two files is two sources", args: []string{"::::", "@f", "@g"},
		files: map[string]string{"f": "f1\nf2\n", "g": "g1\ng2\n"},
		want:  j("f1|g1", "f1|g2", "f2|g1", "f2|g2")},
	{name: "-a twice", args: []string{"-a", "@f", "-a", "@g"},
		files: map[string]string{"f": "f1\nf2\n", "g": "g1\ng2\n"},
		want:  j("f1|g1", "f1|g2", "f2|g1", "f2|g2")},
	{name: "-a before :::+ shifts GNU's links", args: []string{"-a", "@f", ":::", "a", "b", ":::+", "1", "2"},
		files: map[string]string{"f": "f1\nf2\n"},
		want:  j("f1|a|1", "f1|a|2", "f2|b|1", "f2|b|2")},
	{name: "stdin first, then :::", args: []string{"::::", "-", ":::", "a", "b"}, stdin: "l1\nl2\n",
		want: j("l1|a", "l1|b", "l2|a", "l2|b")},
	{name: "::: then stdin", args: []string{":::", "a", "b", "::::", "-"}, stdin: "l1\nl2\n",
		want: j("a|l1", "a|l2", "b|l1", "b|l2")},
	{name: "stdin twice takes turns", args: []string{"::::", "-", ":::", "x", "::::", "-"}, stdin: "a\nb\n",
		want: j("a|x|b")},
	{name: "stdin unread with :::", args: []string{":::", "a", "b"}, stdin: "zzz\n",
		want: j("a", "b")},
	{name: "empty source counts as one empty value", args: []string{":::", "a", "b", "::::", "/dev/null"},
		want: j("a|", "b|")},
	{name: "empty ::: group first", args: []string{":::", ":::", "a", "b"},
		want: j("|a", "|b")},
	{name: "empty ::: group last", args: []string{":::", "a", "b", ":::"},
		want: j("a|", "b|")},
	{name: "--link with an empty source dies", args: []string{"--link", ":::", "a", "b", "::::", "/dev/null"},
		wantErr: ErrEmptySource},
	{name: "--link with every source empty", args: []string{"--link", "::::", "/dev/null", ":::"}},
	{name: "a directory is an empty file", args: []string{":::", "a", "::::", "@d"},
		files: map[string]string{"d/": ""},
		want:  j("a|")},

	// Records from stdin.
	{name: "lines", stdin: "a\nb\n", want: j("a", "b")},
	{name: "last line without newline", stdin: "a\nb", want: j("a", "b")},
	{name: "empty lines are empty values", stdin: "a\n\nb\n\n", want: j("a", "", "b", "")},
	{name: "a lone newline", stdin: "\n", want: j("")},
	{name: "no input", stdin: ""},
	{name: "CR-NL keeps the CR", stdin: "a\r\nb\r\n", want: j("a\r", "b\r")},
	{name: "-r skips blank lines", args: []string{"-r"}, stdin: "a\n\n  \nb\n\t\n", want: j("a", "b")},
	{name: "-0", args: []string{"-0"}, stdin: "a\nx\x00b\x00\x00c", want: j("a\nx", "b", "", "c")},
	{name: "-d ,", args: []string{"-d", ","}, stdin: "a,b,,c\n", want: j("a", "b", "", "c\n")},
	{name: `-d \n`, args: []string{"-d", `\n`}, stdin: "a\nb\n", want: j("a", "b")},
	{name: `-d \t`, args: []string{"-d", `\t`}, stdin: "a\tb\t", want: j("a", "b")},
	{name: `-d \0`, args: []string{"-d", `\0`}, stdin: "a\x00b\x00", want: j("a", "b")},
	{name: `-d \r\n`, args: []string{"-d", `\r\n`}, stdin: "x\r\ny\r\nz", want: j("x", "y", "z")},
	{name: `-d \101`, args: []string{"-d", `\101`}, stdin: "xAyAz", want: j("x", "y", "z")},
	{name: `-d \\n is backslash-newline`, args: []string{"-d", `\\n`}, stdin: "x\\\ny\nz", want: j("x", "y\nz")},
	{name: "-d '' reads paragraphs", args: []string{"-d", ""}, stdin: "\n\n\na\nb\n\n\n\nc\n\nd\n", want: j("a\nb", "c", "d")},
	{name: "a ::: value holding a newline is two", args: []string{":::", "a\nb", "c"}, want: j("a", "b", "c")},
	{name: "a ::: value holding a newline with -0", args: []string{"-0", ":::", "a\nb", "c"}, want: j("a\nb", "c")},
	{name: "-d , splits ::: values", args: []string{"-d", ",", ":::", "a,b", "c"}, want: j("a", "b", "c")},
	{name: "-d '' joins ::: values", args: []string{"-d", "", ":::", "a", "b", "c"}, want: j("abc")},
	{name: "NUL in a line", stdin: "a\x00b\n", want: j(`a\0b`)},

	// Columns.
	{name: "--colsep regexp", args: []string{"--colsep", "[0-9]+"}, stdin: "a1b22c\n", want: j("a|b|c")},
	{name: "--colsep keeps captures", args: []string{"--colsep", "([0-9])"}, stdin: "a1b2c\n", want: j("a|1|b|2|c")},
	{name: "--colsep keeps trailing empty columns", args: []string{"--colsep", ","}, stdin: "a,,b,,\n,x\n\n",
		want: j("a||b||", "|x", "")},
	{name: `--colsep \t`, args: []string{"--colsep", `\t`}, stdin: "a\tb c\n", want: j("a|b c")},
	{name: "--colsep trims", args: []string{"--colsep", ","}, stdin: " a , b \n", want: j("a|b")},
	{name: "--colsep with --trim n", args: []string{"--colsep", ",", "--trim", "n"}, stdin: " a , b \n", want: j(" a | b ")},
	{name: "--colsep of a space", args: []string{"--colsep", " "}, stdin: "  a  b \n", want: j("||a||b|")},
	{name: "--colsep over two sources", args: []string{"--colsep", ",", "::::", "@cs", ":::", "x,y", "z"},
		files: map[string]string{"cs": "a,b\n"},
		want:  j("a|b|x|y", "a|b|z")},
	{name: "--colsep with -n 2", args: []string{"-n", "2", "--colsep", ","}, stdin: "a,b\nc\nd,e,f\n", want: j("a|b|c", "d|e|f")},

	// Headers.
	{name: "--header : with :::", args: []string{"--header", ":", ":::", "f1", "a", "b", ":::", "f2", "x", "y"},
		cmd: []string{"{f2}", "{f1}"}, names: []string{"f1", "f2"},
		want: j("x|a", "y|a", "x|b", "y|b")},
	{name: "--header : on stdin with --colsep", args: []string{"--header", ":", "--colsep", ","}, stdin: "n1,n2\na,b\nc,d\n",
		cmd: []string{"{n2}", "{n1}"}, names: []string{"n1", "n2"},
		want: j("b|a", "d|c")},
	{name: "--header splits at tabs and does not trim", args: []string{"--header", ":"}, stdin: "n1\tn2\r\n a \tb\n",
		cmd: []string{"{n2}", "{n1}"}, names: []string{"n1", "n2"},
		want: j("b| a ")},
	{name: "--header splits ::: values at tabs", args: []string{"--header", ":", ":::", "h", "a\tb"},
		names: []string{"h"}, want: j("a|b")},
	{name: "--header ignores its regexp", args: []string{"--header", "zzz", "--colsep", ","}, stdin: "n1,n2\na,b\nc,d\n",
		cmd: []string{"{n2}"}, names: []string{"n1", "n2"},
		want: j("b", "d")},
	{name: "--header ignores -E", args: []string{"--header", ":", "-E", "n1"}, stdin: "n1\na\nb\n",
		cmd: []string{"{n1}"}, names: []string{"n1"},
		want: j("a", "b")},
	{name: "--header 0 names file sources", args: []string{"--header", "0", "::::", "@file1", "@file2"},
		files: map[string]string{"file1": "a\nb\n", "file2": "c\n"},
		cmd:   []string{"{@file2}", "{@file1}"}, names: []string{"@file1", "@file2"},
		want: j("c|a", "c|b")},
	{name: "--header 0 does not count ::: sources", args: []string{"--header", "0", ":::", "x", "y", "::::", "@file2"},
		files: map[string]string{"file2": "c\n"},
		cmd:   []string{"{@file2}"}, names: []string{"@file2"},
		want: j("x", "y")},

	// -n, -E, -r, --trim.
	{name: "-n 2, last job short", args: []string{"-n", "2", ":::", "a", "b", "c", "d", "e"}, want: j("a|b", "c|d", "e")},
	{name: "-n 2 over two sources", args: []string{"-n", "2", ":::", "a", "b", "c", ":::", "x", "y"},
		want: j("a|x|a|y", "b|x|b|y", "c|x|c|y")},
	{name: "-n 2 positional", args: []string{"-n", "2", ":::", "a", "b", "c", ":::", "x", "y"}, cmd: []string{"{4}", "{1}"},
		want: j("y|a", "y|b", "y|c")},
	{name: "-n 3 with -r", args: []string{"-n", "3", "-r", ":::", "a", "", "b", "c", "", "d"}, want: j("a|b|c", "d")},
	{name: "-n 0 gives no values", args: []string{"-n", "0", ":::", "a", "b"}, want: j("∅", "∅")},
	{name: "-E on :::", args: []string{"-E", "b", ":::", "a", "b", "c"}, want: j("a")},
	{name: "-E in two sources", args: []string{"-E", "b", ":::", "a", "b", "c", ":::", "x", "b", "y"}, want: j("a|x")},
	{name: "-E at a first value", args: []string{"-E", "a", ":::", "a", "b", "c", ":::", "x", "y"}, want: j("|x", "|y")},
	{name: "-E at a later source's first value", args: []string{"-E", "x", ":::", "a", "b", ":::", "x", "y"}, want: j("a|", "b|")},
	{name: "-E 0 is ignored", args: []string{"-E", "0", ":::", "1", "0", "2"}, want: j("1", "0", "2")},
	{name: "-E on stdin", args: []string{"-E", "END"}, stdin: "a\nEND\nb\n", want: j("a")},
	{name: "-r in two sources", args: []string{"-r", ":::", "a", "", ":::", "", "x"}, want: j("a|x")},
	{name: "-r empties a source", args: []string{"-r", ":::", " ", ":::", "x", "y"}, want: j("|x", "|y")},
	{name: "--trim l", args: []string{"--trim", "l", ":::", " a "}, want: j("a ")},
	{name: "--trim r", args: []string{"--trim", "r", ":::", " a "}, want: j(" a")},
	{name: "--trim rl", args: []string{"--trim", "rl", ":::", " \ta\f\v "}, want: j("a")},
}

// caseFiles creates the case's files in a new directory and returns a
// function that turns "@name" words into their paths.
func caseFiles(t *testing.T, c gnuCase) func(string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range c.files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return func(s string) string {
		if rest, ok := strings.CutPrefix(s, "@"); ok {
			return filepath.Join(dir, rest)
		}
		if inner, ok := strings.CutPrefix(s, "{@"); ok {
			return "{" + filepath.Join(dir, inner)
		}
		return s
	}
}

// isSep reports whether a word starts an input source group.
func isSep(w string) bool {
	return w == ":::" || w == ":::+" || w == "::::" || w == "::::+"
}

// parseArgs turns GNU's options and input sources into Options as the
// command's flag parsing is meant to, -a's effect on :::+ included: GNU
// appends the ::: groups after the -a files but counts their link marks
// from the first source, so the mark of the n-th group lands on source n.
func parseArgs(args []string) (Options, error) {
	var opt Options
	var aFiles, groups []Source
	var marks []bool
	i := 0
	value := func() string { i++; return args[i] }
	for ; i < len(args) && !isSep(args[i]); i++ {
		switch a := args[i]; a {
		case "-0", "--null":
			opt.Null = true
		case "-d", "--delimiter":
			d, err := UnescapeDelim(value())
			if err != nil {
				return opt, err
			}
			opt.Delim, opt.Paragraph = d, d == ""
		case "--colsep":
			opt.Colsep = value()
		case "--header":
			opt.Header = value()
		case "--link", "--xapply":
			opt.Link = true
		case "-n":
			n, err := strconv.Atoi(value())
			if err != nil {
				return opt, err
			}
			opt.MaxArgs, opt.NoArgs = n, n == 0
		case "--trim":
			opt.Trim = value()
		case "-E":
			opt.EOF = value()
		case "-r":
			opt.NoRunIfEmpty = true
		case "--shuf":
			opt.Shuf = true
		case "-a", "--arg-file":
			aFiles = append(aFiles, Source{File: value()})
		default:
			return opt, fmt.Errorf("unknown option %q", a)
		}
	}
	for i < len(args) {
		sep := args[i]
		i++
		start := i
		for i < len(args) && !isSep(args[i]) {
			i++
		}
		linked := strings.HasSuffix(sep, "+")
		if strings.HasPrefix(sep, "::::") {
			for _, f := range args[start:i] {
				groups = append(groups, Source{File: f})
				marks = append(marks, linked)
			}
		} else {
			groups = append(groups, Source{Values: args[start:i]})
			marks = append(marks, linked)
		}
	}
	opt.Sources = append(aFiles, groups...)
	for n, m := range marks {
		if n < len(opt.Sources) {
			opt.Sources[n].Link = m
		}
	}
	return opt, nil
}

// readJobs opens the case's input and collects its jobs as the program
// would receive them: the words of cmd, or every value when cmd is nil, a
// NoArg word dropped.
func readJobs(t *testing.T, c gnuCase, path func(string) string) (jobs [][]string, names []string, err error) {
	t.Helper()
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = path(a)
	}
	opt, err := parseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	opt.Stdin = strings.NewReader(c.stdin)
	r, err := Open(opt)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	names = r.Names()
	for vals, err := range r.Jobs() {
		if err != nil {
			return jobs, names, err
		}
		words := []string{}
		if c.cmd == nil {
			for _, v := range vals {
				if v != NoArg {
					words = append(words, v)
				}
			}
		} else {
			for _, w := range c.cmd {
				words = append(words, expandWord(t, path(w), vals, names))
			}
		}
		jobs = append(jobs, words)
	}
	return jobs, names, nil
}

// expandWord expands a template word {n} or {name} as GNU does.
func expandWord(t *testing.T, w string, vals, names []string) string {
	t.Helper()
	key := strings.TrimSuffix(strings.TrimPrefix(w, "{"), "}")
	n, err := strconv.Atoi(key)
	if err != nil {
		n = 0
		for i, name := range names {
			if name == key {
				n = i + 1
				break
			}
		}
		if n == 0 {
			t.Fatalf("no column is named %q (names %q)", key, names)
		}
	}
	if n > len(vals) {
		return ""
	}
	return vals[n-1]
}

func TestJobs(t *testing.T) {
	t.Parallel()
	for _, c := range gnuCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := caseFiles(t, c)
			got, names, err := readJobs(t, c, path)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			assertJobs(t, got, c.want)
			var wantNames []string
			for _, n := range c.names {
				wantNames = append(wantNames, path(n))
			}
			if fmt.Sprintf("%q", names) != fmt.Sprintf("%q", wantNames) {
				t.Errorf("names %q, want %q", names, wantNames)
			}
		})
	}
}

func assertJobs(t *testing.T, got, want [][]string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("jobs\n got %q\nwant %q", got, want)
	}
}
