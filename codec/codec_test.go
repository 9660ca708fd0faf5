package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Types registered for the tests, as a user registers them: at init.

type regErr struct {
	Code int
	Msg  string
}

func (e regErr) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Msg) }

type ptrErr struct{ Msg string }

func (e *ptrErr) Error() string { return e.Msg }

type point struct{ X, Y int }

type ptrPoint struct{ X, Y int }

type shape interface{ Area() float64 }

type square struct{ Side float64 }

func (s square) Area() float64 { return s.Side * s.Side }

// handle encodes itself, as the process layer's pipe and queue handles do;
// its fields are unexported, so only the methods can carry it.
type handle struct {
	fd   int
	name string
}

func (h handle) MarshalBinary() ([]byte, error) {
	return append([]byte{byte(h.fd)}, h.name...), nil
}

func (h *handle) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty handle")
	}
	h.fd, h.name = int(b[0]), string(b[1:])
	return nil
}

// ptrHandle has both methods on the pointer.
type ptrHandle struct{ id uint32 }

func (h *ptrHandle) MarshalBinary() ([]byte, error) {
	return []byte{byte(h.id), byte(h.id >> 8), byte(h.id >> 16), byte(h.id >> 24)}, nil
}

func (h *ptrHandle) UnmarshalBinary(b []byte) error {
	if len(b) != 4 {
		return errors.New("bad handle")
	}
	h.id = uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	return nil
}

// badReg is registered although a value of it can never be encoded.
type badReg struct{ C chan int }

func init() {
	Register[regErr]("codec.test.regErr")
	Register[*ptrErr]("codec.test.ptrErr")
	Register[point]("codec.test.point")
	Register[*ptrPoint]("codec.test.ptrPoint")
	Register[square]("codec.test.square")
	Register[handle]("codec.test.handle")
	Register[badReg]("codec.test.badReg")
}

type inner struct {
	N    int
	Tags []string
}

type outer struct {
	Name  string
	In    inner
	PIn   *inner
	Ins   []inner
	ByKey map[string]inner
}

type Embedded struct{ E int }

type withEmbedded struct {
	Embedded
	F int
}

type box struct{ V any }

// level marshals itself as text only, which neither codec uses.
type level int

func (l level) MarshalText() ([]byte, error) { return []byte(strings.Repeat("*", int(l))), nil }

func (l *level) UnmarshalText(b []byte) error {
	*l = level(len(b))
	return nil
}

type levels struct {
	L  level
	PL *level
}

type errBox struct{ Err error }

type shapeBox struct{ S shape }

type handles struct {
	H   handle
	HP  *ptrHandle
	Nil *ptrHandle
	All []handle
}

type times struct {
	T time.Time
	D time.Duration
	P *time.Time
}

type bytesBox struct{ Nil, Empty, Full []byte }

type containers struct {
	NilSlice   []int
	EmptySlice []int
	NilMap     map[string]int
	EmptyMap   map[string]int
}

type node struct {
	V    int
	Next *node
}

type all struct {
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	F32 float32
	F64 float64
	B   bool
	S   string
	A   [3]int
	BA  [4]byte
}

var codecs = []struct {
	name  string
	codec Codec
}{
	{"cbor", CBOR},
	{"gob", Gob},
}

// A rtCase round-trips one value through a codec.
type rtCase struct {
	name string
	// only names the one codec the case applies to; empty for both.
	only string
	run  func(t *testing.T, c Codec)
}

// roundTrip builds a case that marshals in, unmarshals into a new T and
// compares with want (in when want is omitted) using eq (reflect.DeepEqual
// when nil). For an interface type T it marshals &in, as the Codec doc asks.
func roundTrip[T any](name string, in T, opts ...func(*rtOpts[T])) rtCase {
	o := rtOpts[T]{want: in, eq: func(a, b T) bool { return reflect.DeepEqual(a, b) }}
	for _, f := range opts {
		f(&o)
	}
	return rtCase{name: name, only: o.only, run: func(t *testing.T, c Codec) {
		var arg any = in
		if reflect.TypeFor[T]().Kind() == reflect.Interface {
			arg = &in
		}
		data, err := c.Marshal(arg)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", in, err)
		}
		var got T
		if err := c.Unmarshal(data, &got); err != nil {
			t.Fatalf("Unmarshal(% x): %v", data, err)
		}
		if !o.eq(got, o.want) {
			t.Errorf("round trip:\n got  %#v\n want %#v", got, o.want)
		}
	}}
}

