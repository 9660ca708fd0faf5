package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
)

// joblogColumns reads a joblog without its time columns (Starttime and
// JobRuntime), which no two runs share.
func joblogColumns(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(withoutTimes(string(b)), "\n")
}

// withoutTimes drops the time columns of the joblog lines in s (a joblog,
// or stdout with --joblog -) and keeps its other lines.
func withoutTimes(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if f := strings.Split(line, "\t"); len(f) >= 9 {
			line = strings.Join(slices.Delete(f, 2, 4), "\t")
		}
		b.WriteString(line)
	}
	return b.String()
}

func TestJoblogMatchesGNU(t *testing.T) {
	gnutest.Path(t)
	// A joblog to append to, as GNU parallel wrote it.
	old := "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n" +
		"1\t:\t1700000000.000\t     0.001\t0\t2\t0\t0\techo x\n"
	cases := []struct {
		name string
		args []string
	}{
		{"statuses", []string{"-k", "--joblog", "jl", "echo {}; exit {}", ":::", "0", "1", "3"}},
		{"killed by a signal", []string{"-k", "--joblog", "jl", "kill -9 $$", ":::", "1"}},
		{"timeout", []string{"-k", "--joblog", "jl", "--timeout", "0.3", "sleep {}", ":::", "0", "5"}},
		{"retries log the last try", []string{"-k", "--joblog", "jl", "--retries", "2", "echo x; exit 1", ":::", "1"}},
		{"not found", []string{"-k", "--joblog", "jl", "no-such-command-anywhere", ":::", "1"}},
		{"ungrouped receives nothing", []string{"-k", "-u", "--joblog", "jl", "echo", ":::", "a"}},
		{"quoted command", []string{"-k", "--joblog", "jl", "echo", ":::", "a b", "it's"}},
		{"pipe sends", []string{"-k", "--pipe", "--block", "10", "--joblog", "jl", "wc", "-c"}},
		{"pipe sends from a file", []string{"-k", "--pipe", "--block", "12", "--joblog", "jl", "wc", "-c"}},
		{"pipe sends the header", []string{"-k", "--pipe", "--header", ":", "--block", "10", "--joblog", "jl", "wc", "-c"}},
		{"pipe part sends nothing", []string{"-k", "--pipe-part", "-a", "part", "--block", "20", "--joblog", "jl", "wc", "-c"}},
		{"retries until one succeeds", []string{"-k", "--joblog", "jl", "--retries", "3", "if [ -e {}.tried ]; then echo ok; else touch {}.tried; exit 1; fi", ":::", "a", "b"}},
		// A timed-out job logs -1 unless it exited with a status of its
		// own, and the signal that ended it, if one did.
		{"timeout killed at last", []string{"-k", "--joblog", "jl", "--timeout", "0.3", "trap '' TERM; sleep 2; echo {}", ":::", "1"}},
		{"timeout exit status", []string{"-k", "--joblog", "jl", "--timeout", "0.3", "trap 'exit 3' TERM; sleep 3 & wait; echo {}", ":::", "1"}},
		{"timeout survived", []string{"-k", "--joblog", "jl", "--timeout", "0.3", "--termseq", "INT,300,KILL,25", "trap 'echo int' INT; sleep 3 & wait; echo {}", ":::", "1"}},
		{"on stdout", []string{"-k", "--joblog", "-", "echo {}; exit {}", ":::", "0", "1"}},
		{"appended", []string{"-k", "--joblog", "+jl", "echo {}; exit {}", ":::", "0", "1"}},
		{"appended to nothing", []string{"-k", "--joblog", "+new", "echo", ":::", "a"}},
		// A dry run runs nothing, and so logs nothing: not even a header.
		{"dry run", []string{"-k", "--dry-run", "--joblog", "new", "echo", ":::", "a"}},
	}
	pairs := make([]*pair, len(cases))
	for i, tc := range cases {
		pairs[i] = &pair{args: tc.args, files: map[string]string{"jl": old, "part": strings.Repeat("line\n", 20)}}
		if slices.Contains(tc.args, "--pipe") {
			pairs[i].stdin = strings.Repeat("line\n", 10)
			pairs[i].stdinFile = strings.HasSuffix(tc.name, "from a file")
		}
	}
	startPairs(t, pairs...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pairs[i]
			gnu, ours := p.run(t)
			for _, name := range []string{"jl", "new"} {
				_, err := os.Stat(filepath.Join(p.gnuDir, name))
				if _, ourErr := os.Stat(filepath.Join(p.ourDir, name)); (err == nil) != (ourErr == nil) {
					t.Fatalf("%s exists: %v; with GNU parallel: %v", name, ourErr == nil, err == nil)
				}
				if err != nil {
					continue
				}
				if want, got := joblogColumns(t, filepath.Join(p.gnuDir, name)), joblogColumns(t, filepath.Join(p.ourDir, name)); !slices.Equal(got, want) {
					t.Errorf("%s without times\n got %q\nwant %q (GNU parallel)", name, got, want)
				}
			}
			if got, want := withoutTimes(ours.stdout), withoutTimes(gnu.stdout); got != want || gnu.code != ours.code {
				t.Errorf("stdout without times %q exit %d\nwant %q exit %d (GNU parallel)", got, ours.code, want, gnu.code)
			}
		})
	}
}

