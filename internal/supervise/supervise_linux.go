package supervise

import (
	"os"
	"runtime"
	"syscall"
)

var errProcessDone = os.ErrProcessDone

func configure(attr *syscall.SysProcAttr, opts Options) error {
	if opts.Detached {
		attr.Setsid = true
		return nil
	}
	attr.Pdeathsig = syscall.SIGKILL
	return nil
}

func lockThread() { runtime.LockOSThread() }

// setThreadNice sets the calling thread's niceness: on Linux each thread
// has its own, and a child inherits that of the thread that forked it. An
// error (lowering it without privilege) leaves it as it is.
func setThreadNice(nice int) { _ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice) }
