package futures

import (
	"context"
	"iter"
	"runtime"
)

// A MapOption configures [Map] and [MapFutures].
type MapOption interface{ applyMap(*mapConfig) }

type mapConfig struct {
	readAhead int // 0: chosen from the executor
	unordered bool
	progress  func(done, submitted int)
}

type mapOptionFunc func(*mapConfig)

func (f mapOptionFunc) applyMap(c *mapConfig) { f(c) }

// ReadAhead sets how many inputs [Map] submits ahead of the result it is
// waiting for: the bound on the tasks in flight and on the memory Map holds.
// The default is twice the executor's size when it reports one with a
// Size() int method, as [ThreadPool] does, else twice GOMAXPROCS. Values
// below 1 mean 1: one task at a time. For [MapFutures] it bounds the
// futures in flight; its default there is twice GOMAXPROCS.
func ReadAhead(n int) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.readAhead = max(n, 1) })
}

// Unordered makes [Map] and [MapFutures] yield results as they finish
// rather than in the order of the inputs, as Python's
// Pool.imap_unordered: one slow task then holds back only its own result.
func Unordered() MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.unordered = true })
}

// Progress makes [Map] and [MapFutures] call fn after the loop has taken
// each result: done results so far, of submitted inputs. fn runs in the
// goroutine of the loop, between two turns of its body, so it needs no
// lock; it suits a progress bar.
func Progress(fn func(done, submitted int)) MapOption {
	return mapOptionFunc(func(c *mapConfig) { c.progress = fn })
}

// Map calls fn on every input on ex and yields the results in the order of
// the inputs, as Python's Executor.map (or as they finish, with
// [Unordered]). Inputs are read lazily, no further than [ReadAhead] inputs
// past the result being waited for, so inputs may be endless.
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
	readAhead := 2 * runtime.GOMAXPROCS(0)
	if s, ok := ex.(interface{ Size() int }); ok && s.Size() > 0 {
		readAhead = 2 * s.Size()
	}
	// The default goes first, so that the caller's ReadAhead wins.
	opts = append([]MapOption{ReadAhead(readAhead)}, opts...)
	submit := func(ctx context.Context, in In) *Future[Out] {
		var call func(context.Context) (Out, error) // nil fn: Submit fails each call
		if fn != nil {
			call = func(c context.Context) (Out, error) { return fn(c, in) }
		}
		return Submit(ctx, ex, call)
	}
	return func(yield func(Out, error) bool) {
		for f, err := range MapFutures(ctx, submit, inputs, opts...) {
			if err != nil {
				var zero Out
				yield(zero, err)
				return
			}
			if !yield(f.Result(context.Background())) { // f is done: no wait
				return
			}
		}
	}
}

// MapFutures is the engine of [Map] for callers that submit each input
// themselves: to an executor of their choice, with a context or a chunk
// of their own. It calls submit on each input, in the goroutine of the
// loop and with a context that ends when the loop does, and yields each
// future once it is done, with a nil error: in the order of the inputs, or
// as they finish with [Unordered]. The loop reads the future's outcome
// with [Future.Result] or [Future.Err], which do not wait then. submit
// must not return nil.
//
// Inputs are read lazily: no input is read while [ReadAhead] futures (by
// default twice GOMAXPROCS) are in flight. When ctx ends, MapFutures yields
// a nil future with ctx's error once and stops; a future that is done by
// then is not yielded. When the loop stops early (break, return, or ctx),
// MapFutures cancels the futures it holds, cancels the context it gave
// submit, and waits for every future to be done before the loop statement
// completes, so no task of the loop outlives it and no further input is
// read.
//
// Every future is yielded at most once. The sequence may be iterated more
// than once; each iteration reads inputs afresh.
func MapFutures[In, Out any](ctx context.Context, submit func(ctx context.Context, in In) *Future[Out],
	inputs iter.Seq[In], opts ...MapOption) iter.Seq2[*Future[Out], error] {
	cfg := mapConfig{readAhead: 2 * runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		if o != nil {
			o.applyMap(&cfg)
		}
	}
	return func(yield func(*Future[Out], error) bool) {
		mctx, cancel := context.WithCancel(ctx)
		w := newWindow[Out](cfg)
		defer func() {
			cancel()
			w.stop()
		}()
		done, submitted := 0, 0
		// next yields the next future to finish and reports whether to go on.
		next := func() bool {
			f, err := w.take(ctx)
			if err == nil {
				err = ctx.Err() // a future that ctx's end settled is not a result
			}
			if err != nil {
				yield(nil, err)
				return false
			}
			if !yield(f, nil) {
				return false
			}
			if done++; cfg.progress != nil {
				cfg.progress(done, submitted)
			}
			return true
		}
		for in := range inputs {
			w.add(submit(mctx, in))
			submitted++
			for w.len() >= cfg.readAhead {
				if !next() {
					return
				}
			}
			if err := ctx.Err(); err != nil { // read no input for a loop that is over
				yield(nil, err)
				return
			}
		}
		for w.len() > 0 {
			if !next() {
				return
			}
		}
	}
}

// A window holds the futures of a [MapFutures] loop that it has not
// yielded yet. Only the loop's goroutine uses it.
type window[T any] struct {
	ordered fifo[*Future[T]] // in input order, unless unordered

	// With Unordered: the futures in flight, and each of them once it is
	// done, in the order they finish. finished has room for every future
	// in flight, so that a future's callback never blocks.
	unordered bool
	inFlight  map[*Future[T]]struct{}
	finished  chan *Future[T]
}

func newWindow[T any](cfg mapConfig) *window[T] {
	w := &window[T]{unordered: cfg.unordered}
	if w.unordered {
		w.inFlight = make(map[*Future[T]]struct{}, cfg.readAhead)
		w.finished = make(chan *Future[T], cfg.readAhead)
	}
	return w
}

func (w *window[T]) len() int {
	if w.unordered {
		return len(w.inFlight)
	}
	return w.ordered.len()
}

func (w *window[T]) add(f *Future[T]) {
	if !w.unordered {
		w.ordered.push(f)
		return
	}
	w.inFlight[f] = struct{}{}
	f.OnDone(func() { w.finished <- f })
}

// take waits for the next future to yield: the oldest, or with Unordered
// the first to finish. It fails with ctx's error when ctx ends first, and
// then leaves the window as it was.
func (w *window[T]) take(ctx context.Context) (*Future[T], error) {
	if w.unordered {
		select {
		case f := <-w.finished:
			delete(w.inFlight, f)
			return f, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f, _ := w.ordered.peek()
	select {
	case <-f.Done():
		w.ordered.pop()
		return f, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stop cancels every future in the window and waits for each to be done.
func (w *window[T]) stop() {
	if w.unordered {
		for f := range w.inFlight {
			f.Cancel()
		}
		for f := range w.inFlight {
			<-f.Done()
		}
		clear(w.inFlight)
		return
	}
	for f := range w.ordered.each() {
		f.Cancel()
	}
	for f := range w.ordered.all() {
		<-f.Done()
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

// peek returns the oldest element without removing it.
func (q *fifo[T]) peek() (T, bool) {
	if q.size == 0 {
		var zero T
		return zero, false
	}
	return q.buf[q.head], true
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

// each yields every element, oldest first, and leaves them in place.
func (q *fifo[T]) each() iter.Seq[T] {
	return func(yield func(T) bool) {
		for i := range q.size {
			if !yield(q.buf[(q.head+i)%len(q.buf)]) {
				return
			}
		}
	}
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
