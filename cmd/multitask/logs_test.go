package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"github.com/multitask-go/multitask/cmd/multitask/internal/joblog"
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
		{"semaphore", []string{"--fg", "--id", "joblog", "--joblog", "jl", "echo", "{}", "x"}},
		{"semaphore failed", []string{"--fg", "--id", "joblog", "--joblog", "jl", "exit 5"}},
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
		// Skipped jobs log exit value -2, as they count failed.
		{"skipped by perl", []string{"-k", "--joblog", "jl", "echo {= $_ > 1 and skip() =}", ":::", "1", "2", "3"}},
		{"filtered", []string{"-k", "--joblog", "jl", "--filter", "{} != 2", "echo", ":::", "1", "2", "3"}},
		{"skipped with retries", []string{"-k", "--joblog", "jl", "--retries", "3", "echo {= skip() =}", ":::", "1"}},
		{"skipped in a dry run", []string{"-k", "--dry-run", "--joblog", "new", "echo {= skip() =}", ":::", "a"}},
		{"bin sends nothing", []string{"-k", "--pipe", "--bin", "1", "-j3", "--joblog", "jl", "cat"}},
		{"limit kills the youngest", []string{"-k", "-j1", "--joblog", "jl", "--limit", "if [ -e k ]; then rm k; exit 2; fi", "touch k; sleep 3; echo {}", ":::", "a"}},
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
		if err != nil || d.IsDir() || strings.HasSuffix(d.Name(), "meta.json") {
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
		// With replacement strings, the value expanded names the stdout
		// file, beside .err and .seq, or a directory when it ends in "/".
		{"template file", "", []string{"--results", "res/o_{}.out", "echo {}; echo err{} >&2", ":::", "a", "b c", "d/e"}},
		{"template dir", "", []string{"--results", "res/d_{#}/", "echo {}", ":::", "x", "y"}},
		{"template of two sources", "", []string{"--results", "res/p{2}_{1}", "echo", ":::", "1", "2", ":::", "A"}},
		{"template with -X", "", []string{"-X", "--results", "res/{1}_x", "echo", ":::", "1", "2", "3"}},
		// A dry run makes each job's seq and stderr files, and no stdout.
		{"dry run", "", []string{"--dry-run", "--results", "res", "echo", ":::", "a", "b"}},
		{"dry run of a template file", "", []string{"--dry-run", "--results", "res/{}.txt", "echo", ":::", "a", "b"}},
		{"dry run of a template dir", "", []string{"--dry-run", "--results", "res/{}/", "echo", ":::", "a"}},
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
			// multitask adds a meta file to every job's directory, or
			// beside its files, once the job has run.
			metas := 0
			filepath.WalkDir(filepath.Join(ourDir, "res"), func(_ string, d fs.DirEntry, _ error) error {
				if d != nil && strings.HasSuffix(d.Name(), "meta.json") {
					metas++
				}
				return nil
			})
			seqs := countSuffix(want, "seq")
			if slices.Contains(tc.args, "--dry-run") {
				seqs = 0
			}
			if metas != seqs {
				t.Errorf("%d meta.json files for %d jobs", metas, seqs)
			}
		})
	}
}

// TestRetryFailedMatchesGNU lets GNU parallel write a joblog with failed
// jobs, a job number it skips and one that succeeded at its second try,
// then runs --retry-failed from copies of it with each runner: the failed
// commands run again with their numbers, whatever command and input are
// given, and the joblog grows by the same lines.
func TestRetryFailedMatchesGNU(t *testing.T) {
	gnutest.Path(t)
	log := joblog.Header + "\n" +
		"1\t:\t1700000000.000\t0.010\t0\t4\t1\t0\techo one; exit 1\n" +
		"3\t:\t1700000000.000\t0.010\t0\t6\t0\t15\techo three\n" +
		"4\t:\t1700000000.000\t0.010\t0\t0\t2\t0\tfalse\n" +
		"4\t:\t1700000001.000\t0.010\t0\t0\t0\t0\ttrue\n" +
		"5\t:\t1700000000.000\t0.010\t0\t0\t3\t0\techo five\n"
	p := &pair{files: map[string]string{"jl": log}, args: []string{"-k", "-j1", "--retry-failed", "--joblog", "jl", "echo", "ignored", ":::", "x"}}
	startPairs(t, p)
	gnu, ours := p.run(t)
	if ours.stdout != gnu.stdout || ours.code != gnu.code {
		t.Errorf("stdout %q exit %d; GNU parallel's %q exit %d", ours.stdout, ours.code, gnu.stdout, gnu.code)
	}
	want, got := joblogColumns(t, filepath.Join(p.gnuDir, "jl")), joblogColumns(t, filepath.Join(p.ourDir, "jl"))
	if !slices.Equal(got, want) {
		t.Errorf("joblog\n got %q\nwant %q (GNU parallel)", got, want)
	}
}

