//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A sample is what one run of a tool cost.
type sample struct {
	wall time.Duration // from just before the start to the return of wait
	cpu  time.Duration // user + system time of the whole process tree
	rss  int64         // ru_maxrss, in bytes
	// floor is this process's resident memory when it started the tool,
	// which Linux counts into rss: the process that execs the tool shares
	// this one's memory until the exec, and exec keeps its peak.
	floor int64
}

// A run says how to run a command once.
type run struct {
	argv   []string // argv[0] is an absolute path, so that no lookup is timed
	env    []string
	stdin  string // a file; "" for /dev/null
	stdout string // a file to write, read back for check; "" for /dev/null
	stderr string // a file to write, quoted when the run fails
}

// orphanWait is how long a run waits for the descendants that its tool left
// behind before it kills them.
var orphanWait = 2 * time.Second

// becomeSubreaper makes the descendants that outlive their parent come back
// to this process, so that measure can wait for them and count them.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_CHILD_SUBREAPER: %w", err)
	}
	return nil
}

// measure runs r once, in a process group of its own that is killed when
// ctx ends, and returns its cost and what it printed on stdout when
// r.stdout is set. It must not run alongside any other child of this
// process: after the tool exits it waits for every child left.
func measure(ctx context.Context, r run) (sample, []byte, error) {
	var s sample
	open := func(name string, flag int) (*os.File, error) {
		if name == "" {
			name = os.DevNull
		}
		return os.OpenFile(name, flag, 0o644)
	}
	in, err := open(r.stdin, os.O_RDONLY)
	if err != nil {
		return s, nil, err
	}
	defer in.Close()
	out, err := open(r.stdout, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return s, nil, err
	}
	defer out.Close()
	errf, err := open(r.stderr, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return s, nil, err
	}
	defer errf.Close()

	// Files, not buffers: os/exec then copies nothing, and the timing is the
	// tool's alone.
	cmd := exec.CommandContext(ctx, r.argv[0], r.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errf
	cmd.Env = r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	s.floor = ownPeak()
	start := time.Now()
	runErr := cmd.Run()
	s.wall = time.Since(start)
	if cmd.ProcessState == nil { // it did not start
		return s, nil, runErr
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.rss = ru.Maxrss * 1024 // KiB on Linux
	}
	orphanCPU, orphanErr := reapOrphans(orphanWait)
	s.cpu += orphanCPU
	if runErr != nil {
		return s, nil, fmt.Errorf("%w%s", runErr, tail(r.stderr))
	}
	if orphanErr != nil {
		return s, nil, orphanErr
	}
	if r.stdout == "" {
		return s, nil, nil
	}
	got, err := os.ReadFile(r.stdout)
	return s, got, err
}

// ownPeak resets this process's peak resident memory (VmHWM) to the
// resident memory it has now, and returns it in bytes; 0 when /proc does not
// tell.
func ownPeak() int64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM; without it the peak since the start stays
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib * 1024
		}
	}
	return 0
}

// tail returns the last line of the file at path, as ": line", or "" when
// there is none: the reason a tool gives for failing.
func tail(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	b = bytes.TrimSpace(b)
	if err != nil || len(b) == 0 {
		return ""
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return ": " + string(b)
}

// reapOrphans waits for the children of this process, which after a tool
// exits are the descendants it left behind, and returns their CPU time.
// Those still running after wait are killed, and the error says how many.
func reapOrphans(wait time.Duration) (time.Duration, error) {
	var cpu time.Duration
	deadline := time.Now().Add(wait)
	killed := map[int]bool{}
	for {
		var ru unix.Rusage
		pid, err := unix.Wait4(-1, nil, unix.WNOHANG, &ru)
		switch {
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.ECHILD):
			if len(killed) > 0 {
				return cpu, fmt.Errorf("%d descendants still ran %v after it exited: killed", len(killed), wait)
			}
			return cpu, nil
		case err != nil:
			return cpu, fmt.Errorf("wait4: %w", err)
		case pid > 0:
			cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		default: // some are still running
			if time.Now().After(deadline) {
				// Again on every turn: a killed process's own children come
				// to this process too.
				for _, p := range children() {
					if unix.Kill(p, unix.SIGKILL) == nil {
						killed[p] = true
					}
				}
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// children returns the pids of the live (not zombie) processes whose parent
// is this process.
func children() []int {
	self := os.Getpid()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended
		}
		// The fields after the command's name, which may hold anything but
		// ends with the last ')': state, then the parent's pid.
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(self) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
