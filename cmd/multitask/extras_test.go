package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The options below are multitask's own, or behave in ways GNU parallel
// has no counterpart for; they are checked against their documentation.

func TestJSONSummary(t *testing.T) {
	o := runIn(t, "", "-k", "--json", "exit {}", ":::", "0", "0", "3")
	if o.code != 1 {
		t.Fatalf("exit %d, want 1: %+v", o.code, o)
	}
	var sum struct {
		Jobs, Succeeded, Failed int
		Exit                    int `json:"exit_status"`
		Halted                  bool
	}
	if err := json.Unmarshal([]byte(o.stdout), &sum); err != nil {
		t.Fatalf("stdout %q is not the JSON summary: %v", o.stdout, err)
	}
	if sum.Jobs != 3 || sum.Succeeded != 2 || sum.Failed != 1 || sum.Exit != 1 || sum.Halted {
		t.Fatalf("summary %+v", sum)
	}
}

func TestBarEndsWithASummaryLine(t *testing.T) {
	o := runIn(t, "", "--bar", "true", ":::", "1", "2", "3")
	if o.code != 0 || o.stdout != "" {
		t.Fatalf("%+v", o)
	}
	// Not a terminal: no progress drawing, only the summary line.
	if !strings.HasPrefix(o.stderr, "multitask: 3 jobs, 0 failed, in ") || strings.Count(o.stderr, "\n") != 1 {
		t.Fatalf("stderr %q, want one summary line", o.stderr)
	}
}

