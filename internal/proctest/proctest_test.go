package proctest_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/proctest"
)

func TestMain(m *testing.M) {
	os.Exit(proctest.Check(m.Run()))
}

func TestChildrenAndAlive(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if kids := proctest.Children(os.Getpid()); !slices.Contains(kids, pid) {
		t.Errorf("Children = %v, want it to hold the running child %d", kids, pid)
	}
	if !proctest.Alive(pid) {
		t.Errorf("Alive(%d) = false for a running child", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Until it is waited for, the killed child is a zombie: it has ended.
	if !proctest.Gone(t.Context(), pid) {
		t.Fatalf("Gone(%d) = false after SIGKILL", pid)
	}
	if kids := proctest.Children(os.Getpid()); slices.Contains(kids, pid) {
		t.Errorf("Children = %v, want the ended child %d left out", kids, pid)
	}
	cmd.Wait()
	if proctest.Alive(pid) {
		t.Errorf("Alive(%d) = true after Wait", pid)
	}
}

func TestGoneWhileRunning(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if proctest.Gone(ctx, cmd.Process.Pid) {
		t.Fatal("Gone = true for a running child")
	}
}

func TestAliveOfNoProcess(t *testing.T) {
	if proctest.Alive(-1) {
		t.Error("Alive(-1) = true")
	}
}

// TestKillSession starts a shell in a session of its own that starts a
// process group of its own, and leaves a process behind when it exits:
// KillSession ends both, the shell's own child too.
func TestKillSession(t *testing.T) {
	dir := t.TempDir()
	// The orphan's pid is written once it runs; set -m gives the second
	// sleep a process group of its own.
	cmd := exec.Command("sh", "-c", `set -m; sleep 60 & echo $! > `+dir+`/group; `+
		`sh -c 'sleep 60 & echo $! > `+dir+`/orphan'; sleep 60`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := make([]int, 0, 2)
	for _, name := range []string{"group", "orphan"} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := os.ReadFile(dir + "/" + name)
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
				pids = append(pids, pid)
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no pid in %s", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	proctest.KillSession(cmd.Process.Pid)
	cmd.Wait()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, pid := range pids {
		if !proctest.Gone(ctx, pid) {
			t.Errorf("process %d of the session is still alive", pid)
		}
	}
}
