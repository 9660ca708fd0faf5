package mp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/multitask-go/multitask/mp"
)

// must takes what a constructor returned and gives a function that fails
// the test on its error, or returns the value and closes it when the test
// ends: must(mp.NewLock())(t).
func must[T interface{ Close() error }](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		return v
	}
}

// soon returns a context that ends after d, for calls that must give up.
func soon(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// mustPanic runs f and returns what it panicked with, failing the test if
// it did not panic.
func mustPanic(t *testing.T, f func()) (v any) {
	t.Helper()
	defer func() { v = recover() }()
	f()
	t.Fatal("no panic")
	return nil
}

// Child-side functions of these tests.
var (
	// syncHoldLocks takes the Lock and the RLock (twice), says so, and
	// waits to be killed.
	syncHoldLocks = mp.Register("sync_test/hold-locks", func(ctx context.Context, a syncHeld) (int, error) {
		if err := a.L.Lock(ctx); err != nil {
			return 0, err
		}
		for range 2 {
			if err := a.R.Lock(ctx); err != nil {
				return 0, err
			}
		}
		a.Ready.Set()
		<-ctx.Done()
		return 0, ctx.Err()
	})
	// syncHoldUnits acquires every unit of the semaphore, says so, and
	// waits to be killed.
	syncHoldUnits = mp.Register("sync_test/hold-units", func(ctx context.Context, a syncHeld) (int, error) {
		for a.S.Value() > 0 {
			if err := a.S.Acquire(ctx); err != nil {
				return 0, err
			}
		}
		a.Ready.Set()
		<-ctx.Done()
		return 0, ctx.Err()
	})
	// syncBarrierParty waits at the barrier, to be killed there.
	syncBarrierParty = mp.Register("sync_test/barrier-party", func(ctx context.Context, b *mp.Barrier) (int, error) {
		return b.Wait(ctx)
	})
	// syncHoldBarrier has the barrier but never arrives: it says it has
	// it, and waits to be killed.
	syncHoldBarrier = mp.Register("sync_test/hold-barrier", func(ctx context.Context, a syncHolder) (int, error) {
		a.Ready.Set()
		<-ctx.Done()
		return 0, ctx.Err()
	})
	// syncBreak aborts the barrier and returns what Wait then says.
	syncBreak = mp.Register("sync_test/break", func(ctx context.Context, b *mp.Barrier) (int, error) {
		if err := b.Abort(); err != nil {
			return 0, err
		}
		return b.Wait(ctx)
	})
	syncHammer = mp.Register("sync_test/hammer", syncHammerFn)
	syncUseAll = mp.Register("sync_test/use-all", syncUseAllFn)
	// syncTouch waits for Go, then uses each object once, and returns the
	// Value after adding 10 to it.
	syncTouch = mp.Register("sync_test/touch", func(ctx context.Context, a syncAll) (int64, error) {
		if err := a.Go.Wait(ctx); err != nil {
			return 0, err
		}
		err := errors.Join(a.L.Lock(ctx), a.L.Unlock(), a.R.Lock(ctx), a.R.Unlock(), a.Done.Set(),
			a.S.Release(), a.S.Acquire(ctx), a.B.Abort(), a.C.L().Lock(ctx), a.C.NotifyAll(), a.C.L().Unlock())
		a.F.Store(0, 1)
		a.Bytes.Store(0, 1)
		a.M.Bytes()[0] = 1
		return a.V.Add(10), err
	})
)

// syncHolder is the argument of syncHoldBarrier.
type syncHolder struct {
	B     *mp.Barrier
	Ready *mp.Event
}

// syncHeld is the argument of the children that hold something when
// they are killed.
type syncHeld struct {
	L     *mp.Lock
	R     *mp.RLock
	S     *mp.Semaphore
	Ready *mp.Event
}

func TestLockInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	l := must(mp.NewLock())(t)
	if err := l.Unlock(); !errors.Is(err, mp.ErrNotHeld) {
		t.Fatalf("Unlock of a free lock = %v, want ErrNotHeld", err)
	}
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	// Held (by this process): a Lock with an ended ctx fails at once.
	if err := l.Lock(expired()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock of a held lock with an ended ctx = %v, want context.Canceled", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	// Free: a Lock with an ended ctx takes it without waiting.
	if err := l.Lock(expired()); err != nil {
		t.Fatalf("Lock of a free lock with an ended ctx = %v, want nil", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	// Goroutines take turns: a plain counter comes out exact.
	var wg sync.WaitGroup
	n := 0
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				if err := l.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				n++
				if err := l.Unlock(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n != 4000 {
		t.Fatalf("counter = %d, want 4000", n)
	}
}

func TestRLockReentrant(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	r := must(mp.NewRLock())(t)
	for range 3 {
		if err := r.Lock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := r.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Unlock(); !errors.Is(err, mp.ErrNotHeld) {
		t.Fatalf("Unlock once more than locked = %v, want ErrNotHeld", err)
	}
}

func TestLockHolderKilled(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := syncHeld{
		L:     must(mp.NewLock())(t),
		R:     must(mp.NewRLock())(t),
		Ready: must(mp.NewEvent())(t),
	}
	p := start(t, mp.NewProcess(syncHoldLocks, a))
	if err := a.Ready.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// Both are held by the child now.
	if err := a.L.Lock(soon(t, 20*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a lock held by a live child = %v, want DeadlineExceeded", err)
	}
	if err := a.L.Unlock(); !errors.Is(err, mp.ErrNotHeld) || !strings.Contains(err.Error(), fmt.Sprint(p.Pid())) {
		t.Fatalf("Unlock of a lock another process holds = %v, want ErrNotHeld naming pid %d", err, p.Pid())
	}

	// A Lock waits while the child dies: it takes the lock over.
	locked := make(chan error, 1)
	go func() { locked <- a.L.Lock(ctx) }()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-locked
	var od *mp.OwnerDeadError
	if !errors.Is(err, mp.ErrOwnerDead) || !errors.As(err, &od) || od.Pid != p.Pid() {
		t.Fatalf("Lock after the holder was killed = %v, want an OwnerDeadError for pid %d", err, p.Pid())
	}
	// This process holds it now, like any other lock.
	if err := a.L.Unlock(); err != nil {
		t.Fatalf("Unlock after taking over: %v", err)
	}
	if err := a.L.Lock(ctx); err != nil {
		t.Fatalf("Lock after recovery: %v", err)
	}
	if err := a.L.Unlock(); err != nil {
		t.Fatal(err)
	}

	// The RLock, locked twice by the dead child, is taken over once.
	if err := a.R.Lock(ctx); !errors.Is(err, mp.ErrOwnerDead) {
		t.Fatalf("RLock after the holder was killed = %v, want ErrOwnerDead", err)
	}
	if err := a.R.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := a.R.Unlock(); !errors.Is(err, mp.ErrNotHeld) {
		t.Fatalf("second Unlock of a taken-over RLock = %v, want ErrNotHeld", err)
	}
}

func TestSemaphoreHolderKilled(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := syncHeld{S: must(mp.NewSemaphore(2))(t), Ready: must(mp.NewEvent())(t)}
	p := start(t, mp.NewProcess(syncHoldUnits, a))
	if err := a.Ready.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if v := a.S.Value(); v != 0 {
		t.Fatalf("Value with both units held = %d", v)
	}
	acquired := make(chan error, 1)
	go func() { acquired <- a.S.Acquire(ctx) }()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-acquired; err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	// Both of the dead child's units came back; this process took one.
	if v := a.S.Value(); v != 1 {
		t.Fatalf("Value after recovery = %d, want 1", v)
	}
	if err := a.S.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestBarrierPartyKilled kills a party, a child process, before it
// arrives at the barrier or while it waits there, with all the other
// parties but one waiting: those that wait, a goroutine here and another
// child, get ErrBrokenBarrier, naming the dead pid, long before their own
// ctx ends.
func TestBarrierPartyKilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		parties int
		waiting bool // the child to kill waits at the barrier, else it holds it only
	}{
		{"before it arrives", 3, false},
		{"while it waits", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			a := syncHolder{B: must(mp.NewBarrier(tc.parties))(t), Ready: must(mp.NewEvent())(t)}
			var victim *mp.Process
			if tc.waiting {
				victim = start(t, mp.NewProcess(syncBarrierParty, a.B))
				waitFor(t, ctx, "the child to wait at the barrier", func() bool { return a.B.Waiting() == 1 })
			} else {
				victim = start(t, mp.NewProcess(syncHoldBarrier, a))
				if err := a.Ready.Wait(ctx); err != nil {
					t.Fatal(err)
				}
			}
			other := start(t, mp.NewProcess(syncBarrierParty, a.B))
			errs := make(chan error, 1)
			go func() {
				_, err := a.B.Wait(ctx)
				errs <- err
			}()
			waitFor(t, ctx, "all parties but one to wait", func() bool { return a.B.Waiting() == tc.parties-1 })
			if err := victim.Kill(); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			err := <-errs
			t.Logf("the survivor here returned %v after the kill", time.Since(killed))
			if !errors.Is(err, mp.ErrBrokenBarrier) || !strings.Contains(err.Error(), fmt.Sprint(victim.Pid())) {
				t.Fatalf("Wait while a party was killed = %v, want ErrBrokenBarrier naming pid %d", err, victim.Pid())
			}
			if err := other.Join(ctx); !errors.Is(err, mp.ErrBrokenBarrier) {
				t.Fatalf("the other child's Wait = %v, want ErrBrokenBarrier", err)
			}
			if !a.B.Broken() {
				t.Fatal("barrier not broken after a party died")
			}
			if _, err := a.B.Wait(ctx); !errors.Is(err, mp.ErrBrokenBarrier) {
				t.Fatalf("Wait on a broken barrier = %v", err)
			}
			// The dead child broke one round; the child that returned left
			// the barrier when it did.
			if err := a.B.Reset(); err != nil {
				t.Fatal(err)
			}
			checkRound(t, ctx, a.B)
		})
	}
}

// TestSyncErrorsCrossProcesses passes a Barrier to a child made by each
// start method, and checks that the child's error comes back matching
// ErrBrokenBarrier.
func TestSyncErrorsCrossProcesses(t *testing.T) {
	t.Parallel()
	for _, m := range []mp.StartMethod{mp.Spawn, mp.ForkServer, mp.Fork} {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			b := must(mp.NewBarrier(2))(t)
			p := start(t, mp.NewProcess(syncBreak, b, mp.Method(m)))
			if err := p.Join(ctx); !errors.Is(err, mp.ErrBrokenBarrier) {
				t.Fatalf("Join of a child whose Wait failed = %v, want an error matching ErrBrokenBarrier", err)
			}
			if !b.Broken() {
				t.Fatal("the child's Abort did not break the barrier here")
			}
		})
	}
}

// waitFor polls cond until it holds: the state it waits for is in another
// process, which has no way to say so.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkRound has Parties goroutines wait at b and checks that they get
// each index once.
func checkRound(t *testing.T, ctx context.Context, b *mp.Barrier) {
	t.Helper()
	n := b.Parties()
	idx := make(chan int, n)
	for range n {
		go func() {
			i, err := b.Wait(ctx)
			if err != nil {
				t.Error(err)
			}
			idx <- i
		}()
	}
	var got []int
	for range n {
		got = append(got, <-idx)
	}
	slices.Sort(got)
	for i, v := range got {
		if v != i {
			t.Fatalf("indices of one round = %v, want 0 to %d once each", got, n-1)
		}
	}
}

func TestBarrierInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	b := must(mp.NewBarrier(3))(t)
	for range 5 {
		checkRound(t, ctx, b)
	}
	one := must(mp.NewBarrier(1))(t)
	if i, err := one.Wait(ctx); i != 0 || err != nil {
		t.Fatalf("Wait on a barrier of 1 = %d, %v", i, err)
	}

	// Abort breaks the waiting parties and later Waits, until Reset.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := b.Wait(ctx)
			errs <- err
		}()
	}
	waitFor(t, ctx, "two parties", func() bool { return b.Waiting() == 2 })
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, mp.ErrBrokenBarrier) {
			t.Fatalf("Wait during Abort = %v", err)
		}
	}
	if i, err := b.Wait(ctx); i != -1 || !errors.Is(err, mp.ErrBrokenBarrier) {
		t.Fatalf("Wait after Abort = %d, %v", i, err)
	}
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if b.Broken() || b.Waiting() != 0 {
		t.Fatalf("after Reset: broken %v, waiting %d", b.Broken(), b.Waiting())
	}
	// Reset with parties waiting breaks them, and leaves the barrier usable.
	go func() {
		_, err := b.Wait(ctx)
		errs <- err
	}()
	waitFor(t, ctx, "one party", func() bool { return b.Waiting() == 1 })
	if err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; !errors.Is(err, mp.ErrBrokenBarrier) {
		t.Fatalf("Wait during Reset = %v", err)
	}
	checkRound(t, ctx, b)
	if _, err := mp.NewBarrier(0); err == nil {
		t.Fatal("NewBarrier(0) succeeded")
	}
}

func TestEventInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	e := must(mp.NewEvent())(t)
	if e.IsSet() {
		t.Fatal("new Event is set")
	}
	woke := make(chan error, 3)
	for range 3 {
		go func() { woke <- e.Wait(ctx) }()
	}
	if err := e.Set(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-woke; err != nil {
			t.Fatal(err)
		}
	}
	if !e.IsSet() || e.Wait(expired()) != nil {
		t.Fatal("Event not set after Set")
	}
	if err := e.Clear(); err != nil {
		t.Fatal(err)
	}
	if e.IsSet() {
		t.Fatal("Event set after Clear")
	}
	if err := e.Wait(expired()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a clear Event with an ended ctx = %v", err)
	}
}

func TestSemaphoreInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	s := must(mp.NewSemaphore(2))(t)
	for range 2 {
		if err := s.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Acquire(expired()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with no unit and an ended ctx = %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- s.Acquire(ctx) }()
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// An unbounded semaphore may be released above its initial count.
	for range 5 {
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if v := s.Value(); v != 5 {
		t.Fatalf("Value = %d, want 5", v)
	}
	if _, err := mp.NewSemaphore(-1); err == nil {
		t.Fatal("NewSemaphore(-1) succeeded")
	}
}

func TestBoundedSemaphoreReleaseTooMany(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	s := must(mp.NewBoundedSemaphore(2))(t)
	if err := s.Release(); !errors.Is(err, mp.ErrTooManyReleases) {
		t.Fatalf("Release of a full bounded semaphore = %v, want ErrTooManyReleases", err)
	}
	if v := s.Value(); v != 2 {
		t.Fatalf("a refused Release changed the count to %d", v)
	}
	if err := s.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(); !errors.Is(err, mp.ErrTooManyReleases) {
		t.Fatalf("Release beyond the bound = %v, want ErrTooManyReleases", err)
	}
	zero := must(mp.NewBoundedSemaphore(0))(t)
	if err := zero.Release(); !errors.Is(err, mp.ErrTooManyReleases) {
		t.Fatalf("Release of a bounded semaphore of 0 = %v", err)
	}
}

func TestConditionInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	c := must(mp.NewCondition(nil))(t)
	l := c.L()
	if err := c.Notify(1); !errors.Is(err, mp.ErrNotHeld) {
		t.Fatalf("Notify without the lock = %v, want ErrNotHeld", err)
	}
	if err := c.Wait(ctx); !errors.Is(err, mp.ErrNotHeld) {
		t.Fatalf("Wait without the lock = %v, want ErrNotHeld", err)
	}
	// A producer hands items to consumers through a guarded counter.
	items := 0
	const want = 200
	var wg sync.WaitGroup
	var taken atomic.Int32
	for range 3 {
		wg.Go(func() {
			for {
				if err := l.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				err := c.WaitFor(ctx, func() bool { return items > 0 || taken.Load() == want })
				if err != nil || taken.Load() == want {
					l.Unlock()
					if err != nil {
						t.Error(err)
					}
					return
				}
				items--
				if taken.Add(1) == want {
					c.NotifyAll()
				}
				l.Unlock()
			}
		})
	}
	for range want {
		if err := l.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		items++
		if err := c.Notify(1); err != nil {
			t.Fatal(err)
		}
		l.Unlock()
	}
	wg.Wait()
	if items != 0 || taken.Load() != want {
		t.Fatalf("items left %d, taken %d", items, taken.Load())
	}
}

