package proctest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/goleak"
)

// Check is the end of a TestMain: it takes the code m.Run returned, after
// the test binary's own clean-up, and returns the code to exit with. When
// the tests passed it reports on stderr every child process of this
// process still alive and every goroutine still running, and returns 1 if
// there is any. A failed run's code is returned unchanged, since what a
// failing test left running says nothing more.
func Check(code int) int {
	if code != 0 {
		return code
	}
	if kids := Children(os.Getpid()); len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "child processes left behind: %v\n", kids)
		code = 1
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

// Children returns the live processes whose parent is pid. A zombie has
// ended and is left out.
func Children(pid int) []int {
	var kids []int
	for _, child := range pids() {
		if st, ok := readStat(child); ok && st.ppid == pid && st.state != "Z" {
			kids = append(kids, child)
		}
	}
	return kids
}

// Alive reports whether process pid exists and has not ended: a zombie,
// which its parent has not yet waited for, has ended.
func Alive(pid int) bool {
	st, ok := readStat(pid)
	return ok && st.state != "Z"
}

// Gone waits until process pid has ended, and reports whether it did
// before ctx was done. A zombie has ended.
func Gone(ctx context.Context, pid int) bool {
	for Alive(pid) {
		select {
		case <-ctx.Done():
			return !Alive(pid)
		case <-time.After(5 * time.Millisecond): // polls /proc: only its parent can wait for a process
		}
	}
	return true
}

// KillSession kills every live process of session sid, and again those
// that appear meanwhile, a few rounds at most: what a program started in
// a session of its own left running, its process groups included.
func KillSession(sid int) {
	for range 10 {
		var left bool
		for _, pid := range pids() {
			if st, ok := readStat(pid); ok && st.session == sid && st.state != "Z" {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				left = true
			}
		}
		if !left {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pids lists the processes of /proc.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var ps []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			ps = append(ps, pid)
		}
	}
	return ps
}

// procStat is what the tests read of /proc/pid/stat.
type procStat struct {
	state         string
	ppid, session int
}

// readStat reads the state, parent and session of pid.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may hold spaces: fields
	// start after the last ')': state, ppid, pgrp, session.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 4 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(fields[1])
	session, err2 := strconv.Atoi(fields[3])
	return procStat{state: fields[0], ppid: ppid, session: session}, err1 == nil && err2 == nil
}
