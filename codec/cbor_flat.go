package codec

import (
	"encoding"
	"encoding/binary"
	"math"
	"reflect"
	"sync"
	"unsafe"

	"github.com/x448/float16"
)

// The CBOR codec's fast path for flat types: the predeclared booleans,
// integers, floats and strings, []byte, and structs whose fields are all of
// those, exported and untagged. Such values are what most queue items and task
// arguments are, and the general decoder spends most of its time on what
// they cannot hold (a separate pass that checks the data is well formed,
// field look-ups by name, reflection on every step). The fast path writes
// the bytes the general encoder writes, and decodes only data of exactly
// the shape the encoder writes; any other data goes to the general decoder,
// so that results and errors are the same whichever path ran. The fuzz
// tests hold both paths to that.
//
// Both directions reach the fields through their offsets rather than
// through reflect: the plan is built from the type itself, so every read and
// write has the field's own type, and it halves the time of a small record.

// A flatPlan encodes and decodes one flat type.
type flatPlan struct {
	kind   reflect.Kind // of a scalar, or reflect.Struct
	head   []byte       // of a struct: its map head
	fields []flatField
	size   int // room for an encoding whose strings are short
}

type flatField struct {
	key  []byte // the field's name as a CBOR text string
	kind reflect.Kind
	off  uintptr // in the struct
}

// shortString is the room a plan's size leaves for each value's bytes
// beyond its head: enough for a name or a short note, so that most small
// records encode into their first buffer, and a longer one grows it.
const shortString = 8

// flatPlans caches the plan of each type asked about: a *flatPlan, or nil
// for a type that is not flat.
var flatPlans sync.Map

var (
	typeTextUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	typeTextMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
)

// flatPlanOf returns the plan of t, or nil if t is not flat.
func flatPlanOf(t reflect.Type) *flatPlan {
	if p, ok := flatPlans.Load(t); ok {
		return p.(*flatPlan)
	}
	p := buildFlatPlan(t)
	flatPlans.Store(t, p)
	return p
}

func buildFlatPlan(t reflect.Type) *flatPlan {
	if cborChecker.plan(t).tagged {
		return nil // the encoder wraps it in its registered tag
	}
	if flatScalar(t) {
		return &flatPlan{kind: t.Kind(), size: 9 + shortString}
	}
	if t.Kind() != reflect.Struct || t.NumField() == 0 || methodsOwnForm(t) {
		return nil
	}
	p := &flatPlan{kind: reflect.Struct, head: appendHead(nil, majorMap, uint64(t.NumField()))}
	p.size = len(p.head)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous || f.Tag != "" || !flatScalar(f.Type) {
			return nil
		}
		key := appendHead(nil, majorText, uint64(len(f.Name)))
		p.fields = append(p.fields, flatField{key: append(key, f.Name...), kind: f.Type.Kind(), off: f.Offset})
		p.size += len(p.fields[i].key) + 9 + shortString
	}
	return p
}