type rtOpts[T any] struct {
	want T
	eq   func(a, b T) bool
	only string
}

func want[T any](w T) func(*rtOpts[T]) { return func(o *rtOpts[T]) { o.want = w } }

func eq[T any](f func(a, b T) bool) func(*rtOpts[T]) { return func(o *rtOpts[T]) { o.eq = f } }

func only[T any](codec string) func(*rtOpts[T]) { return func(o *rtOpts[T]) { o.only = codec } }

func sameBits64(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameBits32(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

func sameTime(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo
}

func sameBytesExact(a, b []byte) bool { return bytes.Equal(a, b) && (a == nil) == (b == nil) }

func roundTripCases() []rtCase {
	now := time.Now()
	lagos := time.FixedZone("UTC+1", 3600)
	seoulTime := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("KST", 9*3600))
	long := strings.Repeat("0123456789abcdef", 1<<12)
	list := &node{V: 1, Next: &node{V: 2, Next: &node{V: 3}}}
	var deepList *node
	for i := range maxDepth / 2 {
		deepList = &node{V: i, Next: deepList}
	}
	return []rtCase{
		// Integers of every size, at their limits.
		roundTrip("int zero", 0),
		roundTrip("int min", math.MinInt),
		roundTrip("int max", math.MaxInt),
		roundTrip("int8 min", int8(math.MinInt8)),
		roundTrip("int8 max", int8(math.MaxInt8)),
		roundTrip("int16 min", int16(math.MinInt16)),
		roundTrip("int32 min", int32(math.MinInt32)),
		roundTrip("int64 min", int64(math.MinInt64)),
		roundTrip("int64 max", int64(math.MaxInt64)),
		roundTrip("uint max", uint(math.MaxUint)),
		roundTrip("uint8 max", uint8(math.MaxUint8)),
		roundTrip("uint16 max", uint16(math.MaxUint16)),
		roundTrip("uint32 max", uint32(math.MaxUint32)),
		roundTrip("uint64 max", uint64(math.MaxUint64)),
		roundTrip("all kinds", all{
			I: -1, I8: -8, I16: -16, I32: -32, I64: -64, U: 1, U8: 8, U16: 16, U32: 32, U64: 64,
			F32: 3.25, F64: -1e300, B: true, S: "s", A: [3]int{1, 2, 3}, BA: [4]byte{9, 8, 7, 6},
		}),

		// Floats, bit for bit: signed zero, subnormals, infinities, NaN payloads.
		roundTrip("float64 pi", math.Pi, eq(sameBits64)),
		roundTrip("float64 negative zero", math.Copysign(0, -1), eq(sameBits64)),
		roundTrip("float64 smallest subnormal", math.SmallestNonzeroFloat64, eq(sameBits64)),
		roundTrip("float64 max", math.MaxFloat64, eq(sameBits64)),
		roundTrip("float64 +Inf", math.Inf(1), eq(sameBits64)),
		roundTrip("float64 -Inf", math.Inf(-1), eq(sameBits64)),
		roundTrip("float64 NaN", math.NaN(), eq(sameBits64)),
		roundTrip("float64 NaN with payload", math.Float64frombits(0x7ff8_0000_0000_0123), eq(sameBits64)),
		roundTrip("float32 1.5", float32(1.5), eq(sameBits32)),
		roundTrip("float32 max", float32(math.MaxFloat32), eq(sameBits32)),
		roundTrip("float32 NaN", float32(math.NaN()), eq(sameBits32)),
		roundTrip("float32 -Inf", float32(math.Inf(-1)), eq(sameBits32)),

		// Strings: carried byte for byte, invalid UTF-8 included.
		roundTrip("string empty", ""),
		roundTrip("string ascii", "hello"),
		roundTrip("string unicode", "héllo, 世界 ✓"),
		roundTrip("string invalid UTF-8", "\xff\xfe\x80ok\xc3"),
		roundTrip("string 64 KiB", long),
		roundTrip("bool", true),

		// []byte: CBOR keeps nil and empty apart; gob decodes both as nil.
		roundTrip("bytes nil", []byte(nil), eq(sameBytesExact)),
		roundTrip("bytes data", []byte{0, 1, 2, 255}, eq(sameBytesExact)),
		roundTrip("bytes 1 MiB", bytes.Repeat([]byte{7}, 1<<20), eq(sameBytesExact)),
		roundTrip("bytes empty cbor", []byte{}, eq(sameBytesExact), only[[]byte]("cbor")),
		roundTrip("bytes empty gob", []byte{}, want([]byte(nil)), eq(sameBytesExact), only[[]byte]("gob")),
		roundTrip("bytes fields cbor", bytesBox{Nil: nil, Empty: []byte{}, Full: []byte("x")},
			eq(func(a, b bytesBox) bool {
				return sameBytesExact(a.Nil, b.Nil) && sameBytesExact(a.Empty, b.Empty) && sameBytesExact(a.Full, b.Full)
			}), only[bytesBox]("cbor")),
		roundTrip("bytes fields gob", bytesBox{Nil: nil, Empty: []byte{}, Full: []byte("x")},
			want(bytesBox{Full: []byte("x")}), only[bytesBox]("gob")),
		roundTrip("containers cbor", containers{EmptySlice: []int{}, EmptyMap: map[string]int{}}, only[containers]("cbor")),
		roundTrip("containers gob", containers{EmptySlice: []int{}, EmptyMap: map[string]int{}},
			want(containers{EmptyMap: map[string]int{}}), only[containers]("gob")),

		// Composite values.
		roundTrip("nested struct", outer{
			Name:  "o",
			In:    inner{N: 1, Tags: []string{"a", "b"}},
			PIn:   &inner{N: 2},
			Ins:   []inner{{N: 3}, {N: 4, Tags: []string{"c"}}},
			ByKey: map[string]inner{"k": {N: 5}},
		}),
		roundTrip("embedded struct", withEmbedded{Embedded{1}, 2}),
		roundTrip("pointer", ptrTo(42)),
		roundTrip("pointer to pointer", ptrTo(ptrTo(7))),
		roundTrip("nil pointer", (*int)(nil)),
		roundTrip("linked list", list),
		roundTrip("long linked list", deepList),
		roundTrip("map string int", map[string]int{"a": 1, "b": -2}),
		roundTrip("map int string", map[int]string{1: "a", -2: "b"}),
		roundTrip("map of slices", map[string][]int{"a": {1, 2}, "b": {3}}),
		roundTrip("map struct key", map[point]string{{1, 2}: "a"}),
		roundTrip("slice of slices", [][]string{{"a"}, {"b", "c"}}),
		roundTrip("array", [3]int{1, 2, 3}),

		// Time.
		roundTrip("time now", now, eq(sameTime)),
		roundTrip("time UTC", now.UTC(), eq(sameTime)),
		roundTrip("time fixed zone", time.Date(1999, 12, 31, 23, 0, 0, 1, lagos), eq(sameTime)),
		roundTrip("time nanoseconds", seoulTime, eq(sameTime)),
		roundTrip("time zero", time.Time{}, eq(sameTime)),
		roundTrip("duration", 90*time.Minute+time.Nanosecond),
		roundTrip("time fields", times{T: seoulTime, D: -time.Second, P: &seoulTime}, eq(func(a, b times) bool {
			return sameTime(a.T, b.T) && a.D == b.D && a.P != nil && sameTime(*a.P, *b.P)
		})),

		// Interfaces holding registered types come back in the registered form.
		roundTrip("any holding registered value", box{V: point{1, 2}}),
		roundTrip("any holding pointer to registered value", box{V: &point{1, 2}}, want(box{V: point{1, 2}})),
		roundTrip("any holding pointer-registered type", box{V: &ptrPoint{3, 4}}),
		roundTrip("any holding value of pointer-registered type", box{V: ptrPoint{3, 4}}, want(box{V: &ptrPoint{3, 4}})),
		roundTrip("any holding nil", box{}),
		roundTrip("any holding string", box{V: "s"}),
		roundTrip("any holding bytes", box{V: []byte{1, 2}}),
		roundTrip("any holding bool", box{V: true}),
		roundTrip("any holding float64", box{V: 2.5}),
		roundTrip("any holding int cbor", box{V: 7}, want(box{V: int64(7)}), only[box]("cbor")),
		roundTrip("any holding int gob", box{V: 7}, only[box]("gob")),
		roundTrip("any holding uint8 cbor", box{V: uint8(7)}, want(box{V: int64(7)}), only[box]("cbor")),
		roundTrip("any holding float32 cbor", box{V: float32(0.5)}, want(box{V: 0.5}), only[box]("cbor")),
		roundTrip("any holding float32 gob", box{V: float32(0.5)}, only[box]("gob")),
		roundTrip("any holding complex gob", box{V: 1 + 2i}, only[box]("gob")),
		roundTrip("any holding []any", box{V: []any{"a", []byte("b"), point{5, 6}, []any{&ptrPoint{7, 8}}}}),
		roundTrip("any holding map[string]any", box{V: map[string]any{"p": point{1, 1}, "s": "x", "m": map[string]any{"q": &ptrPoint{}}}}),
		roundTrip("any holding handle", box{V: handle{fd: 3, name: "pipe"}}),
		roundTrip("[]any of registered", []any{point{1, 2}, &ptrPoint{3, 4}, "x"}),
		roundTrip("map of registered", map[string]any{"a": point{1, 2}, "b": ptrPoint{3, 4}},
			want(map[string]any{"a": point{1, 2}, "b": &ptrPoint{3, 4}})),
		roundTrip("interface at top", any(point{9, 9})),
		roundTrip("nil interface at top", any(nil)),
		roundTrip("error field value type", errBox{Err: regErr{Code: 2, Msg: "two"}}),
		roundTrip("error field pointer type", errBox{Err: &ptrErr{Msg: "p"}}),
		roundTrip("error field nil", errBox{}),
		roundTrip("error at top", error(&ptrErr{Msg: "top"})),
		roundTrip("error value type at top", error(regErr{Code: 1})),
		roundTrip("user interface field", shapeBox{S: square{Side: 2}}),

		// Types that marshal themselves.
		roundTrip("binary marshaler", handle{fd: 4, name: "q"}),
		roundTrip("binary marshaler fields", handles{
			H:   handle{fd: 1, name: "a"},
			HP:  &ptrHandle{id: 0xdeadbeef},
			All: []handle{{fd: 2}, {fd: 3, name: "c"}},
		}),
		roundTrip("pointer binary marshaler", &ptrHandle{id: 77}),
		roundTrip("text marshaler", levels{L: 3, PL: ptrTo(level(2))}),
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range roundTripCases() {
				if tc.only != "" && tc.only != c.name {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, c.codec)
				})
			}
		})
	}
}