// TestSyncContextEnds checks that every blocking call returns promptly with
// ctx's error when ctx is cancelled or its deadline passes while it waits,
// and leaves its primitive as it was.
func TestSyncContextEnds(t *testing.T) {
	t.Parallel()
	l := must(mp.NewLock())(t)
	if err := l.Lock(guard(t)); err != nil {
		t.Fatal(err)
	}
	e := must(mp.NewEvent())(t)
	s := must(mp.NewSemaphore(0))(t)
	b := must(mp.NewBarrier(2))(t)
	c := must(mp.NewCondition(nil))(t)
	cases := []struct {
		name      string
		wait      func(ctx context.Context) error
		unchanged func() error
	}{
		{"Lock", l.Lock, func() error {
			// Still held by this process: Unlock then Lock again works.
			if err := l.Unlock(); err != nil {
				return err
			}
			return l.Lock(guard(t))
		}},
		{"Event.Wait", e.Wait, func() error {
			if e.IsSet() {
				return errors.New("set")
			}
			return nil
		}},
		{"Semaphore.Acquire", s.Acquire, func() error {
			if v := s.Value(); v != 0 {
				return fmt.Errorf("count %d", v)
			}
			return nil
		}},
		{"Barrier.Wait", func(ctx context.Context) error { _, err := b.Wait(ctx); return err }, func() error {
			if b.Waiting() != 0 || b.Broken() {
				return fmt.Errorf("waiting %d, broken %v", b.Waiting(), b.Broken())
			}
			return nil
		}},
		{"Condition.Wait", func(ctx context.Context) error {
			if err := c.L().Lock(guard(t)); err != nil {
				return err
			}
			defer c.L().Unlock()
			err := c.Wait(ctx)
			if uerr := c.L().Unlock(); uerr != nil { // Wait returned with the lock held
				return fmt.Errorf("%w, and then Unlock: %w", err, uerr)
			}
			return err
		}, func() error { return nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, end := range []struct {
				name string
				ctx  func() (context.Context, context.CancelFunc)
				want error
			}{
				{"cancelled", func() (context.Context, context.CancelFunc) {
					ctx, cancel := context.WithCancel(context.Background())
					time.AfterFunc(20*time.Millisecond, cancel)
					return ctx, cancel
				}, context.Canceled},
				{"deadline", func() (context.Context, context.CancelFunc) {
					return context.WithTimeout(context.Background(), 20*time.Millisecond)
				}, context.DeadlineExceeded},
			} {
				ctx, cancel := end.ctx()
				done := make(chan error, 1)
				go func() { done <- tc.wait(ctx) }()
				select {
				case err := <-done:
					if !errors.Is(err, end.want) {
						t.Fatalf("%s: %v, want %v", end.name, err, end.want)
					}
				case <-time.After(hangGuard):
					t.Fatalf("%s: still waiting long after ctx ended", end.name)
				}
				cancel()
				if err := tc.unchanged(); err != nil {
					t.Fatalf("%s: the primitive changed: %v", end.name, err)
				}
			}
		})
	}
}

