package launch

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// SocketPair returns the two ends of a connected unix stream socket, both
// non-blocking so that their reads and writes go through the runtime's
// poller: deadlines work, and Close wakes a blocked read. Descriptors of
// sockets cross to other processes with SendWithFiles, which leaves that
// mode alone (exec's ExtraFiles would switch it off).
func SocketPair() (a, b *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "multitask-socket"), os.NewFile(uintptr(fds[1]), "multitask-socket"), nil
}

// OpenInherited opens an inherited descriptor as a pollable file.
func OpenInherited(fd int, name string) *os.File {
	if syscall.SetNonblock(fd, true) != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), name)
}

// SendWithFiles writes b to the socket f, with the descriptors of files
// attached to its first byte, and blocks until all of b is written.
func SendWithFiles(f *os.File, b []byte, files []*os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	if len(files) > MaxRights {
		return fmt.Errorf("%d descriptors in one argument; at most %d", len(files), MaxRights)
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

// RightsReader reads a unix socket and keeps the descriptors that arrive
// with the bytes, in order, for Take.
type RightsReader struct {
	rc  syscall.RawConn
	oob []byte
	fds []int
}

// NewRightsReader reads the socket f.
func NewRightsReader(f *os.File) (*RightsReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &RightsReader{rc: rc, oob: make([]byte, syscall.CmsgSpace(MaxRights*4))}, nil
}

// Read reads bytes from the socket, keeping the descriptors that come
// with them.
func (r *RightsReader) Read(p []byte) (int, error) {
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
		if len(got) < MaxRights {
			return 0, fmt.Errorf("descriptors sent with the data were dropped: %w", syscall.EMFILE)
		}
		return 0, fmt.Errorf("more than %d descriptors in one message", MaxRights)
	}
	r.fds = append(r.fds, got...)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Await reads until at least n descriptors are held. It reads a byte at a
// time, so that it takes no byte, and no descriptor, beyond the message
// that completes them.
func (r *RightsReader) Await(n int) error {
	var b [1]byte
	for len(r.fds) < n {
		if _, err := r.Read(b[:]); err != nil {
			return err
		}
	}
	return nil
}

// Take returns the next n descriptors received, as pollable files.
func (r *RightsReader) Take(n int, name string) ([]*os.File, error) {
	if n > len(r.fds) {
		return nil, fmt.Errorf("%d descriptors arrived, %d expected", len(r.fds), n)
	}
	files := make([]*os.File, n)
	for i, fd := range r.fds[:n] {
		if files[i] = OpenInherited(fd, name); files[i] == nil {
			return nil, fmt.Errorf("descriptor %d unusable", fd)
		}
	}
	r.fds = r.fds[n:]
	return files, nil
}

// PidfdOpen returns a descriptor that refers to process pid for as long as
// it is open, even after the pid is reused.
func PidfdOpen(pid int) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// PidfdSignal sends sig to the process pidfd refers to.
func PidfdSignal(pidfd *os.File, sig syscall.Signal) error {
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

// closeFDs closes the descriptors fds.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
