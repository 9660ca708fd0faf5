package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/mp"
	"github.com/multitask-go/multitask/mp/mptest"
)

func TestMain(m *testing.M) {
	mp.Main()
	goleak.VerifyTestMain(m)
}

// TestRun runs the program with each start method. The deadline leaves
// room for the finished jobs' children to exit: a race-enabled child
// sleeps a second at exit (GORACE's atexit_sleep_ms), and more on a busy
// machine.
func TestRun(t *testing.T) {
	for _, method := range []string{"spawn", "forkserver", "fork"} {
		t.Run(method, func(t *testing.T) {
			// The fork server ends with the program; goleak looks before.
			t.Cleanup(mptest.StopForkServer)
			var out, errOut bytes.Buffer
			if code := run([]string{"-method", method, "-timeout", "5s"}, &out, &errOut); code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
			}
			got := out.String()
			for _, want := range []string{
				"sum-1k     ok: 499500",
				"refuses    failed: job refuses: bad input",
				"panics     failed: panicked: job panics lost its way",
				"segfaults  failed: crashed (exit code 2)",
				"hangs      failed: past its 5s deadline, killed (exit code -9)",
				"sum-1m     ok: 499999500000",
				"6 jobs, 4 failed, and this process is fine",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

func TestRunBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown method": {"-method", "clone"},
		"bad flag":       {"-timeout", "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
		})
	}
}
