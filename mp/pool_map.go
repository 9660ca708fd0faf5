package mp

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"runtime"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// encodeBatch encodes the results of a chunk: the length of the encoded
// values, the values, then the errors by index, if any.
func encodeBatch[Out any](name string, outs []Out, errs map[int]*errorMsg) ([]byte, error) {
	s, err := encodeResult(outs)
	if err != nil {
		return nil, fmt.Errorf("mp: encode the results of %q: %w", name, err)
	}
	vb := s.Bytes()
	b := binary.AppendUvarint(make([]byte, 0, len(vb)+binary.MaxVarintLen64), uint64(len(vb)))
	b = append(b, vb...)
	if len(errs) > 0 {
		eb, err := marshalMsg(errs)
		if err != nil {
			return nil, fmt.Errorf("mp: encode the errors of %q: %w", name, err)
		}
		b = append(b, eb...)
	}
	return b, nil
}

// A batch is the outcome of a chunk of inputs, one entry each.
type batch[Out any] struct {
	outs  []Out
	errs  []error // nil when none failed
	nanos uint64  // how long the chunk ran
}

func decodeBatch[Out any](name string, b []byte, n int) (batch[Out], error) {
	var r batch[Out]
	l, k := binary.Uvarint(b)
	if k <= 0 || l > uint64(len(b)-k) {
		return r, fmt.Errorf("mp: the results of %q: %w", name, pw.ErrShortFrame)
	}
	if err := codec.Default().Unmarshal(b[k:k+int(l)], &r.outs); err != nil {
		return r, fmt.Errorf("mp: decode the results of %q: %w", name, err)
	}
	if len(r.outs) != n {
		return r, fmt.Errorf("mp: %d results of %q for %d inputs", len(r.outs), name, n)
	}
	if rest := b[k+int(l):]; len(rest) > 0 {
		var errs map[int]*errorMsg
		if err := unmarshalMsg(rest, &errs); err != nil {
			return r, fmt.Errorf("mp: decode the errors of %q: %w", name, err)
		}
		r.errs = make([]error, n)
		for i, em := range errs {
			if i >= 0 && i < n && em != nil {
				r.errs[i] = em.rebuild()
			}
		}
	}
	return r, nil
}

// submitChunk submits f on every input of ins as one task: on a
// CallExecutor, one call (one message each way on a Pool); elsewhere, one
// task that calls f in turn.
func (f *Func[In, Out]) submitChunk(ctx context.Context, ex futures.Executor, ins []In) *futures.Future[batch[Out]] {
	ce, ok := ex.(CallExecutor)
	if !ok {
		return futures.Submit(ctx, ex, func(ctx context.Context) (batch[Out], error) {
			r := batch[Out]{outs: make([]Out, len(ins))}
			start := time.Now()
			for i, in := range ins {
				out, err := f.Call(ctx, in)
				if err != nil {
					if r.errs == nil {
						r.errs = make([]error, len(ins))
					}
					r.errs[i] = err
				}
				r.outs[i] = out
			}
			r.nanos = uint64(time.Since(start))
			return r, nil
		})
	}
	c, err := newCall(ce, f.name, ins, true)
	if err != nil {
		return failed[batch[Out]](ctx, err)
	}
	return futures.Submit(ctx, (*submission)(c), func(context.Context) (batch[Out], error) {
		if c.err != nil {
			return batch[Out]{}, c.err
		}
		r, err := decodeBatch[Out](f.name, c.value, len(ins))
		r.nanos = c.nanos
		return r, err
	})
}

// chunkTarget is how long an adaptive chunk aims to run in a worker.
const chunkTarget = time.Millisecond

// maxChunk bounds an adaptive chunk.
const maxChunk = 1024

// Map calls the function on every input on ex and yields the results in
// the order of the inputs, as Python's Executor.map (or as they finish,
// with [Unordered]). Inputs are read lazily, no further ahead than
// [ReadAhead], so they may be endless.
//
// On a [CallExecutor] such as a [Pool], inputs travel in chunks, so that
// tiny functions cost a fraction of a message each: by default the chunk
// grows from 1 until a chunk runs for about a millisecond (as far as the
// executor tells how long it ran); [Chunk] fixes it. Every input gets
// its own result or error; a chunk whose worker dies fails each of its
// inputs with that error.
//
// A failing call yields its error in its place and Map goes on; the loop
// decides whether to stop. When ctx ends, Map yields ctx's error once and
// stops. When the loop stops early, Map cancels what it submitted that has
// not begun, cancels the context of what runs (on a Pool, a task that
// does not return within the grace period is killed with its worker), and
// waits for all of it before the loop statement completes.
//
// The chunks run through [futures.MapFutures], which keeps the window of
// chunks in flight, the order of the results and the rules above.
func (f *Func[In, Out]) Map(ctx context.Context, ex futures.Executor, inputs iter.Seq[In], opts ...MapOption) iter.Seq2[Out, error] {
	var cfg mapConfig
	for _, o := range opts {
		if o != nil {
			o.applyMap(&cfg)
		}
	}
	return func(yield func(Out, error) bool) {
		m := newMapRun[In, Out](ex, cfg)
		submit := func(ctx context.Context, ins []In) *futures.Future[batch[Out]] {
			fut := f.submitChunk(ctx, ex, ins)
			m.sizes[fut] = len(ins)
			return fut
		}
		for fut, err := range futures.MapFutures(ctx, submit, m.chunks(inputs), m.engineOptions()...) {
			if err != nil {
				var zero Out
				yield(zero, err)
				return
			}
			if !m.deliver(fut, yield) {
				return
			}
		}
	}
}

