//go:build !linux

package mp

import (
	"net"
	"os"
)

func queueListen() (*net.UnixListener, string, error) { return nil, "", ErrUnsupported }

func queueDial(string) (*net.UnixConn, error) { return nil, ErrUnsupported }

func peerUID(*net.UnixConn) (uint32, error) { return 0, ErrUnsupported }

func newShm(int) (*os.File, []byte, error) { return nil, nil, ErrUnsupported }

func mapShm(*os.File, int) ([]byte, error) { return nil, ErrUnsupported }

func unmapShm([]byte) error { return ErrUnsupported }

func sendFile(*net.UnixConn, []byte, *os.File) error { return ErrUnsupported }

func recvFile(*net.UnixConn, int) ([]byte, *os.File, error) { return nil, nil, ErrUnsupported }
