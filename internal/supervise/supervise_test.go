package supervise

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain also checks that the forking goroutine ends once every child it
// forked has been reaped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		script string
		signal syscall.Signal
		want   int
	}{
		{"success", "exit 0", 0, 0},
		{"status", "exit 3", 0, 3},
		{"killed", "exec sleep 60", syscall.SIGKILL, -int(syscall.SIGKILL)},
		{"terminated", "exec sleep 60", syscall.SIGTERM, -int(syscall.SIGTERM)},
	}
	for _, tc := range cases {
		for _, detached := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c, err := Start(exec.Command("/bin/sh", "-c", tc.script), Options{Detached: detached})
				if err != nil {
					t.Fatal(err)
				}
				if c.Pid() <= 0 {
					t.Fatalf("Pid = %d", c.Pid())
				}
				if tc.signal != 0 {
					if code := c.ExitCode(); code != -1 {
						t.Fatalf("ExitCode of a running child = %d, want -1", code)
					}
					if err := c.Signal(tc.signal); err != nil {
						t.Fatal(err)
					}
				}
				<-c.Done()
				if code := c.ExitCode(); code != tc.want {
					t.Fatalf("ExitCode = %d, want %d", code, tc.want)
				}
				if err := c.WaitErr(); err != nil {
					t.Fatalf("WaitErr = %v", err)
				}
				if err := c.Signal(syscall.SIGKILL); err != nil {
					t.Fatalf("Signal after reaping = %v, want nil", err)
				}
			})
		}
	}
}

func TestStartFailure(t *testing.T) {
	t.Parallel()
	if _, err := Start(exec.Command("/nonexistent/program"), Options{}); err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
	// The failed start gave back its place: a later start still works,
	// and the forking goroutine ends with it (goleak in TestMain).
	c, err := Start(exec.Command("/bin/true"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
}

func TestParentDeathSignalIsSet(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("/bin/true")
	c, err := Start(cmd, Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if cmd.SysProcAttr.Pdeathsig != syscall.SIGKILL || cmd.SysProcAttr.Setsid {
		t.Fatalf("linked child: %+v", cmd.SysProcAttr)
	}
	cmd = exec.Command("/bin/true")
	if c, err = Start(cmd, Options{Detached: true}); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if cmd.SysProcAttr.Pdeathsig != 0 || !cmd.SysProcAttr.Setsid {
		t.Fatalf("detached child: %+v", cmd.SysProcAttr)
	}
}

// TestChildrenInTurnShareAThread starts children one after another: the
// forking goroutine, and its thread, serve them all, then end.
func TestChildrenInTurnShareAThread(t *testing.T) {
	forkerEnds(t) // one of an earlier test's
	forker.mu.Lock()
	before := forker.serves
	forker.mu.Unlock()
	for range 10 {
		c, err := Start(exec.Command("/bin/true"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		<-c.Done()
	}
	forker.mu.Lock()
	n := forker.serves - before
	forker.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d forking goroutines for 10 children in turn, want 1", n)
	}
	forkerEnds(t)
}

// forkerEnds waits until the forking goroutine has ended.
func forkerEnds(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		forker.mu.Lock()
		ended := forker.reqs == nil
		forker.mu.Unlock()
		if ended {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the forking goroutine did not end once idle")
		}
	}
}

// TestForkerOutlivesChildrenOfAnyThread checks that the forking goroutine
// keeps its thread while a child forked on any thread lives: that thread
// may be the one that forked it.
func TestForkerOutlivesChildrenOfAnyThread(t *testing.T) {
	forkerEnds(t) // one of an earlier test's
	long := exec.Command("sleep", "60")
	c, err := Start(long, Options{AnyThread: true})
	if err != nil {
		t.Fatal(err)
	}
	if long.SysProcAttr.Pdeathsig != syscall.SIGKILL {
		t.Fatalf("a child of any thread: %+v", long.SysProcAttr)
	}
	defer func() {
		_ = c.Signal(syscall.SIGKILL)
		<-c.Done()
		forkerEnds(t)
	}()
	forker.mu.Lock()
	before := forker.serves
	forker.mu.Unlock()
	for range 2 {
		short, err := Start(exec.Command("/bin/true"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		<-short.Done()
		time.Sleep(3 * forkerIdle) // long enough for an idle forker to end
	}
	forker.mu.Lock()
	n := forker.serves - before
	forker.mu.Unlock()
	if n != 1 {
		t.Fatalf("the forking goroutine ended %d times while a child of any thread lived", n-1)
	}
}

// TestNice starts children at a niceness of their own; a child started
// without one, before and after, keeps this process's.
func TestNice(t *testing.T) {
	own, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	own = 20 - own // the raw syscall's 40..1 for -20..19
	niceness := func(opts Options) string {
		t.Helper()
		var out strings.Builder
		cmd := exec.Command("nice")
		cmd.Stdout = &out
		c, err := Start(cmd, opts)
		if err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		if code := c.ExitCode(); code != 0 {
			t.Fatalf("nice exited with %d", code)
		}
		return strings.TrimSpace(out.String())
	}
	want := strconv.Itoa(min(own+7, 19))
	for _, opts := range []Options{{}, {Nice: own + 7}, {Nice: own + 7, AnyThread: true}, {AnyThread: true}} {
		w := strconv.Itoa(own)
		if opts.Nice != 0 {
			w = want
		}
		if got := niceness(opts); got != w {
			t.Errorf("%+v: the child's niceness is %s, want %s", opts, got, w)
		}
	}
	if _, err := Start(exec.Command("true"), Options{Detached: true, Nice: 1}); err == nil {
		t.Error("Start of a detached child with Nice: no error")
	}
}
