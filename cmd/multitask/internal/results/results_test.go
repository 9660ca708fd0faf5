package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// withOptions returns args, GNU parallel's options then its input
// sources, with opts added after the options.
func withOptions(args []string, opts ...string) []string {
	i := slices.Index(args, ":::")
	if i < 0 {
		i = len(args)
	}
	return slices.Concat(args[:i], opts, args[i:])
}

// gnuCommand is the command GNU parallel runs in the tree tests; runJob
// writes what it prints.
const gnuCommand = "printf o{#}; printf e{#} >&2; : {}"

// runJob plays one job the way gnuCommand does.
func runJob(t *testing.T, j *Job, seq int) {
	t.Helper()
	if _, err := fmt.Fprintf(j.Stdout, "o%d", seq); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(j.Stderr, "e%d", seq); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(Meta{Seq: seq, Command: "c"}); err != nil {
		t.Fatal(err)
	}
}

// tree maps the paths under root, relative to it, to "dir" or to a file's
// contents, leaving out meta files, whose paths it returns apart.
func tree(t *testing.T, root string) (map[string]string, []string) {
	t.Helper()
	entries := map[string]string{}
	var metas []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			entries[rel] = "dir"
		case strings.HasSuffix(rel, MetaName):
			metas = append(metas, rel)
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entries[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries, metas
}

// compareTrees fails t where the trees under gnu and ours differ, meta
// files aside, and checks that ours holds metas meta files.
func compareTrees(t *testing.T, gnu, ours string, metas int) {
	t.Helper()
	want, _ := tree(t, gnu)
	got, gotMetas := tree(t, ours)
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range want {
			if !yield(p) {
				return
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok && !yield(p) {
				return
			}
		}
	}) {
		w, inGNU := want[p]
		g, inOurs := got[p]
		switch {
		case !inOurs:
			t.Errorf("missing %q (GNU: %q)", p, w)
		case !inGNU:
			t.Errorf("extra %q (%q)", p, g)
		case g != w:
			t.Errorf("%q holds %q, GNU's %q", p, g, w)
		}
	}
	if len(gotMetas) != metas {
		t.Errorf("%d meta files (%q), want %d", len(gotMetas), gotMetas, metas)
	}
}

// job is one job's names and arguments, as Dir takes them.
type job struct{ names, args []string }

// ones gives each argument a job of its own from source "1".
func ones(args ...string) []job {
	var jobs []job
	for _, a := range args {
		jobs = append(jobs, job{[]string{"1"}, []string{a}})
	}
	return jobs
}

// TestTreeMatchesGNU builds with Open the tree GNU parallel builds with
// --results for the same arguments and compares them file by file.
func TestTreeMatchesGNU(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	longSlash := strings.Repeat("b", 100) + "/" + strings.Repeat("c", 200)
	num := []string{"1", "2"}
	tests := []struct {
		name  string
		stdin string
		args  []string // GNU parallel's: options, then input sources
		jobs  []job
	}{
		{"escapes", "", []string{":::", "a", "b/c", `back\slash`, "tab\tx", " sp", "-x", "ü", `\_`},
			ones("a", "b/c", `back\slash`, "tab\tx", " sp", "-x", "ü", `\_`)},
		{"empty dot and dotdot land above", "", []string{":::", "", ".", "..", "x"},
			ones("", ".", "..", "x")},
		{"long names are cut", "", []string{":::", long, longSlash},
			ones(long, longSlash)},
		{"newline stays", "nl\nx\x00y\x00", []string{"-0"},
			ones("nl\nx", "y")},
		{"two sources", "", []string{":::", "a", "b", ":::", "x", "y"},
			[]job{{num, []string{"a", "x"}}, {num, []string{"a", "y"}}, {num, []string{"b", "x"}}, {num, []string{"b", "y"}}}},
		{"header names sort", "", []string{"--header", ":", ":::", "B", "x", ":::", "A", "y", ":::", "10", "z", ":::", "9", "w"},
			[]job{{[]string{"B", "A", "10", "9"}, []string{"x", "y", "z", "w"}}}},
		{"header names as Perl numbers", "", []string{"--header", ":", ":::", "1e1", "a", ":::", "9", "b", ":::", " 2", "c", ":::", "inf", "d", ":::", ".5", "e", ":::", "x", "f", ":::", "-3", "g", ":::", "2x", "h"},
			[]job{{[]string{"1e1", "9", " 2", "inf", ".5", "x", "-3", "2x"}, []string{"a", "b", "c", "d", "e", "f", "g", "h"}}}},
		{"equal header names keep their order", "", []string{"--header", ":", ":::", "n", "b", ":::", "n", "a"},
			[]job{{[]string{"n", "n"}, []string{"b", "a"}}}},
		{"records of -N2", "", []string{"-N2", ":::", "a", "b", "c"},
			[]job{{[]string{"1"}, []string{"a", "b"}}, {[]string{"1"}, []string{"c"}}}},
		{"records of -N2 from two sources", "", []string{"-N2", ":::", "a", "b", ":::", "1", "2"},
			[]job{{num, []string{"a", "1", "a", "2"}}, {num, []string{"b", "1", "b", "2"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			gnutest.Output(t, dir, tt.stdin, withOptions(tt.args, "-j1", "--results", "gnu", gnuCommand)...)
			ours := filepath.Join(dir, "ours")
			for i, jb := range tt.jobs {
				j, err := Open(ours, jb.names, jb.args, i+1)
				if err != nil {
					t.Fatal(err)
				}
				runJob(t, j, i+1)
			}
			metas := map[string]bool{}
			for _, jb := range tt.jobs {
				metas[filepath.Clean(Dir(ours, jb.names, jb.args))] = true
			}
			compareTrees(t, filepath.Join(dir, "gnu"), ours, len(metas))
		})
	}
}

// TestOpenPathMatchesGNU compares the layouts of --results with a
// replacement string: a file per job, or a directory when it ends in "/".
func TestOpenPathMatchesGNU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template string
		args     []string
		outs     []string // the template expanded for each job, under the root
	}{
		{"file", "{1}", []string{":::", "a", "b"}, []string{"a", "b"}},
		{"file in new directories", "x/{1}/y{2}", []string{":::", "a", "b", ":::", "c"}, []string{"x/a/yc", "x/b/yc"}},
		{"directory", "{1}/", []string{":::", "a", "b"}, []string{"a/", "b/"}},
		{"nested directory", "d/{1}-{2}/", []string{":::", "a", ":::", "c", "d"}, []string{"d/a-c/", "d/a-d/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			gnutest.Output(t, dir, "", append([]string{"-j1", "--results", "gnu/" + tt.template, gnuCommand}, tt.args...)...)
			for i, out := range tt.outs {
				j, err := OpenPath(filepath.Join(dir, "ours")+"/"+out, i+1)
				if err != nil {
					t.Fatal(err)
				}
				runJob(t, j, i+1)
			}
			compareTrees(t, filepath.Join(dir, "gnu"), filepath.Join(dir, "ours"), len(tt.outs))
		})
	}
}

