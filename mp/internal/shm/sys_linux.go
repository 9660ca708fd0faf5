package shm

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The shared memory of the synchronisation primitives and shared values is
// an anonymous memory file (memfd_create): it has no name in any file
// system, so nothing is left in /dev/shm or elsewhere, whatever happens to
// the processes; the kernel frees it once the last process that has it open
// or mapped closes it, unmaps it or exits.

// Create makes an anonymous memory file of size bytes, zero-filled, and
// maps it shared.
func Create(name string, size int) (*os.File, []byte, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, os.NewSyscallError("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, nil, err
	}
	mem, err := Map(f, size)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, mem, nil
}

// Map maps the memory file f, which must be exactly size bytes long: a
// shorter one would make accesses past its end fault.
func Map(f *os.File, size int) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != int64(size) {
		return nil, fmt.Errorf("shared memory of %d bytes, want %d", st.Size, size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return mem, nil
}

// Unmap unmaps a mapping made by Create or Map (or left by Close).
func Unmap(mem []byte) error {
	if len(mem) == 0 {
		return nil
	}
	return unix.Munmap(mem)
}

// retire replaces the shared mapping mem, in place and in one step, with
// private zero-filled memory: this process lets go of the shared memory at
// once, while a method racing with Close touches harmless memory instead of
// faulting. The private memory is unmapped when the object that held mem is
// garbage collected, when nothing can touch it any more.
func retire(mem []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)
	if err != nil {
		return os.NewSyscallError("mmap", err)
	}
	return nil
}

// Futex operations, from linux/futex.h. The words live in memory shared
// between processes, so the private flag is not used.
const (
	futexWaitOp = 0 // FUTEX_WAIT
	futexWakeOp = 1 // FUTEX_WAKE
)

// futexWait sleeps while the 32-bit word at addr holds val, for at most d
// (d > 0). It reports whether the wait timed out; a wake-up, a changed word
// (EAGAIN) or a signal (EINTR) all return false, and the caller looks again.
func futexWait(addr *uint32, val uint32, d time.Duration) (timedOut bool) {
	ts := unix.NsecToTimespec(int64(d))
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp,
		uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno == unix.ETIMEDOUT
}

// futexWake wakes at most n processes or threads sleeping on addr.
func futexWake(addr *uint32, n int) {
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(n), 0, 0, 0)
}

// selfIdentity returns this process's pid and start time (in clock ticks
// since boot, field 22 of /proc/self/stat), and whether /proc can tell
// whether another process is alive. Without /proc, owner-death detection
// is off: a dead holder's primitive then waits for ctx like a live one's.
func selfIdentity() (pid int, start uint64, procOK bool) {
	pid = os.Getpid()
	start, state, ok := procStart(pid)
	return pid, start, ok && state != 'Z'
}

// processAlive reports whether the process pid with the start time start
// (low 32 bits) still runs. A process that is gone, a zombie, or a new
// process that reused the pid (its start time differs) is dead. When /proc
// cannot tell (an unexpected error), the process is taken as alive, so that
// a primitive is never taken from a live holder.
func processAlive(pid int, start uint32) bool {
	got, state, ok := procStart(pid)
	if !ok {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return !errors.Is(err, os.ErrNotExist)
	}
	return state != 'Z' && state != 'X' && uint32(got) == start
}

// procStart reads the state and start time of pid from /proc/<pid>/stat.
func procStart(pid int) (start uint64, state byte, ok bool) {
	var buf [512]byte
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, false
	}
	n, err := readFull(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return 0, 0, false
	}
	b := buf[:n]
	// The command name, in parentheses, may hold spaces and parentheses:
	// the fields start after the last ')'. Then: state (field 3), and the
	// start time is field 22, the 20th after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return start, f[0][0], true
}

func readFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}