func TestArrayIndexOutOfRange(t *testing.T) {
	t.Parallel()
	a := must(mp.NewArray[byte](5))(t)
	want := []byte{1, 2, 3, 4, 5}
	a.CopyFrom(0, want)
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"Load(5)", func() { a.Load(5) }, "mp: Array index 5 out of range [0:5]"},
		{"Load(-1)", func() { a.Load(-1) }, "mp: Array index -1 out of range [0:5]"},
		{"Store(7)", func() { a.Store(7, 9) }, "mp: Array index 7 out of range [0:5]"},
		{"Add(8)", func() { a.Add(8, 1) }, "mp: Array index 8 out of range [0:5]"},
		{"CopyTo(6)", func() { a.CopyTo(6, make([]byte, 1)) }, "mp: Array.CopyTo start 6 out of range [0:5]"},
		{"CopyFrom(-1)", func() { a.CopyFrom(-1, []byte{9}) }, "mp: Array.CopyFrom start -1 out of range [0:5]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if v := mustPanic(t, tc.f); fmt.Sprint(v) != tc.msg {
				t.Fatalf("panic %q, want %q", v, tc.msg)
			}
		})
	}
	got := make([]byte, 5)
	if n := a.CopyTo(0, got); n != 5 || !slices.Equal(got, want) {
		t.Fatalf("the array changed: %v", got)
	}
	// At the end, copies stop at the end.
	if n := a.CopyFrom(3, []byte{7, 7, 7}); n != 2 {
		t.Fatalf("CopyFrom past the end copied %d", n)
	}
	if n := a.CopyTo(5, got); n != 0 {
		t.Fatalf("CopyTo from the end copied %d", n)
	}
	if _, err := mp.NewArray[int64](-1); err == nil {
		t.Fatal("NewArray(-1) succeeded")
	}
}

