package bench_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/mp"
	"github.com/multitask-go/multitask/mp/mptest"
)

// TestMain checks after the benchmarks that every pool an adapter opened was
// closed and left no goroutine behind. Goroutines already running at start
// are not ours: ants starts a default pool when its package initialises.
//
// mp.Main comes first: the process benchmarks start copies of this binary
// as children, which run their task there and exit. The fork server that
// the ForkServer benchmark started is stopped before the check. With
// envBigStep set, the binary is BenchmarkBigPayload's helper instead.
func TestMain(m *testing.M) {
	mp.Main()
	if step := os.Getenv(envBigStep); step != "" {
		os.Exit(bigStep(step))
	}
	before := goleak.IgnoreCurrent()
	code := m.Run()
	mptest.StopForkServer()
	if err := goleak.Find(before); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
