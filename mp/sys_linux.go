package mp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// socketPair returns the two ends of a connected unix stream socket, both
// non-blocking so that their reads and writes go through the runtime's
// poller: deadlines work, and Close wakes a blocked read. Descriptors of
// sockets cross to other processes with sendWithFiles, which leaves that
// mode alone (exec's ExtraFiles would switch it off).
func socketPair() (a, b *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "multitask-socket"), os.NewFile(uintptr(fds[1]), "multitask-socket"), nil
}

// openInherited opens an inherited descriptor as a pollable file.
func openInherited(fd int, name string) *os.File {
	if syscall.SetNonblock(fd, true) != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), name)
}

// sendWithFiles writes b to the socket f, with the descriptors of files
// attached to its first byte, and blocks until all of b is written.
func sendWithFiles(f *os.File, b []byte, files []*os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	if len(files) > maxRights {
		return fmt.Errorf("%d descriptors in one argument; at most %d", len(files), maxRights)
	}
	fds := make([]int, len(files))
	for i, file := range files {
		frc, err := file.SyscallConn()
		if err != nil {
			return err
		}
		if err := frc.Control(func(fd uintptr) { fds[i] = int(fd) }); err != nil {
			return err
		}
	}
	rights := syscall.UnixRights(fds...)
	if len(fds) == 0 {
		rights = nil
	}
	for len(b) > 0 {
		var n int
		var serr error
		err := rc.Write(func(fd uintptr) bool {
			n, serr = syscall.SendmsgN(int(fd), b, rights, nil, 0)
			return serr != syscall.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
		// Keep the files open until the kernel has taken their
		// descriptors, which it has once the first byte went out.
		for _, file := range files {
			runtime.KeepAlive(file)
		}
		b, rights = b[n:], nil
	}
	return nil
}

// rightsReader reads a unix socket and keeps the descriptors that arrive
// with the bytes, in order, for take.
type rightsReader struct {
	rc  syscall.RawConn
	oob []byte
	fds []int
}

func newRightsReader(f *os.File) (*rightsReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &rightsReader{rc: rc, oob: make([]byte, syscall.CmsgSpace(maxRights*4))}, nil
}

func (r *rightsReader) Read(p []byte) (int, error) {
	var n, oobn, flags int
	var serr error
	err := r.rc.Read(func(fd uintptr) bool {
		n, oobn, flags, _, serr = syscall.Recvmsg(int(fd), p, r.oob, syscall.MSG_CMSG_CLOEXEC)
		return serr != syscall.EAGAIN
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return 0, err
	}
	var got []int
	if oobn > 0 {
		msgs, err := syscall.ParseSocketControlMessage(r.oob[:oobn])
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			fds, err := syscall.ParseUnixRights(&m)
			if err != nil {
				closeFDs(got)
				return 0, err
			}
			got = append(got, fds...)
		}
	}
	if flags&syscall.MSG_CTRUNC != 0 {
		// The kernel dropped descriptors, and the stream no longer
		// matches what the sender meant: those that did arrive are of no
		// use. With room left for more, it dropped them because this
		// process had no descriptor free.
		closeFDs(got)
		if len(got) < maxRights {
			return 0, fmt.Errorf("descriptors sent with the data were dropped: %w", syscall.EMFILE)
		}
		return 0, fmt.Errorf("more than %d descriptors in one message", maxRights)
	}
	r.fds = append(r.fds, got...)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// await reads until at least n descriptors are held. It reads a byte at a
// time, so that it takes no byte, and no descriptor, beyond the message
// that completes them.
func (r *rightsReader) await(n int) error {
	var b [1]byte
	for len(r.fds) < n {
		if _, err := r.Read(b[:]); err != nil {
			return err
		}
	}
	return nil
}

// take returns the next n descriptors received, as pollable files.
func (r *rightsReader) take(n int, name string) ([]*os.File, error) {
	if n > len(r.fds) {
		return nil, fmt.Errorf("%d descriptors arrived, %d expected", len(r.fds), n)
	}
	files := make([]*os.File, n)
	for i, fd := range r.fds[:n] {
		if files[i] = openInherited(fd, name); files[i] == nil {
			return nil, fmt.Errorf("descriptor %d unusable", fd)
		}
	}
	r.fds = r.fds[n:]
	return files, nil
}

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

// pidfdOpen returns a descriptor that refers to process pid for as long as
// it is open, even after the pid is reused.
func pidfdOpen(pid int) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// pidfdSignal sends sig to the process pidfd refers to.
func pidfdSignal(pidfd *os.File, sig syscall.Signal) error {
	rc, err := pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return err
	}
	return serr
}

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
		if err != nil || fd <= controlFD {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// closeFDs closes the descriptors fds.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
