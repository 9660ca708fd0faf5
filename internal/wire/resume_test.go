package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// stutter hands out its bytes one piece at a time and fails every other
// Read with os.ErrDeadlineExceeded, as a file whose read deadline keeps
// passing does.
type stutter struct {
	data  []byte
	piece int
	fail  bool
}

func (s *stutter) Read(p []byte) (int, error) {
	if s.fail = !s.fail; s.fail {
		return 0, fmt.Errorf("read pipe: %w", os.ErrDeadlineExceeded)
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.piece)], s.data)
	s.data = s.data[n:]
	return n, nil
}

// A deadline that passes in the middle of a frame loses nothing: the next
// ReadFrame goes on where the last one stopped.
func TestReadResumesAfterDeadline(t *testing.T) {
	t.Parallel()
	frames := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 1<<20+5), nil, []byte("last")}
	var stream []byte
	for i, f := range frames {
		stream = AppendFrame(stream, Kind(i+1), f)
	}
	for _, piece := range []int{7, 4093, 1 << 16} {
		t.Run(fmt.Sprint(piece), func(t *testing.T) {
			r := NewReader(&stutter{data: stream, piece: piece}, 0)
			for i, want := range frames {
				for {
					kind, got, err := r.ReadFrame()
					if errors.Is(err, os.ErrDeadlineExceeded) {
						continue
					}
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					if kind != Kind(i+1) || !bytes.Equal(got, want) {
						t.Fatalf("frame %d: kind %d, %d bytes; want kind %d, %d bytes", i, kind, len(got), i+1, len(want))
					}
					break
				}
			}
			for {
				_, _, err := r.ReadFrame()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					continue
				}
				if err != io.EOF {
					t.Fatalf("after the last frame: %v, want io.EOF", err)
				}
				break
			}
		})
	}
}

func TestReadFrameIntoReusesBuffer(t *testing.T) {
	t.Parallel()
	var stream []byte
	for _, n := range []int{10, 100, 5} {
		stream = AppendFrame(stream, 1, bytes.Repeat([]byte{byte(n)}, n))
	}
	r := NewReader(bytes.NewReader(stream), 0)
	buf := make([]byte, 64)
	for _, n := range []int{10, 100, 5} {
		_, got, err := r.ReadFrameInto(buf)
		if err != nil || len(got) != n || got[0] != byte(n) {
			t.Fatalf("frame of %d: %d bytes, %v", n, len(got), err)
		}
		shared := &got[0] == &buf[0]
		if shared != (n <= cap(buf)) {
			t.Fatalf("frame of %d: shares the buffer %v, want %v", n, shared, n <= cap(buf))
		}
	}
}
