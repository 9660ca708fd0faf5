package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lines runs each job's value as a shell command line.
func lines(vals ...string) iter.Seq2[Job, error] {
	return func(yield func(Job, error) bool) {
		for i, v := range vals {
			if !yield(Job{Seq: i + 1, Args: []string{v}}, nil) {
				return
			}
		}
	}
}

func config(slots int) (Config, *syncBuffer, *syncBuffer) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	return Config{
		Slots: slots, Shell: "/bin/sh", Print: true, Stdout: out, Stderr: errOut,
		Command: func(_, _ int, args []string) Command { return Command{Line: args[0]} },
	}, out, errOut
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestKeepOrderAndExitCode(t *testing.T) {
	cfg, out, _ := config(3)
	cfg.KeepOrder = true
	sum, err := Run(context.Background(), cfg, lines("sleep 0.3; echo a", "echo b; exit 3", "sleep 0.1; echo c", "exit 1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\nb\nc\n" {
		t.Fatalf("output %q, want a b c in input order", got)
	}
	if sum.Done != 4 || sum.Failed != 2 || sum.ExitCode() != 2 {
		t.Fatalf("summary %+v, exit %d; want 4 done, 2 failed, exit 2", sum, sum.ExitCode())
	}
}

func TestGroupedOutputNeverMixes(t *testing.T) {
	cfg, out, _ := config(4)
	var jobs []string
	for i := range 8 {
		jobs = append(jobs, fmt.Sprintf("for n in 1 2 3 4 5 6 7 8 9; do printf '%d'; sleep 0.01; done; echo", i))
	}
	if _, err := Run(context.Background(), cfg, lines(jobs...)); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != 8 {
		t.Fatalf("%d lines, want 8: %q", len(got), out.String())
	}
	for _, l := range got {
		if l != strings.Repeat(l[:1], 9) {
			t.Fatalf("a line mixes jobs: %q", l)
		}
	}
}

func TestBigOutputSpillsAndPrintsWhole(t *testing.T) {
	cfg, out, _ := config(2)
	cfg.KeepOrder = true
	var got []*Result
	cfg.Ended = func(r *Result) { got = append(got, r) }
	// 3 MiB from the first job, which ends last; the second prints first.
	_, err := Run(context.Background(), cfg, lines("sleep 0.2; head -c 3145728 /dev/zero | tr '\\0' x", "echo small"))
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if len(s) != 3<<20+len("small\n") || !strings.HasSuffix(s, "xsmall\n") {
		t.Fatalf("output of %d bytes ends %q", len(s), s[max(0, len(s)-10):])
	}
	// Ended follows the printed order: the big job first.
	if got[0].Seq != 1 || got[0].StdoutLen() != 3<<20 {
		t.Fatalf("first ended job %d with %d bytes, want job 1 with %d", got[0].Seq, got[0].StdoutLen(), 3<<20)
	}
}

// TestSpillGoesToTempDir: output too big for memory goes to a file in
// TempDir, and a TempDir that is not there makes the job's output fail,
// reported, rather than go elsewhere.
func TestSpillGoesToTempDir(t *testing.T) {
	cfg, out, errOut := config(1)
	cfg.TempDir = filepath.Join(t.TempDir(), "missing")
	if _, err := Run(context.Background(), cfg, lines("head -c 2097152 /dev/zero", "echo small")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "small\n" || !strings.Contains(errOut.String(), "missing") {
		t.Fatalf("stdout %d bytes, stderr %q; want only the small job's, and the big one's error", len(out.String()), errOut.String())
	}
}

func TestTagAndLineBuffer(t *testing.T) {
	cfg, out, _ := config(2)
	cfg.Output = LineBuffer
	cfg.Tag = func(j Job, _ int) string { return strconv.Itoa(j.Seq) + "\t" }
	if _, err := Run(context.Background(), cfg, lines("echo a; sleep 0.2; printf b", "sleep 0.1; echo c")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "1\ta\n2\tc\n1\tb" {
		t.Fatalf("line-buffered output %q", got)
	}
}

// TestLineBufferKeepOrderPrintsTheOldestLive checks --line-buffer -k: the
// oldest job's lines come out while it runs (it waits until its first
// line is seen), and a later job's wait for their turn, whole.
func TestLineBufferKeepOrderPrintsTheOldestLive(t *testing.T) {
	cfg, out, errOut := config(3)
	cfg.Output, cfg.KeepOrder = LineBuffer, true
	cfg.Tag = func(j Job, _ int) string { return strconv.Itoa(j.Seq) + " " }
	go1 := filepath.Join(t.TempDir(), "go")
	finished := make(chan struct{})
	var runErr error
	go func() {
		defer close(finished)
		_, runErr = Run(context.Background(), cfg, lines(
			"echo a; echo e >&2; while [ ! -e "+go1+" ]; do sleep 0.01; done; echo b",
			"echo c; echo f >&2",
			"sleep 0.1; echo d"))
	}()
	release := func() {
		os.WriteFile(go1, nil, 0o644)
		<-finished
	}
	t.Cleanup(release)
	for deadline := time.Now().Add(20 * time.Second); !strings.HasPrefix(out.String(), "1 a\n"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the oldest job's first line did not come out while it ran: %q", out.String())
		}
	}
	time.Sleep(300 * time.Millisecond) // jobs 2 and 3 end meanwhile
	if got := out.String(); got != "1 a\n" {
		t.Fatalf("later jobs printed before their turn: %q", got)
	}
	release()
	if runErr != nil {
		t.Fatal(runErr)
	}
	if got := out.String(); got != "1 a\n1 b\n2 c\n3 d\n" {
		t.Fatalf("stdout %q", got)
	}
	if got := errOut.String(); got != "1 e\n2 f\n" {
		t.Fatalf("stderr %q", got)
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestTimeoutKillsTheWholeGroup(t *testing.T) {
	cfg, _, _ := config(1)
	cfg.Timeout.After = 300 * time.Millisecond
	pidFile := filepath.Join(t.TempDir(), "pid")
	var res *Result
	cfg.Ended = func(r *Result) { res = r }
	sum, err := Run(context.Background(), cfg, lines("sleep 60 & echo $! > "+pidFile+"; wait"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Exit != -1 || res.Signal != 15 || sum.ExitCode() != 1 {
		t.Fatalf("result %+v exit %d; want timed out, -1, 15, exit 1", res, sum.ExitCode())
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the kill is sent; a zombie lingers until init reaps it
	}
	if alive(pid) {
		// A zombie is dead: check its state before calling it a survivor.
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(st), ") Z") {
			t.Fatalf("the job's background process %d survived its timeout", pid)
		}
	}
}

func TestHaltNowKillsRunningJobs(t *testing.T) {
	cfg, out, _ := config(2)
	cfg.Halt = Halt{When: Now, On: Fail, Count: 1}
	start := time.Now()
	sum, err := Run(context.Background(), cfg, lines("sleep 30; echo late", "sleep 0.1; exit 4", "echo never"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("halt now waited for the running job")
	}
	if sum.ExitCode() != 4 || sum.Started != 2 || out.String() != "" {
		t.Fatalf("summary %+v exit %d output %q; want exit 4, 2 started, nothing printed", sum, sum.ExitCode(), out.String())
	}
}

// TestTooLongLineStopsTheRun: the first job whose line reaches MaxLine,
// as LineLen measures it when set, starts no more jobs and kills the
// running ones unprinted.
func TestTooLongLineStopsTheRun(t *testing.T) {
	for _, measured := range []bool{false, true} {
		cfg, out, _ := config(2)
		cfg.MaxLine = 20
		if measured {
			cfg.MaxLine = 100
			cfg.LineLen = func(_ Job, c Command) int { return 5 * len(c.Line) }
		}
		start := time.Now()
		sum, err := Run(context.Background(), cfg, lines("sleep 30; echo late", "echo this one is too long", "echo never"))
		var tooLong *TooLongError
		if !errors.As(err, &tooLong) || tooLong.Seq != 2 || tooLong.Max != cfg.MaxLine {
			t.Fatalf("measured %v: error %v, want a TooLongError for job 2", measured, err)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the running job was waited for")
		}
		if sum.Started != 1 || out.String() != "" {
			t.Fatalf("measured %v: summary %+v, output %q; want 1 started, nothing printed", measured, sum, out.String())
		}
	}
}

func TestHaltSoonWaitsForRunningJobs(t *testing.T) {
	cfg, out, _ := config(2)
	cfg.Halt = Halt{When: Soon, On: Fail, Count: 1}
	sum, err := Run(context.Background(), cfg, lines("sleep 0.3; echo finished", "exit 2", "echo never"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "finished\n" || sum.ExitCode() != 2 || sum.Started != 2 {
		t.Fatalf("output %q summary %+v", out.String(), sum)
	}
}

func TestRetriesRunTheLastTryOnly(t *testing.T) {
	cfg, out, _ := config(1)
	cfg.Retries = 3
	count := filepath.Join(t.TempDir(), "count")
	var res *Result
	cfg.Ended = func(r *Result) { res = r }
	sum, err := Run(context.Background(), cfg, lines("echo try >> "+count+"; echo out; exit 1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(count)
	if strings.Count(string(b), "try") != 3 || res.Tries != 3 || out.String() != "out\n" || sum.Failed != 1 {
		t.Fatalf("tries in file %q, result tries %d, output %q, failed %d", b, res.Tries, out.String(), sum.Failed)
	}
}

func TestDirectExecAndMissingCommand(t *testing.T) {
	cfg, out, errOut := config(1)
	cfg.KeepOrder = true
	cfg.Command = func(_, _ int, args []string) Command { return Command{Line: "x", Argv: args} }
	sum, err := Run(context.Background(), cfg, func(yield func(Job, error) bool) {
		_ = yield(Job{Seq: 1, Args: []string{"printf", "%s|", "a b", "$HOME"}}, nil) &&
			yield(Job{Seq: 2, Args: []string{"no-such-command-here"}}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "a b|$HOME|" || sum.Failed != 1 || !strings.Contains(errOut.String(), "no-such-command-here: command not found") {
		t.Fatalf("output %q stderr %q failed %d", out.String(), errOut.String(), sum.Failed)
	}
}

func TestSkipAndStop(t *testing.T) {
	cfg, out, _ := config(1)
	cfg.KeepOrder = true
	cfg.Skip = func(j Job, _ Command) bool { return j.Seq == 2 }
	stop := make(chan struct{})
	cfg.Stop = stop
	line := cfg.Command
	cfg.Command = func(seq, slot int, args []string) Command {
		// Stop as job 3 is about to start: it runs, job 4 does not.
		if seq == 3 {
			close(stop)
		}
		return line(seq, slot, args)
	}
	sum, err := Run(context.Background(), cfg, lines("echo 1", "echo 2", "echo 3", "echo 4"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\n3\n" || !sum.Stopped {
		t.Fatalf("output %q summary %+v", out.String(), sum)
	}
}

func TestSlotsAreReused(t *testing.T) {
	cfg, _, _ := config(2)
	var mu sync.Mutex
	var slots []int
	cfg.Command = func(_, slot int, _ []string) Command {
		mu.Lock()
		slots = append(slots, slot)
		mu.Unlock()
		return Command{Line: "true"}
	}
	if _, err := Run(context.Background(), cfg, lines("1", "2", "3", "4", "5")); err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if s < 1 || s > 2 {
			t.Fatalf("slots %v, want each in 1..2", slots)
		}
	}
	if len(slots) != 5 || !slices.Contains(slots, 2) {
		t.Fatalf("slots %v", slots)
	}
}

func TestParseHaltAndExitCodes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Halt
	}{
		{"now,fail=1", Halt{When: Now, On: Fail, Count: 1}},
		{"soon,success=3", Halt{When: Soon, On: Success, Count: 3}},
		{"now,done=50%", Halt{When: Now, On: Done, Percent: 50}},
		{"2", Halt{When: Now, On: Fail, Count: 1}},
		{"never", Halt{}},
		{"5%", Halt{When: Soon, On: Fail, Percent: 5}},
	} {
		got, err := ParseHalt(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseHalt(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"now", "later,fail=1", "now,oops=1", "now,fail=0", "now,fail=x%", "now,fail=150%"} {
		if _, err := ParseHalt(bad); err == nil {
			t.Errorf("ParseHalt(%q) succeeded", bad)
		}
	}
	for _, tc := range []struct {
		sum  Summary
		want int
	}{
		{Summary{Failed: 0}, 0},
		{Summary{Failed: 7}, 7},
		{Summary{Failed: 300}, 101},
		{Summary{Failed: 2, Halt: Halt{When: Now, On: Fail, Count: 1}, Trigger: &Result{}, HaltExit: 137}, 137},
		{Summary{Failed: 1, Started: 3, Halt: Halt{When: Soon, On: Fail, Count: 2}}, 1},
		{Summary{Failed: 1, Started: 3, Halt: Halt{When: Soon, On: Success, Percent: 50}}, 34},
	} {
		if got := tc.sum.ExitCode(); got != tc.want {
			t.Errorf("%+v: exit %d, want %d", tc.sum, got, tc.want)
		}
	}
	for _, tc := range []struct {
		halt  Halt
		c     counts
		total int
		job   *Result
		want  int
	}{
		{Halt{On: Fail, Count: 1}, counts{1, 1}, 0, &Result{Signal: 9}, 137},
		{Halt{On: Fail, Count: 1}, counts{1, 1}, 0, &Result{Exit: 3}, 3},
		{Halt{On: Fail, Count: 1}, counts{1, 1}, 0, &Result{Exit: -1, Signal: 15}, 255},
		{Halt{On: Done, Count: 1}, counts{1, 0}, 0, &Result{}, 0},
		{Halt{On: Fail, Count: 2}, counts{5, 2}, 0, &Result{Signal: 9}, 2},
		{Halt{On: Done, Count: 2}, counts{300, 200}, 0, &Result{}, 101},
		{Halt{On: Fail, Percent: 40}, counts{3, 3}, 7, &Result{Exit: 1}, 43},
		{Halt{On: Success, Count: 1}, counts{3, 2}, 0, &Result{}, 0},
	} {
		if got := tc.halt.exitStatus(tc.c, tc.total, tc.job); got != tc.want {
			t.Errorf("%+v with %+v of %d, job %+v: exit %d, want %d", tc.halt, tc.c, tc.total, *tc.job, got, tc.want)
		}
	}
}

func TestMemLimitKillsAGrowingJob(t *testing.T) {
	cfg, out, errOut := config(1)
	cfg.MemLimit = 64 << 20
	var res *Result
	cfg.Ended = func(r *Result) { res = r }
	// A subshell of the job's shell holds 100 MB: the whole tree is counted.
	sum, err := Run(context.Background(), cfg, lines("(x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 30); echo done"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.OverMem || res.Exit != -1 || res.Signal != 9 || sum.Failed != 1 || out.String() != "" {
		t.Fatalf("result %+v output %q", res, out.String())
	}
	if !strings.Contains(errOut.String(), "memory passed") {
		t.Fatalf("stderr %q does not say why the job was killed", errOut.String())
	}
}

func TestScriptWithoutShebangRunsThroughTheShell(t *testing.T) {
	cfg, out, errOut := config(1)
	script := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(script, []byte("echo run by the shell\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Command = func(_, _ int, args []string) Command { return Command{Line: args[0], Argv: args} }
	sum, err := Run(context.Background(), cfg, lines(script))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "run by the shell\n" || sum.Failed != 0 {
		t.Fatalf("output %q, stderr %q, %d failed", out.String(), errOut.String(), sum.Failed)
	}
}

// TestRemedianSortsAsGNU checks the median --timeout N% scales: the lower
// middle of the runtimes sorted as GNU parallel's Perl sorts them, as
// strings.
func TestRemedianSortsAsGNU(t *testing.T) {
	var m remedian
	if _, ok := m.value(); ok {
		t.Fatal("a median before any job")
	}
	for _, tc := range []struct {
		add  time.Duration
		want float64
	}{
		{9 * time.Second, 9},
		{10 * time.Second, 10},                           // 10.000 sorts before 9.000
		{11*time.Second + 2500*time.Microsecond, 11.002}, // milliseconds, cut
		{2 * time.Second, 11.002},                        // 10.000 11.002 2.000 9.000
	} {
		m.add(tc.add)
		if got, ok := m.value(); !ok || got != tc.want {
			t.Fatalf("after %v: median %v, %v; want %v", tc.add, got, ok, tc.want)
		}
	}
	// Past 999 values the first level starts again and the second holds
	// the first level's medians.
	var r remedian
	for i := range 1000 {
		r.add(time.Duration(1+i/999) * time.Second)
	}
	if got, _ := r.value(); got != 1 || len(r.levels[0]) != 999 || len(r.levels[1]) != 2 {
		t.Fatalf("after 1000 values: median %v, levels of %d and %d", got, len(r.levels[0]), len(r.levels[1]))
	}
}

// TestLoadCountsRunningProcesses checks that --load's load is GNU
// parallel's: the processes running or waiting for a CPU now, not the
// one-minute load average, which lags behind. More busy processes start
// than the average, plus 4, is high.
func TestLoadCountsRunningProcesses(t *testing.T) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	avg, err := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	if err != nil {
		t.Fatal(err)
	}
	var busy []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range busy {
			c.Process.Kill()
			c.Wait()
		}
	})
	for range int(avg) + 12 {
		c := exec.Command("/bin/sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		busy = append(busy, c)
	}
	if resourcesFree(0, memAvailable, avg+4) {
		t.Fatalf("%d busy processes leave a load below %v", len(busy), avg+4)
	}
}

// TestResizeChangesTheSlots runs jobs whose Exec counts how many run at
// once, while Resize asks for more slots, then fewer: the jobs started
// well after each change run as many at once as it asked, no more, on
// slots numbered from 1 up.
func TestResizeChangesTheSlots(t *testing.T) {
	cfg, _, _ := config(1)
	var (
		mu             sync.Mutex
		running, ended int
		most           = map[int]int{} // the most at once, by the size asked when a job started
		size           = 1
	)
	cfg.Resize = func() int {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case ended >= 2 && size == 1:
			size = 3
		case ended >= 20 && size == 3:
			size = 2
		default:
			return 0
		}
		return size
	}
	var slots sync.Map
	cfg.Exec = func(ctx context.Context, s *jobexec.Spec) jobexec.Outcome {
		mu.Lock()
		defer mu.Unlock()
		running++
		asked := size
		counted := size == 3 && ended < 20 || size == 2 && ended > 24 // well after a change: its jobs have ended
		// Wait a little for as many jobs as were asked for, so that a
		// slot the engine does not give shows, however slow the machine.
		for deadline := time.Now().Add(300 * time.Millisecond); running < asked && time.Now().Before(deadline); {
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
		}
		if counted {
			most[asked] = max(most[asked], running)
		}
		running--
		ended++
		return jobexec.Outcome{Start: time.Now()}
	}
	cfg.Ended = func(r *Result) { slots.Store(r.Slot, true) }
	vals := make([]string, 40)
	for i := range vals {
		vals[i] = "true"
	}
	if _, err := Run(context.Background(), cfg, lines(vals...)); err != nil {
		t.Fatal(err)
	}
	if most[3] != 3 || most[2] != 2 {
		t.Errorf("the most jobs at once: %d after asking for 3, %d after asking for 2", most[3], most[2])
	}
	slots.Range(func(k, _ any) bool {
		if s := k.(int); s < 1 || s > 3 {
			t.Errorf("a job ran on slot %d", s)
		}
		return true
	})
}

// TestMemFreeKillsTheYoungest runs three jobs, then makes memory short for
// two looks: the two youngest jobs are killed, one at a time, as GNU
// parallel kills them, and the oldest ends as it would have.
func TestMemFreeKillsTheYoungest(t *testing.T) {
	dir := t.TempDir()
	cfg, _, errOut := config(3)
	cfg.MemFree = 1000
	var short atomic.Int32
	short.Store(2)
	cfg.memAvailable = func() int64 {
		for _, n := range []string{"1", "2", "3"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
				return 2000 // not all started yet
			}
		}
		if short.Add(-1) >= 0 {
			return 400
		}
		return 2000
	}
	got := map[int]*Result{}
	cfg.Ended = func(r *Result) { got[r.Seq] = r }
	jobs := lines("touch "+dir+"/1; sleep 1", "touch "+dir+"/2; sleep 30", "touch "+dir+"/3; sleep 30")
	if _, err := Run(context.Background(), cfg, jobs); err != nil {
		t.Fatal(err)
	}
	if r := got[1]; r == nil || r.Exit != 0 || r.TimedOut {
		t.Errorf("the oldest job: %+v, want it to end as it would have", r)
	}
	for _, seq := range []int{2, 3} {
		if r := got[seq]; r == nil || r.Exit != -1 || !r.TimedOut {
			t.Errorf("job %d: %+v, want it killed", seq, r)
		}
	}
	if n := strings.Count(errOut.String(), "less than half of --memfree"); n != 2 {
		t.Errorf("%d warnings of a kill for memory, want 2:\n%s", n, errOut.String())
	}
}

func TestSkippedJobsDoNotRun(t *testing.T) {
	cfg, out, _ := config(2)
	cfg.KeepOrder = true
	cfg.Retries = 3
	cfg.Command = func(_, _ int, args []string) Command {
		return Command{Line: args[0], Skip: strings.HasPrefix(args[0], "skip")}
	}
	var ended []*Result
	var mu sync.Mutex
	cfg.Ended = func(r *Result) {
		mu.Lock()
		defer mu.Unlock()
		ended = append(ended, r)
	}
	sum, err := Run(context.Background(), cfg, lines("echo a", "skip; echo b", "echo c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\nc\n" {
		t.Fatalf("output %q, want the skipped job's missing", got)
	}
	if sum.Done != 3 || sum.Failed != 1 || sum.ExitCode() != 1 {
		t.Fatalf("summary %+v, exit %d; want 3 done, 1 failed, exit 1", sum, sum.ExitCode())
	}
	for _, r := range ended {
		if r.Seq == 2 && (r.Exit != -2 || r.Tries != 1 || r.StdoutLen() != 0) {
			t.Errorf("skipped job ended with exit %d after %d tries, %d bytes out; want -2, 1, 0", r.Exit, r.Tries, r.StdoutLen())
		}
	}
}

func TestCommandErrorStopsTheRun(t *testing.T) {
	cfg, out, _ := config(2)
	bad := errors.New("no command for this one")
	cfg.Command = func(seq, _ int, args []string) Command {
		if seq == 2 {
			return Command{Err: bad}
		}
		return Command{Line: args[0]}
	}
	sum, err := Run(context.Background(), cfg, lines("echo a", "echo b", "echo c"))
	if !errors.Is(err, bad) {
		t.Fatalf("error %v, want the command's", err)
	}
	if sum.Started != 1 || strings.Contains(out.String(), "c") {
		t.Fatalf("summary %+v, output %q; want job 3 never started", sum, out.String())
	}
}

// TestLimit holds the starts back while --limit's command exits 1, and
// kills the youngest job, without a word, when it exits 2.
func TestLimit(t *testing.T) {
	dir := t.TempDir()
	cfg, out, errOut := config(2)
	cfg.KeepOrder = true
	var calls, kills atomic.Int32
	cfg.Limit = func() int {
		n := calls.Add(1)
		switch _, err := os.Stat(filepath.Join(dir, "2")); {
		case n <= 3:
			return 1 // the first job waits for three answers
		case err == nil && kills.Add(1) == 1:
			return 2 // both run: the youngest goes, once
		}
		return 0
	}
	got := map[int]*Result{}
	cfg.Ended = func(r *Result) { got[r.Seq] = r }
	jobs := lines("touch "+dir+"/1; sleep 1; echo one", "touch "+dir+"/2; sleep 30; echo two")
	if _, err := Run(context.Background(), cfg, jobs); err != nil {
		t.Fatal(err)
	}
	if calls.Load() < 4 {
		t.Errorf("the command ran %d times, want the first job to wait for a 0", calls.Load())
	}
	if r := got[1]; r == nil || r.Exit != 0 || out.String() != "one\n" {
		t.Errorf("the oldest job: %+v, output %q; want it to end as it would have", r, out.String())
	}
	if r := got[2]; r == nil || r.Exit != -1 || !r.TimedOut {
		t.Errorf("the youngest job: %+v, want it killed", r)
	}
	if errOut.String() != "" {
		t.Errorf("stderr %q, want nothing said of the kill", errOut.String())
	}
}

// TestMemSuspendStopsTheYoungest runs three jobs, then makes memory short:
// the two youngest stop, as GNU parallel's --memsuspend stops them, and
// the oldest goes on; once memory is back they go on too, and all end.
func TestMemSuspendStopsTheYoungest(t *testing.T) {
	dir := t.TempDir()
	cfg, _, _ := config(3)
	cfg.MemSuspend = 1000
	var short atomic.Bool
	cfg.memAvailable = func() int64 {
		if short.Load() {
			return 900 // below --memsuspend: one job runs
		}
		return 5000
	}
	pidFile := func(n int) string { return filepath.Join(dir, strconv.Itoa(n)) }
	job := func(n int) string {
		return "echo $$ > " + pidFile(n) + "; while [ ! -e " + dir + "/end ]; do sleep 0.02; done"
	}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), cfg, lines(job(1), job(2), job(3)))
		done <- err
	}()
	defer func() {
		os.WriteFile(filepath.Join(dir, "end"), nil, 0o644)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	pids := make([]int, 4)
	for n := 1; n <= 3; n++ {
		waitUntil(t, "job "+strconv.Itoa(n)+" started", func() bool {
			b, err := os.ReadFile(pidFile(n))
			if err != nil || len(b) == 0 || b[len(b)-1] != '\n' {
				return false
			}
			pids[n], err = strconv.Atoi(strings.TrimSpace(string(b)))
			return err == nil
		})
	}
	short.Store(true)
	for n := 2; n <= 3; n++ {
		waitUntil(t, "job "+strconv.Itoa(n)+" stopped", func() bool { return processState(pids[n]) == "T" })
	}
	if s := processState(pids[1]); s == "T" {
		t.Fatal("the oldest job stopped too")
	}
	short.Store(false)
	for n := 2; n <= 3; n++ {
		waitUntil(t, "job "+strconv.Itoa(n)+" going on", func() bool { return processState(pids[n]) != "T" })
	}
}

// waitUntil waits up to 20 s for ok, which says what.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
	}
}

// processState is the state letter of process pid (R, S, T, ...), or "".
func processState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The state follows the command's name, in parentheses.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return string(b[i+2])
	}
	return ""
}

// TestNoSwapHoldsStarts holds the first start while pages are swapped both
// in and out, and starts the job once they are not.
func TestNoSwapHoldsStarts(t *testing.T) {
	dir := t.TempDir()
	cfg, _, _ := config(1)
	cfg.NoSwap = true
	var (
		looks  atomic.Int32
		active atomic.Bool
		pages  atomic.Int64
	)
	active.Store(true)
	cfg.swapCounts = func() (int64, int64) {
		looks.Add(1)
		if active.Load() {
			pages.Add(10)
		}
		return pages.Load(), pages.Load()
	}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), cfg, lines("touch "+dir+"/started"))
		done <- err
	}()
	waitUntil(t, "three looks at the swap", func() bool { return looks.Load() >= 3 })
	if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
		t.Fatal("the job started while the machine swapped")
	}
	active.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "started")); err != nil {
		t.Fatal("the job did not run once the swapping stopped")
	}
}
