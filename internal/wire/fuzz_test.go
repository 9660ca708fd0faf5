package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds arbitrary bytes to a Reader: it must return frames, then an
// error, and never panic or hang. The frames it returns, written again, must
// be the bytes it consumed.
func FuzzReader(f *testing.F) {
	f.Add([]byte{})
	f.Add(frame(1, []byte("hello")))
	f.Add(append(frame(1, nil), frame(200, []byte{0, 1, 2})...))
	f.Add(frame(0, []byte("zero")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})
	f.Add(frame(7, bytes.Repeat([]byte{9}, 300))[:100])
	const maxFrame = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), maxFrame)
		var again bytes.Buffer
		w := NewWriter(&again)
		for {
			kind, p, err := r.ReadFrame()
			if err != nil {
				if err == io.EOF && again.Len() != len(data) {
					t.Fatalf("io.EOF after %d of %d bytes", again.Len(), len(data))
				}
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if kind == 0 || len(p) > maxFrame {
				t.Fatalf("frame of kind %d and %d bytes accepted", kind, len(p))
			}
			if err := w.WriteFrame(kind, p); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.HasPrefix(data, again.Bytes()) {
			t.Fatal("the frames read are not the bytes consumed")
		}
	})
}

// FuzzReadHello feeds arbitrary bytes to ReadHello: it must return a token or
// an error wrapping ErrHandshake, and a token it accepts, written again, must
// be the bytes it consumed.
func FuzzReadHello(f *testing.F) {
	f.Add(hello("MTSK", 1, 3, "abc"))
	f.Add(hello("MTSK", 2, 0, ""))
	f.Add(hello("MTSK", 1, 1<<31, "x"))
	f.Add([]byte("MTS"))
	f.Fuzz(func(t *testing.T, data []byte) {
		token, err := ReadHello(bytes.NewReader(data), 64)
		if err != nil {
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("error %v does not wrap ErrHandshake", err)
			}
			return
		}
		if len(token) > 64 {
			t.Fatalf("token of %d bytes accepted", len(token))
		}
		var again bytes.Buffer
		if err := WriteHello(&again, token); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, again.Bytes()) {
			t.Fatal("the hello read is not the bytes consumed")
		}
	})
}
