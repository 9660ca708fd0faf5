package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// flatAll has a field of every kind the fast path handles.
type flatAll struct {
	B   bool
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
	S   string
	Bs  []byte
}

type (
	myInt  int
	tagged struct {
		A int `cbor:"a"`
	}
	jsonTagged struct {
		A int `json:"a"`
	}
	unexported struct{ A, b int }
	embedded   struct{ flatAll }
	namedField struct{ A myInt }
	nested     struct{ A flatAll }
	withBinary struct{ A int }
)

func (withBinary) MarshalBinary() ([]byte, error) { return nil, nil }
func (*withBinary) UnmarshalBinary([]byte) error  { return nil }

func TestFlatPlanOnlyForFlatTypes(t *testing.T) {
	for _, tc := range []struct {
		v    any
		flat bool
	}{
		{0, true}, {[]byte{}, true}, {[]uint8(nil), true}, {[]int{}, false}, {int8(0), true}, {uint64(0), true}, {"", true}, {true, true}, {float32(0), true},
		{flatAll{}, true}, {struct{ A, B int }{}, true},
		{myInt(0), false}, {tagged{}, false}, {jsonTagged{}, false}, {unexported{b: 1}, false},
		{embedded{}, false}, {namedField{}, false}, {nested{}, false}, {withBinary{}, false},
		{struct{}{}, false}, {&flatAll{}, false}, {time.Time{}, false}, {json.RawMessage{}, false},
		{uintptr(0), false}, {complex(1, 2), false},
	} {
		if got := flatPlanOf(reflect.TypeOf(tc.v)) != nil; got != tc.flat {
			t.Errorf("%T: flat %v, want %v", tc.v, got, tc.flat)
		}
	}
}

// flatEncode encodes v by the fast path, which must take it.
func flatEncode(t testing.TB, v any) []byte {
	t.Helper()
	p := flatPlanOf(reflect.TypeOf(v))
	if p == nil {
		t.Fatalf("%T has no flat plan", v)
	}
	c := reflect.New(reflect.TypeOf(v))
	c.Elem().Set(reflect.ValueOf(v))
	b, ok := p.encode(nil, c.UnsafePointer(), nil)
	if !ok {
		t.Fatalf("the fast path refused %#v", v)
	}
	return b
}

// checkFlatEncode holds the fast encoder to the bytes of the general one.
func checkFlatEncode(t testing.TB, v any) {
	t.Helper()
	want, err := built.em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := flatEncode(t, v); !bytes.Equal(got, want) {
		t.Fatalf("%#v:\nfast    %x\ngeneral %x", v, got, want)
	}
}

var flatFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.5, 1.0 / 3, 65504, 65505, 1e-7, 5.960464477539063e-08,
	float64(math.SmallestNonzeroFloat32), math.MaxFloat32, math.MaxFloat64, math.SmallestNonzeroFloat64,
	math.Inf(1), math.Inf(-1), 3.4028235677973366e38, 1 << 24, 1<<24 + 1, -2.5e-5,
}

func TestFlatEncodeMatchesGeneral(t *testing.T) {
	freeze()
	for _, f := range flatFloats {
		checkFlatEncode(t, f)
		if !math.IsInf(f, 0) && math.Abs(f) <= math.MaxFloat32 {
			checkFlatEncode(t, float32(f))
		}
	}
	for _, n := range []int64{0, 1, 23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, math.MaxInt64, -1, -24, -25, -256, -257, math.MinInt64} {
		checkFlatEncode(t, n)
		checkFlatEncode(t, int(n))
	}
	checkFlatEncode(t, uint64(math.MaxUint64))
	for _, s := range []string{"", "a", string(make([]byte, 23)), string(make([]byte, 24)), string(make([]byte, 300)), "\xff\xfe not UTF-8"} {
		checkFlatEncode(t, s)
	}
	for _, b := range [][]byte{nil, {}, {1, 2, 3}, make([]byte, 1000)} {
		checkFlatEncode(t, b)
		checkFlatEncode(t, flatAll{Bs: b})
	}
	checkFlatEncode(t, true)
	checkFlatEncode(t, false)
	checkFlatEncode(t, flatAll{})
	checkFlatEncode(t, flatAll{B: true, I: -5, I8: math.MinInt8, I16: math.MaxInt16, I32: math.MinInt32, I64: math.MaxInt64,
		U: 7, U8: 255, U16: 65535, U32: math.MaxUint32, U64: math.MaxUint64, F32: 0.1, F64: 1.0 / 3, S: "a string", Bs: []byte("bytes")})
}

