package mp

import (
	"maps"
	"reflect"
	"slices"

	"github.com/multitask-go/multitask/codec"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// warmUp runs, on stand-in values, the work a child does between its start
// message and its report: decoding the message, the codec's first use of
// each registered function's argument and result types, and encoding the
// report. The codec builds its tables for a type on first use, and the code
// of that path runs from pages the process has not touched yet; together
// they cost a cold child a few hundred microseconds. A spare pays them
// while it waits, instead of after the parent started it.
func warmUp() {
	start := startMsg{
		Func: "f", Arg: []byte{0}, Name: "n", Handles: []handleRef{{ID: 1, Files: 1}},
		Inherit: [][]byte{{0}}, Worker: &pw.Config{Init: "f"},
	}
	if b, err := marshalMsg(start); err == nil {
		_ = unmarshalMsg(b, new(startMsg))
	}
	report := resultMsg{Value: []byte{0}, Err: &errorMsg{Message: "m", Stack: []byte{0}}}
	if b, err := marshalMsg(report); err == nil {
		_ = unmarshalMsg(b, new(resultMsg))
	}
	registry.mu.Lock()
	entries := slices.Collect(maps.Values(registry.funcs))
	registry.mu.Unlock()
	for _, e := range entries {
		e.warm()
	}
}

// warmSize bounds the types warmUp runs the codec on: a large array's
// zero value would cost a spare more than the warming saves.
const warmSize = 4 << 10

// warm encodes and decodes zero values of the function's types, as a task
// would encode and decode real ones. A type's own marshalling may refuse a
// zero value, or even panic on one: neither matters here.
func (f *Func[In, Out]) warm() {
	defer func() { _ = recover() }()
	if reflect.TypeFor[In]().Size() <= warmSize {
		var in In
		if b, err := codec.Default().Marshal(in); err == nil && codec.Default().Unmarshal(b, &in) == nil {
			boundHandles(&in)
		}
	}
	if reflect.TypeFor[Out]().Size() <= warmSize {
		var out Out
		_, _ = encodeResult(out)
	}
}
