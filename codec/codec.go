package codec

import (
	"fmt"
	"reflect"
	"unsafe"
)

// A Codec turns values into bytes and back. Implementations are safe for
// concurrent use.
//
// Marshal returns an error wrapping [ErrUnsupported], and encodes nothing,
// when v holds anything that cannot cross a process boundary (see the package
// documentation); it never drops such a part silently. To send a value of an
// interface type (an error, say) pass a pointer to it, so that the codec sees
// the interface and not only the value inside: Marshal(&err).
//
// Unmarshal decodes data into the value v points to, which must be a non-nil
// pointer. It first sets *v to its zero value, so nothing of the old value
// survives; on error *v is left in an unspecified state. Decoding hostile
// bytes returns an error wrapping [ErrCorrupt]; it never panics, and the only
// code it runs is the UnmarshalBinary (under Gob also GobDecode) methods of
// the target's types and of the types registered with [Register].
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// Default returns the codec the process layer uses: [CBOR]. It was chosen by
// bench/codec_test.go, which round-trips four payloads through CBOR, Gob,
// msgpack and encoding/json: CBOR was as fast as msgpack or faster, with
// fewer allocations on structs, and Gob several times slower than either.
// The README's Performance section has the figures, which bench/run.sh
// -readme regenerates.
func Default() Codec { return CBOR }

// Encode encodes v with c: what c.Marshal(v) returns. A call through the
// interface copies v to the heap; Encode does not, when c is [CBOR] and T is
// a flat type (see CBOR), which makes it the cheaper way to encode a stream
// of small values of one type.
func Encode[T any](c Codec, v T) ([]byte, error) {
	if _, ok := c.(cborCodec); ok {
		if b, ok := encodeFlat(reflect.TypeFor[T](), unsafe.Pointer(&v), nil); ok {
			return b, nil
		}
	}
	return c.Marshal(v)
}

// Decode decodes data with c as a T and returns it: what c.Unmarshal(data,
// &v) leaves in a new T v. A call through the interface makes &v escape, so
// it allocates v; Decode does not, when c is [CBOR] and T is a flat type
// (see CBOR), which makes it the cheaper way to decode a stream of small
// values of one type.
func Decode[T any](c Codec, data []byte) (T, error) { return decode[T](c, data, false) }

// DecodeOwned is [Decode] for data that the caller hands over: the value
// may keep it. When c is [CBOR] and T is a flat type, the strings and byte
// slices of the value point into data instead of into copies, which spares
// an allocation each. The caller must not change data afterwards; the value
// keeps all of it alive while any of those fields is reachable.
func DecodeOwned[T any](c Codec, data []byte) (T, error) { return decode[T](c, data, true) }

func decode[T any](c Codec, data []byte, owned bool) (v T, err error) {
	if _, ok := c.(cborCodec); ok && decodeFlat(data, reflect.TypeFor[T](), unsafe.Pointer(&v), owned) {
		return v, nil
	}
	p := new(T)
	err = c.Unmarshal(data, p)
	return *p, err
}

// target checks the argument of Unmarshal and returns the value it points to.
func target(name string, v any) (reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return reflect.Value{}, fmt.Errorf("codec: %s: Unmarshal needs a non-nil pointer, got %T", name, v)
	}
	return rv.Elem(), nil
}

// checkTarget rejects a target type that has no encodable form, so that the
// decoder never fills in half of a type it could not have sent.
func checkTarget(c *checker, t reflect.Type) error {
	if p := c.plan(t); p.bad != nil {
		bad := *p.bad
		if bad.Path != "" {
			bad.Path = rootName(t) + bad.Path
		}
		return &bad
	}
	return nil
}

// A panicError is a panic raised while decoding, turned into an error so that
// hostile bytes cannot crash the process. The fuzz tests fail on it.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("panic while decoding: %v", e.value) }

// recoverDecode turns a panic in a decoder into an error in *err.
func recoverDecode(name string, t reflect.Type, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("codec: %s: decode %v: %w: %w", name, t, ErrCorrupt, &panicError{value: r})
	}
}