func TestDefaultIsCBOR(t *testing.T) {
	t.Parallel()
	if Default() != CBOR {
		t.Fatalf("Default() = %T, want CBOR", Default())
	}
}

func TestUnmarshalZeroesTarget(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			data, err := c.codec.Marshal(outer{Name: "new"})
			if err != nil {
				t.Fatal(err)
			}
			got := outer{Name: "old", In: inner{N: 9}, PIn: &inner{}, ByKey: map[string]inner{"old": {}}}
			if err := c.codec.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if want := (outer{Name: "new"}); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

// Marshal(v) and Marshal(&v) carry the same value.
func TestPointerAndValueAgree(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := inner{N: 5, Tags: []string{"x"}}
			for _, arg := range []any{in, &in, ptrTo(&in)} {
				data, err := c.codec.Marshal(arg)
				if err != nil {
					t.Fatal(err)
				}
				var got inner
				if err := c.codec.Unmarshal(data, &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, in) {
					t.Errorf("Marshal(%T): got %#v", arg, got)
				}
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	good := func(c Codec) []byte {
		b, err := c.Marshal(inner{N: 1, Tags: []string{"a"}})
		if err != nil {
			panic(err)
		}
		return b
	}
	tests := []struct {
		name    string
		data    func(c Codec) []byte
		target  func() any // a new one per codec: the codecs' subtests run in parallel
		corrupt bool       // errors.Is(err, ErrCorrupt)
		unsup   bool       // errors.Is(err, ErrUnsupported)
	}{
		{name: "empty", data: func(Codec) []byte { return nil }, target: func() any { return new(inner) }, corrupt: true},
		{name: "truncated", data: func(c Codec) []byte { b := good(c); return b[:len(b)-1] }, target: func() any { return new(inner) }, corrupt: true},
		{name: "trailing bytes", data: func(c Codec) []byte { return append(good(c), 0) }, target: func() any { return new(inner) }, corrupt: true},
		{name: "wrong type", data: good, target: func() any { return new(int) }, corrupt: true},
		{name: "garbage", data: func(Codec) []byte { return []byte{0xff, 0xfe, 0xfd, 0x1f} }, target: func() any { return new(inner) }, corrupt: true},
		{name: "nil pointer target", data: good, target: func() any { return (*inner)(nil) }},
		{name: "non-pointer target", data: good, target: func() any { return inner{} }},
		{name: "nil target", data: good, target: func() any { return nil }},
		{name: "target with chan", data: good, target: func() any { return new(struct{ C chan int }) }, unsup: true},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := c.codec.Unmarshal(tt.data(c.codec), tt.target())
					if err == nil {
						t.Fatal("Unmarshal succeeded")
					}
					if got := errors.Is(err, ErrCorrupt); got != tt.corrupt {
						t.Errorf("errors.Is(%v, ErrCorrupt) = %v", err, got)
					}
					if got := errors.Is(err, ErrUnsupported); got != tt.unsup {
						t.Errorf("errors.Is(%v, ErrUnsupported) = %v", err, got)
					}
					var pe *panicError
					if errors.As(err, &pe) {
						t.Errorf("decoder panicked: %v", err)
					}
					if !strings.HasPrefix(err.Error(), "codec: ") {
						t.Errorf("error %q lacks the package prefix", err)
					}
				})
			}
		})
	}
}

