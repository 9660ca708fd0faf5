package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"github.com/multitask-go/multitask/internal/proctest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// binary builds the command once for the tests that need a real process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "multitask-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "multitask")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// waitLines waits until file has at least n lines and returns them.
func waitLines(t *testing.T, file string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		lines := strings.Fields(string(b))
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d lines, want %d", file, len(lines), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSIGKILLLeavesNoJobBehind(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	// Each job's shell, and a process it starts in the background.
	cmd := exec.Command(binary(t), "-j2", "echo $$ >> "+pids+"; sleep 60 & echo $! >> "+pids+"; wait; echo {}", ":::", "1", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	procs := waitLines(t, pids, 4)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	wait, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	for _, p := range procs {
		pid, _ := strconv.Atoi(p)
		if !proctest.Gone(wait, pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of a job outlived multitask's SIGKILL by a second", pid)
		}
	}
}

func TestResumeAfterSIGKILLRerunsTheUnfinishedJobs(t *testing.T) {
	dir := t.TempDir()
	ran, release, jl := filepath.Join(dir, "ran"), filepath.Join(dir, "release"), filepath.Join(dir, "joblog")
	// Jobs 4 and 5 block until the release file exists.
	script := "echo {} >> " + ran + "; if [ {} -gt 3 ] && [ ! -e " + release + " ]; then sleep 60; fi"
	args := []string{"-j2", "--joblog", jl, script, ":::", "1", "2", "3", "4", "5"}
	cmd := exec.Command(binary(t), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitLines(t, ran, 5)
	time.Sleep(100 * time.Millisecond) // job 3's joblog line
	cmd.Process.Kill()
	cmd.Wait()
	os.WriteFile(release, nil, 0o644)
	os.Remove(ran)
	out, err := exec.Command(binary(t), append([]string{"--resume"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(ran)
	got := strings.Fields(string(b))
	slices.Sort(got)
	if !slices.Equal(got, []string{"4", "5"}) {
		t.Fatalf("--resume ran %q, want exactly the unfinished jobs 4 and 5", got)
	}
}

func TestFirstInterruptWaitsSecondKills(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	var out bytes.Buffer
	cmd := exec.Command(binary(t), "-k", "-j2", "echo {} >> "+started+"; sleep 1; echo done {}", ":::", "1", "2", "3", "4")
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitLines(t, started, 2)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if got := out.String(); got != "done 1\ndone 2\n" {
		t.Fatalf("after one interrupt the output is %q, want the two running jobs' only", got)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 255 {
		t.Fatalf("exit %v, want 255 for an interrupted run", err)
	}

	os.Remove(started)
	out.Reset()
	cmd = exec.Command(binary(t), "-k", "-j2", "echo {} >> "+started+"; sleep 60; echo done {}", ":::", "1", "2", "3")
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitLines(t, started, 2)
	begin := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if time.Since(begin) > 30*time.Second || out.String() != "" {
		t.Fatalf("two interrupts: output %q after %v; want the jobs killed", out.String(), time.Since(begin))
	}
}

// TestInterruptSparesPerl: Ctrl-C at a terminal reaches the whole
// foreground process group; the perl that evaluates {= =} must outlive it,
// for the running jobs' tags are made when they end.
func TestInterruptSparesPerl(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	var out, errOut bytes.Buffer
	cmd := exec.Command(binary(t), "-k", "-j2", "--tagstring", "{= $_ .= '!' =}", "echo {} >> "+started+"; sleep 1; echo done", ":::", "1", "2", "3", "4")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitLines(t, started, 2)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // as a terminal sends it
	err := cmd.Wait()
	if got := out.String(); got != "1!\tdone\n2!\tdone\n" || errOut.String() != "" {
		t.Fatalf("output %q, stderr %q; want the two running jobs', tagged, and no error", got, errOut.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 255 {
		t.Fatalf("exit %v, want 255 for an interrupted run", err)
	}
}

// TestShebangMatchesGNU runs scripts whose #! line names GNU parallel, and
// the same scripts naming multitask: the kernel passes the line's options
// as one argument, which --shebang and --shebang-wrap take apart.
func TestShebangMatchesGNU(t *testing.T) {
	gnu := gnutest.Path(t)
	ours := binary(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		line, body string
		args       []string
	}{
		{"--shebang -r -k echo", "foo\nbar\n\nbaz\n", nil},
		{"--hashbang -k echo x", "1\n2\n", nil},
		{"--shebang-wrap -k /bin/sh", "echo \"arg: $1\"\n", []string{"a", "b c", "d"}},
		{"--shebang-wrap -k /bin/sh", "echo never\n", nil},
	} {
		var outs [2]string
		for i, tool := range []string{gnu, ours} {
			script := filepath.Join(dir, "script"+strconv.Itoa(i))
			if err := os.WriteFile(script, []byte("#!"+tool+" "+tc.line+"\n"+tc.body), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(script, tc.args...).CombinedOutput()
			outs[i] = fmt.Sprintf("%s(%v)", out, err)
		}
		if outs[1] != outs[0] {
			t.Errorf("#!multitask %s %q\n got %q\nwant %q (GNU parallel)", tc.line, tc.args, outs[1], outs[0])
		}
	}
}
