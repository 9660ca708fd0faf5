package bench_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
)

// wakeArg is the argument of the child of BenchmarkSync/event-wake.
type wakeArg struct {
	Ping, Pong *mp.Event
	Stamp      *mp.Value[int64] // when the parent set Ping, in Unix nanoseconds; 0: stop
	Latency    *mp.Value[int64] // from Stamp to the child running again, in ns
}

// wakeChild waits for Ping, takes the time it took to wake, and answers
// with Pong, until the stamp is 0.
var wakeChild = mp.Register("bench-sync-wake", func(ctx context.Context, a wakeArg) (int, error) {
	for n := 0; ; n++ {
		if err := a.Ping.Wait(ctx); err != nil {
			return n, err
		}
		now := time.Now().UnixNano()
		stamp := a.Stamp.Load()
		if stamp == 0 {
			return n, nil
		}
		a.Latency.Store(now - stamp)
		if err := a.Ping.Clear(); err != nil {
			return n, err
		}
		if err := a.Pong.Set(); err != nil {
			return n, err
		}
	}
})

// wakeSettle is the pause before each Set of event-wake, outside the
// timing, so that the child is asleep in the kernel when the Set comes:
// the latency of a sleeping waiter, not of one still running.
const wakeSettle = 200 * time.Microsecond

// BenchmarkSync times the primitives of package mp, on the side of
// python/mp_sync.py, which times CPython's multiprocessing:
//
//   - lock: an uncontended Lock+Unlock of an mp.Lock (two compare-and-swaps
//     on shared memory); CPython: Lock.acquire() + release();
//   - semaphore: an uncontended Acquire+Release of an mp.Semaphore(1)
//     (two atomic updates of the count and two of this process's entry in
//     its table of holders); CPython: Semaphore.acquire() + release();
//   - syncmutex: Lock+Unlock of a sync.Mutex, the floor, for scale;
//   - value-add: Value[int64].Add(1), one atomic add on shared memory;
//     CPython: `with v.get_lock(): v.value += 1`;
//   - event-wake: a child sleeps in Event.Wait; the time from Set in this
//     process to the child running again, read on the wall clock both
//     sides, as p50-ns over b.N wake-ups (ns/op includes a pause of
//     wakeSettle and the reply).
func BenchmarkSync(b *testing.B) {
	b.Run("lock", func(b *testing.B) {
		ctx := context.Background()
		l, err := mp.NewLock()
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		for b.Loop() {
			if err := l.Lock(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("semaphore", func(b *testing.B) {
		ctx := context.Background()
		s, err := mp.NewSemaphore(1)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for b.Loop() {
			if err := s.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			if err := s.Release(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("syncmutex", func(b *testing.B) {
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			//lint:ignore SA2001 an empty critical section is what the lock benchmark times too
			mu.Unlock()
		}
	})
	b.Run("value-add", func(b *testing.B) {
		v, err := mp.NewValue[int64](0)
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		for b.Loop() {
			v.Add(1)
		}
		if v.Load() != int64(b.N) {
			b.Fatalf("Value = %d after %d adds", v.Load(), b.N)
		}
	})
	b.Run("event-wake", benchEventWake)
}

func benchEventWake(b *testing.B) {
	ctx := context.Background()
	var a wakeArg
	var err error
	if a.Ping, err = mp.NewEvent(); err == nil {
		if a.Pong, err = mp.NewEvent(); err == nil {
			if a.Stamp, err = mp.NewValue[int64](0); err == nil {
				a.Latency, err = mp.NewValue[int64](0)
			}
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, c := range []interface{ Close() error }{a.Ping, a.Pong, a.Stamp, a.Latency} {
			c.Close()
		}
	}()
	p := mp.NewProcess(wakeChild, a)
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	round := func(stamp func() int64) {
		time.Sleep(wakeSettle)
		a.Stamp.Store(stamp())
		if err := a.Ping.Set(); err != nil {
			b.Fatal(err)
		}
		if err := a.Pong.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		if err := a.Pong.Clear(); err != nil {
			b.Fatal(err)
		}
	}
	now := func() int64 { return time.Now().UnixNano() }
	round(now) // the child is up and waiting
	lat := make([]int64, 0, b.N)
	for b.Loop() {
		round(now)
		lat = append(lat, a.Latency.Load())
	}
	b.StopTimer()
	a.Stamp.Store(0)
	a.Ping.Set()
	if _, err := wakeChild.Result(ctx, p); err != nil {
		b.Fatal(err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
}
