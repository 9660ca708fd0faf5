//go:build !linux

package supervise

import (
	"os"
	"syscall"
)

var errProcessDone = os.ErrProcessDone

func configure(*syscall.SysProcAttr, Options) error { return ErrUnsupported }

func lockThread() {}

func setThreadNice(int) {}
