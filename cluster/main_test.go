package cluster_test

import (
	"os"
	"testing"

	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
)

func TestMain(m *testing.M) {
	mp.Main() // in a child process: run its task and exit
	os.Exit(proctest.Check(m.Run()))
}
