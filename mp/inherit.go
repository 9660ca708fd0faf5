package mp

import (
	"fmt"
	"reflect"

	"github.com/multitask-go/multitask/codec"
)

// inherited holds the variables registered with Inherit, in order; like the
// function registry, it is filled at init and frozen by Main.
var inherited []any

// Inherit registers a package-level variable whose value a child started
// with the [Fork] method receives: at Start its current value is encoded,
// and in the child it is decoded into the same variable before the function
// runs. Call it at package level, in every process alike:
//
//	var config Config
//	var _ = mp.Inherit(&config)
//
// It returns ptr. It panics after Main, or when ptr is nil. The value must be
// encodable by the codec; reading it at Start must not race with writes.
func Inherit[T any](ptr *T) *T {
	if ptr == nil {
		panic("mp: Inherit(nil)")
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.frozen {
		panic(fmt.Sprintf("mp: Inherit(%T) after mp.Main or the first process started: call it at package level", ptr))
	}
	inherited = append(inherited, ptr)
	return ptr
}

// snapshotInherited encodes the current values of the inherited variables.
func snapshotInherited() ([][]byte, error) {
	out := make([][]byte, len(inherited))
	for i, ptr := range inherited {
		b, err := codec.Default().Marshal(reflect.ValueOf(ptr).Elem().Interface())
		if err != nil {
			return nil, fmt.Errorf("mp: snapshot inherited variable %d (%T): %w", i, ptr, err)
		}
		out[i] = b
	}
	return out, nil
}

// restoreInherited decodes a snapshot into this process's variables.
func restoreInherited(values [][]byte) error {
	if values == nil {
		return nil
	}
	if len(values) != len(inherited) {
		return fmt.Errorf("mp: the parent sent %d inherited variables, this process registers %d", len(values), len(inherited))
	}
	for i, b := range values {
		if err := codec.Default().Unmarshal(b, inherited[i]); err != nil {
			return fmt.Errorf("mp: restore inherited variable %d (%T): %w", i, inherited[i], err)
		}
	}
	return nil
}
