package bench_test

import (
	"math"
	"sync"
	"time"
)

// spin is the CPU work of one CPU1us task: iters steps of a 64-bit linear
// congruential generator with an xor-shift, a chain of dependent multiplies
// that the compiler cannot shorten. The result depends on seed so that a
// task that did not run, or ran twice, changes the sum.
func spin(iters, seed int) int {
	x := uint64(seed)*0x9e3779b97f4a7c15 | 1
	for range iters {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 31
	}
	return int(x >> 16) // small enough that the sum of a batch never wraps
}

// A cpuWork is the calibrated CPU1us workload.
type cpuWork struct {
	iters  int     // spin iterations that take about 1µs
	taskNs float64 // measured time of one task run alone, in nanoseconds
	sum    int     // sum of the results of tasks 0..cpuTasks-1
}

// spinSink keeps the calibration's spins from being optimised away.
var spinSink int

// cpuWorkload calibrates spin once per process: it picks the iteration count
// for about 1µs on this machine, then times cpuTasks tasks in a row on one
// goroutine, best of three, which gives both the single-task time that
// efficiency is measured against and the expected sum. Best-of runs keep a
// neighbour's burst of CPU use out of the figures.
var cpuWorkload = sync.OnceValue(func() cpuWork {
	const probe = 1 << 20
	best := time.Duration(math.MaxInt64)
	for range 5 {
		start := time.Now()
		spinSink += spin(probe, 1)
		best = min(best, time.Since(start))
	}
	w := cpuWork{iters: max(1, int(probe*1000/best.Nanoseconds()))}

	best = time.Duration(math.MaxInt64)
	for range 3 {
		start := time.Now()
		sum := 0
		for i := range cpuTasks {
			sum += spin(w.iters, i)
		}
		best = min(best, time.Since(start))
		w.sum = sum
	}
	w.taskNs = float64(best.Nanoseconds()) / cpuTasks
	return w
})
