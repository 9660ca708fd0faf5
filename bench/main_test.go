package bench_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks after the benchmarks that every pool an adapter opened was
// closed and left no goroutine behind. Goroutines already running at start
// are not ours: ants starts a default pool when its package initialises.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}
