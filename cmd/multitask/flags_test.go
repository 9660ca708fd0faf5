package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(*options) bool
		command []string
	}{
		{"cluster", []string{"-kj2", "echo"}, func(o *options) bool { return o.keepOrder && o.jobs == "2" }, []string{"echo"}},
		{"cluster ending in a value", []string{"-kj", "2", "echo"}, func(o *options) bool { return o.keepOrder && o.jobs == "2" }, []string{"echo"}},
		{"value takes the rest of the cluster", []string{"-j2k", "echo"}, func(o *options) bool { return o.jobs == "2k" && !o.keepOrder }, []string{"echo"}},
		{"short and value apart", []string{"-j", "2", "echo"}, func(o *options) bool { return o.jobs == "2" }, []string{"echo"}},
		{"long with =", []string{"--jobs=2", "echo"}, func(o *options) bool { return o.jobs == "2" }, []string{"echo"}},
		{"long and value apart", []string{"--jobs", "2", "echo"}, func(o *options) bool { return o.jobs == "2" }, []string{"echo"}},
		{"long value that looks like an option", []string{"--jobs", "-1", "echo"}, func(o *options) bool { return o.jobs == "-1" }, []string{"echo"}},
		{"empty value", []string{"--tagstring=", "echo"}, func(o *options) bool { return o.tagString == "" }, []string{"echo"}},
		{"value with =", []string{"--tagstring=a=b", "echo"}, func(o *options) bool { return o.tagString == "a=b" }, []string{"echo"}},
		{"alias", []string{"--lb", "--dryrun", "echo"}, func(o *options) bool { return o.lineBuf && o.dryRun }, []string{"echo"}},
		{"repeated", []string{"-a", "f1", "--arg-file=f2", "echo"}, func(o *options) bool { return slices.Equal(o.argFiles, []string{"f1", "f2"}) }, []string{"echo"}},
		{"last value wins", []string{"-j1", "-j3", "echo"}, func(o *options) bool { return o.jobs == "3" }, []string{"echo"}},
		{"digit as an option", []string{"-0n2", "echo"}, func(o *options) bool { return o.null && o.maxArgs == 2 && o.maxSet }, []string{"echo"}},
		{"-- ends options", []string{"-k", "--", "-j", "echo"}, func(o *options) bool { return o.keepOrder && o.jobs == "" }, []string{"-j", "echo"}},
		{"the command ends options", []string{"-k", "echo", "-j", "2"}, func(o *options) bool { return o.keepOrder && o.jobs == "" }, []string{"echo", "-j", "2"}},
		{"a lone dash is a command", []string{"-", "x"}, func(o *options) bool { return true }, []string{"-", "x"}},
		{"sources", []string{"echo", ":::", "a", ":::+", "b", "::::", "f"}, func(o *options) bool {
			return len(o.sources) == 3 && o.sources[1].link && o.sources[2].files
		}, []string{"echo"}},
		{"no command", []string{"-k", ":::", "a"}, func(o *options) bool { return len(o.sources) == 1 }, []string{}},
		{"halt on error", []string{"-e", "echo"}, func(o *options) bool { return o.halt == "now,fail=1" }, []string{"echo"}},
		{"short only", []string{"-v", "echo"}, func(o *options) bool { return o.verbose && !o.trace }, []string{"echo"}},
		{"long verbose is -t", []string{"--verbose", "-kv", "echo"}, func(o *options) bool { return o.verbose && o.trace && o.keepOrder }, []string{"echo"}},
		{"max args zero", []string{"-n0", "echo"}, func(o *options) bool { return o.maxSet && o.maxArgs == 0 }, []string{"echo"}},
		{"abbreviated", []string{"--keep", "--tagstr=x", "echo"}, func(o *options) bool { return o.keepOrder && o.tagString == "x" }, []string{"echo"}},
		{"abbreviated, of multitask's own", []string{"--mem-l", "1G", "--resume-k=hash", "echo"}, func(o *options) bool { return o.memLimit == "1G" && o.resumeKey == "hash" }, []string{"echo"}},
		{"a name in another case", []string{"--Keep-Order", "--JOBS", "2", "echo"}, func(o *options) bool { return o.keepOrder && o.jobs == "2" }, []string{"echo"}},
		{"optional value left out", []string{"-i", "-k", "echo"}, func(o *options) bool { return o.replace == "{}" && o.keepOrder }, []string{"echo"}},
		{"optional value in the cluster", []string{"-kiXX", "echo"}, func(o *options) bool { return o.replace == "XX" && o.keepOrder }, []string{"echo"}},
		{"optional value taken from the next word", []string{"--replace", "echo", "x"}, func(o *options) bool { return o.replace == "echo" }, []string{"x"}},
		{"a GNU name of one letter", []string{"--k", "--E", "stop", "echo"}, func(o *options) bool { return o.keepOrder && o.eof == "stop" }, []string{"echo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args)
			if err != nil {
				t.Fatalf("parseOptions(%q): %v", tc.args, err)
			}
			if !tc.check(o) {
				t.Errorf("parseOptions(%q) = %+v", tc.args, *o)
			}
			if got := o.command; !slices.Equal(got, tc.command) && !(len(got) == 0 && len(tc.command) == 0) {
				t.Errorf("parseOptions(%q): command %q, want %q", tc.args, got, tc.command)
			}
		})
	}
}

func TestParseOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"unknown long", []string{"--no-such-option", "echo"}, "--no-such-option"},
		{"unknown short", []string{"-Z", "echo"}, "-Z"},
		{"unknown in a cluster", []string{"-kZ", "echo"}, "-Z"},
		{"short without its value", []string{"echo", "-j"}, ""},
		{"short at the end without its value", []string{"-j"}, "-j"},
		{"cluster ending without its value", []string{"-kj"}, "-j"},
		{"long without its value", []string{"--jobs"}, "--jobs"},
		{"value for a switch", []string{"--keep-order=yes", "echo"}, "--keep-order"},
		{"not a whole number", []string{"-n", "x", "echo"}, "-n"},
		{"not a count", []string{"--retries", "x", "echo"}, "--retries"},
		{"ambiguous", []string{"--jo", "2", "echo"}, "ambiguous (joblog, jobs)"},
		{"ambiguous over aliases", []string{"--ta", "echo"}, "ambiguous (tag, tag-string, tagstring)"},
		{"a GNU option not supported", []string{"--tmu", "echo"}, "--tmu"},
		{"underscore for dash", []string{"--dry_run", "echo"}, "--dry_run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args)
			if tc.says == "" {
				// The option follows the command: it is the command's.
				if err != nil || !slices.Equal(o.command, tc.args) {
					t.Fatalf("parseOptions(%q) = %v, %v; want it all as the command", tc.args, o, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseOptions(%q) succeeded: %+v", tc.args, *o)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("parseOptions(%q): %q does not name %s", tc.args, err, tc.says)
			}
			var out, errOut bytes.Buffer
			if code := run(t.Context(), tc.args, strings.NewReader(""), &out, &errOut); code != 255 || out.Len() != 0 || !strings.Contains(errOut.String(), tc.says) {
				t.Errorf("run(%q): exit %d, stdout %q, stderr %q; want 255 and the error on stderr", tc.args, code, out.String(), errOut.String())
			}
		})
	}
}

// TestHelpListsEveryOption checks that --help names every option by each
// of its names.
func TestHelpListsEveryOption(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"--help"}, strings.NewReader(""), &out, &errOut); code != 0 || errOut.Len() != 0 {
		t.Fatalf("--help: exit %d, stderr %q", code, errOut.String())
	}
	help := out.String()
	fs := newFlagSet(&options{})
	if len(fs.flags) == 0 {
		t.Fatal("no options declared")
	}
	for _, f := range fs.flags {
		var names []string
		if f.long != "" {
			names = append(names, "--"+f.long)
		}
		for _, a := range f.aliases {
			names = append(names, "--"+a)
		}
		if f.short != 0 {
			names = append(names, "-"+string(f.short))
		}
		for _, c := range f.shorts {
			names = append(names, "-"+string(c))
		}
		for _, n := range names {
			if !containsWord(help, n) {
				t.Errorf("--help does not list %s", n)
			}
		}
		if f.usage == "" {
			t.Errorf("%s has no help text", names[0])
		}
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > 80 {
			t.Errorf("help line longer than 80 columns: %q", line)
		}
	}
}

