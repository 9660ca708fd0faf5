package futures

import (
	"context"
	"iter"
	"runtime"
)

// A MapOption configures [Map].
type MapOption interface{ applyMap(*mapConfig) }

type mapConfig struct{ readAhead int }

type mapOptionFunc func(*mapConfig)

func (f mapOptionFunc) applyMap(c *mapConfig) { f(c) }

// ReadAhead sets how many inputs [Map] submits ahead of the result it is
// waiting for: the bound on the tasks in flight and on the memory Map holds.
// The default is twice the executor's size when it reports one with a
// Size() int method, as [ThreadPool] does, else twice GOMAXPROCS. Values
// below 1 mean 1: one task at a time.
func ReadAhead(n int) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.readAhead = max(n, 1) })
}

// Map calls fn on every input on ex and yields the results in the order of
// the inputs, as Python's Executor.map. Inputs are read lazily, no further
// than [ReadAhead] inputs past the result being waited for, so inputs may be
// endless.
//
// A failing call yields its error in its place, and Map goes on with the
// next input; the loop decides whether to stop. When ctx ends, Map yields
// ctx's error once and stops. When the loop stops early (break, return, or
// ctx), Map cancels the tasks it submitted that have not started, cancels
// the context of those that are running, and waits for them to return before
// the loop statement completes, so no task of the loop outlives it and no
// further input is read. fn must therefore heed its ctx.
//
// Every result a loop receives is for one input; a result is never skipped
// or repeated. The sequence may be iterated more than once; each iteration
// reads inputs afresh.
func Map[In, Out any](ctx context.Context, ex Executor, fn func(context.Context, In) (Out, error),
	inputs iter.Seq[In], opts ...MapOption) iter.Seq2[Out, error] {
	cfg := mapConfig{readAhead: 2 * runtime.GOMAXPROCS(0)}
	if s, ok := ex.(interface{ Size() int }); ok && s.Size() > 0 {
		cfg.readAhead = 2 * s.Size()
	}
	for _, o := range opts {
		o.applyMap(&cfg)
	}
	return func(yield func(Out, error) bool) {
		mctx, cancel := context.WithCancel(ctx)
		var window fifo[*Future[Out]]
		defer func() {
			cancel()
			for f := range window.all() {
				f.Cancel()
				<-f.Done()
			}
		}()
		// emit yields the oldest result and reports whether to go on.
		emit := func() bool {
			f, _ := window.pop()
			v, err := f.Result(ctx)
			if !yield(v, err) {
				return false
			}
			return err == nil || ctx.Err() == nil
		}
		for in := range inputs {
			if window.len() == cfg.readAhead && !emit() {
				return
			}
			var call func(context.Context) (Out, error) // nil fn: Submit fails each call
			if fn != nil {
				call = func(c context.Context) (Out, error) { return fn(c, in) }
			}
			window.push(Submit(mctx, ex, call))
		}
		for window.len() > 0 {
			if !emit() {
				return
			}
		}
	}
}

// fifo is a small growable queue.
type fifo[T any] struct {
	buf        []T
	head, size int
}

func (q *fifo[T]) len() int { return q.size }

func (q *fifo[T]) push(v T) {
	if q.size == len(q.buf) {
		buf := make([]T, max(8, 2*len(q.buf)))
		n := copy(buf, q.buf[q.head:])
		copy(buf[n:], q.buf[:q.head])
		q.buf, q.head = buf, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = v
	q.size++
}

func (q *fifo[T]) pop() (T, bool) {
	var zero T
	if q.size == 0 {
		return zero, false
	}
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) % len(q.buf)
	q.size--
	return v, true
}

// all pops every element, oldest first.
func (q *fifo[T]) all() iter.Seq[T] {
	return func(yield func(T) bool) {
		for v, ok := q.pop(); ok; v, ok = q.pop() {
			if !yield(v) {
				return
			}
		}
	}
}