func TestValueTypes(t *testing.T) {
	t.Parallel()
	t.Run("int32", func(t *testing.T) {
		v := must(mp.NewValue[int32](5))(t)
		if x := v.Add(-7); x != -2 || v.Load() != -2 {
			t.Fatalf("Add(-7) = %d", x)
		}
		v.Store(math.MaxInt32)
		if x := v.Add(1); x != math.MinInt32 {
			t.Fatalf("wrap = %d", x)
		}
		if v.CompareAndSwap(0, 1) || !v.CompareAndSwap(math.MinInt32, 3) || v.Load() != 3 {
			t.Fatal("CompareAndSwap")
		}
	})
	t.Run("uint32", func(t *testing.T) {
		v := must(mp.NewValue[uint32](0))(t)
		if x := v.Add(math.MaxUint32); x != math.MaxUint32 { // adds -1 mod 2^32
			t.Fatalf("Add = %d", x)
		}
	})
	t.Run("int64", func(t *testing.T) {
		v := must(mp.NewValue[int64](-1 << 40))(t)
		if x := v.Add(1 << 41); x != 1<<40 || !v.CompareAndSwap(1<<40, 0) || v.Load() != 0 {
			t.Fatalf("Add = %d", x)
		}
	})
	t.Run("uint64", func(t *testing.T) {
		v := must(mp.NewValue[uint64](math.MaxUint64))(t)
		if x := v.Add(2); x != 1 {
			t.Fatalf("wrap = %d", x)
		}
	})
	t.Run("float64", func(t *testing.T) {
		v := must(mp.NewValue(1.5))(t)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 1000 {
					v.Add(0.25)
				}
			})
		}
		wg.Wait()
		if x := v.Load(); x != 1001.5 {
			t.Fatalf("Load = %v, want 1001.5", x)
		}
		if !v.CompareAndSwap(1001.5, math.Inf(-1)) || v.Load() != math.Inf(-1) {
			t.Fatal("CompareAndSwap")
		}
	})
	t.Run("arrays", func(t *testing.T) {
		b := must(mp.NewArray[byte](7))(t)
		b.Store(6, 250)
		if x := b.Add(6, 10); x != 4 || b.Load(6) != 4 || b.Load(5) != 0 {
			t.Fatalf("byte Add wraps: %d", x)
		}
		var wg sync.WaitGroup
		for i := range 7 { // neighbours in one word, updated at once
			wg.Go(func() {
				for range 100 {
					b.Add(i, 1)
				}
			})
		}
		wg.Wait()
		got := make([]byte, 7)
		b.CopyTo(0, got)
		if !slices.Equal(got, []byte{100, 100, 100, 100, 100, 100, 104}) {
			t.Fatalf("bytes = %v", got)
		}
		f := must(mp.NewArray[float64](3))(t)
		f.CopyFrom(1, []float64{2.5, -1})
		f.Add(2, 0.5)
		if fl := []float64{f.Load(0), f.Load(1), f.Load(2)}; !slices.Equal(fl, []float64{0, 2.5, -0.5}) || f.Len() != 3 {
			t.Fatalf("floats = %v", fl)
		}
		u := must(mp.NewArray[uint32](1))(t)
		u.Store(0, 7)
		if u.Add(0, math.MaxUint32) != 6 {
			t.Fatal("uint32 element Add")
		}
		empty := must(mp.NewArray[int64](0))(t)
		if empty.Len() != 0 || empty.CopyTo(0, make([]int64, 1)) != 0 {
			t.Fatal("empty array")
		}
	})
}

