package jobexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/internal/proctest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("echo run by the shell\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "made", "here")
	for _, tc := range []struct {
		name         string
		job          Job
		stdout       string
		stderr       string // a substring
		exit, signal int
		timedOut     bool
	}{
		{name: "shell", job: Job{Line: "echo a; echo b >&2; exit 3"}, stdout: "a\n", stderr: "b\n", exit: 3},
		{name: "direct", job: Job{Line: "x", Argv: []string{"printf", "%s|", "a b", "$HOME"}}, stdout: "a b|$HOME|"},
		{name: "stdin", job: Job{Line: "wc -c", Stdin: []byte("12345")}, stdout: "5\n"},
		{name: "no stdin", job: Job{Line: "wc -c"}, stdout: "0\n"},
		{name: "env", job: Job{Line: `echo "$A $B"`, Env: []string{"A=1", "B=two"}}, stdout: "1 two\n"},
		{name: "signal", job: Job{Line: "kill -USR1 $$"}, signal: int(syscall.SIGUSR1)},
		{name: "not found", job: Job{Line: "x", Argv: []string{"no-such-command-here"}}, stderr: "no-such-command-here: command not found", exit: 127},
		{name: "not executable", job: Job{Line: "x", Argv: []string{"/dev/null"}}, stderr: "permission denied", exit: 126},
		{name: "script without #!", job: Job{Line: script, Argv: []string{script}}, stdout: "run by the shell\n"},
		{name: "timeout", job: Job{Line: "echo started; sleep 30", Timeout: 200 * time.Millisecond}, stdout: "started\n", exit: -1, signal: 15, timedOut: true},
		// A directory is made if need be; a program named by a relative
		// path is found from it.
		{name: "dir", job: Job{Line: "x", Argv: []string{"pwd"}, Dir: work}, stdout: work + "\n"},
		{name: "program in dir", job: Job{Line: "./script", Argv: []string{"./script"}, Dir: dir}, stdout: "run by the shell\n"},
		{name: "nice", job: Job{Line: "x", Argv: []string{"nice"}, Nice: 19}, stdout: "19\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			tc.job.Shell = "/bin/sh"
			o := Run(context.Background(), &Spec{Job: tc.job, Stdout: &out, Stderr: &errOut})
			if out.String() != tc.stdout || !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and one holding %q", out.String(), errOut.String(), tc.stdout, tc.stderr)
			}
			if o.Exit != tc.exit || o.Signal != tc.signal || o.TimedOut != tc.timedOut || o.Killed {
				t.Errorf("outcome %+v; want exit %d, signal %d, timed out %v", o, tc.exit, tc.signal, tc.timedOut)
			}
			if o.Start.IsZero() || (o.Err == nil) != (tc.exit < 126) {
				t.Errorf("outcome %+v: start or error wrong", o)
			}
		})
	}
}

// TestTempDir runs a job in a new directory, which goes once the job has
// ended, with what the job left there.
func TestTempDir(t *testing.T) {
	var out bytes.Buffer
	o := Run(context.Background(), &Spec{Job: Job{Line: "pwd; touch left", Shell: "/bin/sh", Dir: TempDir}, Stdout: &out})
	dir := strings.TrimSpace(out.String())
	if o.Exit != 0 || !strings.Contains(dir, "multitask-wd-") {
		t.Fatalf("job in a temporary directory: %+v, ran in %q", o, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the job's directory %s is still there: %v", dir, err)
	}
}

// groups records what Run tells it.
type groups struct{ added, removed []int }

func (g *groups) Add(pgid int) error    { g.added = append(g.added, pgid); return nil }
func (g *groups) Remove(pgid int) error { g.removed = append(g.removed, pgid); return nil }

func TestCancelKillsTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	var g groups
	done := make(chan Outcome)
	go func() {
		done <- Run(ctx, &Spec{Job: Job{Shell: "/bin/sh", Line: "sleep 60 & echo $! > " + pidFile + "; wait"}, Groups: &g})
	}()
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	cancel()
	o := <-done
	if !o.Killed || o.Signal != int(syscall.SIGTERM) {
		t.Fatalf("outcome %+v; want killed by SIGTERM", o)
	}
	wait, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if !proctest.Gone(wait, pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the job's background process %d survived the kill of its group", pid)
	}
	if len(g.added) != 1 || len(g.removed) != 1 || g.added[0] != g.removed[0] {
		t.Fatalf("groups added %v, removed %v; want the job's one group, added then removed", g.added, g.removed)
	}
}