func TestFlatNaNGoesToTheGeneralEncoder(t *testing.T) {
	freeze()
	p := flatPlanOf(reflect.TypeFor[flatAll]())
	if _, ok := p.encode(nil, unsafe.Pointer(&flatAll{F64: math.NaN()}), nil); ok {
		t.Fatal("the fast path took a NaN")
	}
	for _, v := range []any{math.NaN(), flatAll{F32: float32(math.NaN())}} {
		b, err := CBOR.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := built.em.Marshal(v)
		if !bytes.Equal(b, want) {
			t.Errorf("%v: %x, want %x", v, b, want)
		}
	}
}

// sameDecoding decodes data into a new value of t both ways. When the fast
// path takes data, the general decoder must take it too, to the same value.
func sameDecoding(t *testing.T, typ reflect.Type, data []byte) {
	fast := reflect.New(typ).Elem()
	if !flatPlanOf(typ).decode(data, fast.Addr().UnsafePointer(), false) {
		return
	}
	owned := reflect.New(typ).Elem()
	if !flatPlanOf(typ).decode(bytes.Clone(data), owned.Addr().UnsafePointer(), true) || !reflect.DeepEqual(owned.Interface(), fast.Interface()) && !hasNaN(fast) {
		t.Fatalf("%x into %v: owned %#v, copied %#v", data, typ, owned, fast)
	}
	general := reflect.New(typ)
	if err := built.dm.Unmarshal(data, general.Interface()); err != nil {
		t.Fatalf("%x: the fast path decoded %#v into %v, the general decoder failed: %v", data, fast, typ, err)
	}
	// Compare by encoding, which tells NaNs and signed zeros apart.
	a, err1 := built.em.Marshal(fast.Interface())
	b, err2 := built.em.Marshal(general.Elem().Interface())
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Fatalf("%x into %v: fast %#v, general %#v", data, typ, fast, general.Elem())
	}
}

var flatTargets = []reflect.Type{
	reflect.TypeFor[flatAll](), reflect.TypeFor[int64](), reflect.TypeFor[int8](), reflect.TypeFor[uint16](),
	reflect.TypeFor[float32](), reflect.TypeFor[float64](), reflect.TypeFor[string](), reflect.TypeFor[bool](),
	reflect.TypeFor[[]byte](),
}

func FuzzFlatDecode(f *testing.F) {
	freeze()
	f.Add(flatEncode(f, flatAll{B: true, I: -5, U64: math.MaxUint64, F32: 0.1, F64: 1.0 / 3, S: "x"}))
	f.Add(flatEncode(f, flatAll{}))
	for _, v := range []any{int64(-300), 1.5, float32(1e-3), "abc", true, uint16(9), []byte(nil), []byte{}, []byte{7}} {
		f.Add(flatEncode(f, v))
	}
	f.Add([]byte{0xf8, 0x14})                         // a simple value in two bytes: not well formed
	f.Add([]byte{0x19, 0x00, 0x05})                   // 5 in a longer head than needed
	f.Add([]byte{0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}) // a NaN with a payload
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range flatTargets {
			sameDecoding(t, typ, data)
		}
	})
}

func FuzzFlatEncode(f *testing.F) {
	freeze()
	f.Add(true, int64(-5), uint64(7), 0.1, 1.0/3, "x", []byte(nil))
	f.Add(false, int64(math.MinInt64), uint64(math.MaxUint64), math.Inf(-1), 65504.0, "\xff", []byte{})
	f.Fuzz(func(t *testing.T, b bool, i int64, u uint64, f32, f64 float64, s string, bs []byte) {
		v := flatAll{B: b, I: int(i), I8: int8(i), I16: int16(i), I32: int32(i), I64: i,
			U: uint(u), U8: uint8(u), U16: uint16(u), U32: uint32(u), U64: u, F32: float32(f32), F64: f64, S: s, Bs: bs}
		if math.IsNaN(f32) || math.IsNaN(f64) {
			return // left to the general encoder
		}
		checkFlatEncode(t, v)
		var back flatAll
		whole := flatEncode(t, v)
		if err := CBOR.Unmarshal(whole, &back); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("round trip of %#v: %#v, %v", v, back, err)
		}
		// Spliced, at any length, the encoding is the same bytes.
		for _, min := range []int{1, len(s), len(bs), len(s) + 1} {
			sp, err := MarshalSpliced(CBOR, v, min)
			if err != nil || !bytes.Equal(sp.Bytes(), whole) || sp.Len() != len(whole) {
				t.Fatalf("MarshalSpliced of %#v at %d: %x, %v; want %x", v, min, sp.Bytes(), err, whole)
			}
		}
	})
}

