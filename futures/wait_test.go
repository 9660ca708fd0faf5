package futures_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/multitask-go/multitask/futures"
)

// gated returns a future that finishes with (v, err) when its gate closes.
type gated struct {
	f    *futures.Future[int]
	gate chan struct{}
}

func newGated(t *testing.T, p *futures.ThreadPool, v int, err error) gated {
	t.Helper()
	g := gated{gate: make(chan struct{})}
	g.f = futures.Submit(context.Background(), p, func(context.Context) (int, error) {
		<-g.gate
		return v, err
	})
	t.Cleanup(g.finish)
	return g
}

func (g gated) finish() {
	select {
	case <-g.gate:
	default:
		close(g.gate)
	}
}

func TestWaitEmpty(t *testing.T) {
	t.Parallel()
	for _, when := range []futures.ReturnWhen{futures.FirstCompleted, futures.FirstException, futures.AllCompleted} {
		done, pending, err := futures.Wait[*futures.Future[int]](guard(t), nil, when)
		if len(done) != 0 || len(pending) != 0 || err != nil {
			t.Fatalf("%v on nothing: %v, %v, %v", when, done, pending, err)
		}
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	errBoom := errors.New("boom")

	t.Run("FirstCompleted", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 3)
		a, b, c := newGated(t, p, 1, nil), newGated(t, p, 2, nil), newGated(t, p, 3, nil)
		b.finish()
		done, pending, err := futures.Wait(ctx, []*futures.Future[int]{a.f, b.f, c.f}, futures.FirstCompleted)
		if err != nil || !slices.Contains(done, b.f) || slices.Contains(pending, b.f) || len(done)+len(pending) != 3 {
			t.Fatalf("done %d pending %d err %v", len(done), len(pending), err)
		}
	})
	t.Run("FirstException", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 3)
		ok, bad, slow := newGated(t, p, 1, nil), newGated(t, p, 0, errBoom), newGated(t, p, 3, nil)
		ok.finish()
		<-ok.f.Done()
		bad.finish()
		done, pending, err := futures.Wait(ctx, []*futures.Future[int]{ok.f, bad.f, slow.f}, futures.FirstException)
		if err != nil || !slices.Equal(done, []*futures.Future[int]{ok.f, bad.f}) || !slices.Equal(pending, []*futures.Future[int]{slow.f}) {
			t.Fatalf("done %v pending %v err %v", done, pending, err)
		}
	})
	t.Run("FirstException ignores cancelled", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 1)
		occupy(t, p)
		queued := futures.Submit(ctx, p, value(1))
		queued.Cancel()
		g := newGated(t, newPool(t, 1), 2, nil)
		// With ctx already ended, Wait returns at once: with nil if the
		// cancelled future met FirstException, with ctx's error if not.
		expired, cancel := context.WithCancel(ctx)
		cancel()
		done, pending, err := futures.Wait(expired, []*futures.Future[int]{queued, g.f}, futures.FirstException)
		if !errors.Is(err, context.Canceled) || !slices.Equal(done, []*futures.Future[int]{queued}) || !slices.Equal(pending, []*futures.Future[int]{g.f}) {
			t.Fatalf("done %v pending %v err %v: a cancelled future counted as an exception", done, pending, err)
		}
	})
	t.Run("AllCompleted", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 4)
		var fs []*futures.Future[int]
		for i := range 4 {
			g := newGated(t, p, i, nil)
			fs = append(fs, g.f)
			g.finish()
		}
		done, pending, err := futures.Wait(ctx, fs, futures.AllCompleted)
		if err != nil || !slices.Equal(done, fs) || len(pending) != 0 {
			t.Fatalf("done %v pending %v err %v", done, pending, err)
		}
	})
	t.Run("ctx expired reports the done ones", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 2)
		fin, hang := newGated(t, p, 1, nil), newGated(t, p, 2, nil)
		fin.finish()
		<-fin.f.Done()
		expired, cancel := context.WithCancel(ctx)
		cancel()
		done, pending, err := futures.Wait(expired, []*futures.Future[int]{fin.f, hang.f}, futures.AllCompleted)
		if !errors.Is(err, context.Canceled) || !slices.Equal(done, []*futures.Future[int]{fin.f}) || !slices.Equal(pending, []*futures.Future[int]{hang.f}) {
			t.Fatalf("done %v pending %v err %v", done, pending, err)
		}
		// FirstCompleted is already met: no error even though ctx has ended.
		if _, _, err := futures.Wait(expired, []*futures.Future[int]{hang.f, fin.f}, futures.FirstCompleted); err != nil {
			t.Fatalf("FirstCompleted with one done and ctx expired: %v", err)
		}
	})
	t.Run("duplicates and nil", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, 1)
		g := newGated(t, p, 1, nil)
		g.finish()
		done, pending, err := futures.Wait(ctx, []*futures.Future[int]{g.f, nil, g.f}, futures.AllCompleted)
		if err != nil || !slices.Equal(done, []*futures.Future[int]{g.f}) || len(pending) != 0 {
			t.Fatalf("done %v pending %v err %v", done, pending, err)
		}
	})
}

