package reaper

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if IsReaper(os.Args) {
		os.Exit(Serve(os.Stdin))
	}
	os.Exit(m.Run())
}

// startGroup starts a sleeping process leading a group of its own.
func startGroup(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

func exitedWithin(cmd *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func TestCloseKillsListedGroupsOnly(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(exe)
	if err != nil {
		t.Fatal(err)
	}
	listed, forgotten := startGroup(t), startGroup(t)
	for _, pid := range []int{listed.Process.Pid, forgotten.Process.Pid} {
		if err := c.Add(pid); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Remove(forgotten.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !exitedWithin(listed, 5*time.Second) {
		t.Fatal("a listed group survived the reaper")
	}
	if syscall.Kill(forgotten.Process.Pid, 0) != nil {
		t.Fatal("a forgotten group was killed")
	}
	if err := c.Add(1); err == nil {
		t.Fatal("Add after Close succeeded")
	}
}