func TestMemLimitOption(t *testing.T) {
	o := runIn(t, "", "--mem-limit", "50M", "--joblog", "-", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 30; echo {}", ":::", "1")
	if o.code != 1 || !strings.Contains(o.stderr, "memory passed") {
		t.Fatalf("%+v", o)
	}
	fields := strings.Split(strings.Split(o.stdout, "\n")[1], "\t")
	if fields[6] != "-1" || fields[7] != "9" {
		t.Fatalf("joblog line %q: want Exitval -1 and Signal 9", fields)
	}
}

func TestHaltNowOnFailAlias(t *testing.T) {
	o := runIn(t, "", "-j1", "-e", "exit {}", ":::", "0", "5", "0")
	if o.code != 5 {
		t.Fatalf("-e: exit %d, want 5 (the failed job's status)", o.code)
	}
}

func TestPipeKeepsEveryRecordOnce(t *testing.T) {
	var in strings.Builder
	for i := range 5000 {
		in.WriteString(strings.Repeat("x", i%50) + "\n")
	}
	o := runIn(t, in.String(), "--pipe", "--block", "1k", "-k", "cat")
	if o.code != 0 || o.stdout != in.String() {
		t.Fatalf("exit %d; output of %d bytes differs from the %d bytes of input", o.code, len(o.stdout), in.Len())
	}
}

func TestResultsMetaFile(t *testing.T) {
	dir := t.TempDir()
	inDir(t, dir, func() {
		o := runIn(t, "", "--results", "res", "--timeout", "0.3", "sleep {}", ":::", "0", "5")
		if o.code != 1 {
			t.Fatalf("%+v", o)
		}
	})
	for arg, want := range map[string]struct {
		exit, signal int
		killedBy     string
	}{"0": {0, 0, ""}, "5": {-1, 15, "timeout"}} {
		b, err := os.ReadFile(filepath.Join(dir, "res", "1", arg, "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Seq      int    `json:"seq"`
			Command  string `json:"command"`
			Exitval  int    `json:"exitval"`
			Signal   int    `json:"signal"`
			KilledBy string `json:"killed_by"`
			MaxRSS   int64  `json:"max_rss_bytes"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Exitval != want.exit || m.Signal != want.signal || m.KilledBy != want.killedBy || m.Command != "sleep "+arg || m.MaxRSS <= 0 {
			t.Errorf("meta of sleep %s: %+v", arg, m)
		}
	}
}

func TestBadInputExits255(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-option", "echo"},
		{"-j", "x", "echo", ":::", "1"},
		{"--halt", "sometimes", "echo", ":::", "1"},
		{"--timeout", "soon", "echo", ":::", "1"},
		{"--resume-key", "color", "--joblog", "x", "echo", ":::", "1"},
		{"--resume", "echo", ":::", "1"},
		{"echo", "::::", "no/such/file"},
		{"--block", "0", "--pipe", "cat"},
		{"--pipe-part", "-N2", "-a", "x", "cat"},
		{"--pipe-part", "-l", "-a", "x", "cat"},
		{"--termseq", "TERM,x", "echo", ":::", "1"},
		{"echo", ":::", strings.Repeat("x", 70000)},
		{"-s", "x", "echo", ":::", "1"},
		{"--cat", "echo", ":::", "1"},
		{"--tee", "--pipe", "--cat", "wc", ":::", "1"},
		{"--tee", "--pipe", "--cluster", "embedded", "wc", ":::", "1"},
		{"--round-robin", "--pipe", "--cat", "wc"},
		{"--fifo", "--cat", "wc"},
		{"--tee", "--fifo", "wc", ":::", "1"},
		{"--round-robin", "--fifo", "wc"},
		{"--pipe", "--shard", "1", "--bin", "1", "cat"},
		{"--pipe", "--bin", "1", "cat", ":::", "a"},
		{"--pipe", "--bin", "1", "--round-robin", "cat"},
		{"--limit", "io 10", "echo", ":::", "1"},
		{"--pipe", "--regexp", "--recstart", "(?<=x)", "cat"},
		{"--pipe-part", "--regexp", "--recend", "(", "-a", "x", "cat"},
		{"--semaphore", "--fg", "--id", "bad-input", "-a", "x", "-a", "y", "cat"},
		{"--semaphore-timeout", "soon", "--fg", "cat"},
		{"--round-robin", "--pipe", "--plus", "echo", "{##}"},
		{"--tty", "--cluster", "embedded", "echo", ":::", "1"},
		{"--env", "[", "echo", ":::", "1"},
		{"--tmpdir", "no/such/dir", "echo", ":::", "1"},
		{"--arg-sep", ":::", "--arg-file-sep", ":::", "echo", ":::", "1"},
		{"--minversion", "new", "echo"},
	} {
		o := runIn(t, "", args...)
		if o.code != 255 || o.stdout != "" || !strings.HasPrefix(o.stderr, "multitask: ") {
			t.Errorf("multitask %q: exit %d, stdout %q, stderr %q; want 255 and a message", args, o.code, o.stdout, o.stderr)
		}
	}
}

// TestTooLongLineKillsTheRun: a command line that GNU parallel would
// refuse stops the run, as it stops GNU parallel: the job running then is
// killed, unprinted, rather than waited for.
func TestTooLongLineKillsTheRun(t *testing.T) {
	start := time.Now()
	o := runIn(t, "", "-j2", "sleep 30; echo", ":::", "slow", strings.Repeat("x", 70000))
	if o.code != 255 || o.stdout != "" || !strings.Contains(o.stderr, "multitask: Command line too long (70015 >= 63664) at input 2: xxx") {
		t.Errorf("exit %d, stdout %q, stderr %.200q; want 255, nothing and the reason", o.code, o.stdout, o.stderr)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the run took %v: the running job was waited for", d)
	}
}

// TestCatFiles: with --cat, a job finds its block in a file named as GNU
// parallel names it, in $TMPDIR, and the file is gone once the job ends.
func TestCatFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	o := runIn(t, lines(10), "-k", "--pipe", "--cat", "--block", "5", "--joblog", filepath.Join(tmp, "log"), "wc -l")
	got := regexp.MustCompile(`(?m)^2 `+regexp.QuoteMeta(tmp)+`/par[A-Za-z0-9_]{5}$`).FindAllString(o.stdout, -1)
	if o.code != 0 || len(got) != 5 {
		t.Fatalf("exit %d, stdout %q; want 5 lines of 2 and a file's name", o.code, o.stdout)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "par*")); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
	log, err := os.ReadFile(filepath.Join(tmp, "log"))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("\t4\t%d\t0\t0\twc -l $PARALLEL_TMP\n", len(got[0])+1) // Send, Receive, Exitval, Signal, Command
	if !strings.Contains(string(log), want) {
		t.Errorf("joblog:\n%s\nwant lines ending %q", log, want)
	}
}

// TestHugeJobsAreCapped: -j beyond what the open files allow runs with as
// many as they allow, says so as GNU parallel does, and does not reserve
// room for a billion jobs.
func TestHugeJobsAreCapped(t *testing.T) {
	most := fileHandleSlots()
	o := runIn(t, "", "-k", "-j", "1000000000", "echo", ":::", "a", "b")
	want := fmt.Sprintf("multitask: Warning: Only enough file handles to run %d jobs in parallel.\n", most)
	if o.code != 0 || o.stdout != "a\nb\n" || !strings.HasPrefix(o.stderr, want) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want a and b, and %q", o.code, o.stdout, o.stderr, want)
	}
	if o := runIn(t, "", "-k", "-j", strconv.Itoa(most), "echo", ":::", "a"); o.code != 0 || o.stderr != "" {
		t.Fatalf("-j %d: exit %d, stderr %q; want no warning", most, o.code, o.stderr)
	}
}
