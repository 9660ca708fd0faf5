package mp

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"runtime"
	"sync"
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
func (f *Func[In, Out]) Map(ctx context.Context, ex futures.Executor, inputs iter.Seq[In], opts ...MapOption) iter.Seq2[Out, error] {
	var cfg mapConfig
	for _, o := range opts {
		if o != nil {
			o.applyMap(&cfg)
		}
	}
	return func(yield func(Out, error) bool) {
		m := mapRun[In, Out]{f: f, ex: ex, cfg: cfg, yield: yield, chunk: cfg.chunk, notify: make(chan struct{}, 1)}
		if m.chunk == 0 {
			m.chunk = 1
		}
		m.size = runtime.GOMAXPROCS(0)
		if s, ok := ex.(interface{ Size() int }); ok {
			m.size = s.Size()
		}
		m.run(ctx, inputs)
	}
}

// mapRun is one iteration of a Map.
type mapRun[In, Out any] struct {
	f     *Func[In, Out]
	ex    futures.Executor
	cfg   mapConfig
	yield func(Out, error) bool
	size  int // the executor's workers
	chunk int

	pending []*mapChunk[Out] // in input order
	items   int              // inputs in pending
	read    int              // inputs read
	done    int              // results yielded

	mu       sync.Mutex // guards finished
	finished []*mapChunk[Out]
	notify   chan struct{}
}

type mapChunk[Out any] struct {
	fut *futures.Future[batch[Out]]
	n   int
}

func (m *mapRun[In, Out]) run(parent context.Context, inputs iter.Seq[In]) {
	ctx, cancel := context.WithCancel(parent)
	next, stop := iter.Pull(inputs)
	defer func() {
		stop()
		cancel()
		for _, c := range m.pending {
			c.fut.Cancel()
		}
		for _, c := range m.pending {
			<-c.fut.Done()
		}
	}()
	exhausted := false
	for {
		for !exhausted && m.items < m.limit() {
			ins := make([]In, 0, m.chunk)
			for len(ins) < m.chunk {
				in, ok := next()
				if !ok {
					exhausted = true
					break
				}
				ins = append(ins, in)
			}
			if len(ins) > 0 {
				m.submit(ctx, ins)
			}
		}
		if len(m.pending) == 0 {
			return
		}
		c, err := m.take(parent)
		if err != nil {
			var zero Out
			m.yield(zero, err)
			return
		}
		if !m.deliver(c) {
			return
		}
	}
}

// limit is how many inputs may be in flight.
func (m *mapRun[In, Out]) limit() int {
	if m.cfg.readAhead > 0 {
		return m.cfg.readAhead
	}
	return 4 * m.size * m.chunk
}

func (m *mapRun[In, Out]) submit(ctx context.Context, ins []In) {
	c := &mapChunk[Out]{fut: m.f.submitChunk(ctx, m.ex, ins), n: len(ins)}
	m.pending = append(m.pending, c)
	m.items += c.n
	m.read += c.n
	if m.cfg.unordered {
		c.fut.OnDone(func() {
			m.mu.Lock()
			m.finished = append(m.finished, c)
			m.mu.Unlock()
			select {
			case m.notify <- struct{}{}:
			default:
			}
		})
	}
}

// take waits for the next chunk to yield: the first pending one, or with
// Unordered the first to finish. It fails when ctx ends first.
func (m *mapRun[In, Out]) take(ctx context.Context) (*mapChunk[Out], error) {
	if !m.cfg.unordered {
		c := m.pending[0]
		select {
		case <-c.fut.Done():
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m.pending = m.pending[1:]
		return c, nil
	}
	for {
		m.mu.Lock()
		if len(m.finished) > 0 {
			c := m.finished[0]
			m.finished = m.finished[1:]
			m.mu.Unlock()
			for i, p := range m.pending {
				if p == c {
					m.pending = append(m.pending[:i], m.pending[i+1:]...)
					break
				}
			}
			return c, nil
		}
		m.mu.Unlock()
		select {
		case <-m.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// deliver yields the results of c, adapts the chunk size to how long it
// ran, and reports whether the loop goes on.
func (m *mapRun[In, Out]) deliver(c *mapChunk[Out]) bool {
	m.items -= c.n
	r, err := c.fut.Result(context.Background())
	for i := range c.n {
		var out Out
		e := err
		if err == nil {
			out = r.outs[i]
			if r.errs != nil {
				e = r.errs[i]
			}
		}
		if !m.yield(out, e) {
			return false
		}
	}
	m.done += c.n
	if m.cfg.progress != nil {
		m.cfg.progress(m.done, m.read)
	}
	if err == nil && m.cfg.chunk == 0 && r.nanos > 0 {
		if _, elsewhere := m.ex.(CallExecutor); elsewhere {
			perItem := max(r.nanos/uint64(c.n), 1)
			m.chunk = int(min(max(uint64(chunkTarget)/perItem, 1), maxChunk))
		}
	}
	return true
}