// TestDir pins layouts that need no GNU parallel to check.
func TestDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		names, args []string
		want        string
	}{
		{"one", []string{"1"}, []string{"a"}, "r/1/a"},
		{"escapes", []string{"1"}, []string{"a/b\\c\td\x00e\nf"}, `r/1/a\_b\\c\td\0e` + "\nf"},
		{"empty", []string{"1"}, []string{""}, "r/1/"},
		{"no arguments", nil, nil, "r/"},
		{"default names keep their order", []string{"1", "2", "10"}, []string{"a", "b", "c"}, "r/1/a/2/b/10/c"},
		{"names are not escaped", []string{"a/b"}, []string{"x"}, "r/a/b/x"},
		{"cut after escaping", []string{"1"}, []string{strings.Repeat("/", 200)}, "r/1/" + strings.Repeat(`\_`, 127) + `\`},
		{"short last record", []string{"b", "a"}, []string{"1", "2", "3"}, "r/a/2/b/1/b/3"},
		{"NaN compares equal, then by bytes", []string{"nan", "1", "NaN"}, []string{"x", "y", "z"}, "r/1/y/NaN/z/nan/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Dir("r", tt.names, tt.args); got != tt.want {
				t.Errorf("Dir = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDirPanicsWithoutNames checks the documented programmer error.
func TestDirPanicsWithoutNames(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Dir did not panic")
		}
	}()
	Dir("r", nil, []string{"a"})
}

// TestPerlNum pins the numbers Perl reads from strings.
func TestPerlNum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want float64
	}{
		{"10", 10}, {" 2", 2}, {"+3", 3}, {"-3", -3}, {"2x", 2}, {"x", 0}, {"", 0},
		{".5", 0.5}, {"5.", 5}, {".", 0}, {"1e1", 10}, {"1e", 1}, {"1e+", 1}, {"2E-1", 0.2},
		{"0x10", 0}, {"1_000", 1}, {"inf", inf(1)}, {"-Infinity", inf(-1)}, {"1e999", inf(1)},
	}
	for _, tt := range tests {
		if got := perlNum(tt.s); got != tt.want {
			t.Errorf("perlNum(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if got := perlNum("NaN"); got == got {
		t.Errorf("perlNum(NaN) = %v", got)
	}
}

// inf is ±infinity.
func inf(sign int) float64 {
	v := 1e308
	return v * v * float64(sign)
}

// TestFinish checks the meta file and that Finish closes the files once.
func TestFinish(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	j, err := Open(root, []string{"1"}, []string{"a"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	m := Meta{Seq: 7, Command: "sleep 9", Exitval: -1, Signal: 15,
		Start: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), Runtime: 1500 * time.Millisecond,
		MaxRSS: 1 << 20, KilledBy: "timeout"}
	if err := j.Finish(m); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(Meta{}); err != nil {
		t.Errorf("second Finish: %v", err)
	}
	if _, err := j.Stdout.WriteString("late"); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after Finish: %v, want os.ErrClosed", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "1", "a", MetaName))
	if err != nil {
		t.Fatal(err)
	}
	var got Meta
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(m.Start) || got.Seq != m.Seq || got.Command != m.Command || got.Exitval != m.Exitval ||
		got.Signal != m.Signal || got.Runtime != m.Runtime || got.MaxRSS != m.MaxRSS || got.KilledBy != m.KilledBy {
		t.Errorf("meta holds %+v, want %+v", got, m)
	}
	for _, key := range []string{`"seq": 7`, `"exitval": -1`, `"signal": 15`, `"runtime_ns": 1500000000`, `"max_rss_bytes": 1048576`, `"killed_by": "timeout"`, `"start": "2024-01-02T03:04:05.000000006Z"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("meta lacks %s:\n%s", key, b)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "1", "a"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{MetaName, "seq", "stderr", "stdout"}; !slices.Equal(names, want) {
		t.Errorf("job directory holds %q, want %q", names, want)
	}
}

// TestOpenOverwrites checks that a job run again starts with empty files,
// as GNU parallel's are.
func TestOpenOverwrites(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for seq, out := range []string{"first run, longer", "second"} {
		j, err := Open(root, []string{"1"}, []string{"a"}, 10-seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Stdout.WriteString(out); err != nil {
			t.Fatal(err)
		}
		if err := j.Finish(Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := tree(t, root)
	if files["1/a/stdout"] != "second" || files["1/a/seq"] != "9" {
		t.Errorf("stdout %q, seq %q", files["1/a/stdout"], files["1/a/seq"])
	}
}

// TestOpenFails checks that a job directory that cannot be made is an
// error.
func TestOpenFails(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "1"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(root, []string{"1"}, []string{"a"}, 1); err == nil {
		t.Error("Open under a file succeeded")
	}
	if _, err := OpenPath(filepath.Join(root, "1", "x"), 1); err == nil {
		t.Error("OpenPath under a file succeeded")
	}
}

// TestDoneMatchesGNU lays out results for some jobs, then has GNU parallel
// resume from them and checks it runs exactly the jobs Done leaves to run.
func TestDoneMatchesGNU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template string // --results value; "" is the plain layout under "r"
		ran      []string
	}{
		{"plain", "", []string{"b", "d"}},
		{"directory template", "r/{}/", []string{"a", "c"}},
		{"file template", "r/{}", []string{"c"}},
	}
	all := []string{"a", "b", "c", "d"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			root := filepath.Join(dir, "r")
			out := func(arg string) string {
				if tt.template == "" {
					return Dir(root, []string{"1"}, []string{arg})
				}
				return filepath.Join(dir, strings.ReplaceAll(tt.template, "{}", arg))
			}
			for i, arg := range tt.ran {
				var j *Job
				var err error
				if tt.template == "" {
					j, err = Open(root, []string{"1"}, []string{arg}, i+1)
				} else {
					j, err = OpenPath(out(arg)+map[bool]string{true: "/"}[strings.HasSuffix(tt.template, "/")], i+1)
				}
				if err != nil {
					t.Fatal(err)
				}
				runJob(t, j, i+1)
			}
			var want []string
			for _, arg := range all {
				if !Done(out(arg)) {
					want = append(want, arg)
				}
			}
			if len(want) != len(all)-len(tt.ran) {
				t.Errorf("Done leaves %q to run after %q ran", want, tt.ran)
			}
			results := "r"
			if tt.template != "" {
				results = tt.template
			}
			// With --results GNU parallel prints nothing: echo to a file
			// beside the results, one job at a time so that the jobs
			// append in their order.
			gnutest.Output(t, dir, "", append([]string{"-k", "-j1", "--resume", "--results", results, "echo {} >> ran"}, append([]string{":::"}, all...)...)...)
			b, err := os.ReadFile(filepath.Join(dir, "ran"))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if got := strings.Fields(string(b)); !slices.Equal(got, want) {
				t.Errorf("GNU parallel ran %q, Done leaves %q", got, want)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	for out, want := range map[string][]string{
		filepath.Join(dir, "d") + "/":  {"d/seq", "d/stderr"},
		filepath.Join(dir, "f", "o.x"): {"f/o.x.err", "f/o.x.seq"},
	} {
		if err := DryRun(out, 7); err != nil {
			t.Fatal(err)
		}
		for _, name := range want {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if wantBody := map[bool]string{true: "7", false: ""}[strings.HasSuffix(name, "seq")]; string(b) != wantBody {
				t.Errorf("%s holds %q, want %q", name, b, wantBody)
			}
		}
		if Done(out) {
			t.Errorf("%s: a dry run's results count as done", out)
		}
	}
}
