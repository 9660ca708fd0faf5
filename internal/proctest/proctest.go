package proctest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := stat(child); ok && ppid == pid && state != "Z" {
			kids = append(kids, child)
		}
	}
	return kids
}

// Alive reports whether process pid exists and has not ended: a zombie,
// which its parent has not yet waited for, has ended.
func Alive(pid int) bool {
	_, state, ok := stat(pid)
	return ok && state != "Z"
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

// stat returns the parent pid and the state of pid, from /proc/pid/stat.
func stat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", false
	}
	// The command name is in parentheses and may hold spaces: fields
	// start after the last ')'.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(fields[1])
	return ppid, fields[0], err == nil
}
