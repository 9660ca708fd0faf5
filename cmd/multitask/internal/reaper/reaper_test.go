package reaper

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"slices"
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

// TestRemovalsGoWithTheNextAdd checks the records a client writes: a
// removal waits for the next Add, and both go in one write, or it goes
// alone after removeDelay.
func TestRemovalsGoWithTheNextAdd(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := &Client{w: w}
	defer w.Close()
	read := func() []int32 {
		t.Helper()
		buf := make([]byte, 64)
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var got []int32
		for b := buf[:n]; len(b) >= 4; b = b[4:] {
			got = append(got, int32(binary.LittleEndian.Uint32(b)))
		}
		return got
	}
	if err := c.Add(7); err != nil {
		t.Fatal(err)
	}
	if got := read(); !slices.Equal(got, []int32{7}) {
		t.Fatalf("Add(7) wrote %v", got)
	}
	t0 := time.Now()
	if err := errors.Join(c.Remove(7), c.Remove(8), c.Add(9)); err != nil {
		t.Fatal(err)
	}
	if got := read(); !slices.Equal(got, []int32{-7, -8, 9}) {
		t.Fatalf("Remove(7), Remove(8), Add(9) wrote %v in one write", got)
	}
	if err := c.Remove(9); err != nil {
		t.Fatal(err)
	}
	if got := read(); !slices.Equal(got, []int32{-9}) {
		t.Fatalf("Remove(9) alone wrote %v", got)
	}
	if d := time.Since(t0); d < removeDelay {
		t.Fatalf("a removal went alone after %v, before removeDelay", d)
	}
}
