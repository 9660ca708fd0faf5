package proctest_test

import (
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
	for proctest.Alive(pid) {
		time.Sleep(time.Millisecond) // polls /proc; the test's time limit guards against a hang
	}
	if kids := proctest.Children(os.Getpid()); slices.Contains(kids, pid) {
		t.Errorf("Children = %v, want the ended child %d left out", kids, pid)
	}
	cmd.Wait()
	if proctest.Alive(pid) {
		t.Errorf("Alive(%d) = true after Wait", pid)
	}
}

func TestAliveOfNoProcess(t *testing.T) {
	if proctest.Alive(-1) {
		t.Error("Alive(-1) = true")
	}
}
