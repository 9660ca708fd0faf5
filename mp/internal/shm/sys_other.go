//go:build !linux

package mp

import (
	"os"
	"time"
)

// Shared memory and futexes are Linux facilities here: elsewhere every
// constructor of a primitive fails with ErrUnsupported, so the functions
// below past shmCreate are never reached.

func shmCreate(string, int) (*os.File, []byte, error) { return nil, nil, ErrUnsupported }

func shmMap(*os.File, int) ([]byte, error) { return nil, ErrUnsupported }

func shmUnmap([]byte) error { return nil }

func shmRetire([]byte) error { return ErrUnsupported }

func futexWait(_ *uint32, _ uint32, d time.Duration) bool {
	time.Sleep(d)
	return true
}

func futexWake(*uint32, int) {}

func selfIdentity() (pid int, start uint64, procOK bool) { return os.Getpid(), 0, false }

func processAlive(int, uint32) bool { return true }
