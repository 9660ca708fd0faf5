//go:build !linux

package mp

import (
	"context"
	"os"
)

func closeStrays() {}

func bigPipe(int) (r, w *os.File, err error) { return nil, nil, ErrUnsupported }

func waitReadable(context.Context, *os.File) error { return ErrUnsupported }

func peakRSS() int64 { return 0 }

func dupFile(*os.File) (*os.File, error) { return nil, ErrUnsupported }