// TestRoundRobinSendsEveryBlock spreads 200 blocks over 3 jobs: every
// line reaches one job, and the joblog's Send columns add up to stdin.
func TestRoundRobinSendsEveryBlock(t *testing.T) {
	dir := t.TempDir()
	in := lines(100000)
	inDir(t, dir, func() {
		o := runIn(t, in, "-k", "-j3", "--round-robin", "--pipe", "--block", "3k", "--joblog", "jl", "wc", "-l")
		if o.code != 0 {
			t.Fatalf("exit %d: %s", o.code, o.stderr)
		}
		counts := strings.Fields(o.stdout)
		sum := 0
		for _, c := range counts {
			n, _ := strconv.Atoi(c)
			sum += n
		}
		if len(counts) != 3 || sum != 100000 {
			t.Errorf("%d jobs counted %d lines, want 3 and 100000", len(counts), sum)
		}
		b, err := os.ReadFile("jl")
		if err != nil {
			t.Fatal(err)
		}
		log := strings.Split(strings.TrimSpace(withoutTimes(string(b))), "\n")
		jobs, sent := 0, 0
		for _, line := range log[1:] {
			n, _ := strconv.Atoi(strings.Split(line, "\t")[2]) // Seq Host Send ...
			jobs, sent = jobs+1, sent+n
		}
		if jobs != 3 || sent != len(in) {
			t.Errorf("the joblog logs %d jobs that were sent %d bytes, want 3 and %d:\n%q", jobs, sent, len(in), log)
		}
	})
}

// TestResumeFromResults resumes from the files of --results, as GNU
// parallel does without a joblog: --resume skips the jobs whose stdout is
// there, in the tree or as a template's file, and beside a joblog skips
// those too; --resume-failed skips none of them.
func TestResumeFromResults(t *testing.T) {
	gnutest.Path(t)
	earlier := map[string]string{
		"res/1/a/seq": "1", "res/1/a/stdout": "old\n", "res/1/a/stderr": "",
		"t_b": "old\n", "t_b.seq": "2", "t_b.err": "",
		"jl": "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n3\t:\t1.000\t0.001\t0\t0\t0\t0\techo c >> ran\n",
	}
	cases := []struct {
		name string
		args []string
	}{
		{"tree", []string{"--resume", "--results", "res", "echo {} >> ran"}},
		{"template", []string{"--resume", "--results", "t_{}", "echo {} >> ran"}},
		{"and joblog", []string{"--resume", "--joblog", "jl", "--results", "res", "echo {} >> ran"}},
		{"failed", []string{"--resume-failed", "--results", "res", "echo {} >> ran"}},
	}
	pairs := make([]*pair, len(cases))
	for i, tc := range cases {
		args := append([]string{"-j1"}, tc.args...)
		pairs[i] = &pair{files: earlier, args: append(args, ":::", "a", "b", "c", "d")}
	}
	startPairs(t, pairs...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gnu, ours := pairs[i].run(t)
			want, got := tree(t, pairs[i].gnuDir), tree(t, pairs[i].ourDir)
			delete(want, "jl") // its times differ; the test of joblogs compares them
			delete(got, "jl")
			if !mapsEqual(got, want) || ours.stdout != gnu.stdout || ours.code != gnu.code {
				t.Errorf("files\n got %q stdout %q exit %d\nwant %q stdout %q exit %d (GNU parallel)", got, ours.stdout, ours.code, want, gnu.stdout, gnu.code)
			}
		})
	}
}

