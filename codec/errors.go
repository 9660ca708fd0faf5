package codec

import (
	"errors"
	"reflect"
)

// ErrUnsupported is the errors.Is target for a value that cannot cross a process
// boundary: a channel, a function, an unsafe pointer, a uintptr, a complex number
// under [CBOR], an interface holding an unregistered type, or a value nested too
// deeply (a cyclic value). Marshal returns it, wrapped in an
// [*UnsupportedTypeError] that names the type and where it sits, before
// anything is encoded; Unmarshal returns it for a target of such a type.
var ErrUnsupported = errors.New("codec: unsupported value")

// ErrCorrupt is the errors.Is target for data that Unmarshal cannot decode into
// its target: malformed or truncated bytes, trailing bytes, or a message of
// another type. The error also wraps the decoder's own error.
var ErrCorrupt = errors.New("codec: corrupt data")

// An UnsupportedTypeError reports a value that cannot cross a process boundary.
// It unwraps to [ErrUnsupported].
type UnsupportedTypeError struct {
	// Type is the offending type.
	Type reflect.Type
	// Path says where Type sits inside the value passed to Marshal, starting
	// with the name of that value's type: "Job.Done", "Batch.Items[3].Fn",
	// "Config.Hooks[k]" (a map value), "Job.Payload" (an interface field). It
	// is empty when the value passed to Marshal is itself of Type.
	Path string
	// Reason says why Type cannot be encoded.
	Reason string

	field bool // the last step of Path is a struct field
}

// Error returns a message naming the path, the type and the reason.
func (e *UnsupportedTypeError) Error() string {
	if e.Path == "" {
		return "codec: cannot encode " + typeString(e.Type) + ": " + e.Reason
	}
	what := "value"
	if e.field {
		what = "field"
	}
	return "codec: cannot encode " + what + " " + e.Path + " of type " + typeString(e.Type) + ": " + e.Reason
}

// Unwrap returns [ErrUnsupported].
func (e *UnsupportedTypeError) Unwrap() error { return ErrUnsupported }

func typeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}
