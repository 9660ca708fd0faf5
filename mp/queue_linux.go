package mp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// queueListen listens on a fresh abstract unix address (Linux's names that
// live in no file system, written with a leading "@"), so that any process
// of the same user can reach the queue's broker without a file to clean up.
func queueListen() (*net.UnixListener, string, error) {
	var r [8]byte
	rand.Read(r[:])
	addr := fmt.Sprintf("@multitask-queue-%d-%s", os.Getpid(), hex.EncodeToString(r[:]))
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		return nil, "", err
	}
	return l, addr, nil
}

// queueDial connects to a broker's address.
func queueDial(addr string) (*net.UnixConn, error) {
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: addr, Net: "unix"})
}

// peerUID returns the user id of the process at the other end of c.
func peerUID(c *net.UnixConn) (uint32, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	return cred.Uid, nil
}

// newShm makes a shared memory object of size bytes and maps it.
func newShm(size int) (*os.File, []byte, error) {
	fd, err := unix.MemfdCreate("multitask-queue", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "multitask-queue")
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, nil, err
	}
	mem, err := mapShm(f, size)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, mem, nil
}

// mapShm maps size bytes of the shared memory object f.
func mapShm(f *os.File, size int) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() != int64(size) {
		return nil, fmt.Errorf("shared memory of %d bytes, want %d", st.Size(), size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return mem, nil
}

func unmapShm(mem []byte) error { return unix.Munmap(mem) }

// sendFile writes b to c with f's descriptor attached.
func sendFile(c *net.UnixConn, b []byte, f *os.File) error {
	n, _, err := c.WriteMsgUnix(b, unix.UnixRights(int(f.Fd())), nil)
	if err == nil && n != len(b) {
		err = errors.New("short write")
	}
	return err
}

// recvFile reads from c until want bytes have arrived, with the one
// descriptor sent along, which it returns as a file. The peer sends nothing
// more until it has had an answer, so no byte of a later message is read.
func recvFile(c *net.UnixConn, want int) ([]byte, *os.File, error) {
	buf := make([]byte, want)
	oob := make([]byte, unix.CmsgSpace(4))
	var fds []int
	got := 0
	for got < want {
		n, oobn, _, _, err := c.ReadMsgUnix(buf[got:], oob)
		if oobn > 0 {
			msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
			for _, m := range msgs {
				if more, err := unix.ParseUnixRights(&m); err == nil {
					fds = append(fds, more...)
				}
			}
			if perr != nil && err == nil {
				err = perr
			}
		}
		got += n
		if err != nil {
			closeFDs(fds)
			return nil, nil, err
		}
		if n == 0 {
			closeFDs(fds)
			return nil, nil, errors.New("connection closed during the handshake")
		}
	}
	if len(fds) != 1 {
		closeFDs(fds)
		return nil, nil, fmt.Errorf("%d descriptors arrived, want 1", len(fds))
	}
	unix.CloseOnExec(fds[0])
	return buf, os.NewFile(uintptr(fds[0]), "multitask-queue"), nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