// containsWord reports whether s holds w followed by a space, a comma, a
// newline, the [ of an optional value, or the end.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		end := i + j + len(w)
		if end == len(s) || strings.ContainsRune(" ,\n[", rune(s[end])) {
			return true
		}
		i = end
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "512": 512, "1k": 1000, "1K": 1024, "1ki": 1024, "1Ki": 1024, "1KI": 1024,
		"2m": 2e6, "2M": 2 << 20, "2mi": 2 << 20, "1g": 1e9, "1G": 1 << 30, "1t": 1e12, "1T": 1 << 40,
		"1.5K": 1536, "1M": 1 << 20, "1Mb": 1 << 20, "1kB": 1000,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "k", "x", "-1", "1q", "1ii"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestParseLoad(t *testing.T) {
	cores := float64(runtime.NumCPU())
	for in, want := range map[string]float64{
		"4": 4, "2.5": 2.5, "0": 0.01, "+2": cores + 2, "-1000": 0.01, "100%": cores, "50%": cores / 2,
	} {
		if got, err := parseLoad(in); err != nil || got != want {
			t.Errorf("parseLoad(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "1.5%", "+1.5", "1e3", "NaN", "-", "2 "} {
		if got, err := parseLoad(bad); err == nil {
			t.Errorf("parseLoad(%q) = %v, want an error", bad, got)
		}
	}
}

// TestGNUNames checks that the options multitask takes answer to every
// name GNU parallel 20221122 gives them.
func TestGNUNames(t *testing.T) {
	fs := newFlagSet(&options{})
	for long, names := range map[string][]string{
		"jobs":             {"j", "P", "jobs", "max-procs", "maxprocs"},
		"keep-order":       {"k", "keep-order", "keeporder"},
		"group":            {"group"},
		"ungroup":          {"u", "ungroup"},
		"line-buffer":      {"line-buffer", "line-buffered", "linebuffer", "linebuffered", "lb"},
		"tag":              {"tag"},
		"tagstring":        {"tag-string", "tagstring"},
		"verbose":          {"t", "verbose"},
		"dry-run":          {"dry-run", "dryrun", "dr"},
		"replace":          {"i", "replace"},
		"max-replace-args": {"N", "max-replace-args", "maxreplaceargs"},
		"max-lines":        {"l", "max-lines"},
		"quote":            {"q", "quote"},
		"xargs-context":    {"X"},
		"xargs":            {"xargs"},
		"max-args":         {"n", "max-args", "maxargs"},
		"arg-file":         {"a", "arg-file", "argfile"},
		"colsep":           {"C", "col-sep", "colsep"},
		"header":           {"header"},
		"null":             {"0", "null"},
		"delimiter":        {"d", "delimiter"},
		"eof":              {"E", "eof"},
		"no-run-if-empty":  {"r", "no-run-if-empty", "norunifempty"},
		"link":             {"link", "xapply"},
		"shuf":             {"shuf"},
		"trim":             {"trim"},
		"timeout":          {"timeout"},
		"termseq":          {"term-seq", "termseq"},
		"retries":          {"retries"},
		"halt":             {"halt", "halt-on-error"},
		"joblog":           {"joblog", "jl"},
		"resume":           {"resume"},
		"resume-failed":    {"resume-failed", "resumefailed"},
		"results":          {"results", "result", "res"},
		"bar":              {"bar"},
		"eta":              {"eta"},
		"memfree":          {"memfree"},
		"load":             {"load"},
		"delay":            {"delay"},
		"pipe":             {"pipe", "spreadstdin"},
		"block":            {"block-size", "blocksize", "block"},
		"recend":           {"recend"},
		"recstart":         {"recstart"},
		"help":             {"h", "help"},
		"version":          {"V", "version"},
		"will-cite":        {"will-cite", "willcite", "nn", "nonotice", "no-notice"},
	} {
		want := fs.byLong[long]
		if want == nil {
			t.Errorf("no option --%s", long)
			continue
		}
		for _, n := range names {
			f := fs.byLong[n]
			if len(n) == 1 {
				f = fs.byShort[n[0]]
			}
			if f != want {
				t.Errorf("%s is not --%s", n, long)
			}
		}
	}
	if f := fs.byShort['v']; f == nil || f.long != "" {
		t.Errorf("-v is not an option of its own")
	}
	if f := fs.byShort['m']; f == nil || f == fs.byLong["xargs"] {
		t.Errorf("-m is not an option of its own")
	}
	if f := fs.byShort['L']; f == nil || f.long != "" || f == fs.byLong["max-lines"] {
		t.Errorf("-L is not an option of its own")
	}
	if f := fs.byShort['I']; f == nil || f.long != "" || f.optional {
		t.Errorf("-I is not an option of its own that needs its value")
	}
}

// TestJobsFileResize checks -j FILE's Resize: the count the file holds
// once it has changed, none before, and none again within a second; a
// count it cannot read keeps the last one, with a warning.
func TestJobsFileResize(t *testing.T) {
	file := filepath.Join(t.TempDir(), "procs")
	write := func(count string, age time.Duration) {
		t.Helper()
		if err := os.WriteFile(file, []byte(count), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(age)
		if err := os.Chtimes(file, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("2\n", -time.Hour)
	o := &options{jobs: file}
	if n, err := o.slots(); err != nil || n != 2 || o.jobsFile != file {
		t.Fatalf("-j FILE holding 2: %d, %v (file %q)", n, err, o.jobsFile)
	}
	var warned []string
	resize := jobsFileResize(file, runtime.NumCPU(), func(s string) { warned = append(warned, s) })
	write("5\n", -time.Minute)
	if n := resize(); n != 5 {
		t.Fatalf("after the file changed to 5: %d", n)
	}
	write("7", 0)
	if n := resize(); n != 0 {
		t.Fatalf("a second look within a second: %d, want 0", n)
	}
	resize = jobsFileResize(file, runtime.NumCPU(), func(s string) { warned = append(warned, s) })
	write("many", time.Minute)
	if n := resize(); n != 0 || len(warned) != 1 || !strings.HasPrefix(warned[0], "-j "+file+": the file holds no count") {
		t.Fatalf("a file without a count: %d, warnings %q", n, warned)
	}
}
