package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/proctest"
)

// semaphoreRun runs the built command bin in dir with args, its
// semaphores in tmp, and returns its stdout and exit status; -1 when it
// could not run. Its stdout is a file: a job it leaves in the background
// keeps it open, and a pipe would not end with the command.
func semaphoreRun(ctx context.Context, bin, dir, tmp string, args ...string) (string, int) {
	out, err := os.CreateTemp(tmp, "stdout-")
	if err != nil {
		return err.Error(), -1
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if err := cmd.Run(); cmd.ProcessState == nil {
		return err.Error(), -1
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return err.Error(), -1
	}
	return string(b), cmd.ProcessState.ExitCode()
}

// waitFor is a shell loop that waits for the file name to exist, for at
// most 30 s: a background job outlives a test that fails.
func waitFor(name string) string {
	return "i=0; while [ ! -e " + name + " ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done"
}

// TestSemaphoreRunsInTheBackground: --semaphore returns as soon as its job
// has a place, and leaves the job running; the next command of the same
// semaphore waits for that place; --wait waits for the last.
func TestSemaphoreRunsInTheBackground(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, tmp, bin := t.TempDir(), t.TempDir(), binary(t)
	gated := waitFor("go") + "; echo one > out1"
	if out, code := semaphoreRun(ctx, bin, dir, tmp, "--semaphore", "--id", "bg", gated); code != 0 || out != "" {
		t.Fatalf("the first command: %q, exit %d", out, code)
	}
	if _, err := os.Stat(filepath.Join(dir, "out1")); err == nil {
		t.Fatal("the background job ran past its gate")
	}
	type result struct {
		out  string
		code int
	}
	second := make(chan result, 1)
	go func() {
		out, code := semaphoreRun(ctx, bin, dir, tmp, "--fg", "--id", "bg", "cat out1")
		second <- result{out, code}
	}()
	writeFile(t, dir, "go", "")
	if r := <-second; r.out != "one\n" || r.code != 0 {
		t.Fatalf("the second command, which must wait for the first: %q, exit %d", r.out, r.code)
	}
	waitFree(t, ctx, bin, dir, tmp, "bg")
}

// waitFree runs --wait on the semaphore id, which must be free within 20 s.
func waitFree(t *testing.T, ctx context.Context, bin, dir, tmp, id string) {
	t.Helper()
	if out, code := semaphoreRun(ctx, bin, dir, tmp, "--wait", "--id", id, "--st", "-20"); code != 0 {
		t.Fatalf("--wait on %s: %q, exit %d", id, out, code)
	}
}

// TestSemaphoreCountsAcrossProcesses runs two background jobs of a
// semaphore of two places, each of which waits for the other to have
// started: they end only if they run at once.
func TestSemaphoreCountsAcrossProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, tmp, bin := t.TempDir(), t.TempDir(), binary(t)
	for _, job := range []string{"touch a; " + waitFor("b"), "touch b; " + waitFor("a")} {
		if _, code := semaphoreRun(ctx, bin, dir, tmp, "-j2", "--id", "two", job); code != 0 {
			t.Fatalf("%s: exit %d", job, code)
		}
	}
	waitFree(t, ctx, bin, dir, tmp, "two") // else the jobs did not run at once
}

// TestSemaphorePlaceOfAKilledRun: a place is free again once the run that
// held it is SIGKILLed, with no clean-up of its own.
func TestSemaphorePlaceOfAKilledRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, tmp, bin := t.TempDir(), t.TempDir(), binary(t)
	cmd := exec.Command(bin, "--fg", "--id", "killed", "touch started; sleep 60")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the job did not start")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, code := semaphoreRun(ctx, bin, dir, tmp, "--wait", "--id", "killed", "--st", "-0.5"); code != 1 {
		t.Fatalf("--wait while the place is held: exit %d, want 1 (timed out)", code)
	}
	// A positive timeout takes the semaphore anyway, and the job runs in
	// the background without a place.
	if _, code := semaphoreRun(ctx, bin, dir, tmp, "--id", "killed", "--st", "0.3", "echo stolen > stolen"); code != 0 {
		t.Fatalf("--st 0.3 while the place is held: exit %d, want 0", code)
	}
	for b, _ := os.ReadFile(filepath.Join(dir, "stolen")); string(b) != "stolen\n"; b, _ = os.ReadFile(filepath.Join(dir, "stolen")) {
		select {
		case <-ctx.Done():
			t.Fatal("the job of a stolen semaphore did not run")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFree(t, ctx, bin, dir, tmp, "killed")
	for _, kid := range proctest.Children(os.Getpid()) {
		t.Errorf("process %d left running", kid)
	}
}

func TestTakePlace(t *testing.T) {
	dir := t.TempDir()
	take := func(count int) *os.File {
		t.Helper()
		f, err := takePlace(dir, count)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := take(2), take(2)
	if a == nil || b == nil {
		t.Fatal("two places of two were not free")
	}
	if f := take(2); f != nil {
		t.Fatal("a third place of two")
	}
	if f := take(1); f != nil {
		t.Fatal("a place of one while two are held")
	}
	a.Close()
	c := take(2)
	if c == nil {
		t.Fatal("a place given back was not taken again")
	}
	b.Close()
	c.Close()
	// The places left free are cleared but one.
	d := take(1)
	defer d.Close()
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("%d files for one place", len(names))
	}
}

func TestSemaphoreDirRefusesAnotherUsersDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	base := filepath.Join(tmp, "multitask-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := semaphoreDir("x"); err == nil || !strings.Contains(err.Error(), "this user's alone") {
		t.Fatalf("a directory others may write to: %v", err)
	}
	if err := os.Chmod(base, 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := semaphoreDir("a/b c")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "semaphores", "id-a2fb20c"); d != want {
		t.Fatalf("the directory of %q: %s, want %s", "a/b c", d, want)
	}
}
