//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// measure's runs come back here: the descendants they leave, too.
	if err := becomeSubreaper(); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m)
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in       []int64
		min, med int64
	}{
		{[]int64{5}, 5, 5},
		{[]int64{9, 1, 5}, 1, 5},
		{[]int64{8, 2, 4, 6}, 2, 5},
		{nil, 0, 0},
	} {
		if got := summarize(tc.in); got.min != tc.min || got.med != tc.med {
			t.Errorf("summarize(%v) = %+v, want min %d med %d", tc.in, got, tc.min, tc.med)
		}
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nprocessor\t: 1\nmodel name\t: other\n"
	if got, want := cpuModel([]byte(info)), "Intel(R) Xeon(R) CPU @ 2.20GHz"; got != want {
		t.Errorf("cpuModel = %q, want %q", got, want)
	}
	if got := cpuModel([]byte("processor\t: 0\n")); got != "unknown CPU" {
		t.Errorf("cpuModel without a model name = %q", got)
	}
}

func TestWriteLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lines")
	const size = 100_003
	lines, err := writeLines(path, size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != size || b[len(b)-1] != '\n' {
		t.Fatalf("file of %d bytes ending in %q, want %d ending in a newline", len(b), b[len(b)-1], size)
	}
	if n := int64(bytes.Count(b, []byte("\n"))); n != lines {
		t.Errorf("writeLines says %d lines, the file has %d", lines, n)
	}
}

func TestMeasure(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, []byte("1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run{
		argv:   []string{"/bin/sh", "-c", "wc -l; echo warning >&2"},
		stdin:  in,
		stdout: filepath.Join(dir, "out"),
		stderr: filepath.Join(dir, "err"),
	}
	s, out, err := measure(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "3" {
		t.Errorf("stdout %q, want 3", out)
	}
	if s.wall <= 0 || s.rss <= 0 || s.floor <= 0 {
		t.Errorf("sample %+v: wall, rss and floor must be measured", s)
	}
}

func TestMeasureFailure(t *testing.T) {
	r := run{
		argv:   []string{"/bin/sh", "-c", "echo first >&2; echo the reason >&2; exit 3"},
		stderr: filepath.Join(t.TempDir(), "err"),
	}
	_, _, err := measure(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), "exit status 3: the reason") {
		t.Errorf("err = %v, want exit status 3 with the last line of stderr", err)
	}
}

func TestMeasureWaitsForOrphans(t *testing.T) {
	// The background job outlives the shell and comes to this process,
	// which waits for it.
	done := filepath.Join(t.TempDir(), "done")
	r := run{argv: []string{"/bin/sh", "-c", "(sleep 0.2; echo > " + done + ") & exit 0"}}
	if _, _, err := measure(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(done); err != nil {
		t.Errorf("measure returned before the orphan ended: %v", err)
	}
	if left := children(); len(left) > 0 {
		t.Errorf("processes %v left after measure", left)
	}
}

func TestMeasureKillsOrphans(t *testing.T) {
	defer func(d time.Duration) { orphanWait = d }(orphanWait)
	orphanWait = 100 * time.Millisecond
	r := run{argv: []string{"/bin/sh", "-c", "sleep 60 & sleep 60 & exit 0"}}
	_, _, err := measure(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), "2 descendants still ran") {
		t.Errorf("err = %v, want 2 descendants killed", err)
	}
	if left := children(); len(left) > 0 {
		t.Errorf("processes %v left after measure", left)
	}
}

func TestMeasureCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// The group is killed, the shell's child with it.
	r := run{argv: []string{"/bin/sh", "-c", "sleep 60; true"}}
	if _, _, err := measure(ctx, r); err == nil {
		t.Error("a cancelled run returned no error")
	}
	if left := children(); len(left) > 0 {
		t.Errorf("processes %v left after measure", left)
	}
}

func TestRunScenario(t *testing.T) {
	dir := t.TempDir()
	sc := scenario{
		name:   "test",
		passes: 3,
		warm:   true,
		tools: []tool{
			{"ok", peer{path: "/bin/true"}, nil},
			{"fails", peer{path: "/bin/false"}, nil},
			{"missing", peer{skip: "not installed"}, nil},
		},
	}
	res, err := runScenario(context.Background(), sc, dir, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if r := res["ok"]; !r.ok() || len(r.samples) != 3 {
		t.Errorf("ok: %d samples, err %v; want 3 (the warm-up not counted)", len(r.samples), r.err)
	}
	if r := res["fails"]; r.ok() || r.why() != "failed: exit status 1" {
		t.Errorf("fails: %q", r.why())
	}
	if r := res["missing"]; r.ok() || r.why() != "skipped: not installed" {
		t.Errorf("missing: %q", r.why())
	}
}

func TestPipeCheck(t *testing.T) {
	c := config{rounds: 1, barRounds: 1, starts: 1, quick: true}
	var pipe scenario
	for _, sc := range scenarios(c, peers{}, t.TempDir()) {
		if sc.name == "pipe" {
			pipe = sc
		}
	}
	if err := pipe.prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pipe.stdin)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(b, []byte("\n"))
	half := n / 2
	good := []byte(strings.Join([]string{strconv.Itoa(half), strconv.Itoa(n - half)}, "\n") + "\n")
	if err := pipe.check(good); err != nil {
		t.Errorf("check of counts that add up: %v", err)
	}
	if err := pipe.check([]byte(strconv.Itoa(n - 1))); err == nil {
		t.Error("check of a count one short passed")
	}
	if err := pipe.check([]byte("wc: error")); err == nil {
		t.Error("check of an error message passed")
	}
}