// TestResultsTablesMatchGNU writes --results as CSV, TSV and JSON tables,
// on stdout and in a file, and with --dry-run: the same as GNU parallel's
// but for the start times and runtimes.
func TestResultsTablesMatchGNU(t *testing.T) {
	gnutest.Path(t)
	// The start time and the runtime of each job, in every format.
	times := regexp.MustCompile(`[0-9]{10}\.[0-9]{3}([,\t]|, "JobRuntime": )[0-9]+\.[0-9]{3}`)
	norm := func(s string) string { return times.ReplaceAllString(s, "T${1}R") }
	runCases(t, []argCase{
		{"csv", []string{"-k", "--results", "-.csv", "echo {}; echo e >&2", ":::", "a", "b,c", "d\"e"}},
		{"tsv of two sources", []string{"-k", "--results", "-.tsv", "echo", ":::", "a", "b\tc", ":::", "1", "2"}},
		{"json", []string{"-k", "--results", "-.json", "printf '%s\\n\\001'", ":::", "a", "b\"c"}},
		{"csv with a header", []string{"-k", "--header", ":", "--results", "-.csv", "echo {x} {y}", ":::", "x", "1", ":::", "y", "2", "3"}},
		{"file", []string{"-k", "--results", "out.CSV", "echo", ":::", "a", "b"}},
		{"dry run", []string{"-k", "--dry-run", "--results", "-.json", "echo", ":::", "a", "b"}},
		{"dry run of files", []string{"-k", "--dry-run", "--results", "res", "echo", ":::", "a", "b"}},
		{"failed jobs", []string{"-k", "--results", "-.csv", "exit {}", ":::", "0", "3"}},
	}, func(t *testing.T, tc argCase, p *pair, gnu, ours outcome) {
		if norm(ours.stdout) != norm(gnu.stdout) || ours.code != gnu.code {
			t.Errorf("stdout\n%s\nexit %d, GNU parallel's\n%s\nexit %d", ours.stdout, ours.code, gnu.stdout, gnu.code)
		}
		want, got := tree(t, p.gnuDir), tree(t, p.ourDir)
		// The comparison must see the times it leaves out.
		if table := gnu.stdout + want["out.CSV"]; tc.name != "dry run of files" && !times.MatchString(table) {
			t.Errorf("no start time and runtime found in GNU parallel's table %q", table)
		}
		for _, m := range []map[string]string{want, got} {
			for name, content := range m {
				m[name] = norm(content)
			}
		}
		if !mapsEqual(got, want) {
			t.Errorf("files\n got %q\nwant %q (GNU parallel)", got, want)
		}
	})
}

// TestFilesMatchGNU prints the names of files holding the jobs' output,
// in --tmpdir or --results: the same lines as GNU parallel's but for the
// random part of the names, and the files hold the same.
func TestFilesMatchGNU(t *testing.T) {
	gnutest.Path(t)
	name := regexp.MustCompile(`par[A-Za-z0-9_]{5}\.par`)
	norm := func(s string) string { return name.ReplaceAllString(s, "P") }
	contents := func(t *testing.T, dir string) []string {
		var all []string
		for file, content := range tree(t, dir) {
			all = append(all, norm(file)+": "+content)
		}
		slices.Sort(all)
		return all
	}
	runCases(t, []argCase{
		{"temporary", []string{"-k", "--files", "--tmpdir", ".", "echo {}; echo err >&2", ":::", "a", "b"}},
		{"tagged", []string{"-k", "--output-as-files", "--tmpdir", ".", "--tag", "printf {}", ":::", "a", "b"}},
		{"results", []string{"-k", "--files", "--results", "res", "echo", ":::", "a"}},
		{"results template", []string{"-k", "--files", "--results", "out_{}", "echo", ":::", "a"}},
		{"dry run", []string{"-k", "--files", "--tmpdir", ".", "--dry-run", "echo", ":::", "a"}},
		{"ungrouped", []string{"-k", "--files", "-u", "echo", ":::", "a"}},
	}, func(t *testing.T, _ argCase, p *pair, gnu, ours outcome) {
		if norm(ours.stdout) != norm(gnu.stdout) || ours.code != gnu.code {
			t.Errorf("stdout %q exit %d; GNU parallel's %q exit %d", ours.stdout, ours.code, gnu.stdout, gnu.code)
		}
		if want, got := contents(t, p.gnuDir), contents(t, p.ourDir); !slices.Equal(got, want) {
			t.Errorf("files\n got %q\nwant %q (GNU parallel)", got, want)
		}
	})
}

// argCase is a command line that both runners run.
type argCase struct {
	name string
	args []string
}

// runCases runs each case with GNU parallel and with multitask, each in a
// directory of its own, and checks each pair's outcomes in a subtest.
func runCases(t *testing.T, cases []argCase, check func(t *testing.T, tc argCase, p *pair, gnu, ours outcome)) {
	t.Helper()
	pairs := make([]*pair, len(cases))
	for i, tc := range cases {
		pairs[i] = &pair{args: tc.args}
	}
	startPairs(t, pairs...)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gnu, ours := pairs[i].run(t)
			check(t, tc, pairs[i], gnu, ours)
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

func countSuffix(m map[string]string, suffix string) int {
	n := 0
	for k := range m {
		if strings.HasSuffix(k, suffix) {
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