// flatScalar reports whether t is []byte or a predeclared boolean, integer,
// float or string type: no type of a package, so no methods that change its
// form.
func flatScalar(t reflect.Type) bool {
	if t == typeBytes {
		return true
	}
	if t.PkgPath() != "" || t.Name() == "" {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// methodsOwnForm reports whether t or *t has a method through which the
// CBOR codec would encode or decode it.
func methodsOwnForm(t reflect.Type) bool {
	for _, m := range []reflect.Type{typeCBORMarshaler, typeCBORUnmarshaler, typeBinaryMarshaler,
		typeBinaryUnmarshaler, typeTextMarshaler, typeTextUnmarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// CBOR major types.
const (
	majorUint   = 0
	majorNegint = 1
	majorBytes  = 2
	majorText   = 3
	majorMap    = 5
	majorSimple = 7
)

// CBOR's simple values and float heads.
const (
	cborFalse   = 0xf4
	cborTrue    = 0xf5
	cborNull    = 0xf6
	cborFloat16 = 0xf9
	cborFloat32 = 0xfa
	cborFloat64 = 0xfb
)

// appendHead appends the shortest head of major type major with argument n.
func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= math.MaxUint8:
		return append(b, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

// encode appends the encoding of the value of the plan's type at ptr to b;
// with sp, the long strings are left out of b and recorded in sp as pieces.
// It returns false for a value it leaves to the general encoder (a NaN,
// whose payload that encoder keeps).
func (p *flatPlan) encode(b []byte, ptr unsafe.Pointer, sp *splicer) ([]byte, bool) {
	if p.kind != reflect.Struct {
		return appendFlat(b, p.kind, ptr, sp)
	}
	b = append(b, p.head...)
	for i := range p.fields {
		f := &p.fields[i]
		b = append(b, f.key...)
		var ok bool
		if b, ok = appendFlat(b, f.kind, unsafe.Add(ptr, f.off), sp); !ok {
			return nil, false
		}
	}
	return b, true
}

// appendFlat appends the encoding of the variable of kind at ptr; with sp,
// a long string's bytes are left out of b, as a piece.
func appendFlat(b []byte, kind reflect.Kind, ptr unsafe.Pointer, sp *splicer) ([]byte, bool) {
	switch kind {
	case reflect.Bool:
		if *(*bool)(ptr) {
			return append(b, cborTrue), true
		}
		return append(b, cborFalse), true
	case reflect.String:
		s := *(*string)(ptr)
		b = appendHead(b, majorText, uint64(len(s)))
		if sp != nil && len(s) >= sp.min {
			return sp.leave(b, unsafe.Slice(unsafe.StringData(s), len(s))), true
		}
		return append(b, s...), true
	case reflect.Slice: // []byte; nil stays apart from empty
		s := *(*[]byte)(ptr)
		if s == nil {
			return append(b, cborNull), true
		}
		b = appendHead(b, majorBytes, uint64(len(s)))
		if sp != nil && len(s) >= sp.min {
			return sp.leave(b, s), true
		}
		return append(b, s...), true
	case reflect.Float32:
		return appendFloat(b, float64(*(*float32)(ptr)))
	case reflect.Float64:
		return appendFloat(b, *(*float64)(ptr))
	case reflect.Int8:
		return appendInt(b, int64(*(*int8)(ptr))), true
	case reflect.Int16:
		return appendInt(b, int64(*(*int16)(ptr))), true
	case reflect.Int32:
		return appendInt(b, int64(*(*int32)(ptr))), true
	case reflect.Int:
		return appendInt(b, int64(*(*int)(ptr))), true
	case reflect.Int64:
		return appendInt(b, *(*int64)(ptr)), true
	case reflect.Uint8:
		return appendHead(b, majorUint, uint64(*(*uint8)(ptr))), true
	case reflect.Uint16:
		return appendHead(b, majorUint, uint64(*(*uint16)(ptr))), true
	case reflect.Uint32:
		return appendHead(b, majorUint, uint64(*(*uint32)(ptr))), true
	case reflect.Uint:
		return appendHead(b, majorUint, uint64(*(*uint)(ptr))), true
	}
	return appendHead(b, majorUint, *(*uint64)(ptr)), true
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		return appendHead(b, majorNegint, uint64(-1-n))
	}
	return appendHead(b, majorUint, uint64(n))
}

// appendFloat appends f in the shortest form that keeps it exactly, as the
// general encoder does with ShortestFloat16; infinities go as float16.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	switch {
	case math.IsNaN(f):
		return nil, false
	case math.IsInf(f, 0):
		h := float16.Inf(1)
		if f < 0 {
			h = float16.Inf(-1)
		}
		return binary.BigEndian.AppendUint16(append(b, cborFloat16), h.Bits()), true
	}
	f32 := float32(f)
	if float64(f32) != f {
		return binary.BigEndian.AppendUint64(append(b, cborFloat64), math.Float64bits(f)), true
	}
	exact := false
	switch float16.PrecisionFromfloat32(f32) {
	case float16.PrecisionExact:
		exact = true
	case float16.PrecisionUnknown:
		exact = float16.Fromfloat32(f32).Float32() == f32
	}
	if exact {
		return binary.BigEndian.AppendUint16(append(b, cborFloat16), float16.Fromfloat32(f32).Bits()), true
	}
	return binary.BigEndian.AppendUint32(append(b, cborFloat32), math.Float32bits(f32)), true
}

// decode decodes data into the value of the plan's type at ptr, if data is
// all one value in the shape the encoder writes. It returns false otherwise,
// having perhaps set some of the value; on success it has set all of it.
// With owned, strings and byte slices point into data rather than copies.
func (p *flatPlan) decode(data []byte, ptr unsafe.Pointer, owned bool) bool {
	d := flatDecoder{data: data, owned: owned}
	if p.kind != reflect.Struct {
		return d.value(p.kind, ptr) && d.pos == len(data)
	}
	if !d.literal(p.head) {
		return false
	}
	for i := range p.fields {
		f := &p.fields[i]
		if !d.literal(f.key) || !d.value(f.kind, unsafe.Add(ptr, f.off)) {
			return false
		}
	}
	return d.pos == len(data)
}

type flatDecoder struct {
	data  []byte
	pos   int
	owned bool // the caller gave data up: the value may point into it
}

// literal consumes b if the data goes on with it. Field names and the map
// head are compared as the encoder writes them, in the shortest form.
func (d *flatDecoder) literal(b []byte) bool {
	if len(d.data)-d.pos < len(b) || string(d.data[d.pos:d.pos+len(b)]) != string(b) {
		return false
	}
	d.pos += len(b)
	return true
}

// head consumes a head of any length and returns its major type and
// argument; ok is false for a truncated or indefinite head.
func (d *flatDecoder) head() (major byte, arg uint64, ok bool) {
	if d.pos >= len(d.data) {
		return 0, 0, false
	}
	ib := d.data[d.pos]
	major, info := ib>>5, ib&31
	if info < 24 {
		d.pos++
		return major, uint64(info), true
	}
	rest := d.data[d.pos+1:]
	var n int
	switch {
	case info == 24 && len(rest) >= 1:
		arg, n = uint64(rest[0]), 1
	case info == 25 && len(rest) >= 2:
		arg, n = uint64(binary.BigEndian.Uint16(rest)), 2
	case info == 26 && len(rest) >= 4:
		arg, n = uint64(binary.BigEndian.Uint32(rest)), 4
	case info == 27 && len(rest) >= 8:
		arg, n = binary.BigEndian.Uint64(rest), 8
	default:
		return 0, 0, false // truncated, reserved or indefinite
	}
	d.pos += 1 + n
	return major, arg, true
}

// value decodes one value of kind into the variable of that kind at ptr,
// where the data holds the form the encoder writes for that kind. It
// refuses what the variable cannot hold, as reflect's Overflow methods do.
func (d *flatDecoder) value(kind reflect.Kind, ptr unsafe.Pointer) bool {
	start := d.pos
	if kind == reflect.Slice && d.pos < len(d.data) && d.data[d.pos] == cborNull {
		d.pos++
		*(*[]byte)(ptr) = nil
		return true
	}
	major, arg, ok := d.head()
	if !ok {
		return false
	}
	switch kind {
	case reflect.Bool:
		b := d.data[start]
		if b != cborFalse && b != cborTrue {
			return false
		}
		*(*bool)(ptr) = b == cborTrue
		return true
	case reflect.String:
		if major != majorText || arg > uint64(len(d.data)-d.pos) {
			return false
		}
		b := d.data[d.pos : d.pos+int(arg)]
		if d.owned && len(b) > 0 {
			*(*string)(ptr) = unsafe.String(&b[0], len(b))
		} else {
			*(*string)(ptr) = string(b)
		}
		d.pos += int(arg)
		return true
	case reflect.Slice:
		if major != majorBytes || arg > uint64(len(d.data)-d.pos) {
			return false
		}
		end := d.pos + int(arg)
		if d.owned {
			*(*[]byte)(ptr) = d.data[d.pos:end:end] // capped: an append copies
		} else {
			*(*[]byte)(ptr) = append([]byte{}, d.data[d.pos:end]...)
		}
		d.pos = end
		return true
	case reflect.Float32, reflect.Float64:
		if major != majorSimple {
			return false
		}
		var f float64
		switch d.data[start] {
		case cborFloat16:
			f = float64(float16.Frombits(uint16(arg)).Float32())
		case cborFloat32:
			f = float64(math.Float32frombits(uint32(arg)))
		case cborFloat64:
			f = math.Float64frombits(arg)
		default:
			return false
		}
		if kind == reflect.Float64 {
			*(*float64)(ptr) = f
			return true
		}
		if a := math.Abs(f); a > math.MaxFloat32 && a <= math.MaxFloat64 {
			return false // too big for a float32, but not an infinity
		}
		*(*float32)(ptr) = float32(f)
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if (major != majorUint && major != majorNegint) || arg > math.MaxInt64 {
			return false
		}
		n := int64(arg)
		if major == majorNegint {
			n = -1 - n
		}
		return setInt(kind, ptr, n)
	}
	return major == majorUint && setUint(kind, ptr, arg)
}

// setInt stores n in the signed integer of kind at ptr, if it fits.
func setInt(kind reflect.Kind, ptr unsafe.Pointer, n int64) bool {
	switch kind {
	case reflect.Int8:
		return store(ptr, int8(n), int64(int8(n)) == n)
	case reflect.Int16:
		return store(ptr, int16(n), int64(int16(n)) == n)
	case reflect.Int32:
		return store(ptr, int32(n), int64(int32(n)) == n)
	case reflect.Int:
		return store(ptr, int(n), int64(int(n)) == n)
	}
	return store(ptr, n, true)
}

// setUint stores n in the unsigned integer of kind at ptr, if it fits.
func setUint(kind reflect.Kind, ptr unsafe.Pointer, n uint64) bool {
	switch kind {
	case reflect.Uint8:
		return store(ptr, uint8(n), uint64(uint8(n)) == n)
	case reflect.Uint16:
		return store(ptr, uint16(n), uint64(uint16(n)) == n)
	case reflect.Uint32:
		return store(ptr, uint32(n), uint64(uint32(n)) == n)
	case reflect.Uint:
		return store(ptr, uint(n), uint64(uint(n)) == n)
	}
	return store(ptr, n, true)
}

// store writes v at ptr if it fits (v converts back to the decoded number),
// and reports whether it did.
func store[T int8 | int16 | int32 | int | int64 | uint8 | uint16 | uint32 | uint | uint64](ptr unsafe.Pointer, v T, fits bool) bool {
	if fits {
		*(*T)(ptr) = v
	}
	return fits
}
