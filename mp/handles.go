package mp

import (
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"

	"github.com/multitask-go/multitask/codec"
)

// A handle is a value that stands for an OS resource and crosses to a child
// process as file descriptors: the ends of a [Pipe], and the other
// process-shared objects. It encodes as its id (through MarshalBinary); the
// descriptors travel beside the encoded argument, and the child binds them
// to the decoded handle by id.
type handle interface {
	handleID() uint64
	// handleFiles returns the descriptors to pass, or an error if the
	// handle can no longer be passed (closed).
	handleFiles() ([]*os.File, error)
	// bindFiles adopts the descriptors in the child, after decoding.
	bindFiles(files []*os.File) error
}

// errHandleResult fails a result that holds a handle: descriptors cross
// from parent to child with the argument only.
var errHandleResult = errors.New("mp: a result cannot carry a pipe, queue or other process-shared object; pass those to the child as arguments")

// newHandleID returns a random id, unique among the handles of a program
// without any shared counter.
func newHandleID() uint64 { return rand.Uint64() | 1 }

// encodeArg encodes v for a child process and returns the handles in it.
func encodeArg(v any) ([]byte, []handle, error) {
	s, hs, err := encodeArgSpliced(v, 0)
	return s.Data, hs, err
}

// encodeArgSpliced is encodeArg that leaves the strings of at least
// splice bytes (splice > 0) out of the encoding, as pieces that share v's
// memory (see codec.MarshalSpliced).
func encodeArgSpliced(v any, splice int) (codec.Spliced, []handle, error) {
	hs, err := collectHandles(v)
	if err != nil {
		return codec.Spliced{}, nil, err
	}
	s, err := codec.MarshalSpliced(codec.Default(), v, splice)
	if err != nil {
		return codec.Spliced{}, nil, err
	}
	return s, hs, nil
}

// splice is the length from which a string of a value a pool sends is
// written from the value's memory rather than copied into the encoding.
const splice = 64 << 10

// encodeResult encodes a function's result, which may hold no handle, with
// its long strings left out as pieces (see splice).
func encodeResult(v any) (codec.Spliced, error) {
	hs, err := collectHandles(v)
	if err != nil {
		return codec.Spliced{}, err
	}
	if len(hs) > 0 {
		return codec.Spliced{}, errHandleResult
	}
	return codec.MarshalSpliced(codec.Default(), v, splice)
}

// decodeArg decodes data into ptr and binds the descriptors files holds for
// the handles in it.
func decodeArg(data []byte, ptr any, files map[uint64][]*os.File) error {
	if err := codec.Default().Unmarshal(data, ptr); err != nil {
		return err
	}
	return bindArg(ptr, files)
}

// bindArg binds the descriptors files holds for the handles in the
// decoded value ptr points to.
func bindArg(ptr any, files map[uint64][]*os.File) error {
	for _, h := range boundHandles(ptr) {
		// A handle whose descriptors did not come has none to bind, and
		// says whether it needs some.
		if err := h.bindFiles(files[h.handleID()]); err != nil {
			return err
		}
	}
	return nil
}

// closeHandles closes the handles in v, which a pool worker decoded for
// one task: a queue's connection to its broker, say, would otherwise stay
// open in the worker for as long as it lives.
func closeHandles(v any) {
	for _, h := range boundHandles(v) {
		if c, ok := h.(io.Closer); ok {
			c.Close()
		}
	}
}

// collectHandles finds the handles in v: behind pointers, in exported
// struct fields, slices, arrays, maps and interfaces, each once.
func collectHandles(v any) ([]handle, error) {
	return walkHandles(v, false), nil
}

// boundHandles finds every handle object in a decoded value: the same
// handle named twice in an argument decodes as two objects with one id,
// and each must be bound to the descriptors, and closed.
func boundHandles(v any) []handle {
	return walkHandles(v, true)
}

func walkHandles(v any, every bool) []handle {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !mayHoldHandle(rv.Type()) {
		return nil
	}
	w := handleWalk{every: every, seen: make(map[uint64]bool), ptrs: make(map[uintptr]bool)}
	w.walk(rv)
	return w.found
}

type handleWalk struct {
	found []handle
	every bool             // every handle object, not one per id
	seen  map[uint64]bool  // handle ids found
	ptrs  map[uintptr]bool // pointers followed, against cycles
}

func (w *handleWalk) walk(v reflect.Value) {
	if !v.IsValid() || !mayHoldHandle(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if h, ok := v.Interface().(handle); ok {
			if id := h.handleID(); w.every && !w.ptrs[v.Pointer()] || !w.every && !w.seen[id] {
				w.seen[id] = true
				w.ptrs[v.Pointer()] = true
				w.found = append(w.found, h)
			}
			return
		}
		if w.ptrs[v.Pointer()] {
			return
		}
		w.ptrs[v.Pointer()] = true
		w.walk(v.Elem())
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				w.walk(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.walk(v.Index(i))
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			w.walk(it.Key())
			w.walk(it.Value())
		}
	}
}

var (
	handleType = reflect.TypeFor[handle]()
	holdCache  sync.Map // reflect.Type → bool: whether a value of the type may hold a handle
)

// mayHoldHandle reports whether a value of type t can hold a handle, so
// that the walk skips at once the common arguments that cannot.
func mayHoldHandle(t reflect.Type) bool {
	if v, ok := holdCache.Load(t); ok {
		return v.(bool)
	}
	v := typeMayHold(t, make(map[reflect.Type]bool))
	holdCache.Store(t, v)
	return v
}

func typeMayHold(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if visiting[t] {
		return false // a cycle adds nothing the other paths do not find
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer:
		return t.Implements(handleType) || typeMayHold(t.Elem(), visiting)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeMayHold(f.Type, visiting) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		return typeMayHold(t.Elem(), visiting)
	case reflect.Map:
		return typeMayHold(t.Key(), visiting) || typeMayHold(t.Elem(), visiting)
	}
	return false
}