func TestUseAfterClose(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	l, _ := mp.NewLock()
	r, _ := mp.NewRLock()
	e, _ := mp.NewEvent()
	s, _ := mp.NewSemaphore(1)
	b, _ := mp.NewBarrier(2)
	c, _ := mp.NewCondition(nil)
	v, _ := mp.NewValue[int64](1)
	a, _ := mp.NewArray[int32](2)
	m, _ := mp.NewSharedMemory(10)
	closers := []interface{ Close() error }{l, r, e, s, b, c, v, a, m}
	for _, x := range closers {
		if err := x.Close(); err != nil {
			t.Fatalf("%T.Close: %v", x, err)
		}
		if err := x.Close(); err != nil {
			t.Fatalf("second %T.Close: %v", x, err)
		}
	}
	calls := []struct {
		name string
		err  error
	}{
		{"Lock.Lock", l.Lock(ctx)},
		{"Lock.Unlock", l.Unlock()},
		{"RLock.Lock", r.Lock(ctx)},
		{"RLock.Unlock", r.Unlock()},
		{"Event.Set", e.Set()},
		{"Event.Clear", e.Clear()},
		{"Event.Wait", e.Wait(ctx)},
		{"Semaphore.Acquire", s.Acquire(ctx)},
		{"Semaphore.Release", s.Release()},
		{"Barrier.Wait", func() error { _, err := b.Wait(ctx); return err }()},
		{"Barrier.Abort", b.Abort()},
		{"Barrier.Reset", b.Reset()},
		{"Condition.Wait", c.Wait(ctx)},
		{"Condition.Notify", c.Notify(1)},
		{"Condition.NotifyAll", c.NotifyAll()},
		{"Condition.L.Lock", c.L().Lock(ctx)},
	}
	for _, call := range calls {
		if !errors.Is(call.err, mp.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", call.name, call.err)
		}
	}
	panics := []struct {
		name string
		f    func()
	}{
		{"Event.IsSet", func() { e.IsSet() }},
		{"Semaphore.Value", func() { s.Value() }},
		{"Barrier.Broken", func() { b.Broken() }},
		{"Value.Load", func() { v.Load() }},
		{"Value.Store", func() { v.Store(2) }},
		{"Value.Add", func() { v.Add(2) }},
		{"Value.CompareAndSwap", func() { v.CompareAndSwap(1, 2) }},
		{"Array.Load", func() { a.Load(0) }},
		{"Array.Store", func() { a.Store(0, 1) }},
		{"Array.CopyTo", func() { a.CopyTo(0, nil) }},
	}
	for _, p := range panics {
		err, ok := mustPanic(t, p.f).(error)
		if !ok || !errors.Is(err, mp.ErrClosed) || !strings.Contains(err.Error(), p.name) {
			t.Errorf("%s after Close panicked with %v, want an error naming it that matches ErrClosed", p.name, err)
		}
	}
	if m.Bytes() != nil || a.Len() != 2 || m.Len() != 10 {
		t.Error("SharedMemory.Bytes after Close is not nil, or a length changed")
	}
	// A closed object cannot be passed to a process.
	if err := mp.NewProcess(syncBarrierParty, b).Start(); !errors.Is(err, mp.ErrClosed) {
		t.Errorf("Start with a closed Barrier = %v, want ErrClosed", err)
	}
	// Zero values are not usable, and say so.
	var zl mp.Lock
	if err := zl.Lock(ctx); err == nil || !strings.Contains(err.Error(), "constructor") {
		t.Errorf("Lock of a zero Lock = %v", err)
	}
	var zv mp.Value[int32]
	if v := mustPanic(t, func() { zv.Load() }); !strings.Contains(fmt.Sprint(v), "NewValue") {
		t.Errorf("Load of a zero Value panicked with %v", v)
	}
}

// TestCloseWakesWaiters checks that a call waiting in this process returns
// ErrClosed when another goroutine closes the primitive.
func TestCloseWakesWaiters(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	e := must(mp.NewEvent())(t)
	done := make(chan error, 1)
	go func() { done <- e.Wait(ctx) }()
	time.Sleep(10 * time.Millisecond) // let it sleep; it returns either way
	e.Close()
	if err := <-done; !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Wait when closed = %v, want ErrClosed", err)
	}
}

// syncAll is the argument of syncUseAll: one of each, crossing together.
type syncAll struct {
	L     *mp.Lock
	R     *mp.RLock
	Go    *mp.Event
	Done  *mp.Event
	S     *mp.Semaphore
	B     *mp.Barrier
	C     *mp.Condition
	V     *mp.Value[int64]
	F     *mp.Array[float64]
	Bytes *mp.Array[byte]
	M     *mp.SharedMemory
}

