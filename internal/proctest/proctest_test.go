package proctest_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
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
