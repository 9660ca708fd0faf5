//go:build !linux

package mp

import "os"

func queueListen() (*os.File, string, error) { return nil, "", ErrUnsupported }

func queueAccept(*os.File) (*os.File, error) { return nil, ErrUnsupported }

func queueDial(string) (*os.File, error) { return nil, ErrUnsupported }

func peerUID(*os.File) (uint32, error) { return 0, ErrUnsupported }

func sendFile(*os.File, []byte, *os.File) error { return ErrUnsupported }

func recvFile(*os.File, int) ([]byte, *os.File, error) { return nil, nil, ErrUnsupported }