// mapRun is the state of one iteration of a Map. Only the loop's
// goroutine uses it: the chunks are read, and their results delivered,
// in the goroutine that runs the loop.
type mapRun[In, Out any] struct {
	cfg    mapConfig
	adapt  bool                                // the chunk size follows the chunks' running time
	chunk  int                                 // the size of the next chunk
	most   int                                 // the largest chunk, which keeps ReadAhead's bound
	window int                                 // the chunks in flight
	read   int                                 // inputs read
	done   int                                 // results yielded
	sizes  map[*futures.Future[batch[Out]]]int // the inputs of each chunk in flight, for a chunk that fails whole
}

func newMapRun[In, Out any](ex futures.Executor, cfg mapConfig) *mapRun[In, Out] {
	size := runtime.GOMAXPROCS(0)
	if s, ok := ex.(interface{ Size() int }); ok && s.Size() > 0 {
		size = s.Size()
	}
	_, elsewhere := ex.(CallExecutor)
	m := &mapRun[In, Out]{
		cfg:    cfg,
		adapt:  elsewhere && cfg.chunk == 0,
		chunk:  max(cfg.chunk, 1),
		most:   maxChunk,
		window: 4 * size, // enough chunks to keep every worker busy
		sizes:  make(map[*futures.Future[batch[Out]]]int),
	}
	switch {
	case cfg.readAhead == 0:
	case cfg.chunk > 0:
		// A fixed chunk is kept even above the read-ahead: one in flight.
		m.window = max(cfg.readAhead/cfg.chunk, 1)
	default:
		// ReadAhead counts inputs: window chunks of at most most inputs.
		m.window = min(m.window, cfg.readAhead)
		m.most = cfg.readAhead / m.window
	}
	if !m.adapt {
		m.most = m.chunk
	}
	return m
}

// engineOptions are the options of futures.MapFutures for this run.
func (m *mapRun[In, Out]) engineOptions() []futures.MapOption {
	opts := []futures.MapOption{futures.ReadAhead(m.window)}
	if m.cfg.unordered {
		opts = append(opts, futures.Unordered())
	}
	if fn := m.cfg.progress; fn != nil {
		// The engine counts chunks; the caller is told of inputs.
		opts = append(opts, futures.Progress(func(int, int) { fn(m.done, m.read) }))
	}
	return opts
}

// chunks cuts inputs into chunks of the size m.chunk has when each chunk
// begins, which deliver may have changed since the previous one.
func (m *mapRun[In, Out]) chunks(inputs iter.Seq[In]) iter.Seq[[]In] {
	return func(yield func([]In) bool) {
		var ins []In
		size := 0
		for in := range inputs {
			if ins == nil {
				size = min(m.chunk, m.most)
				ins = make([]In, 0, size)
			}
			if ins = append(ins, in); len(ins) < size {
				continue
			}
			m.read += len(ins)
			if !yield(ins) {
				return
			}
			ins = nil
		}
		if len(ins) > 0 {
			m.read += len(ins)
			yield(ins)
		}
	}
}

// deliver yields the results of the chunk fut, which is done, adapts the
// chunk size to how long it ran, and reports whether the loop goes on.
func (m *mapRun[In, Out]) deliver(fut *futures.Future[batch[Out]], yield func(Out, error) bool) bool {
	n := m.sizes[fut]
	delete(m.sizes, fut)
	r, err := fut.Result(context.Background()) // done: no wait
	for i := range n {
		var out Out
		e := err
		if err == nil {
			out = r.outs[i]
			if r.errs != nil {
				e = r.errs[i]
			}
		}
		if !yield(out, e) {
			return false
		}
	}
	m.done += n
	if err == nil && m.adapt && r.nanos > 0 {
		perItem := max(r.nanos/uint64(n), 1)
		m.chunk = int(min(max(uint64(chunkTarget)/perItem, 1), maxChunk))
	}
	return true
}
