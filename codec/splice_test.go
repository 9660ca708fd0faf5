package codec

import (
	"bytes"
	"math"
	"runtime"
	"testing"
	"unsafe"
)

// MarshalSpliced writes what Marshal writes, with the long strings of flat
// values left out as pieces that share the value's memory.
func TestMarshalSpliced(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte("x"), 100)
	longText := string(bytes.Repeat([]byte("y"), 70))
	type mixed struct {
		Name string
		Data []byte
		N    int
		More []byte
	}
	tests := []struct {
		name   string
		v      any
		pieces [][]byte // the memory each piece must share, in order
	}{
		{"short bytes", []byte("abc"), nil},
		{"long bytes", long, [][]byte{long}},
		{"pointer to long bytes", &long, [][]byte{long}},
		{"long string", longText, [][]byte{unsafe.Slice(unsafe.StringData(longText), len(longText))}},
		{"struct", mixed{Name: longText, Data: long, N: 7, More: []byte("short")},
			[][]byte{unsafe.Slice(unsafe.StringData(longText), len(longText)), long}},
		{"nil bytes", []byte(nil), nil},
		{"not flat", map[string][]byte{"k": long}, nil},
		{"flat, but a NaN", flatAll{F64: math.NaN(), Bs: long}, nil},
		{"int", 42, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want, err := CBOR.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			s, err := MarshalSpliced(CBOR, tt.v, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Join(s.AppendParts(nil), nil); !bytes.Equal(got, want) {
				t.Fatalf("parts joined:\n%x\nMarshal:\n%x", got, want)
			}
			if got := s.Bytes(); !bytes.Equal(got, want) {
				t.Fatalf("Bytes:\n%x\nMarshal:\n%x", got, want)
			}
			if s.Len() != len(want) {
				t.Errorf("Len %d, want %d", s.Len(), len(want))
			}
			if len(s.Pieces) != len(tt.pieces) {
				t.Fatalf("%d pieces, want %d", len(s.Pieces), len(tt.pieces))
			}
			for i, p := range s.Pieces {
				if unsafe.SliceData(p.Bytes) != unsafe.SliceData(tt.pieces[i]) || len(p.Bytes) != len(tt.pieces[i]) {
					t.Errorf("piece %d is not the value's memory", i)
				}
			}
		})
	}

	t.Run("no splicing", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			codec Codec
			min   int
		}{{CBOR, 0}, {Gob, 64}} {
			s, err := MarshalSpliced(c.codec, long, c.min)
			if err != nil || s.Pieces != nil {
				t.Fatalf("min %d: %d pieces, %v", c.min, len(s.Pieces), err)
			}
			var got []byte
			if err := c.codec.Unmarshal(s.Data, &got); err != nil || !bytes.Equal(got, long) {
				t.Fatalf("min %d: decoded %q, %v", c.min, got, err)
			}
		}
	})

	t.Run("unsupported", func(t *testing.T) {
		t.Parallel()
		if _, err := MarshalSpliced(CBOR, make(chan int), 64); err == nil {
			t.Fatal("a channel encoded")
		}
	})
}

// A large []byte costs MarshalSpliced no copy.
func TestMarshalSplicedDoesNotCopy(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	big := make([]byte, 32<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := MarshalSpliced(CBOR, big, 64<<10)
	runtime.ReadMemStats(&after)
	if err != nil || len(s.Pieces) != 1 {
		t.Fatalf("%d pieces, %v", len(s.Pieces), err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("allocated %d bytes to encode %d", n, len(big))
	}
}
