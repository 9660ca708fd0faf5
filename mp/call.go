package mp

import (
	"context"
	"fmt"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
)

// A CallExecutor runs registered functions by name somewhere other than the
// caller's process: a [Pool] in its worker processes, a cluster executor on
// other machines. [Func.Submit] and [Func.Map] hand it a [Call], the
// function's name and its encoded argument, where a closure could not
// cross; on any other futures.Executor they submit a plain call of the
// function instead.
//
// ExecuteCall has the contract of futures.Executor's Execute: it schedules
// the call to run once and returns without waiting, and an error means the
// call was not accepted and will never run. t is the task of the call's
// future, and the executor ends it exactly once: with [Call.Deliver]
// (after [Call.Ran], if it knows how long the call ran) followed by t.Run,
// which settles the future with the delivered outcome,
// or with t.Cancel or t.Reject. An executor that runs the call elsewhere
// marks the task begun with t.Begin when the call starts there, so that
// cancellation stops at that point. Its Execute, which can only be given a
// closure, should fail with an error that matches [ErrNotRegistered].
type CallExecutor interface {
	futures.Executor
	ExecuteCall(t futures.Task, c *Call) error
}

// A Call is one call of a registered function on its way to a
// [CallExecutor]: the function's name, its argument encoded with the
// default codec, and, once the call has run, its outcome. [Func.Submit] and
// [Func.Map] make it; the executor reads it and delivers the outcome.
type Call struct {
	ex    CallExecutor
	fn    string
	arg   codec.Spliced // its long strings are the caller's memory, written from there
	hs    []handle      // the handles in arg that have descriptors
	local bool          // arg holds handles of any kind, which work only on this machine
	chunk bool          // arg is a chunk of Map's inputs

	// The outcome, delivered before the executor runs the task, whose
	// function reads it. With ownValue, value is memory of its own that the
	// result may keep; otherwise it is reused once the task's function has
	// returned.
	value    []byte
	ownValue bool
	err      error
	nanos    uint64 // time the function ran, for Map's chunk sizing; 0 if unknown
}

// newCall encodes a call of fn with in for ex. A chunk holds a slice of
// Map's inputs.
func newCall(ex CallExecutor, fn string, in any, chunk bool) (*Call, error) {
	arg, hs, err := encodeArgSpliced(in, splice)
	if err != nil {
		return nil, fmt.Errorf("mp: encode the argument of %q: %w", fn, err)
	}
	if n := arg.Len(); n > MaxValue {
		return nil, fmt.Errorf("mp: the argument of %q: %w: %d bytes encoded, at most %d cross in one message",
			fn, ErrTooLarge, n, MaxValue)
	}
	c := &Call{ex: ex, fn: fn, arg: arg, chunk: chunk, local: len(hs) > 0}
	for _, h := range hs {
		fs, err := h.handleFiles()
		if err != nil {
			return nil, fmt.Errorf("mp: the argument of %q: %w", fn, err)
		}
		if len(fs) > 0 {
			c.hs = append(c.hs, h)
		}
	}
	return c, nil
}

// Name returns the name the called function was registered under.
func (c *Call) Name() string { return c.fn }

// Chunk reports whether the argument is a chunk of [Func.Map]'s inputs,
// encoded as one slice: the function is to be called on each in turn, and
// the result is the chunk's results and errors in one value.
func (c *Call) Chunk() bool { return c.chunk }

// Arg returns the encoded argument. A big argument whose long strings were
// left in the caller's memory is joined into a new slice at each call.
func (c *Call) Arg() []byte { return c.arg.Bytes() }

// HasHandles reports whether the argument holds handles: pipe ends,
// queues, locks or shared memory. They work only between processes of this
// machine (a queue is reached at a local address, the others travel as
// descriptors with the call), so an executor that runs calls on other
// machines rejects such a call.
func (c *Call) HasHandles() bool { return c.local }

// Deliver records the call's outcome: the encoded result the function
// returned, or its error (nil result then). The executor calls it once,
// before it runs the call's task to settle the future; result must not be
// changed afterwards.
func (c *Call) Deliver(result []byte, err error) {
	c.value, c.ownValue, c.err = result, true, err
}

// Ran records how long the function ran where the executor ran it, which
// [Func.Map] sizes its chunks by: an executor that knows calls it before
// Deliver. Map's chunks stay at one input on an executor that never does.
func (c *Call) Ran(d time.Duration) {
	if d > 0 {
		c.nanos = uint64(d)
	}
}

// submission is a Call seen as the futures.Executor that futures.Submit
// hands the call's task to: it passes the task on to the call's executor.
type submission Call

func (s *submission) Execute(t futures.Task) error {
	c := (*Call)(s)
	return c.ex.ExecuteCall(t, c)
}

func (s *submission) Shutdown(ctx context.Context) error { return s.ex.Shutdown(ctx) }
