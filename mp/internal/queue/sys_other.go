//go:build !linux

package queue

import (
	"errors"
	"os"
)

// The queue's sockets and shared memory are Linux facilities here:
// elsewhere a queue works within its process, and passing it to another
// fails with errors.ErrUnsupported.

func queueListen() (*os.File, string, error) { return nil, "", errors.ErrUnsupported }

func queueAccept(*os.File) (*os.File, error) { return nil, errors.ErrUnsupported }

func queueDial(string) (*os.File, error) { return nil, errors.ErrUnsupported }

func peerUID(*os.File) (uint32, error) { return 0, errors.ErrUnsupported }

func sendFile(*os.File, []byte, *os.File) error { return errors.ErrUnsupported }

func recvFile(*os.File, int) ([]byte, *os.File, error) { return nil, nil, errors.ErrUnsupported }
