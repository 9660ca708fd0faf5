package futures_test

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/multitask-go/multitask/futures"
)

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

// counting yields 0, 1, 2, ... up to n (forever when n < 0) and counts the
// inputs read.
func counting(n int, read *atomic.Int32) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; n < 0 || i < n; i++ {
			read.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func TestMapOrder(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 4)
	var read atomic.Int32
	var got []int
	for v, err := range futures.Map(ctx, p, double, counting(1000, &read)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	for i, v := range got {
		if v != 2*i {
			t.Fatalf("result %d = %d: out of input order", i, v)
		}
	}
	if len(got) != 1000 {
		t.Fatalf("%d results for 1000 inputs", len(got))
	}
}

func TestMapEmpty(t *testing.T) {
	t.Parallel()
	for range futures.Map(guard(t), newPool(t, 1), double, slices.Values([]int(nil))) {
		t.Fatal("result from no input")
	}
}

func TestMapReadAheadIsBounded(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 2)
	var read atomic.Int32
	n := 0
	for _, err := range futures.Map(ctx, p, double, counting(-1, &read), futures.ReadAhead(3)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		// Result n came after at most n+3 inputs were read: the n results
		// taken plus a window of 3 (the current one among them).
		if r := int(read.Load()); r > n+3 {
			t.Fatalf("after %d results, %d inputs read; read-ahead is 3", n, r)
		}
		if n == 100 {
			break
		}
	}
}

func TestMapErrorsInPlace(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	errOdd := errors.New("odd")
	fn := func(_ context.Context, x int) (int, error) {
		if x%2 == 1 {
			return 0, errOdd
		}
		if x == 4 {
			panic("four")
		}
		return x, nil
	}
	i := 0
	for v, err := range futures.Map(ctx, newPool(t, 2), fn, slices.Values([]int{0, 1, 2, 3, 4, 5, 6})) {
		var pe *futures.PanicError
		switch {
		case i == 4:
			if !errors.As(err, &pe) {
				t.Fatalf("input 4: %v, want a PanicError", err)
			}
		case i%2 == 1:
			if !errors.Is(err, errOdd) {
				t.Fatalf("input %d: %v, want errOdd", i, err)
			}
		case err != nil || v != i:
			t.Fatalf("input %d: %v, %v", i, v, err)
		}
		i++
	}
	if i != 7 {
		t.Fatalf("%d results for 7 inputs: Map stopped at an error", i)
	}
}

func TestMapBreakStopsEverything(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 2)
	var read, running atomic.Int32
	var sawCancel atomic.Bool
	fn := func(ctx context.Context, x int) (int, error) {
		running.Add(1)
		defer running.Add(-1)
		if x == 0 {
			return 0, nil
		}
		<-ctx.Done() // every later task holds on until Map cancels it
		sawCancel.Store(true)
		return 0, ctx.Err()
	}
	for range futures.Map(ctx, p, fn, counting(-1, &read), futures.ReadAhead(4)) {
		break
	}
	if n := running.Load(); n != 0 {
		t.Fatalf("%d tasks still running after the loop", n)
	}
	if !sawCancel.Load() {
		t.Fatal("no running task saw its context cancelled")
	}
	after := read.Load()
	if after > 5 {
		t.Fatalf("%d inputs read for one result with read-ahead 4", after)
	}
	// Nothing reads inputs any more.
	if _, err := futures.Submit(ctx, p, value(0)).Result(ctx); err != nil || read.Load() != after {
		t.Fatalf("inputs read after the loop ended: %d then %d (%v)", after, read.Load(), err)
	}
}

func TestMapContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	p := newPool(t, 2)
	var read atomic.Int32
	var errs []error
	n := 0
	for _, err := range futures.Map(ctx, p, double, counting(-1, &read)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("errors after cancel: %v, want exactly one context.Canceled", errs)
	}
}

