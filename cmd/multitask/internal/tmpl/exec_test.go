package tmpl

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// run runs a command in dir and returns its stdout and exit status.
func run(t *testing.T, dir string, argv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C"}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return stdout.String(), exit.ExitCode()
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return stdout.String(), 127 // as the shell reports it
	case errors.Is(err, fs.ErrPermission):
		return stdout.String(), 126
	case err != nil:
		t.Fatalf("run %q: %v", argv, err)
	}
	return stdout.String(), 0
}

// shells are the shells whose reading of a command line Argv must match.
var shells = slices.DeleteFunc([]string{"/bin/sh", "/bin/dash", "/bin/bash"}, func(sh string) bool {
	_, err := os.Stat(sh)
	return err != nil
})

// checkArgv runs c.Argv, and c.Line through each shell, and compares what
// they print and how they exit.
func checkArgv(t *testing.T, dir string, c Command) {
	t.Helper()
	gotOut, gotCode := run(t, dir, c.Argv...)
	for _, sh := range shells {
		wantOut, wantCode := run(t, dir, sh, "-c", c.Line)
		if gotOut != wantOut || gotCode != wantCode {
			t.Errorf("Argv %q printed %q and exited %d; %s -c %q printed %q and exited %d",
				c.Argv, gotOut, gotCode, sh, c.Line, wantOut, wantCode)
		}
	}
}

// shellDir makes a directory with files that globbing, tilde or a
// careless split would pick up.
func shellDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"a b.txt", "ab", "a*b", "x", "-n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("file "+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var noEnv = []string{}