func TestLimitIsAskedAgain(t *testing.T) {
	var asked atomic.Int32
	// No limit at the start; 100ms from the second question on.
	limit := func() time.Duration {
		if asked.Add(1) == 1 {
			return 0
		}
		return 100 * time.Millisecond
	}
	start := time.Now()
	o := Run(context.Background(), &Spec{Job: Job{Shell: "/bin/sh", Line: "sleep 30", Timeout: time.Hour}, Limit: limit})
	if !o.TimedOut || o.Exit != -1 || time.Since(start) > 20*time.Second {
		t.Fatalf("outcome %+v after %v; want timed out by the moving limit", o, time.Since(start))
	}
}

// TestStoppedJobEndsAtItsTimeout stops a job for good with Suspend: its
// timeout still ends it, by SIGTERM, which a stopped group would not act
// on until it went on.
func TestStoppedJobEndsAtItsTimeout(t *testing.T) {
	var asked atomic.Int32
	stop := func() bool { asked.Add(1); return true }
	o := Run(context.Background(), &Spec{Job: Job{Shell: "/bin/sh", Line: "sleep 30", Timeout: 300 * time.Millisecond}, Suspend: stop})
	if !o.TimedOut || o.Signal != int(syscall.SIGTERM) {
		t.Fatalf("outcome %+v; want timed out, by SIGTERM", o)
	}
	if asked.Load() == 0 {
		t.Fatal("Suspend was never asked")
	}
}

func TestFileWritersAreGivenAsTheyAre(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A process left in the background keeps the file open: Run does not
	// wait for it, as it would for a pipe.
	o := Run(context.Background(), &Spec{Job: Job{Shell: "/bin/sh", Line: "echo $$; sleep 60 >/dev/null 2>&1 & echo $! >&2"}, Stdout: f, Stderr: f})
	b, _ := os.ReadFile(f.Name())
	fields := strings.Fields(string(b))
	if o.Exit != 0 || len(fields) != 2 {
		t.Fatalf("outcome %+v, file %q", o, b)
	}
	bg, _ := strconv.Atoi(fields[1])
	syscall.Kill(bg, syscall.SIGKILL)
	wait, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	proctest.Gone(wait, bg)
}

func TestPathsCache(t *testing.T) {
	var p Paths
	a, err := p.Lookup("sh")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := p.Lookup("sh"); b != a || p.paths["sh"].path != a {
		t.Fatalf("lookups %q and %q, cache %v", a, b, p.paths)
	}
	if _, err := p.Lookup("no-such-command-here"); err == nil || len(p.paths) != 1 {
		t.Fatalf("a missing command: %v, cache %v", err, p.paths)
	}
}

// TestPathsCacheExpires installs a program on PATH after a lookup failed,
// then removes it after one succeeded: with a TTL, each is seen once the
// TTL has passed; without, the path found stays.
func TestPathsCacheExpires(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	prog := filepath.Join(dir, "prog")
	ttl := Paths{TTL: time.Millisecond}
	var forever Paths
	if _, err := ttl.Lookup("prog"); err == nil {
		t.Fatal("found prog before it was installed")
	}
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Paths{&ttl, &forever} {
		if got, err := p.Lookup("prog"); err != nil || got != prog {
			t.Fatalf("installed: %q, %v; want %s", got, err, prog)
		}
	}
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if got, err := ttl.Lookup("prog"); err == nil {
		t.Errorf("removed, after the TTL: still found at %q", got)
	}
	if got, err := forever.Lookup("prog"); err != nil || got != prog {
		t.Errorf("removed, no TTL: %q, %v; want the path found before", got, err)
	}
}

// TestTempFilesFollowTheJobsTMPDIR puts a --cat block and a temporary
// working directory where the TMPDIR given to the job says.
func TestTempFilesFollowTheJobsTMPDIR(t *testing.T) {
	tmp := t.TempDir()
	var out bytes.Buffer
	job := Job{Shell: "/bin/sh", Line: `dirname "$PARALLEL_TMP"; dirname "$PWD"`, Stdin: []byte("x"), StdinAsFile: true,
		Env: []string{"TMPDIR=/elsewhere", "TMPDIR=" + tmp}, Dir: TempDir}
	if o := Run(context.Background(), &Spec{Job: job, Stdout: &out}); o.Exit != 0 || out.String() != tmp+"\n"+tmp+"\n" {
		t.Fatalf("outcome %+v, stdout %q; want both in %s", o, out.String(), tmp)
	}
}