func TestWaitMixedTypes(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 2)
	fs := []futures.Awaitable{
		futures.Submit(ctx, p, value("text")),
		futures.Submit(ctx, p, value(42)),
		chanAwaitable(closed()),
	}
	done, pending, err := futures.Wait(ctx, fs, futures.AllCompleted)
	if err != nil || len(done) != 3 || len(pending) != 0 {
		t.Fatalf("done %d pending %d err %v", len(done), len(pending), err)
	}
}

// chanAwaitable is an Awaitable that is not a future of this package.
type chanAwaitable chan struct{}

func (c chanAwaitable) Done() <-chan struct{} { return c }

func (c chanAwaitable) Err(ctx context.Context) error {
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func TestWaitForeignAwaitable(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	open := make(chan struct{})
	fs := []futures.Awaitable{chanAwaitable(open), chanAwaitable(closed())}
	done, pending, err := futures.Wait(ctx, fs, futures.FirstCompleted)
	if err != nil || len(done) != 1 || len(pending) != 1 {
		t.Fatalf("done %d pending %d err %v", len(done), len(pending), err)
	}
	// The goroutine watching the open one has ended: goleak checks at exit.
	close(open)
	if _, pending, _ := futures.Wait(ctx, fs, futures.AllCompleted); len(pending) != 0 {
		t.Fatal("still pending after close")
	}
}

func TestAsCompleted(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 3)
	a, b, c := newGated(t, p, 1, nil), newGated(t, p, 2, nil), newGated(t, p, 3, nil)
	c.finish()
	<-c.f.Done()
	var got []int
	for f := range futures.AsCompleted(ctx, []*futures.Future[int]{a.f, b.f, c.f, c.f, nil}) {
		v, err := f.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		// Finish the others in a known order, one per step.
		switch v {
		case 3:
			b.finish()
		case 2:
			a.finish()
		}
	}
	if !slices.Equal(got, []int{3, 2, 1}) {
		t.Fatalf("completion order %v, want [3 2 1] (each future once)", got)
	}
}

func TestAsCompletedStops(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := newPool(t, 2)
	fin, hang := newGated(t, p, 1, nil), newGated(t, p, 2, nil)
	fin.finish()
	<-fin.f.Done()
	fs := []*futures.Future[int]{hang.f, fin.f}

	t.Run("break", func(t *testing.T) {
		n := 0
		for range futures.AsCompleted(ctx, fs) {
			n++
			break
		}
		if n != 1 {
			t.Fatalf("yielded %d", n)
		}
	})
	t.Run("ctx expired yields the done ones", func(t *testing.T) {
		expired, cancel := context.WithCancel(ctx)
		cancel()
		var got []*futures.Future[int]
		for f := range futures.AsCompleted(expired, fs) {
			got = append(got, f)
		}
		if !slices.Equal(got, []*futures.Future[int]{fin.f}) {
			t.Fatalf("yielded %v, want only the finished future", got)
		}
	})
	t.Run("empty", func(t *testing.T) {
		for range futures.AsCompleted[*futures.Future[int]](ctx, nil) {
			t.Fatal("yielded from nothing")
		}
	})
}

func TestReturnWhenString(t *testing.T) {
	t.Parallel()
	for w, want := range map[futures.ReturnWhen]string{
		futures.FirstCompleted: "FIRST_COMPLETED", futures.FirstException: "FIRST_EXCEPTION",
		futures.AllCompleted: "ALL_COMPLETED", 7: "ReturnWhen(7)",
	} {
		if got := w.String(); got != want {
			t.Errorf("%d: %q, want %q", w, got, want)
		}
	}
}