// Values that print the same from every echo and printf.
var plainValues = slices.DeleteFunc(slices.Clone(awkward), func(v string) bool {
	return strings.Contains(v, `\`) || v == "-n"
})

var execCases = []struct {
	name   string
	words  []string
	opt    Options
	args   []string
	direct bool
}{
	{"printf", []string{"printf", "%s:", "{}"}, Options{Env: noEnv}, plainValues, true},
	{"printf in a word", []string{"printf", "%s:", "<{}>"[1:3]}, Options{Env: noEnv}, plainValues, true},
	{"echo", []string{"echo", "{}"}, Options{Env: noEnv}, plainValues, true},
	{"echo inside words", []string{"echo", "x{}y", "{1.}"}, Options{Env: noEnv}, []string{"a b.c", "", "d"}, true},
	{"cat", []string{"cat", "{}"}, Options{Env: noEnv}, []string{"a b.txt", "a*b", "-n"}, true},
	{"cat missing file", []string{"cat"}, Options{Env: noEnv}, []string{"nothing here"}, true},
	{"exit status", []string{"sh", "-c", "{}"}, Options{Env: noEnv}, []string{"exit 3"}, true},
	{"false", []string{"false", "{}"}, Options{Env: noEnv}, []string{"x"}, true},
	{"blanks inside a word", []string{"printf \t%s:", "{}"}, Options{Env: noEnv}, []string{"a b"}, true},
	{"empty words", []string{"printf", "", "%s:", "{}", ""}, Options{Env: noEnv}, []string{""}, true},
	{"empty value", []string{"printf", "%s:", "{}", "a{}"}, Options{Env: noEnv}, []string{""}, true},
	{"missing position", []string{"printf", "%s:", "{3}", "x"}, Options{Env: noEnv}, []string{"a"}, true},
	{"NoArg", []string{"printf", "%s:", "x"}, Options{Env: noEnv, Context: true}, []string{NoArg, NoArg}, true},
	{"-X", []string{"printf", "%s:", "x{}y", "{1}"}, Options{Env: noEnv, Context: true}, []string{"a b", "", "c"}, true},
	{"-q", []string{"printf", "%s; ", "{}", "a b{}"}, Options{Env: noEnv, Quote: true}, []string{"$x", "'"}, true},
	{"-q empty", []string{"printf", "", "<%s>", "{3}"}, Options{Env: noEnv, Quote: true}, []string{"a"}, true},
	{"-q value names the command", []string{"{}", "x"}, Options{Env: noEnv, Quote: true}, []string{"printf"}, true},
	{"dd operands", []string{"printf", "%s:", "if={}", "a=b"}, Options{Env: noEnv}, []string{"x y"}, true},
	{"printf conversions", []string{"printf"}, Options{Env: noEnv}, []string{"%-5s:%.1s:%c:%%:%b:%-3.2s:%3c:", "a", "bcd", "éa", "w", "xyz", "", "z"}, true},
	{"printf reuses its format", []string{"printf", "%s,%c:"}, Options{Env: noEnv}, []string{"a", "bc", "d"}, true},

	{"dollar", []string{"echo", "$HOME", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"glob", []string{"echo", "a*", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"tilde", []string{"echo", "~/x"}, Options{Env: noEnv}, []string{"a"}, false},
	{"tilde after =", []string{"echo", "a=~"}, Options{Env: noEnv}, []string{"a"}, false},
	{"brace expansion", []string{"echo", "x{a,b}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"comment", []string{"echo", "#", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"list", []string{"echo", "a;", "echo", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"pipe", []string{"echo", "{}", "|", "cat"}, Options{Env: noEnv}, []string{"a"}, false},
	{"redirect", []string{"echo", "{}", ">/dev/null"}, Options{Env: noEnv}, []string{"a"}, false},
	{"quotes", []string{"printf", "'%s\n'", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"newline", []string{"echo", "a\necho", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"assignment", []string{"A=1", "env"}, Options{Env: noEnv}, []string{"a"}, false},
	{"zsh =cmd", []string{"echo", "=ls"}, Options{Env: noEnv}, []string{"a"}, false},
	{"value names the command", []string{"{}"}, Options{Env: noEnv}, []string{"printf x"}, false},
	{"value in the first word", []string{"print{}", "x"}, Options{Env: noEnv}, []string{"f"}, false},
	{"keyword from a value", []string{"", "{}", "x"}, Options{Env: noEnv}, []string{"if"}, false},
	{"cd", []string{"cd", "{}"}, Options{Env: noEnv}, []string{"/"}, false},
	{"exit", []string{"exit", "{}"}, Options{Env: noEnv}, []string{"3"}, false},
	{"pwd", []string{"pwd"}, Options{Env: noEnv}, []string{"a"}, false},
	{"time", []string{"time", "true"}, Options{Env: noEnv}, []string{"a"}, false},
	{"-q cd", []string{"cd", "{}"}, Options{Env: noEnv, Quote: true}, []string{"/"}, false},
	{"-q value names a builtin", []string{"{}"}, Options{Env: noEnv, Quote: true}, []string{"cd"}, false},
	{"-q value names a job", []string{"{}"}, Options{Env: noEnv, Quote: true}, []string{"%s"}, false},
	{"echo option", []string{"echo", "{}"}, Options{Env: noEnv}, []string{"-n"}, false},
	{"echo option from the template", []string{"echo", "-e", "{}"}, Options{Env: noEnv}, []string{"a"}, false},
	{"echo backslash", []string{"echo", "{}"}, Options{Env: noEnv}, []string{`a\nb`}, false},
	{"printf without format", []string{"printf"}, Options{Env: noEnv}, []string{NoArg}, false},
	{"printf option", []string{"printf", "{}", "x"}, Options{Env: noEnv}, []string{"-v"}, false},
	{"printf %q", []string{"printf", "%q"}, Options{Env: noEnv}, []string{"a b"}, false},
	{"printf %d", []string{"printf", "%d:"}, Options{Env: noEnv}, []string{"'"}, false},
	{"printf %x", []string{"printf", "{}"}, Options{Env: noEnv}, []string{"%5x:", "12"}, false},
	{"printf %f", []string{"printf", "%.1f"}, Options{Env: noEnv}, []string{"1e400"}, false},
	{"printf * width", []string{"printf", "{}"}, Options{Env: noEnv}, []string{"%-*s:", "3", "a"}, false},
	{"option as command", []string{"{}", "x"}, Options{Env: noEnv, Quote: true}, []string{"-n"}, false},
	{"plus option as command", []string{"+e", "{}"}, Options{Env: noEnv}, []string{"x"}, false},
	{"printf backslash", []string{"printf", "{}"}, Options{Env: noEnv}, []string{`a\tb`}, false},
	{"--shell", []string{"printf", "%s:", "{}"}, Options{Env: noEnv, Shell: true}, []string{"a"}, false},
	{"exported function", []string{"myfn", "{}"}, Options{Env: []string{"BASH_FUNC_myfn%%=() {  echo fn \"$@\"\n}"}}, []string{"a"}, false},
	{"other exported function", []string{"printf", "%s:", "{}"}, Options{Env: []string{"BASH_FUNC_myfn%%=() {  echo fn \"$@\"\n}"}}, []string{"a"}, true},
	{"command_not_found_handle", []string{"printf", "%s:", "{}"}, Options{Env: []string{"BASH_FUNC_command_not_found_handle%%=() {  echo \"$@\"\n}"}}, []string{"a"}, false},
	{"BASH_ENV", []string{"printf", "%s:", "{}"}, Options{Env: []string{"BASH_ENV=/etc/profile"}}, []string{"a"}, false},
}

// TestArgv checks which commands run without the shell, and that those
// that do behave as their command lines do in sh.
func TestArgv(t *testing.T) {
	dir := shellDir(t)
	for _, c := range execCases {
		t.Run(c.name, func(t *testing.T) {
			tp, err := Parse(c.words, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			cmd := tp.Expand(1, 1, c.args)
			if got := cmd.Argv != nil; got != c.direct {
				t.Fatalf("%q with %q: Argv %q for line %q; want direct %v", c.words, c.args, cmd.Argv, cmd.Line, c.direct)
			}
			if c.direct {
				checkArgv(t, dir, cmd)
			}
		})
	}
}

// TestArgvGNUCases runs every command of the GNU comparison that may skip
// the shell both ways.
func TestArgvGNUCases(t *testing.T) {
	dir := shellDir(t)
	direct := 0
	for _, c := range gnuCases {
		t.Run(c.name, func(t *testing.T) {
			for _, cmd := range expandAll(t, c) {
				if cmd.Argv != nil {
					direct++
					checkArgv(t, dir, cmd)
				}
			}
		})
	}
	if direct < 100 {
		t.Errorf("only %d commands ran directly", direct)
	}
}

// TestArgvRandom builds commands from random pieces of templates and
// values, and runs those that may skip the shell both ways.
func TestArgvRandom(t *testing.T) {
	dir := shellDir(t)
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{1}", "{2}", "{-1}", "{0}", "{3}",
		"x", " ", "\t", "=", "a b", "-", "XX", ".", "é", "", "%s", "%d", "%c", ",", ":", "@", "+"}
	values := slices.DeleteFunc(append(slices.Clone(awkward), paths...), func(v string) bool {
		// A path through a file names no command, which dash reports
		// with 127 and bash with 126.
		return strings.Contains(v, "/")
	})
	values = append(values, "-e", "-n", "%s", "%d", "%q", `\c`, "if", "cd", "A=b", "'", "12")
	commands := []string{"printf", "echo", "cat", "printf %s:", "{}", "printf {}"}
	direct := 0
	for n := range 300 {
		words := []string{commands[r.IntN(len(commands))]}
		for range r.IntN(4) {
			var w strings.Builder
			for range r.IntN(3) {
				w.WriteString(pieces[r.IntN(len(pieces))])
			}
			words = append(words, w.String())
		}
		opt := Options{Env: noEnv, Quote: r.IntN(4) == 0, Context: r.IntN(4) == 0}
		if r.IntN(3) == 0 {
			opt.Replace = "XX"
		}
		args := make([]string, 1+r.IntN(3))
		for i := range args {
			args[i] = values[r.IntN(len(values))]
		}
		tp, err := Parse(words, opt)
		if err != nil {
			t.Fatal(err)
		}
		if cmd := tp.Expand(n, 1, args); cmd.Argv != nil {
			direct++
			checkArgv(t, dir, cmd)
		}
	}
	if direct < 100 {
		t.Errorf("only %d commands ran directly", direct)
	}
}