func syncUseAllFn(ctx context.Context, a syncAll) (string, error) {
	defer func() {
		for _, c := range []interface{ Close() error }{a.L, a.R, a.Go, a.Done, a.S, a.B, a.C, a.V, a.F, a.Bytes, a.M} {
			c.Close()
		}
	}()
	// The parent holds R: this process cannot re-enter it.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := a.R.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		return "", fmt.Errorf("RLock held by the parent: %v", err)
	}
	if err := a.Go.Wait(ctx); err != nil {
		return "", err
	}
	a.V.Add(10)
	a.F.CopyFrom(0, []float64{1.5, 2.5, 3.5})
	a.Bytes.Store(2, 'x')
	copy(a.M.Bytes(), "from the child")
	if err := a.L.Lock(ctx); err != nil {
		return "", err
	}
	if err := a.L.Unlock(); err != nil {
		return "", err
	}
	if err := a.S.Release(); err != nil {
		return "", err
	}
	if err := a.Done.Set(); err != nil {
		return "", err
	}
	i, err := a.B.Wait(ctx)
	if err != nil {
		return "", err
	}
	// Wait on the condition for the parent to store 42.
	l := a.C.L()
	if err := l.Lock(ctx); err != nil {
		return "", err
	}
	err = a.C.WaitFor(ctx, func() bool { return a.V.Load() == 42 })
	l.Unlock()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("barrier index %d", i), nil
}

func TestSyncAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := syncAll{
		L: must(mp.NewLock())(t), R: must(mp.NewRLock())(t),
		Go: must(mp.NewEvent())(t), Done: must(mp.NewEvent())(t),
		S: must(mp.NewSemaphore(0))(t), B: must(mp.NewBarrier(2))(t),
		C: must(mp.NewCondition(nil))(t), V: must(mp.NewValue[int64](5))(t),
		F: must(mp.NewArray[float64](3))(t), Bytes: must(mp.NewArray[byte](3))(t),
		M: must(mp.NewSharedMemory(100))(t),
	}
	if err := a.R.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.L.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	p := start(t, mp.NewProcess(syncUseAll, a))
	a.Go.Set()
	// The child waits for L; the semaphore tells when it got through.
	if err := a.S.Acquire(expired()); err == nil {
		t.Fatal("the child got the lock this process holds")
	}
	a.L.Unlock()
	if err := a.S.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Done.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if v := a.V.Load(); v != 15 {
		t.Fatalf("Value = %d, want 15", v)
	}
	fl := make([]float64, 3)
	a.F.CopyTo(0, fl)
	if !slices.Equal(fl, []float64{1.5, 2.5, 3.5}) || a.Bytes.Load(2) != 'x' {
		t.Fatalf("arrays = %v, %q", fl, a.Bytes.Load(2))
	}
	if got := string(a.M.Bytes()[:14]); got != "from the child" {
		t.Fatalf("SharedMemory = %q", got)
	}
	i, err := a.B.Wait(ctx)
	if err != nil || i != 0 && i != 1 {
		t.Fatalf("Barrier.Wait = %d, %v", i, err)
	}
	l := a.C.L()
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	a.V.Store(42)
	a.C.NotifyAll()
	l.Unlock()
	got, err := syncUseAll.Result(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("barrier index %d", 1-i); got != want {
		t.Fatalf("child: %q, want %q", got, want)
	}
	a.R.Unlock()
}

// hammerArg and hammerResult are syncHammer's argument and result.
type hammerArg struct {
	L     *mp.Lock
	M     *mp.SharedMemory
	Until time.Time
}

type hammerResult struct {
	N, Overlaps int
}

// syncHammerFn increments a plain counter in shared memory under the lock
// until the time is up, and counts the times it found another process in
// the critical section with it.
func syncHammerFn(ctx context.Context, a hammerArg) (hammerResult, error) {
	defer a.L.Close()
	defer a.M.Close()
	mem := a.M.Bytes()
	counter := (*uint64)(unsafe.Pointer(&mem[0]))
	holder := (*int64)(unsafe.Pointer(&mem[8]))
	me := int64(os.Getpid())
	var r hammerResult
	for time.Now().Before(a.Until) {
		if err := a.L.Lock(ctx); err != nil {
			return r, err
		}
		atomic.StoreInt64(holder, me)
		c := *counter // a read-modify-write that only the lock protects
		for range r.N % 8 {
			c = c*1 + 0
		}
		*counter = c + 1
		if atomic.LoadInt64(holder) != me {
			r.Overlaps++
		}
		if err := a.L.Unlock(); err != nil {
			return r, err
		}
		r.N++
	}
	return r, nil
}

