//go:build !linux

package mp

import (
	"context"
	"os"
	"syscall"
)

func socketPair() (mine, theirs *os.File, err error) { return nil, nil, ErrUnsupported }

func openInherited(int, string) *os.File { return nil }

func closeStrays() {}

func sendWithFiles(*os.File, []byte, []*os.File) error { return ErrUnsupported }

type rightsReader struct{}

func newRightsReader(*os.File) (*rightsReader, error) { return nil, ErrUnsupported }

func (*rightsReader) Read([]byte) (int, error) { return 0, ErrUnsupported }

func (*rightsReader) await(int) error { return ErrUnsupported }

func (*rightsReader) take(int, string) ([]*os.File, error) { return nil, ErrUnsupported }

func bigPipe(int) (r, w *os.File, err error) { return nil, nil, ErrUnsupported }

func waitReadable(context.Context, *os.File) error { return ErrUnsupported }

func pidfdOpen(int) (*os.File, error) { return nil, ErrUnsupported }

func pidfdSignal(*os.File, syscall.Signal) error { return ErrUnsupported }

func peakRSS() int64 { return 0 }

func dupFile(*os.File) (*os.File, error) { return nil, ErrUnsupported }
