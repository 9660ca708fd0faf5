package codec

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

type lateType struct{ A int }

type otherType struct{ A int }

// mustPanic runs f and returns the message it panicked with.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("did not panic")
		}
		msg, _ = r.(string)
	}()
	f()
	return ""
}

func TestRegisterPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"empty name", func() { Register[otherType]("") }, "empty name"},
		{"pointer to pointer", func() { Register[**otherType]("codec.test.pp") }, "not a pointer to a pointer"},
		{"interface", func() { Register[error]("codec.test.error") }, "interface type cannot be registered"},
		{"user interface", func() { Register[shape]("codec.test.shape") }, "interface type cannot be registered"},
		{"predeclared", func() { Register[int]("codec.test.int") }, "only a named type"},
		{"unnamed", func() { Register[[]otherType]("codec.test.slice") }, "only a named type"},
		{"duplicate name", func() { Register[otherType]("codec.test.point") }, `name "codec.test.point" is already registered`},
		{"duplicate type", func() { Register[point]("codec.test.point2") }, `codec.point is already registered as "codec.test.point"`},
		{"duplicate type as pointer", func() { Register[*point]("codec.test.point3") }, "already registered"},
		{"duplicate pointer type as value", func() { Register[ptrPoint]("codec.test.ptrPoint2") }, "already registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if msg := mustPanic(t, tt.f); !strings.Contains(msg, tt.msg) {
				t.Errorf("panic %q does not contain %q", msg, tt.msg)
			}
		})
	}
}

func TestRegisterAfterFirstUse(t *testing.T) {
	t.Parallel()
	if _, err := CBOR.Marshal(1); err != nil {
		t.Fatal(err)
	}
	msg := mustPanic(t, func() { Register[lateType]("codec.test.late") })
	if !strings.Contains(msg, "after the first Marshal or Unmarshal") {
		t.Errorf("panic %q does not say why", msg)
	}
	if lookup(reflect.TypeFor[lateType]()) != nil {
		t.Error("the late type was registered")
	}
}

func TestTagFor(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a", "codec.test.point", "mp.RemoteError", strings.Repeat("x", 1000)} {
		tag := tagFor(name)
		if tag < 1<<63 || tag == math.MaxUint64 {
			t.Errorf("tagFor(%q) = %#x, outside the first-come-first-served range", name, tag)
		}
		if tagFor(name) != tag {
			t.Errorf("tagFor(%q) is not deterministic", name)
		}
	}
}