// Interface values cannot be decoded from a concrete gob message; the doc
// tells callers to pass a pointer to the interface. CBOR accepts both.
func TestInterfaceByValue(t *testing.T) {
	t.Parallel()
	var e error = &ptrErr{Msg: "x"}
	data, err := CBOR.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got error
	if err := CBOR.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Errorf("got %#v, want %#v", got, e)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			type fresh struct { // a type no other test uses: plans are built concurrently
				A []inner
				B any
			}
			in := fresh{A: []inner{{N: 1}}, B: point{1, 2}}
			errs := make(chan error, 8)
			for range cap(errs) {
				go func() {
					for range 50 {
						data, err := c.codec.Marshal(in)
						if err != nil {
							errs <- err
							return
						}
						var got fresh
						if err := c.codec.Unmarshal(data, &got); err != nil {
							errs <- err
							return
						}
						if !reflect.DeepEqual(got, in) {
							errs <- fmt.Errorf("got %#v", got)
							return
						}
					}
					errs <- nil
				}()
			}
			for range cap(errs) {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// Types with marshaling methods cross through them, not field by field.
func TestMarshalerMethodsUsed(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			data, err := c.codec.Marshal(handles{H: handle{fd: 1, name: "via-methods"}})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte("via-methods")) {
				t.Errorf("MarshalBinary was not used: % x", data)
			}
		})
	}
}

