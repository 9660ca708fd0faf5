package mp_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// inline is a CallExecutor that runs each call in a goroutine of this
// process by decoding its argument itself, as a remote executor's worker
// would, and records the calls it was given.
type inline struct {
	mu    sync.Mutex
	calls []*mp.Call
	wg    sync.WaitGroup
	fail  error // delivered instead of a result, when set
}

func (e *inline) Execute(futures.Task) error { return mp.ErrNotRegistered }

func (e *inline) Shutdown(ctx context.Context) error {
	e.wg.Wait()
	return nil
}

func (e *inline) ExecuteCall(t futures.Task, c *mp.Call) error {
	e.mu.Lock()
	e.calls = append(e.calls, c)
	e.mu.Unlock()
	e.wg.Go(func() {
		if !t.Begin() {
			return
		}
		if e.fail != nil {
			c.Deliver(nil, e.fail)
			t.Run()
			return
		}
		// The test's functions square ints: a call takes an int, a chunk
		// a []int whose results come back as Map's chunk result, which
		// this executor cannot build, so chunks are delivered as errors.
		if c.Chunk() {
			c.Deliver(nil, errors.New("chunk"))
			t.Run()
			return
		}
		var x int
		err := codec.Default().Unmarshal(c.Arg(), &x)
		var out []byte
		if err == nil {
			out, err = codec.Default().Marshal(x * x)
		}
		c.Deliver(out, err)
		t.Run()
	})
	return nil
}

// TestCallExecutor checks the seam for executors that run registered
// functions elsewhere: Func.Submit hands them a Call with the function's
// name and encoded argument, and the outcome they deliver settles the
// future.
func TestCallExecutor(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	ex := &inline{}
	t.Cleanup(func() { ex.Shutdown(context.Background()) })

	if v, err := square.Submit(ctx, ex, 7).Result(ctx); v != 49 || err != nil {
		t.Fatalf("Submit on a CallExecutor = %v, %v; want 49", v, err)
	}
	ex.mu.Lock()
	c := ex.calls[0]
	ex.mu.Unlock()
	if c.Name() != "square" || c.Chunk() || c.HasHandles() {
		t.Errorf("call: name %q, chunk %v, handles %v", c.Name(), c.Chunk(), c.HasHandles())
	}

	a, b, err := mp.Pipe[int]()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	pipeEx := &inline{fail: errors.New("cannot pass descriptors")}
	t.Cleanup(func() { pipeEx.Shutdown(context.Background()) })
	if _, err := tree.Submit(ctx, pipeEx, b).Result(ctx); err == nil || err.Error() != "cannot pass descriptors" {
		t.Errorf("delivered error = %v", err)
	}
	if c := pipeEx.calls[0]; !c.HasHandles() {
		t.Error("a call whose argument holds a pipe end says it has no handles")
	}

	// A queue travels by address, not descriptor, and is local all the same.
	q := newQueue[int](t, 0)
	queueEx := &inline{fail: errors.New("local")}
	t.Cleanup(func() { queueEx.Shutdown(context.Background()) })
	if _, err := consumer.Submit(ctx, queueEx, q).Result(ctx); err == nil {
		t.Error("the delivered error was lost")
	}
	if c := queueEx.calls[0]; !c.HasHandles() {
		t.Error("a call whose argument holds a queue says it has no handles")
	}

	var got []error
	for _, err := range square.Map(ctx, ex, slices.Values([]int{1, 2}), mp.Chunk(2)) {
		got = append(got, err)
	}
	if len(got) != 2 || got[0] == nil || got[0].Error() != "chunk" {
		t.Errorf("Map on a CallExecutor = %v, want each input failed by its chunk's error", got)
	}
	ex.mu.Lock()
	last := ex.calls[len(ex.calls)-1]
	ex.mu.Unlock()
	if !last.Chunk() {
		t.Error("Map's call is not a chunk")
	}
}
