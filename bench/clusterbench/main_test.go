// Package clusterbench_test holds the Cluster benchmarks, apart from the
// bench package's: a test binary that links nats-server is three times the
// size of one that does not, and the children that mp starts from it take
// longer to start and more memory, which would skew the process figures.
package clusterbench_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/mp"
)

// TestMain runs mp.Main first, since the worker processes of the
// benchmarks are copies of this binary, then checks that the benchmarks
// left no goroutine behind.
func TestMain(m *testing.M) {
	mp.Main()
	before := goleak.IgnoreCurrent()
	code := m.Run()
	if err := goleak.Find(before); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
