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