// Decode agrees with Unmarshal, by the fast path and off it, and decodes
// a flat value without allocating it.
func TestDecode(t *testing.T) {
	v := flatAll{B: true, I: -5, U64: math.MaxUint64, F64: 1.0 / 3, S: "a string", Bs: []byte("bytes")}
	data, err := CBOR.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Codec{CBOR, Gob} {
		data := data
		if c == Gob {
			if data, err = Gob.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := Decode[flatAll](c, data); err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("%T: Decode = %#v, %v", c, got, err)
		}
	}
	// Off the fast path: a pointer, and data in a longer form than the
	// encoder writes (5 in a two-byte head).
	if got, err := Decode[*flatAll](CBOR, data); err != nil || !reflect.DeepEqual(*got, v) {
		t.Errorf("Decode[*flatAll] = %#v, %v", got, err)
	}
	if got, err := Decode[int](CBOR, []byte{0x18, 0x05}); err != nil || got != 5 {
		t.Errorf("Decode[int] of a long head = %v, %v", got, err)
	}
	if _, err := Decode[int](CBOR, []byte{0x61, 'x'}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Decode[int] of a string: %v, want ErrCorrupt", err)
	}
	n, _ := CBOR.Marshal(12345)
	if allocs := testing.AllocsPerRun(100, func() { Decode[int](CBOR, n) }); allocs != 0 {
		t.Errorf("Decode[int] allocates %v times", allocs)
	}
}

// Encode, and Marshal of a value or of a pointer to it, write what the
// general encoder writes; Encode allocates only the encoding.
func TestEncode(t *testing.T) {
	freeze()
	v := flatAll{B: true, I: -5, U64: math.MaxUint64, F64: 1.0 / 3, S: "a string", Bs: []byte("bytes")}
	want, err := built.em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]func() ([]byte, error){
		"Encode":          func() ([]byte, error) { return Encode(CBOR, v) },
		"Marshal":         func() ([]byte, error) { return CBOR.Marshal(v) },
		"Marshal pointer": func() ([]byte, error) { return CBOR.Marshal(&v) },
		"Encode pointer":  func() ([]byte, error) { return Encode(CBOR, &v) },
	} {
		if b, err := got(); err != nil || !bytes.Equal(b, want) {
			t.Errorf("%s: %x, %v; want %x", name, b, err, want)
		}
	}
	if b, err := CBOR.Marshal((*flatAll)(nil)); err != nil || !bytes.Equal(b, []byte{cborNull}) {
		t.Errorf("Marshal of a nil pointer: %x, %v", b, err)
	}
	if _, err := Encode(CBOR, struct{ C chan int }{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Encode of a channel field: %v, want ErrUnsupported", err)
	}
	if allocs := testing.AllocsPerRun(100, func() { Encode(CBOR, 12345) }); allocs != 1 {
		t.Errorf("Encode of an int allocates %v times, want 1", allocs)
	}
}

// hasNaN reports whether a value of a flat type holds a NaN, which
// reflect.DeepEqual finds unequal to itself.
func hasNaN(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.IsNaN(v.Float())
	case reflect.Struct:
		for i := range v.NumField() {
			if hasNaN(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// DecodeOwned's strings and byte slices point into the data it was given,
// capped so that an append cannot write over the rest, and the value costs
// no allocation at all.
func TestDecodeOwned(t *testing.T) {
	v := flatAll{I: 7, S: "a string", Bs: []byte("bytes")}
	data, err := CBOR.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeOwned[flatAll](CBOR, data)
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("DecodeOwned = %#v, %v", got, err)
	}
	within := func(p unsafe.Pointer) bool {
		return uintptr(p) >= uintptr(unsafe.Pointer(&data[0])) && uintptr(p) < uintptr(unsafe.Pointer(&data[0]))+uintptr(len(data))
	}
	if !within(unsafe.Pointer(unsafe.StringData(got.S))) || !within(unsafe.Pointer(&got.Bs[0])) {
		t.Error("DecodeOwned copied the string or the bytes")
	}
	if cap(got.Bs) != len(got.Bs) {
		t.Errorf("the byte slice has room %d beyond its %d bytes", cap(got.Bs)-len(got.Bs), len(got.Bs))
	}
	if allocs := testing.AllocsPerRun(100, func() { DecodeOwned[flatAll](CBOR, data) }); allocs != 0 {
		t.Errorf("DecodeOwned allocates %v times", allocs)
	}
	if got, err := Decode[flatAll](CBOR, data); err != nil || within(unsafe.Pointer(unsafe.StringData(got.S))) {
		t.Errorf("Decode kept the data: %v", err)
	}
}