// TestResumeReadsGNUJoblog lets GNU parallel write a joblog with failed
// jobs, then resumes from copies of it with each runner.
func TestResumeReadsGNUJoblog(t *testing.T) {
	gnutest.Path(t)
	first := []string{"-k", "--joblog", "jl", "echo {} >> ran; [ {} != 2 ] && [ {} != 4 ]", ":::", "1", "2", "3", "4"}
	seed := t.TempDir()
	if o := runGNU(t, seed, "", first...); o.code != 2 {
		t.Fatalf("first run exit %d, want 2", o.code)
	}
	log, err := os.ReadFile(filepath.Join(seed, "jl"))
	if err != nil {
		t.Fatal(err)
	}
	modes := []string{"--resume", "--resume-failed"}
	pairs := make([]*pair, len(modes))
	for i, mode := range modes {
		// One more input value, so that both modes have a new job.
		args := append([]string{mode}, first...)
		pairs[i] = &pair{files: map[string]string{"jl": string(log)}, args: append(args, "5")}
	}
	startPairs(t, pairs...)
	for i, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			gnu, ours := pairs[i].run(t)
			gnuDir, ourDir := pairs[i].gnuDir, pairs[i].ourDir
			for _, f := range []string{"ran", "jl"} {
				want, _ := os.ReadFile(filepath.Join(gnuDir, f))
				got, _ := os.ReadFile(filepath.Join(ourDir, f))
				if f == "ran" {
					// Jobs ran two at a time: the order they wrote in is not theirs.
					want, got = []byte(sortedLines(string(want))), []byte(sortedLines(string(got)))
				}
				if f == "jl" {
					want, got = []byte(strings.Join(joblogColumns(t, filepath.Join(gnuDir, f)), "")), []byte(strings.Join(joblogColumns(t, filepath.Join(ourDir, f)), ""))
				}
				if string(got) != string(want) {
					t.Errorf("%s: %s\n got %q\nwant %q (GNU parallel)", mode, f, got, want)
				}
			}
			if gnu.code != ours.code {
				t.Errorf("%s: exit %d, GNU's %d", mode, ours.code, gnu.code)
			}
		})
	}
}

// tree lists the files under root with their contents, leaving out the
// meta files that only multitask writes.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "meta.json" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestResultsMatchGNU(t *testing.T) {
	gnutest.Path(t)
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"two sources", "", []string{"--results", "res", "echo {1}{2}; echo err >&2", ":::", "a", "b/c", ":::", "x", ""}},
		{"stdin", "l1\nl 2\n", []string{"--results", "res", "echo"}},
		{"header", "", []string{"--header", ":", "--results", "res", "echo {b}", ":::", "b", "1", "2", ":::", "a", "3"}},
	}
	pairs := make([]*pair, len(cases))
	for i, tc := range cases {
		pairs[i] = &pair{stdin: tc.stdin, args: tc.args}
	}
	startPairs(t, pairs...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gnu, ours := pairs[i].run(t)
			gnuDir, ourDir := pairs[i].gnuDir, pairs[i].ourDir
			want, got := tree(t, filepath.Join(gnuDir, "res")), tree(t, filepath.Join(ourDir, "res"))
			if !mapsEqual(got, want) || gnu.stdout != ours.stdout || gnu.code != ours.code {
				t.Errorf("results\n got %q stdout %q exit %d\nwant %q stdout %q exit %d (GNU parallel)", got, ours.stdout, ours.code, want, gnu.stdout, gnu.code)
			}
			// multitask adds a meta file to every job's directory.
			metas := 0
			filepath.WalkDir(filepath.Join(ourDir, "res"), func(_ string, d fs.DirEntry, _ error) error {
				if d != nil && d.Name() == "meta.json" {
					metas++
				}
				return nil
			})
			if seqs := countSuffix(want, "seq"); metas != seqs {
				t.Errorf("%d meta.json files for %d jobs", metas, seqs)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func countSuffix(m map[string]string, name string) int {
	n := 0
	for k := range m {
		if filepath.Base(k) == name {
			n++
		}
	}
	return n
}

// TestResumeKeyHash resumes by command line: input in another order
// reruns nothing that ran and runs what did not.
func TestResumeKeyHash(t *testing.T) {
	dir := t.TempDir()
	inDir(t, dir, func() {
		if o := runIn(t, "", "--joblog", "jl", "echo {} >> ran", ":::", "a", "b", "c"); o.code != 0 {
			t.Fatalf("first run: %+v", o)
		}
		os.Remove("ran")
		o := runIn(t, "", "--resume", "--resume-key", "hash", "--joblog", "jl", "echo {} >> ran", ":::", "d", "c", "b", "a", "e")
		if o.code != 0 {
			t.Fatalf("resumed run: %+v", o)
		}
		b, _ := os.ReadFile("ran")
		got := strings.Fields(string(b))
		slices.Sort(got)
		if !slices.Equal(got, []string{"d", "e"}) {
			t.Fatalf("resumed by hash ran %q, want the new values d and e only", got)
		}
		// By number (GNU's way) the log now holds jobs 1, 2, 3 and 5: the
		// same input reruns job 4 (a, which ran in the first run) and runs
		// 6 and 7.
		os.Remove("ran")
		runIn(t, "", "--resume", "--joblog", "jl", "echo {} >> ran", ":::", "d", "c", "b", "a", "e", "f", "g")
		b, _ = os.ReadFile("ran")
		got = strings.Fields(string(b))
		slices.Sort(got)
		if !slices.Equal(got, []string{"a", "f", "g"}) {
			t.Fatalf("resumed by number ran %q, want jobs 4, 6 and 7 (a, f and g)", got)
		}
	})
}
