package engine

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestSpoolKeepsEveryByte writes streams of sizes around the spool's
// thresholds in random pieces, one spool after another so that each reuses
// the buffers the last gave back: each reads back exactly as written.
func TestSpoolKeepsEveryByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, spoolSmall, spoolSmall + 1, 300 << 10, spoolMemory, spoolMemory + 1, 3 << 20} {
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(rng.IntN(256))
		}
		var s spool
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(100<<10))
			if _, err := s.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if inMemory := size <= spoolMemory; (s.file == nil) != inMemory {
			t.Errorf("%d bytes: in memory %v, want %v", size, s.file == nil, inMemory)
		}
		if pooled := size > spoolSmall && size <= spoolMemory; (s.big != nil) != pooled {
			t.Errorf("%d bytes: a buffer of the pool %v, want %v", size, s.big != nil, pooled)
		}
		r, err := s.reader()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != int64(size) || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes written: Len %d, read back %d bytes, equal %v", size, s.Len(), len(got), bytes.Equal(got, want))
		}
		s.release()
		if s.big != nil || s.buf != nil || s.file != nil {
			t.Fatalf("%d bytes: release kept memory or a file", size)
		}
	}
}
