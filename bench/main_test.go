package bench_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/mp"
)

// TestMain checks after the benchmarks that every pool an adapter opened was
// closed and left no goroutine behind. Goroutines already running at start
// are not ours: ants starts a default pool when its package initialises.
//
// mp.Main comes first: the process benchmarks start copies of this binary
// as children, which run their task there and exit.
func TestMain(m *testing.M) {
	mp.Main()
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}
