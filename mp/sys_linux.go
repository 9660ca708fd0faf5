package mp

import (
	"context"
	"errors"
	"os"
	"strconv"
	"syscall"

	"github.com/multitask-go/multitask/mp/internal/launch"
	"golang.org/x/sys/unix"
)

// bigPipe returns an OS pipe, both ends pollable, with a buffer of size
// bytes if the system allows it.
func bigPipe(size int) (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	if rc, err := w.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { setPipeSize(int(fd), size) })
	}
	return r, w, nil
}

// waitReadable waits until a read of f would not block, without reading:
// f holds data, its writers have all closed it, or it failed. With a ctx
// that has already ended it only looks; when ctx ends first, or it found
// nothing to read, it returns ctx.Err().
func waitReadable(ctx context.Context, f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	// Asked after the runtime's poller has forgotten earlier wake-ups, and
	// asked of the kernel's level: data that came before waiting counts.
	ready := func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, 0)
			if err != unix.EINTR {
				return n > 0 || err != nil
			}
		}
	}
	if ctx.Err() != nil {
		found := false
		if err := rc.Control(func(fd uintptr) { found = ready(fd) }); err != nil {
			return err
		}
		if !found {
			return ctx.Err()
		}
		return nil
	}
	err = bounded(ctx, f.SetReadDeadline, func() error { return rc.Read(ready) })
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// setPipeSize asks for a pipe buffer of n bytes; failing is harmless.
func setPipeSize(fd, n int) { _, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, n) }

// peakRSS returns the process's peak resident memory in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux
}

// dupFile duplicates f's descriptor, close-on-exec, for a copy that lives
// as long as the caller needs, whatever the owner of f does with it.
func dupFile(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var derr error
	if err := rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("fcntl", derr)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}

// closeStrays closes the descriptors above the control socket that this
// process got from its parent without being handed them: exec passes on
// every descriptor that lacks close-on-exec (one a cgo library or a raw
// system call opened, say), and a child is to get only its handles, which
// come over the control socket. Whatever this process has opened itself by
// now has close-on-exec set, as everything the Go runtime and package os
// open does, and is left alone; so is everything, should /proc be missing.
func closeStrays() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= launch.ControlFD {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}
