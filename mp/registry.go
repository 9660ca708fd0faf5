package mp

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
)

// A Func is a function registered by name, so that any process of the same
// binary can run it: the name crosses the process boundary, the code does
// not. Make one with [Register], at package level.
type Func[In, Out any] struct {
	name string
	fn   func(context.Context, In) (Out, error)
}

// entry is what the registry keeps of a Func: enough to run it from the
// bytes of its argument, whatever its types.
type entry interface {
	// call runs the function on the decoded argument, which may keep
	// memory of arg; with release, it closes the handles in the argument
	// when the function returns. The result's long strings are left out of
	// its encoding, as pieces (see splice).
	call(ctx context.Context, arg []byte, files map[uint64][]*os.File, release bool) (codec.Spliced, error)
	// callBatch runs the function on each argument of a chunk, and closes
	// the handles in them when it is done.
	callBatch(ctx context.Context, arg []byte, files map[uint64][]*os.File) ([]byte, error)
	// warm runs the codec on the function's types once (see warmUp).
	warm()
}

// registry is the only mutable package state: every process of the binary
// fills it the same way during package initialisation, and it is frozen by
// Main and by the first process started, after which processes rely on it
// being the same everywhere.
var registry = struct {
	mu     sync.Mutex // guards funcs and frozen
	funcs  map[string]entry
	frozen bool
}{funcs: make(map[string]entry)}

// Register makes fn callable in other processes under name, and returns the
// handle to call it with. Call it at package level, so that every process of
// the binary registers the same functions before main runs:
//
//	var Square = mp.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
// Register panics, as a programmer error found at init, when name is empty
// or already taken, when fn is nil, or when it is called after [Main] or
// after the first process started, since processes started before then would
// not know the function.
//
// fn receives a context that is cancelled when the caller cancels the task
// or the parent process dies. Its argument and result cross process
// boundaries through the codec, so they must be types the codec can encode;
// a value that cannot be is an error at Submit or Start, not later.
func Register[In, Out any](name string, fn func(ctx context.Context, in In) (Out, error)) *Func[In, Out] {
	if name == "" {
		panic("mp: Register with an empty name")
	}
	if fn == nil {
		panic(fmt.Sprintf("mp: Register(%q) with a nil function", name))
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.frozen {
		panic(fmt.Sprintf("mp: Register(%q) after mp.Main or the first process started: "+
			"register functions at package level (var F = mp.Register(...)) so that every process knows them", name))
	}
	if _, dup := registry.funcs[name]; dup {
		panic(fmt.Sprintf("mp: Register(%q): the name is already registered", name))
	}
	f := &Func[In, Out]{name: name, fn: fn}
	registry.funcs[name] = f
	return f
}

// freezeRegistry closes the registry to new names.
func freezeRegistry() {
	registry.mu.Lock()
	registry.frozen = true
	registry.mu.Unlock()
}

func lookup(name string) (entry, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	e, ok := registry.funcs[name]
	return e, ok
}

// Name returns the name the function was registered under.
func (f *Func[In, Out]) Name() string { return f.name }

// Call runs the function in the calling goroutine, as a plain function call,
// with panics recovered into a [*futures.PanicError].
func (f *Func[In, Out]) Call(ctx context.Context, in In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &futures.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return f.fn(ctx, in)
}

// Submit runs the function on ex with in and returns a future for its
// result. On a [CallExecutor] such as a [Pool] it runs elsewhere, in a
// worker process for a Pool: in is encoded now, so an
// argument that cannot cross fails the future at once, as does one that
// encodes to more than [MaxValue] bytes ([ErrTooLarge]). On an executor
// that runs tasks in this process, such as a [futures.ThreadPool], it is a
// plain call in a goroutine of the pool.
//
// Memory: a []byte or string of 64 KiB or more in in, as the argument
// itself or as a field of a struct of plain fields (see codec.CBOR's flat
// values), is not copied: the pool writes it to the worker from in's own
// memory, so the caller must not change such a []byte until the future is
// done. A big result is decoded into the memory it was read into, without
// a second copy.
func (f *Func[In, Out]) Submit(ctx context.Context, ex futures.Executor, in In) *futures.Future[Out] {
	ce, ok := ex.(CallExecutor)
	if !ok {
		return futures.Submit(ctx, ex, func(ctx context.Context) (Out, error) { return f.fn(ctx, in) })
	}
	c, err := newCall(ce, f.name, in, false)
	if err != nil {
		return failed[Out](ctx, err)
	}
	return futures.Submit(ctx, (*submission)(c), func(context.Context) (Out, error) {
		if c.err != nil {
			var zero Out
			return zero, c.err
		}
		decode := codec.Decode[Out]
		if c.ownValue {
			decode = codec.DecodeOwned[Out] // the result keeps its frame, not a copy
		}
		out, err := decode(codec.Default(), c.value)
		if err != nil {
			return out, fmt.Errorf("mp: decode the result of %q: %w", f.name, err)
		}
		return out, nil
	})
}

// call decodes the argument into arg's memory, binds the descriptors of
// the handles in it, runs the function and encodes its result.
func (f *Func[In, Out]) call(ctx context.Context, arg []byte, files map[uint64][]*os.File, release bool) (codec.Spliced, error) {
	in, err := codec.DecodeOwned[In](codec.Default(), arg)
	if err == nil {
		err = bindArg(&in, files)
	}
	if err != nil {
		return codec.Spliced{}, fmt.Errorf("mp: decode the argument of %q: %w", f.name, err)
	}
	if release {
		defer closeHandles(&in)
	}
	out, err := f.Call(ctx, in)
	if err != nil {
		return codec.Spliced{}, err
	}
	s, err := encodeResult(out)
	if err != nil {
		return codec.Spliced{}, fmt.Errorf("mp: encode the result of %q: %w", f.name, err)
	}
	if n := s.Len(); n > MaxValue {
		return codec.Spliced{}, fmt.Errorf("mp: the result of %q: %w: %d bytes encoded, at most %d cross in one message",
			f.name, ErrTooLarge, n, MaxValue)
	}
	return s, nil
}

// callBatch runs the function on each argument of a chunk, in order, and
// encodes their results and errors as a batchResult.
func (f *Func[In, Out]) callBatch(ctx context.Context, arg []byte, files map[uint64][]*os.File) ([]byte, error) {
	var ins []In
	if err := decodeArg(arg, &ins, files); err != nil {
		return nil, fmt.Errorf("mp: decode the arguments of %q: %w", f.name, err)
	}
	defer closeHandles(&ins)
	outs := make([]Out, len(ins))
	var errs map[int]*errorMsg
	for i, in := range ins {
		out, err := f.Call(ctx, in)
		if err != nil {
			if errs == nil {
				errs = make(map[int]*errorMsg)
			}
			errs[i] = toErrorMsg(err)
			continue
		}
		outs[i] = out
	}
	return encodeBatch(f.name, outs, errs)
}