// TestStdinAsFile gives a job its block, from memory and from a section
// of a file, in a file named by $PARALLEL_TMP: the job reads it there and
// nothing on stdin, and the file is gone once the job has ended.
func TestStdinAsFile(t *testing.T) {
	tmp, f := digitsFile(t)
	job := Job{Shell: "/bin/sh", Line: `cat "$PARALLEL_TMP"; echo; cat | wc -c; basename "$PARALLEL_TMP"`, StdinAsFile: true}
	inMemory := job
	inMemory.Stdin = []byte("block")
	for name, spec := range map[string]*Spec{
		"memory":  {Job: inMemory},
		"section": {Job: job, StdinFile: &Section{File: f, Off: 2, Len: 5}},
	} {
		var out bytes.Buffer
		spec.Stdout = &out
		o := Run(context.Background(), spec)
		lines := strings.Fields(out.String())
		want := map[string]string{"memory": "block", "section": "23456"}[name]
		if o.Exit != 0 || len(lines) != 3 || lines[0] != want || lines[1] != "0" || !regexp.MustCompile(`^par[A-Za-z0-9_]{5}$`).MatchString(lines[2]) {
			t.Errorf("%s: exit %d, stdout %q; want %s, 0 and the file's name", name, o.Exit, out.String(), want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "par*")); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
}

// TestSectionIsStdin gives jobs a section of a file larger than their
// stdin pipe holds: one reads it all, one stops after a byte and exits.
func TestSectionIsStdin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := &Section{File: f, Off: 5, Len: int64(len(data)) - 10}
	for line, want := range map[string]string{"wc -c": fmt.Sprint(sec.Len), "head -c 3": "567"} {
		var out bytes.Buffer
		o := Run(context.Background(), &Spec{Job: Job{Shell: "/bin/sh", Line: line}, StdinFile: sec, Stdout: &out})
		if got := strings.TrimSpace(out.String()); o.Exit != 0 || got != want {
			t.Errorf("%s: exit %d, stdout %q; want %q", line, o.Exit, got, want)
		}
	}
}

// TestStdinAsFifo gives a job its block in a named pipe: the job reads it
// there and nothing on stdin; a job that leaves it unopened, or reads part
// of a big block, still ends; and no pipe is left.
func TestStdinAsFifo(t *testing.T) {
	tmp, f := digitsFile(t)
	big := bytes.Repeat([]byte("x"), 1<<20)
	for _, tc := range []struct {
		name, line, want string
		stdin            []byte
		sec              *Section
	}{
		{"memory", `cat "$PARALLEL_TMP"; echo; cat | wc -c; test -p "$PARALLEL_TMP" && echo fifo`, "block\n0\nfifo\n", []byte("block"), nil},
		{"section", `cat "$PARALLEL_TMP"`, "23456", nil, &Section{File: f, Off: 2, Len: 5}},
		{"never opened", `echo done`, "done\n", big, nil},
		{"partly read", `head -c 3 "$PARALLEL_TMP"`, "xxx", big, nil},
	} {
		var out bytes.Buffer
		spec := &Spec{Job: Job{Shell: "/bin/sh", Line: tc.line, Stdin: tc.stdin, StdinAsFifo: true}, StdinFile: tc.sec, Stdout: &out}
		if o := Run(context.Background(), spec); o.Exit != 0 || out.String() != tc.want {
			t.Errorf("%s: exit %d, stdout %q; want 0, %q", tc.name, o.Exit, out.String(), tc.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "par*")); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}

// digitsFile makes the TMPDIR of the test a directory of its own, and
// opens a file in it holding the digits 0 to 9.
func digitsFile(t *testing.T) (tmp string, f *os.File) {
	t.Helper()
	tmp = t.TempDir()
	t.Setenv("TMPDIR", tmp)
	path := filepath.Join(tmp, "in")
	if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return tmp, f
}
