package bench_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

var (
	poolInc   = mp.Register("bench-pool-inc", func(ctx context.Context, x int) (int, error) { return x + 1, nil })
	poolCrash = mp.Register("bench-pool-crash", func(ctx context.Context, code int) (int, error) {
		os.Exit(code)
		return 0, nil
	})
)

// poolTasks is the size of a batch of tiny tasks, as python/process_pool.py.
const poolTasks = 20_000

// BenchmarkProcPool measures mp.Pool with 2 workers on tiny tasks (x+1):
// a batch of 20,000 submitted one by one, then collected ("submit"), the
// same through Map ("map"), and one task at a time ("latency", p50). The
// floors, in the same run: a raw pipelined round trip of 20,000 8-byte
// messages through a static Go echo program ("rawpipelined"), a raw
// ping-pong with it ("rawpingpong", p50), and the start of one Spawn
// process ("start"), against which "replace" (a worker crashes; the time
// until the next task's result) is measured.
func BenchmarkProcPool(b *testing.B) {
	ctx := context.Background()
	newPool := func(b *testing.B) *mp.Pool {
		pool, err := mp.NewPool(mp.Workers(2))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := pool.Shutdown(ctx); err != nil {
				b.Error(err)
			}
		})
		submitBatch(b, pool, 1000) // workers started and the task time learned
		return pool
	}
	b.Run("submit", func(b *testing.B) {
		pool := newPool(b)
		perSecond(b, func() { submitBatch(b, pool, poolTasks) })
	})
	b.Run("map", func(b *testing.B) {
		pool := newPool(b)
		perSecond(b, func() {
			i := 0
			for v, err := range poolInc.Map(ctx, pool, upTo(poolTasks)) {
				if err != nil || v != i+1 {
					b.Fatalf("map result %d: %d, %v", i, v, err)
				}
				i++
			}
		})
	})
	b.Run("latency", func(b *testing.B) {
		pool := newPool(b)
		p50(b, nil, func() {
			if v, err := poolInc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
				b.Fatal(v, err)
			}
		})
	})
	b.Run("replace", func(b *testing.B) {
		pool, err := mp.NewPool(mp.Workers(1))
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Shutdown(ctx)
		times := make([]time.Duration, 0, b.N)
		for b.Loop() {
			if err := poolCrash.Submit(ctx, pool, 3).Err(ctx); !errors.Is(err, mp.ErrWorkerDied) {
				b.Fatal(err)
			}
			t0 := time.Now()
			if v, err := poolInc.Submit(ctx, pool, 1).Result(ctx); v != 2 || err != nil {
				b.Fatal(v, err)
			}
			times = append(times, time.Since(t0))
		}
		reportP50(b, times)
	})
	b.Run("start", func(b *testing.B) {
		p50(b, nil, func() {
			p := mp.NewProcess(noop, struct{}{})
			if err := p.Start(); err != nil {
				b.Fatal(err)
			}
			if err := p.Join(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("rawpipelined", func(b *testing.B) {
		in, out, wait := startEcho(b)
		perSecond(b, func() {
			done := make(chan error, 1)
			go func() {
				var msg [8]byte
				for range poolTasks {
					if _, err := in.Write(msg[:]); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			var msg [8]byte
			for range poolTasks {
				if _, err := io.ReadFull(out, msg[:]); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
		in.Close()
		wait()
	})
	b.Run("rawpingpong", func(b *testing.B) {
		in, out, wait := startEcho(b)
		var msg [8]byte
		p50(b, nil, func() {
			if _, err := in.Write(msg[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(out, msg[:]); err != nil {
				b.Fatal(err)
			}
		})
		in.Close()
		wait()
	})
}

// submitBatch submits n tasks one by one, then collects and checks them.
func submitBatch(b *testing.B, pool *mp.Pool, n int) {
	ctx := context.Background()
	fs := make([]*futures.Future[int], n)
	for i := range fs {
		fs[i] = poolInc.Submit(ctx, pool, i)
	}
	for i, f := range fs {
		if v, err := f.Result(ctx); v != i+1 || err != nil {
			b.Fatalf("task %d: %d, %v", i, v, err)
		}
	}
}

// perSecond runs a batch of poolTasks b.N times and reports tasks/s.
func perSecond(b *testing.B, batch func()) {
	start := time.Now()
	for b.Loop() {
		batch()
	}
	b.ReportMetric(float64(b.N*poolTasks)/time.Since(start).Seconds(), "tasks/s")
}

// startEcho starts the static echo program; out reads its replies through
// a buffer, as the pool's reader does.
func startEcho(b *testing.B) (io.WriteCloser, io.Reader, func()) {
	cmd, in, out := startPiped(b, buildProgram(b, echo8Src))
	return in, bufio.NewReader(out), func() {
		if err := cmd.Wait(); err != nil {
			b.Error(err)
		}
	}
}

// upTo yields 0, 1, …, n-1.
func upTo(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}
