package mp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
)

// These tests port CPython's test_notify and test_notify_n
// (Lib/test/_test_multiprocessing.py, _TestCondition): waiters in processes
// and in goroutines, each counting itself in shared memory once it has
// woken.

// condWaiters is what each waiter of these tests shares with the others.
type condWaiters struct {
	C        *mp.Condition
	Sleeping *mp.Semaphore    // released by each waiter just before it waits
	Woken    *mp.Value[int32] // added to by each waiter once its Wait has returned
}

// condWait is CPython's f: take the lock, say so, wait once, count itself
// as woken if it was notified.
func condWait(ctx context.Context, a condWaiters) (int, error) {
	l := a.C.L()
	if err := l.Lock(ctx); err != nil {
		return 0, err
	}
	if err := a.Sleeping.Release(); err != nil {
		l.Unlock()
		return 0, err
	}
	err := a.C.Wait(ctx)
	if err == nil {
		a.Woken.Add(1)
	}
	return 0, errors.Join(err, l.Unlock())
}

var syncCondWait = mp.Register("sync_test/cond-wait", condWait)

// quietWindow is how long a test watches for wake-ups that must not
// happen: several of the slices a sleeping waiter wakes after to look
// around. It only gives an extra wake-up time to show; a slow machine
// cannot make a correct Condition fail.
const quietWindow = 300 * time.Millisecond

// startCondWaiters starts procs processes and gors goroutines, each
// running condWait, and returns once all of them wait on the condition.
// The goroutines have ended when the test's cleanups have run.
func startCondWaiters(t *testing.T, ctx context.Context, a condWaiters, procs, gors int) {
	t.Helper()
	for range procs {
		start(t, mp.NewProcess(syncCondWait, a))
	}
	gctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel() // on a failure, the goroutines may still wait
		wg.Wait()
	})
	for range gors {
		wg.Go(func() {
			if _, err := condWait(gctx, a); err != nil && gctx.Err() == nil {
				t.Error(err)
			}
		})
	}
	for range procs + gors {
		if err := a.Sleeping.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Each waiter held the lock from before it released Sleeping until
	// its Wait let go of it: once this process has taken the lock, all of
	// them wait.
	l := a.C.L()
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// notify calls Notify(n) (NotifyAll when n < 0) with the lock held.
func notify(t *testing.T, ctx context.Context, c *mp.Condition, n int) {
	t.Helper()
	if err := c.L().Lock(ctx); err != nil {
		t.Fatal(err)
	}
	var err error
	if n < 0 {
		err = c.NotifyAll()
	} else {
		err = c.Notify(n)
	}
	if uerr := c.L().Unlock(); err == nil {
		err = uerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// wokenReaches waits until want waiters have woken, then watches for
// quietWindow that no more wake.
func wokenReaches(t *testing.T, ctx context.Context, a condWaiters, want int32) {
	t.Helper()
	waitFor(t, ctx, "the notified waiters to wake", func() bool { return a.Woken.Load() >= want })
	deadline := time.Now().Add(quietWindow)
	for time.Now().Before(deadline) {
		if got := a.Woken.Load(); got != want {
			t.Fatalf("%d waiters woke, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func newCondWaiters(t *testing.T) condWaiters {
	return condWaiters{
		C:        must(mp.NewCondition(nil))(t),
		Sleeping: must(mp.NewSemaphore(0))(t),
		Woken:    must(mp.NewValue[int32](0))(t),
	}
}

// TestConditionNotify is CPython's test_notify: one process and one
// goroutine wait; each Notify wakes one of them.
func TestConditionNotify(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := newCondWaiters(t)
	startCondWaiters(t, ctx, a, 1, 1)
	if got := a.Woken.Load(); got != 0 {
		t.Fatalf("%d waiters woke before any Notify", got)
	}
	notify(t, ctx, a.C, 1)
	wokenReaches(t, ctx, a, 1)
	notify(t, ctx, a.C, 1)
	wokenReaches(t, ctx, a, 2)
}

// TestConditionNotifyN is CPython's test_notify_n: three processes and
// three goroutines wait; Notify(2) wakes two of them, Notify(4) the four
// others, and a Notify with nobody waiting is lost: it wakes no later
// waiter. NotifyAll then wakes every waiter there is.
func TestConditionNotifyN(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := newCondWaiters(t)
	startCondWaiters(t, ctx, a, 3, 3)
	notify(t, ctx, a.C, 2)
	wokenReaches(t, ctx, a, 2)
	notify(t, ctx, a.C, 4)
	wokenReaches(t, ctx, a, 6)

	// Nobody waits: the Notify is lost, for a Wait that comes later...
	notify(t, ctx, a.C, 3)
	l := a.C.L()
	if err := l.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	err := a.C.Wait(expired())
	if uerr := l.Unlock(); uerr != nil {
		t.Fatal(uerr)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with an ended ctx after a Notify with nobody waiting = %v, want context.Canceled", err)
	}
	// ... and for waiters that sleep.
	startCondWaiters(t, ctx, a, 1, 2)
	wokenReaches(t, ctx, a, 6)
	notify(t, ctx, a.C, -1)
	wokenReaches(t, ctx, a, 9)
}

// TestConditionWaiterKilled checks that a waiter whose process died does
// not take the Notify meant for a live one that waits behind it.
func TestConditionWaiterKilled(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a := newCondWaiters(t)
	p := start(t, mp.NewProcess(syncCondWait, a))
	if err := a.Sleeping.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	startCondWaiters(t, ctx, a, 0, 1) // waits behind the child
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(ctx); err == nil {
		t.Fatal("Join of a killed child = nil")
	}
	notify(t, ctx, a.C, 1)
	wokenReaches(t, ctx, a, 1)
}

// TestConditionHolderKilled checks what a waiter gets when the process that
// took the lock after it, to notify it, dies first: its ctx ends the wait
// (here once the process is dead), and Wait takes the lock over, reporting
// both.
func TestConditionHolderKilled(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	c := must(mp.NewCondition(nil))(t)
	a := syncHeld{L: c.L(), R: must(mp.NewRLock())(t), Ready: must(mp.NewEvent())(t)}
	if err := c.L().Lock(ctx); err != nil {
		t.Fatal(err)
	}
	p := start(t, mp.NewProcess(syncHoldLocks, a)) // takes the lock once Wait lets go of it
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	killed := make(chan error, 1)
	go func() {
		defer cancel()
		err := a.Ready.Wait(ctx)
		if err == nil {
			err = p.Kill()
		}
		killed <- err
	}()
	err := c.Wait(wctx)
	if kerr := <-killed; kerr != nil {
		t.Fatal(kerr)
	}
	if !errors.Is(err, mp.ErrOwnerDead) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait whose notifier died holding the lock = %v, want ErrOwnerDead and Canceled", err)
	}
	if err := c.L().Unlock(); err != nil {
		t.Fatalf("Unlock after Wait took the lock over: %v", err)
	}
}
