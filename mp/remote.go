package mp

import (
	"context"
	"fmt"
	"slices"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
)

// The far side of the [CallExecutor] seam: an executor that carries a
// [Call] to another machine runs it there with [RunCall] or
// [Pool.SubmitCall], and carries the outcome back with [MarshalError] and
// [UnmarshalError] for its error.

// RunCall runs the function registered under name in the calling
// goroutine, on arg as [Call.Arg] encodes it (a chunk of [Func.Map]'s
// inputs when chunk is set, as [Call.Chunk] says), and returns the result
// encoded for [Call.Deliver]. A panic in the function is recovered into a
// [*futures.PanicError]. A name that is not registered in this build fails
// with an error that matches [ErrNotRegistered]; an argument that holds
// handles fails, since their descriptors cannot come with it.
func RunCall(ctx context.Context, name string, arg []byte, chunk bool) ([]byte, error) {
	e, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not registered in this build of the program", ErrNotRegistered, name)
	}
	if chunk {
		return e.callBatch(ctx, arg, nil)
	}
	v, err := e.call(ctx, arg, nil, true)
	if err != nil {
		return nil, err
	}
	return v.Bytes(), nil
}

// SubmitCall runs the function registered under name in a worker process
// of p, as [RunCall] runs it here, and returns a future for its encoded
// result. The pool's Timeout, memory limits and kills apply as they do to
// [Func.Submit]. arg must not be changed until the future is done.
func (p *Pool) SubmitCall(ctx context.Context, name string, arg []byte, chunk bool) *futures.Future[[]byte] {
	if n := len(arg); n > MaxValue {
		return failed[[]byte](ctx, fmt.Errorf("mp: the argument of %q: %w: %d bytes encoded, at most %d cross in one message",
			name, ErrTooLarge, n, MaxValue))
	}
	c := &Call{ex: p, fn: name, arg: codec.Spliced{Data: arg}, chunk: chunk}
	return futures.Submit(ctx, (*submission)(c), func(context.Context) ([]byte, error) {
		if c.err != nil {
			return nil, c.err
		}
		if c.ownValue {
			return c.value, nil
		}
		return slices.Clone(c.value), nil
	})
}

// MarshalError encodes err for another process or machine of the same
// program, as a pool's workers send theirs: [UnmarshalError] turns it back
// into an error that matches the same sentinels (those of this package,
// context's, and those registered with [RegisterError]), a
// [*futures.PanicError] for a panic, and a [*RemoteError] otherwise.
func MarshalError(err error) []byte {
	b, merr := marshalMsg(toErrorMsg(err))
	if merr != nil {
		b, _ = marshalMsg(toErrorMsg(fmt.Errorf("mp: encode an error: %w", merr)))
	}
	return b
}

// UnmarshalError decodes an error encoded by [MarshalError]. Bytes that are
// not one fail with an error that says so, never with nil.
func UnmarshalError(b []byte) error {
	var m errorMsg
	if err := unmarshalMsg(b, &m); err != nil {
		return fmt.Errorf("mp: decode a remote error: %w", err)
	}
	return m.rebuild()
}