// Lengths and counts in hostile bytes must not make the decoder allocate
// what they announce.
func TestHostileLengthsCBOR(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	huge := []byte{0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00} // 1<<40, big-endian
	tests := []struct {
		name   string
		data   []byte
		target any
	}{
		{"byte string of 1 TiB", append(append([]byte{0x5b}, huge...), "abc"...), new([]byte)},
		{"text string of 1 TiB", append(append([]byte{0x7b}, huge...), "abc"...), new(string)},
		{"array of 1<<40", append(append([]byte{0x9b}, huge...), 1, 2, 3), new([]int)},
		{"array of 1<<29", []byte{0x9a, 0x20, 0x00, 0x00, 0x00, 1, 2, 3}, new([]inner)},
		{"map of 1<<28", []byte{0xba, 0x10, 0x00, 0x00, 0x00, 0x61, 0x61, 1}, new(map[string]int)},
		{"array in any", []byte{0x9a, 0x20, 0x00, 0x00, 0x00, 1, 2, 3}, new(any)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := CBOR.Unmarshal(tt.data, tt.target)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("allocated %d bytes", n)
			}
		})
	}
}

// Messages of 64 MiB and more cross: no decoding limit stands in the way.
func TestLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB messages")
	}
	type blob struct {
		Name string
		Data []byte
		Nums []int32
	}
	in := blob{Name: "big", Data: bytes.Repeat([]byte{0x5a}, 64<<20), Nums: make([]int32, 1<<16)}
	for i := range in.Nums {
		in.Nums[i] = int32(i)
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			data, err := c.codec.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var got blob
			if err := c.codec.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.Name != in.Name || !bytes.Equal(got.Data, in.Data) || !reflect.DeepEqual(got.Nums, in.Nums) {
				t.Fatal("the value changed")
			}
		})
	}
}
