package codec

import (
	"errors"
	"testing"
	"time"
)

type fuzzNested struct {
	X   int8
	Y   []float32
	Sub *fuzzNested
}

type fuzzTarget struct {
	A int
	U uint16
	S string
	B []byte
	F float64
	N *fuzzNested
	L []fuzzNested
	M map[string]int
	V any
	E error
	T time.Time
	H handle
	P *ptrHandle
}

func fuzzSeeds() []any {
	return []any{
		fuzzTarget{
			A: -5, U: 7, S: "s", B: []byte{1}, F: 1.5,
			N: &fuzzNested{X: 1, Y: []float32{2}, Sub: &fuzzNested{X: 3}},
			L: []fuzzNested{{X: 4}}, M: map[string]int{"a": 1},
			V: []any{"x", point{1, 2}, map[string]any{"k": 1.5}}, E: &ptrErr{Msg: "e"},
			T: time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC), H: handle{fd: 1, name: "h"}, P: &ptrHandle{id: 9},
		},
		map[string]int{"a": 1, "b": 2},
		[]byte("bytes"),
		box{V: regErr{Code: 1}},
		"string",
		3.25,
		-7,
	}
}

// fuzzDecode decodes data into each fuzz target with c and fails on a panic.
// Errors are expected; panics (caught by Unmarshal) are bugs.
func fuzzDecode(t *testing.T, c Codec, data []byte) {
	targets := []any{new(fuzzTarget), new(map[string]int), new([]byte), new(any)}
	for _, target := range targets {
		err := c.Unmarshal(data, target)
		var pe *panicError
		if errors.As(err, &pe) {
			t.Fatalf("Unmarshal into %T panicked: %v", target, err)
		}
		if err == nil {
			// A decoded value encodes again, or is refused with an error.
			_, _ = c.Marshal(target)
		}
	}
}

func addSeeds(f *testing.F, c Codec) {
	for _, v := range fuzzSeeds() {
		data, err := c.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{0x00})
}

func FuzzCBORUnmarshal(f *testing.F) {
	addSeeds(f, CBOR)
	// Hostile headers: a huge byte string, a huge array, deep nesting, a
	// registered tag around garbage.
	f.Add([]byte{0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x80})
	f.Add([]byte{0xdb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xa1, 0x61, 0x58, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, CBOR, data) })
}

func FuzzGobUnmarshal(f *testing.F) {
	addSeeds(f, Gob)
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, Gob, data) })
}
