package codec

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
)

// Gob is the codec that writes encoding/gob, one self-contained message per
// Marshal: each carries the description of its types, which makes small
// messages larger and several times slower than under [CBOR]. Gob keeps the
// exact type of a predeclared value held in an interface (an int stays an int)
// and carries complex numbers. It decodes an empty slice or []byte as nil,
// and skips zero-valued fields on the wire (Unmarshal zeroes its target
// first, so they still arrive as zero). A nil value, or a nil pointer, passed
// to Marshal becomes the single byte 0x00, which no gob stream starts with,
// and Unmarshal turns it back into the zero value.
var Gob Codec = gobCodec{}

type gobCodec struct{}

var (
	typeGobEncoder = reflect.TypeFor[gob.GobEncoder]()
	typeGobDecoder = reflect.TypeFor[gob.GobDecoder]()
)

var gobChecker = &checker{
	complexOK:    true,
	bigUintInAny: true,
	marshalerKind: func(t reflect.Type) (bool, string) {
		if opaque, why := pairedMarshaler(t, typeGobEncoder, typeGobDecoder); opaque {
			return opaque, why
		}
		return pairedMarshaler(t, typeBinaryMarshaler, typeBinaryUnmarshaler)
	},
}

// gobNil is the message for a nil value.
const gobNil = 0x00

// Marshal encodes v as a self-contained gob message. It returns an error
// wrapping [ErrUnsupported] if v holds anything that cannot cross a process
// boundary.
func (gobCodec) Marshal(v any) ([]byte, error) {
	freeze()
	if err := gobChecker.check(v); err != nil {
		return nil, err
	}
	if isNil(v) {
		return []byte{gobNil}, nil // gob refuses (or panics on) a nil at the top
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("codec: gob: encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// isNil reports whether v is nil or a chain of pointers ending in nil, which
// gob cannot encode at the top level.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	for i := 0; rv.Kind() == reflect.Pointer && i < maxPointerRun; i++ {
		if rv.IsNil() {
			return true
		}
		rv = rv.Elem()
	}
	return false
}

// Unmarshal decodes one gob message from data into the value v points to.
func (gobCodec) Unmarshal(data []byte, v any) (err error) {
	freeze()
	rv, err := target("gob", v)
	if err != nil {
		return err
	}
	t := rv.Type()
	if err := checkTarget(gobChecker, t); err != nil {
		return err
	}
	defer recoverDecode("gob", t, &err)
	rv.SetZero()
	if len(data) == 1 && data[0] == gobNil {
		return nil
	}
	r := bytes.NewReader(data)
	if err := gob.NewDecoder(r).Decode(v); err != nil {
		return fmt.Errorf("codec: gob: decode %v: %w: %w", t, ErrCorrupt, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("codec: gob: decode %v: %w: %d bytes after the message", t, ErrCorrupt, r.Len())
	}
	return nil
}
