package mp_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/multitask-go/multitask/mp"
)

// counted is what exampleCount gets: a lock and the counter it guards.
type counted struct {
	L     *mp.Lock
	Count *mp.Value[int64]
}

// exampleCount adds 1000 to the counter, one at a time, with a
// read-modify-write that only the lock makes safe.
var exampleCount = mp.Register("example-sync-count", func(ctx context.Context, c counted) (int, error) {
	for range 1000 {
		if err := c.L.Lock(ctx); err != nil {
			return 0, err
		}
		c.Count.Store(c.Count.Load() + 1)
		if err := c.L.Unlock(); err != nil {
			return 0, err
		}
	}
	return 0, nil
})

func ExampleLock() {
	ctx := context.Background()
	l, err := mp.NewLock()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	count, err := mp.NewValue[int64](0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer count.Close()

	// The lock and the counter cross to the child as its argument.
	p := mp.NewProcess(exampleCount, counted{L: l, Count: count})
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	// Meanwhile this process counts too, under the same lock.
	exampleCount.Call(ctx, counted{L: l, Count: count})
	if err := p.Join(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(count.Load())
	// Output: 2000
}

// exampleLockAndLeave locks and returns without unlocking: its process
// exits holding the lock.
var exampleLockAndLeave = mp.Register("example-sync-leave", func(ctx context.Context, l *mp.Lock) (int, error) {
	return 0, l.Lock(ctx)
})

func ExampleOwnerDeadError() {
	ctx := context.Background()
	l, err := mp.NewLock()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	p := mp.NewProcess(exampleLockAndLeave, l)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Join(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// The child exited holding the lock: the next Lock takes it over and
	// says so, instead of waiting forever.
	err = l.Lock(ctx)
	var od *mp.OwnerDeadError
	fmt.Println(errors.Is(err, mp.ErrOwnerDead), errors.As(err, &od) && od.Pid == p.Pid())
	// This process holds the lock now: repair what it guards, then unlock.
	fmt.Println(l.Unlock())
	// Output:
	// true true
	// <nil>
}

// exampleSquares fills the array with the squares of the indices.
var exampleSquares = mp.Register("example-sync-squares", func(ctx context.Context, a *mp.Array[int64]) (int, error) {
	for i := range a.Len() {
		a.Store(i, int64(i*i))
	}
	return a.Len(), nil
})

func ExampleArray() {
	ctx := context.Background()
	a, err := mp.NewArray[int64](6)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	p := mp.NewProcess(exampleSquares, a)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := exampleSquares.Result(ctx, p); err != nil {
		fmt.Println(err)
		return
	}
	squares := make([]int64, a.Len())
	a.CopyTo(0, squares)
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25]
}

// exampleMeet waits at the barrier and returns its index.
var exampleMeet = mp.Register("example-sync-meet", func(ctx context.Context, b *mp.Barrier) (int, error) {
	return b.Wait(ctx)
})

func ExampleBarrier() {
	ctx := context.Background()
	b, err := mp.NewBarrier(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	p := mp.NewProcess(exampleMeet, b)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	mine, err := b.Wait(ctx) // returns once the child has arrived too
	if err != nil {
		fmt.Println(err)
		return
	}
	theirs, err := exampleMeet.Result(ctx, p)
	fmt.Println(mine+theirs, err) // the indices are 0 and 1, in arrival order
	// Output: 1 <nil>
}

// exampleGreet writes a greeting at the start of the shared memory.
var exampleGreet = mp.Register("example-sync-greet", func(ctx context.Context, m *mp.SharedMemory) (int, error) {
	return copy(m.Bytes(), "hello from the child"), nil
})

func ExampleSharedMemory() {
	ctx := context.Background()
	m, err := mp.NewSharedMemory(4096)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	p := mp.NewProcess(exampleGreet, m)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	n, err := exampleGreet.Result(ctx, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", m.Bytes()[:n])
	// Output: hello from the child
}

func ExampleValue() {
	v, err := mp.NewValue(0.5) // a Value[float64]
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	v.Add(2)
	swapped := v.CompareAndSwap(2.5, 10)
	fmt.Println(v.Load(), swapped)
	// Output: 10 true
}

func ExampleNewBoundedSemaphore() {
	ctx := context.Background()
	s, err := mp.NewBoundedSemaphore(2) // at most 2 holders at a time
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.Acquire(ctx)
	fmt.Println(s.Value(), s.Release())
	// One Release too many is an error, not a third unit.
	fmt.Println(errors.Is(s.Release(), mp.ErrTooManyReleases))
	// Output:
	// 1 <nil>
	// true
}

func ExampleEvent() {
	ctx := context.Background()
	e, err := mp.NewEvent()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	done := make(chan error)
	go func() { done <- e.Wait(ctx) }() // or in another process
	e.Set()
	fmt.Println(<-done, e.IsSet())
	// Output: <nil> true
}
