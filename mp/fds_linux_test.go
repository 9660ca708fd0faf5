package mp

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// ExhaustDescriptors lets the external tests run out of descriptors.
var ExhaustDescriptors = exhaustDescriptors

// exhaustDescriptors lowers this process's limit on open descriptors to a
// little above those it has and opens descriptors until the limit is
// reached, then closes spare of them so that exactly spare are free.
// release closes the rest and puts the limit back.
func exhaustDescriptors(spare int) (release func(), err error) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	low := old
	low.Cur = uint64(highest + 16 + spare)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		return nil, err
	}
	var held []int
	release = func() {
		closeAll(held)
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	}
	for {
		fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if errors.Is(err, syscall.EMFILE) {
			break
		}
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, fd)
	}
	if spare > len(held) {
		release()
		return nil, errors.New("fewer descriptors opened than were to be left free")
	}
	closeAll(held[len(held)-spare:])
	held = held[:len(held)-spare]
	return release, nil
}

// closeAll closes the descriptors fds.
func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}
