package codec

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
)

// CBOR is the codec that writes CBOR (RFC 8949) with
// github.com/fxamacker/cbor/v2, and the [Default]. Strings are carried byte
// for byte, invalid UTF-8 included; nil and empty slices and maps stay
// distinct; time.Time crosses as RFC 3339 text with nanoseconds and its zone
// offset (years 0 to 9999; others fail to decode).
//
// It decodes with limits: at most 1024 levels of nesting (the limit Marshal
// enforces too), 1<<30 elements per array and 1<<29 pairs per map. Every
// element takes at least a byte on the wire, so the counts are those of the
// largest message the frame layer lets through (1 GiB); anything Marshal can
// produce within that decodes. Before allocating anything the decoder checks
// that the data is well formed and holds every element it announces, so no
// length or count in hostile bytes can make it allocate more than the data
// size times the size of the target's element type.
//
// Flat values, the predeclared booleans, integers, floats and strings,
// []byte, and structs of only those (exported, untagged fields), take a fast
// path that writes the same bytes and decodes data of the form it writes
// several times faster; other data of such a type goes to the general
// decoder, so results and errors do not depend on the path. The fast path
// reads a value through a pointer: Marshal of a pointer to a flat value, and
// [Encode], read it in place; Marshal of the value itself reads a copy,
// since reflect gives no pointer into an interface.
var CBOR Codec = cborCodec{}

type cborCodec struct{}

var cborChecker = &checker{
	marshalerKind: func(t reflect.Type) (bool, string) {
		if opaque, why := pairedMarshaler(t, typeCBORMarshaler, typeCBORUnmarshaler); opaque {
			return opaque, why
		}
		return pairedMarshaler(t, typeBinaryMarshaler, typeBinaryUnmarshaler)
	},
}

var (
	typeCBORMarshaler   = reflect.TypeFor[cbor.Marshaler]()
	typeCBORUnmarshaler = reflect.TypeFor[cbor.Unmarshaler]()
)

func cborEncOptions() cbor.EncOptions {
	return cbor.EncOptions{
		Sort:            cbor.SortNone,
		ShortestFloat:   cbor.ShortestFloat16,
		NaNConvert:      cbor.NaNConvertPreserveSignal,
		InfConvert:      cbor.InfConvertFloat16,
		Time:            cbor.TimeRFC3339Nano,
		TimeTag:         cbor.EncTagRequired,
		IndefLength:     cbor.IndefLengthForbidden,
		NilContainers:   cbor.NilContainerAsNull,
		TagsMd:          cbor.TagsAllowed,
		String:          cbor.StringToTextString,
		ByteArray:       cbor.ByteArrayToByteSlice,
		BinaryMarshaler: cbor.BinaryMarshalerByteString,
		TextMarshaler:   cbor.TextMarshalerNone, // as gob, which ignores it
	}
}

func cborDecOptions() cbor.DecOptions {
	return cbor.DecOptions{
		MaxNestedLevels:   maxDepth,
		MaxArrayElements:  1 << 30, // a byte per element in a 1 GiB frame
		MaxMapPairs:       1 << 29, // two bytes per pair
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsAllowed,
		TimeTag:           cbor.DecTagRequired,
		IntDec:            cbor.IntDecConvertSignedOrFail,
		DefaultMapType:    reflect.TypeFor[map[string]any](),
		UTF8:              cbor.UTF8DecodeInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		BinaryUnmarshaler: cbor.BinaryUnmarshalerByteString,
		TextUnmarshaler:   cbor.TextUnmarshalerNone,
	}
}

// Marshal encodes v as CBOR. It returns an error wrapping [ErrUnsupported] if
// v holds anything that cannot cross a process boundary.
func (cborCodec) Marshal(v any) ([]byte, error) {
	freeze()
	if v != nil {
		if b, ok := marshalFlat(reflect.ValueOf(v), nil); ok {
			return b, nil
		}
	}
	return marshalGeneral(v)
}

// marshalGeneral encodes v with the general encoder.
func marshalGeneral(v any) ([]byte, error) {
	if err := cborChecker.check(v); err != nil {
		return nil, err
	}
	b, err := built.em.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("codec: cbor: encode %T: %w", v, err)
	}
	return b, nil
}

// marshalFlat encodes rv by the fast path, if it is a flat value or a
// non-nil pointer to one (CBOR writes a pointer as what it points to) and
// the fast path takes it; with sp, it leaves long strings out as pieces. The
// registry is frozen.
func marshalFlat(rv reflect.Value, sp *splicer) ([]byte, bool) {
	t := rv.Type()
	if t.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, false
		}
		return encodeFlat(t.Elem(), rv.UnsafePointer(), sp)
	}
	p := flatPlanOf(t)
	if p == nil {
		return nil, false
	}
	// The fast path reads through a pointer; a value in an interface has
	// none to give, so it reads a copy.
	c := reflect.New(t)
	c.Elem().Set(rv)
	return p.encode(make([]byte, 0, p.size), c.UnsafePointer(), sp)
}

// encodeFlat encodes the value of type t at ptr by the fast path, if t is
// flat and the fast path takes the value; with sp, it leaves long strings
// out as pieces. A flat value is always encodable: nothing needs checking.
func encodeFlat(t reflect.Type, ptr unsafe.Pointer, sp *splicer) ([]byte, bool) {
	freeze()
	p := flatPlanOf(t)
	if p == nil {
		return nil, false
	}
	return p.encode(make([]byte, 0, p.size), ptr, sp)
}

// decodeFlat decodes data into the value of type t at ptr by the fast path,
// if t is flat and data has the form the fast path takes. It sets all of the
// value or reports false, having perhaps set part of it: a flat type is
// always decodable, so nothing else needs checking. With owned, the value's
// strings and byte slices point into data. The fast path checks every
// length against the data before it reads, so corrupt or truncated data is
// a false, never a panic (FuzzFlatDecode holds it to that).
func decodeFlat(data []byte, t reflect.Type, ptr unsafe.Pointer, owned bool) bool {
	freeze()
	p := flatPlanOf(t)
	if p == nil {
		return false
	}
	return p.decode(data, ptr, owned)
}

// Unmarshal decodes CBOR data into the value v points to.
func (cborCodec) Unmarshal(data []byte, v any) (err error) {
	freeze()
	rv, err := target("cbor", v)
	if err != nil {
		return err
	}
	t := rv.Type()
	if decodeFlat(data, t, reflect.ValueOf(v).UnsafePointer(), false) {
		return nil
	}
	defer recoverDecode("cbor", t, &err)
	if err := checkTarget(cborChecker, t); err != nil {
		return err
	}
	rv.SetZero()
	if err := built.dm.Unmarshal(data, v); err != nil {
		return fmt.Errorf("codec: cbor: decode %v: %w: %w", t, ErrCorrupt, err)
	}
	if built.any {
		fixForms(cborChecker, rv)
	}
	return nil
}
