//go:build !linux

package launch

import (
	"errors"
	"os"
	"syscall"
)

// Passing descriptors and pidfds are Linux facilities here: elsewhere
// starting a child fails with errors.ErrUnsupported.

// SocketPair is not supported on this platform.
func SocketPair() (mine, theirs *os.File, err error) { return nil, nil, errors.ErrUnsupported }

// OpenInherited is not supported on this platform.
func OpenInherited(int, string) *os.File { return nil }

// SendWithFiles is not supported on this platform.
func SendWithFiles(*os.File, []byte, []*os.File) error { return errors.ErrUnsupported }

// A RightsReader is not supported on this platform.
type RightsReader struct{}

// NewRightsReader is not supported on this platform.
func NewRightsReader(*os.File) (*RightsReader, error) { return nil, errors.ErrUnsupported }

// Read is not supported on this platform.
func (*RightsReader) Read([]byte) (int, error) { return 0, errors.ErrUnsupported }

// Await is not supported on this platform.
func (*RightsReader) Await(int) error { return errors.ErrUnsupported }

// Take is not supported on this platform.
func (*RightsReader) Take(int, string) ([]*os.File, error) { return nil, errors.ErrUnsupported }

// PidfdOpen is not supported on this platform.
func PidfdOpen(int) (*os.File, error) { return nil, errors.ErrUnsupported }

// PidfdSignal is not supported on this platform.
func PidfdSignal(*os.File, syscall.Signal) error { return errors.ErrUnsupported }
