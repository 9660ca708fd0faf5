package bench_test

import (
	"runtime"
	"testing"
)

// Task counts per benchmark operation. One operation of a batch benchmark
// submits that many tasks and waits for all of them; ns/task and allocs/task
// divide by them, so batch benchmarks compare with Latency per task.
const (
	batchTasks = 200_000 // FireAndForget, SubmitResult
	cpuTasks   = 20_000  // CPU1us
	pyTasks    = 100_000 // ThreadPool100k, as python/threadpool.py
)

// BenchmarkFireAndForget submits tiny tasks that each write one slot and
// waits for the batch in each library's own way, reading no results back
// through the library.
func BenchmarkFireAndForget(b *testing.B) {
	out := make([]int, batchTasks)
	want := triangle(batchTasks)
	task := func(i int) { out[i] = i + 1 }
	eachLibrary(b, func(b *testing.B, r runner) {
		measure(b, batchTasks, func() {
			r.fire(batchTasks, task)
			if got := sumAndClear(out); got != want {
				b.Fatalf("slots add up to %d, want %d", got, want)
			}
		})
	})
}

// BenchmarkSubmitResult submits tiny tasks (x+1) and hands every result back
// to the caller: through futures where the library has them, else through
// memory the task writes plus the library's wait.
func BenchmarkSubmitResult(b *testing.B) {
	benchCollect(b, batchTasks, libraries)
}

// BenchmarkCPU1us runs tasks of about 1µs of CPU work each and reports, as
// efficiency, the share of the machine's CPUs that went into the tasks
// themselves: tasks × (one task's time alone) / GOMAXPROCS / wall time.
func BenchmarkCPU1us(b *testing.B) {
	w := cpuWorkload()
	task := func(i int) int { return spin(w.iters, i) }
	eachLibrary(b, func(b *testing.B, r runner) {
		measure(b, cpuTasks, func() {
			if got := r.collect(cpuTasks, task); got != w.sum {
				b.Fatalf("results add up to %d, want %d", got, w.sum)
			}
		})
		wall := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		busy := cpuTasks * w.taskNs / float64(runtime.GOMAXPROCS(0))
		b.ReportMetric(busy/wall, "efficiency")
		b.ReportMetric(w.taskNs, "cpu-ns/task")
	})
}

// BenchmarkLatency runs one task at a time: submit, wait for its result,
// repeat. ns/op is the round trip through an idle pool.
func BenchmarkLatency(b *testing.B) {
	x := 41
	task := func() int { return x + 1 }
	eachLibrary(b, func(b *testing.B, r runner) {
		measure(b, 1, func() {
			if got := r.roundTrip(task); got != x+1 {
				b.Fatalf("got %d, want %d", got, x+1)
			}
		})
	})
}

// BenchmarkThreadPool100k is multitask alone doing what python/threadpool.py
// does with CPython's ThreadPoolExecutor: 100k submit, then result on each.
func BenchmarkThreadPool100k(b *testing.B) {
	benchCollect(b, pyTasks, libraries[:1])
}

// benchCollect runs n tasks computing i+1 per operation on each of libs and
// checks the sum of the results the caller got back.
func benchCollect(b *testing.B, n int, libs []library) {
	want := triangle(n)
	task := func(i int) int { return i + 1 }
	for _, lib := range libs {
		b.Run(lib.name, func(b *testing.B) {
			r := lib.open(b, runtime.GOMAXPROCS(0))
			defer r.close()
			measure(b, n, func() {
				if got := r.collect(n, task); got != want {
					b.Fatalf("results add up to %d, want %d", got, want)
				}
			})
		})
	}
}

// eachLibrary runs body as one sub-benchmark per library, with a pool of
// GOMAXPROCS workers opened before body and closed after it.
func eachLibrary(b *testing.B, body func(b *testing.B, r runner)) {
	for _, lib := range libraries {
		b.Run(lib.name, func(b *testing.B) {
			r := lib.open(b, runtime.GOMAXPROCS(0))
			defer r.close()
			body(b, r)
		})
	}
}

// measure times op, which runs tasks tasks, and reports ns/task and
// allocs/task next to the usual per-operation figures. op runs once before
// the clock starts so that every pool has its workers up and its queues
// grown: what is measured is the steady state.
func measure(b *testing.B, tasks int, op func()) {
	b.ReportAllocs()
	op()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		op()
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(tasks)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/task")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/task")
}

// triangle is 1 + 2 + ... + n, the sum of i+1 over i in [0, n).
func triangle(n int) int { return n * (n + 1) / 2 }