func TestLockHammer(t *testing.T) {
	// Not parallel: eight busy processes would starve the other tests of
	// CPU, and their time limits are tight.
	d := 5 * time.Second
	if testing.Short() {
		d = time.Second
	}
	ctx := guard(t)
	l := must(mp.NewLock())(t)
	m := must(mp.NewSharedMemory(16))(t)
	arg := hammerArg{L: l, M: m, Until: time.Now().Add(d)}
	var ps []*mp.Process
	for range 8 {
		ps = append(ps, start(t, mp.NewProcess(syncHammer, arg)))
	}
	total := 0
	for _, p := range ps {
		r, err := syncHammer.Result(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Overlaps != 0 {
			t.Errorf("process %d found another in the critical section %d times", p.Pid(), r.Overlaps)
		}
		total += r.N
	}
	if got := *(*uint64)(unsafe.Pointer(&m.Bytes()[0])); got != uint64(total) || total == 0 {
		t.Fatalf("counter = %d, want %d (the sum of the increments)", got, total)
	}
	t.Logf("%d increments by 8 processes in %v", total, d)
}

// shmState lists what this process has of the package's shared memory: its
// descriptors and mappings of memory files, and the entries of /dev/shm.
func shmState(t *testing.T) (fds, maps, devShm []string) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.Contains(target, "memfd:multitask-") {
			fds = append(fds, e.Name()+" "+target)
		}
	}
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, "memfd:multitask-") && !strings.Contains(line, "multitask-queue") {
			maps = append(maps, strings.TrimSpace(line))
		}
	}
	shm, _ := os.ReadDir("/dev/shm")
	for _, e := range shm {
		devShm = append(devShm, e.Name())
	}
	return fds, maps, devShm
}

// newIn lists the items of after that are not in before.
func newIn(before, after []string) []string {
	var n []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			n = append(n, a)
		}
	}
	return n
}

func TestSyncLifetime(t *testing.T) {
	// Not parallel: it counts this process's descriptors and mappings.
	ctx := guard(t)
	fds0, maps0, shm0 := shmState(t)
	var a syncAll
	a.L, _ = mp.NewLock()
	a.R, _ = mp.NewRLock()
	a.Go, _ = mp.NewEvent()
	a.Done, _ = mp.NewEvent()
	a.S, _ = mp.NewSemaphore(0)
	a.B, _ = mp.NewBarrier(2)
	a.C, _ = mp.NewCondition(nil)
	a.V, _ = mp.NewValue[int64](5)
	a.F, _ = mp.NewArray[float64](3)
	a.Bytes, _ = mp.NewArray[byte](3)
	a.M, _ = mp.NewSharedMemory(100)
	all := []interface{ Close() error }{a.L, a.R, a.Go, a.Done, a.S, a.B, a.C, a.V, a.F, a.Bytes, a.M}
	fds1, maps1, _ := shmState(t)
	if n := len(newIn(fds0, fds1)); n != 12 { // the Condition has a Lock of its own
		t.Fatalf("%d new memory-file descriptors, want 12", n)
	}
	if n := len(newIn(maps0, maps1)); n != 12 {
		t.Fatalf("%d new mappings of memory files, want 12", n)
	}
	// A child gets them all, and uses them once this process has closed
	// its copies: the memory lives while any process holds it.
	p := start(t, mp.NewProcess(syncTouch, a))
	for _, c := range all {
		if c != interface{ Close() error }(a.Go) {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.Go.Set()
	a.Go.Close()
	if v, err := syncTouch.Result(ctx, p); v != 15 || err != nil {
		t.Fatalf("the child: %d, %v; want 15", v, err)
	}
	fds2, maps2, shm2 := shmState(t)
	if n := newIn(fds0, fds2); len(n) > 0 {
		t.Fatalf("descriptors left after Close: %v", n)
	}
	if n := newIn(maps0, maps2); len(n) > 0 {
		t.Fatalf("mappings left after Close: %v", n)
	}
	if n := newIn(shm0, shm2); len(n) > 0 {
		t.Fatalf("entries left in /dev/shm: %v", n)
	}
}

func FuzzSyncUnmarshal(f *testing.F) {
	l, err := mp.NewLock()
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	a, _ := mp.NewArray[float64](3)
	defer a.Close()
	c, _ := mp.NewCondition(nil)
	defer c.Close()
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{l, a, c} {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Decoding never panics; whatever it accepts is unbound, so not
		// usable, and says so.
		var x interface{ UnmarshalBinary([]byte) error }
		for _, x = range []interface{ UnmarshalBinary([]byte) error }{
			new(mp.Lock), new(mp.RLock), new(mp.Event), new(mp.Semaphore), new(mp.Barrier),
			new(mp.Condition), new(mp.Value[int32]), new(mp.Array[float64]), new(mp.Array[byte]), new(mp.SharedMemory),
		} {
			if x.UnmarshalBinary(b) == nil {
				if l, ok := x.(*mp.Lock); ok && l.Lock(expired()) == nil {
					t.Fatal("a decoded, unbound Lock locked")
				}
			}
		}
	})
}