func TestTargets(t *testing.T) {
	res := func(walls map[string]time.Duration) results {
		r := results{}
		for name, w := range walls {
			r[name] = &result{tool: tool{name: name}, samples: []sample{{wall: w}, {wall: w + 2}, {wall: w + 1}}}
		}
		return r
	}
	r := res(map[string]time.Duration{nameMultitask: 130, nameXargs: 100})
	if got := r.ratioTarget("1", "x", nameMultitask, nameXargs, 1.3); got.verdict != "PASS" {
		t.Errorf("1.3× against a limit of 1.3: %+v", got)
	}
	r = res(map[string]time.Duration{nameMultitask: 140, nameXargs: 100})
	if got := r.ratioTarget("1", "x", nameMultitask, nameXargs, 1.3); got.verdict != "MISS" {
		t.Errorf("1.4× against a limit of 1.3: %+v", got)
	}
	r[nameRush] = &result{tool: tool{name: nameRush, peer: peer{skip: "not installed"}}}
	if got := r.ratioTarget("2", "x", nameMultitask, nameRush, 1); got.verdict != "rush: skipped: not installed" {
		t.Errorf("against a missing peer: %+v", got)
	}
	r[nameMultitask].err = os.ErrNotExist
	if got := r.limitTarget("4", "x", nameMultitask, 10, nil); !strings.HasPrefix(got.verdict, "multitask: failed: ") {
		t.Errorf("of a failed multitask: %+v", got)
	}
}

func TestCommand(t *testing.T) {
	tl := tool{name: nameXargsSh, peer: peer{path: "/usr/bin/xargs"}, args: []string{"-P2", "sh", "-c", `true "$@"`, "_", "{}"}}
	if got, want := tl.command(), `xargs -P2 sh -c 'true "$@"' _ {}`; got != want {
		t.Errorf("command() = %s, want %s", got, want)
	}
}

func TestWriteRowsOfFailedTools(t *testing.T) {
	var b strings.Builder
	writeRows(&b, [][]string{{"tool", "runs", "wall"}, {"multitask", "failed: exit status 1"}, {"wc -l", "skipped"}})
	want := "  tool       runs  wall\n  multitask  failed: exit status 1\n  wc -l      skipped\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPipedTool(t *testing.T) {
	p := peers{sh: peer{path: "/bin/sh"}}
	inner := peer{path: "/usr/bin/parallel", env: []string{"SHELL=/bin/sh"}}
	tl := p.piped(nameGNU, inner, "--pipe", "wc", "-l")
	if got, want := tl.command(), `sh -c 'cat | "$0" "$@"' /usr/bin/parallel --pipe wc -l`; got != want {
		t.Errorf("command() = %s, want %s", got, want)
	}
	if tl.peer.env[0] != "SHELL=/bin/sh" || tl.peer.skip != "" {
		t.Errorf("peer = %+v, want the inner's environment and no skip", tl.peer)
	}
	inner.skip = "not installed"
	if tl := p.piped(nameGNU, inner, "-l"); tl.peer.skip != "not installed" {
		t.Errorf("piped missing tool: skip = %q", tl.peer.skip)
	}
}

// fakeOnPath puts on PATH only a script called name that prints version.
func fakeOnPath(t *testing.T, name, version string) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho '" + version + "'\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

func TestFindGNU(t *testing.T) {
	fakeOnPath(t, "parallel", "parallel from moreutils")
	p := findGNU(context.Background(), nil, t.TempDir(), &bytes.Buffer{})
	if !strings.Contains(p.skip, "is not GNU parallel") {
		t.Errorf("moreutils' parallel: skip %q", p.skip)
	}
	fakeOnPath(t, "parallel", "GNU parallel 20221122")
	if p := findGNU(context.Background(), nil, t.TempDir(), &bytes.Buffer{}); p.skip != "" || p.version != "GNU parallel 20221122" {
		t.Errorf("GNU parallel: %+v", p)
	}
}

func TestFindRush(t *testing.T) {
	fakeOnPath(t, "rush", "rush (GNU Rush) 2.3")
	if p := findRush(context.Background(), nil); !strings.HasPrefix(p.skip, "not installed (") {
		t.Errorf("GNU Rush: skip %q", p.skip)
	}
	fakeOnPath(t, "rush", "rush v0.5.4")
	if p := findRush(context.Background(), nil); p.skip != "" || p.path == "" {
		t.Errorf("shenwei356/rush: %+v", p)
	}
	t.Setenv("PATH", t.TempDir())
	if p := findRush(context.Background(), nil); p.skip != "not installed" {
		t.Errorf("no rush: skip %q", p.skip)
	}
}
