package codec

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

type job struct {
	ID   int
	Done chan int
}

type pipeline struct {
	Name string
	Jobs []job
}

type hooks struct {
	OnDone map[string]func()
}

type secret struct{ key string }

type withSecret struct {
	S secret
}

type onlyMarshal struct{ x int }

func (o onlyMarshal) MarshalBinary() ([]byte, error) { return []byte{byte(o.x)}, nil }

type onlyText struct{ x int }

func (o onlyText) MarshalText() ([]byte, error) { return []byte{'0' + byte(o.x)}, nil }

type loop *loop

type cycle struct {
	Next *cycle
	M    map[string]*cycle
}

func TestUnsupported(t *testing.T) {
	t.Parallel()
	c1 := &cycle{}
	c1.Next = c1
	c2 := &cycle{M: map[string]*cycle{}}
	c2.M["me"] = c2
	var l loop
	l = &l
	var deep any
	for range maxDepth + 1 {
		deep = []any{deep}
	}
	var tooLong *node
	for i := range maxDepth + 1 {
		tooLong = &node{V: i, Next: tooLong}
	}

	tests := []struct {
		name string
		v    any
		only string // the one codec that rejects it; empty for both
		typ  reflect.Type
		path string // UnsupportedTypeError.Path
		msg  string // a part of the message
	}{
		{name: "chan", v: make(chan int), typ: reflect.TypeFor[chan int](),
			msg: "codec: cannot encode chan int: channels cannot cross a process boundary"},
		{name: "func", v: func() {}, typ: reflect.TypeFor[func()](), msg: "functions cannot"},
		{name: "unsafe pointer", v: unsafe.Pointer(&l), typ: reflect.TypeFor[unsafe.Pointer](), msg: "unsafe pointers"},
		{name: "uintptr", v: uintptr(1), typ: reflect.TypeFor[uintptr](), msg: "use uint64"},
		{name: "complex", v: 1 + 1i, only: "cbor", typ: reflect.TypeFor[complex128](), msg: "complex"},
		{name: "chan field", v: job{Done: make(chan int)}, typ: reflect.TypeFor[chan int](), path: "job.Done",
			msg: "codec: cannot encode field job.Done of type chan int: channels cannot cross a process boundary"},
		{name: "nil chan field", v: job{}, typ: reflect.TypeFor[chan int](), path: "job.Done"},
		{name: "behind pointers", v: ptrTo(&job{}), typ: reflect.TypeFor[chan int](), path: "job.Done"},
		{name: "slice element field", v: pipeline{}, typ: reflect.TypeFor[chan int](), path: "pipeline.Jobs[i].Done",
			msg: "field pipeline.Jobs[i].Done"},
		{name: "map value", v: hooks{}, typ: reflect.TypeFor[func()](), path: "hooks.OnDone[k]",
			msg: "value hooks.OnDone[k] of type func()"},
		{name: "slice of funcs", v: []func(){}, typ: reflect.TypeFor[func()](), path: "[]func()[i]"},
		{name: "map key", v: map[chan int]int{}, typ: reflect.TypeFor[chan int](), path: "map[chan int]int(key)"},
		{name: "complex field", v: struct{ C complex64 }{}, only: "cbor", typ: reflect.TypeFor[complex64](), path: "struct { C complex64 }.C"},
		{name: "no exported fields", v: withSecret{S: secret{key: "k"}}, typ: reflect.TypeFor[secret](), path: "withSecret.S", msg: "no exported fields"},
		{name: "marshaler without unmarshaler", v: onlyMarshal{}, typ: reflect.TypeFor[onlyMarshal](), msg: "not encoding.BinaryUnmarshaler"},
		{name: "text marshaler is not used", v: onlyText{}, typ: reflect.TypeFor[onlyText](), msg: "no exported fields"},

		// Interfaces are checked by what they hold.
		{name: "any holding chan", v: box{V: make(chan int)}, typ: reflect.TypeFor[chan int](), path: "box.V", msg: "field box.V of type chan int"},
		{name: "any holding func in slice", v: box{V: []any{1, func() {}}}, typ: reflect.TypeFor[func()](), path: "box.V[1]"},
		{name: "any holding func in map", v: box{V: map[string]any{"f": func() {}}}, typ: reflect.TypeFor[func()](), path: `box.V["f"]`},
		{name: "any holding registered type with chan", v: box{V: badReg{}}, typ: reflect.TypeFor[chan int](), path: "box.V.C"},
		{name: "any holding unregistered struct", v: box{V: inner{}}, typ: reflect.TypeFor[inner](), path: "box.V", msg: "registered types"},
		{name: "any holding []int", v: box{V: []int{1}}, typ: reflect.TypeFor[[]int](), path: "box.V", msg: "registered types"},
		{name: "any holding *int", v: box{V: ptrTo(1)}, typ: reflect.TypeFor[*int](), path: "box.V"},
		{name: "any holding typed nil", v: box{V: (*ptrPoint)(nil)}, typ: reflect.TypeFor[*ptrPoint](), path: "box.V", msg: "typed nil"},
		{name: "any holding nil slice", v: box{V: []any(nil)}, typ: reflect.TypeFor[[]any](), path: "box.V", msg: "typed nil"},
		{name: "any holding nil map", v: box{V: map[string]any(nil)}, path: "box.V", msg: "typed nil"},
		{name: "any holding nil bytes", v: box{V: []byte(nil)}, path: "box.V", msg: "typed nil"},
		{name: "error holding unregistered", v: errBox{Err: errors.New("x")}, path: "errBox.Err", msg: "registered types"},
		{name: "any holding big uint", v: box{V: uint64(math.MaxUint64)}, only: "cbor", typ: reflect.TypeFor[uint64](), path: "box.V", msg: "int64"},
		{name: "any holding uintptr", v: box{V: uintptr(1)}, typ: reflect.TypeFor[uintptr](), path: "box.V"},
		{name: "[]any element holding chan", v: []any{make(chan int)}, typ: reflect.TypeFor[chan int](), path: "[]interface {}[0]"},

		// Cycles and depth.
		{name: "pointer cycle", v: c1, typ: reflect.TypeFor[cycle](), msg: "deeper than 1024"},
		{name: "map cycle", v: c2, msg: "deeper than 1024"},
		{name: "pointer loop", v: l, msg: "deeper than 1024"},
		{name: "too deep", v: deep, msg: "deeper than 1024"},
		{name: "list too long", v: tooLong, msg: "deeper than 1024"},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					data, err := c.codec.Marshal(tt.v)
					if tt.only != "" && tt.only != c.name {
						if err != nil {
							t.Fatalf("Marshal: %v", err)
						}
						return
					}
					if err == nil {
						t.Fatalf("Marshal succeeded: % x", data)
					}
					if !errors.Is(err, ErrUnsupported) {
						t.Errorf("errors.Is(%v, ErrUnsupported) = false", err)
					}
					var ute *UnsupportedTypeError
					if !errors.As(err, &ute) {
						t.Fatalf("%v is not an *UnsupportedTypeError", err)
					}
					if tt.typ != nil && ute.Type != tt.typ {
						t.Errorf("Type = %v, want %v", ute.Type, tt.typ)
					}
					if tt.path != "" && ute.Path != tt.path {
						t.Errorf("Path = %q, want %q", ute.Path, tt.path)
					}
					if !strings.Contains(err.Error(), tt.msg) {
						t.Errorf("error %q does not contain %q", err, tt.msg)
					}
				})
			}
		})
	}
}

// Whatever the walker lets through at the deepest nesting must decode.
func TestDepthLimitMatchesDecoder(t *testing.T) {
	t.Parallel()
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var v any
			for range maxDepth {
				v = []any{v}
			}
			data, err := c.codec.Marshal(&v)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			if err := c.codec.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Error("deep value changed")
			}
		})
	}
}