func TestMapNilFunction(t *testing.T) {
	t.Parallel()
	n := 0
	for _, err := range futures.Map[int, int](guard(t), newPool(t, 1), nil, slices.Values([]int{1, 2})) {
		if err == nil {
			t.Fatal("nil function gave a result")
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d errors for 2 inputs", n)
	}
}

func TestMapTwice(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	seq := futures.Map(ctx, newPool(t, 2), double, slices.Values([]int{1, 2, 3}))
	for range 2 {
		var got []int
		for v, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !slices.Equal(got, []int{2, 4, 6}) {
			t.Fatalf("got %v", got)
		}
	}
}

func TestMapUnordered(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	gate := make(chan struct{})
	fn := func(ctx context.Context, x int) (int, error) {
		if x == 0 {
			// Input 0 finishes only after the loop has seen another
			// result: in input order, the loop would wait forever.
			select {
			case <-gate:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		return x, nil
	}
	seen := make([]bool, 8)
	var order []int
	for v, err := range futures.Map(ctx, newPool(t, 4), fn, counting(8, new(atomic.Int32)), futures.Unordered(), futures.ReadAhead(4)) {
		if err != nil || seen[v] {
			t.Fatalf("result %d, %v: failed or repeated", v, err)
		}
		seen[v] = true
		if order = append(order, v); len(order) == 1 {
			close(gate)
		}
	}
	if slices.Contains(seen, false) || order[0] == 0 {
		t.Fatalf("results in the order %v", order)
	}
}

func TestMapProgress(t *testing.T) {
	t.Parallel()
	for _, unordered := range []bool{false, true} {
		opts := []futures.MapOption{futures.ReadAhead(3)}
		if unordered {
			opts = append(opts, futures.Unordered())
		}
		type report struct{ done, submitted int }
		var got []report
		results := 0
		opts = append(opts, futures.Progress(func(done, submitted int) {
			got = append(got, report{done, submitted})
		}))
		for _, err := range futures.Map(guard(t), newPool(t, 2), double, counting(20, new(atomic.Int32)), opts...) {
			if err != nil {
				t.Fatal(err)
			}
			// Progress follows the body of the loop that took the result.
			if len(got) != results {
				t.Fatalf("unordered %v: %d reports before result %d", unordered, len(got), results+1)
			}
			results++
		}
		for i, r := range got {
			if r.done != i+1 || r.submitted < r.done || r.submitted > r.done+3 {
				t.Fatalf("unordered %v: report %d is %+v", unordered, i, r)
			}
		}
		if len(got) != 20 || got[19] != (report{20, 20}) {
			t.Fatalf("unordered %v: reports %v", unordered, got)
		}
	}
}

func TestMapUnorderedStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stop  func(cancel context.CancelFunc) bool // true: break
		wantN int                                  // errors wanted
	}{
		{"break", func(context.CancelFunc) bool { return true }, 0},
		{"context", func(cancel context.CancelFunc) bool { cancel(); return false }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(guard(t))
			defer cancel()
			p := newPool(t, 2)
			var read, running atomic.Int32
			fn := func(ctx context.Context, x int) (int, error) {
				running.Add(1)
				defer running.Add(-1)
				if x == 0 {
					return 0, nil
				}
				<-ctx.Done()
				return 0, ctx.Err()
			}
			var errs []error
			for _, err := range futures.Map(ctx, p, fn, counting(-1, &read), futures.Unordered(), futures.ReadAhead(4)) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if tt.stop(cancel) {
					break
				}
			}
			if n := running.Load(); n != 0 {
				t.Fatalf("%d tasks still running after the loop", n)
			}
			if len(errs) != tt.wantN || (tt.wantN == 1 && !errors.Is(errs[0], context.Canceled)) {
				t.Fatalf("errors %v, want %d context.Canceled", errs, tt.wantN)
			}
			if r := read.Load(); r > 4 {
				t.Fatalf("%d inputs read with read-ahead 4", r)
			}
		})
	}
}

func TestMapFuturesContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	p := newPool(t, 2)
	submit := func(ctx context.Context, x int) *futures.Future[int] {
		return futures.Submit(ctx, p, func(context.Context) (int, error) { return x, nil })
	}
	n, errs := 0, 0
	for f, err := range futures.MapFutures(ctx, submit, counting(-1, new(atomic.Int32))) {
		if err != nil {
			if f != nil || !errors.Is(err, context.Canceled) {
				t.Fatalf("at ctx's end: %v, %v", f, err)
			}
			errs++
			continue
		}
		if v, err := f.Result(ctx); err != nil || v != n {
			t.Fatalf("future %d: %d, %v", n, v, err)
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if errs != 1 {
		t.Fatalf("%d errors after cancel, want 1", errs)
	}
}
