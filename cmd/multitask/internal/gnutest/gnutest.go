// Package gnutest runs GNU parallel, the specification of the multitask
// command, for the command's tests.
//
// Tests that compare with GNU parallel skip when it is not installed,
// unless the environment variable named by Require is "1", as .ci/run sets
// it: there a missing GNU parallel fails the test, so that a comparison is
// never skipped and called passing.
package gnutest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Require names the environment variable that makes a missing GNU
// parallel a failure rather than a skip.
const Require = "MULTITASK_REQUIRE_GNU_PARALLEL"

// Path returns the path of GNU parallel, or ends the test: skipped when it
// is not installed, failed when it is not and Require is set.
func Path(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("parallel")
	if err == nil {
		if out, _ := exec.Command(p, "--version").Output(); bytes.HasPrefix(out, []byte("GNU parallel")) {
			return p
		}
		err = errors.New(p + " is not GNU parallel")
	}
	if os.Getenv(Require) == "1" {
		t.Fatalf("GNU parallel is required (Debian package parallel): %v", err)
	}
	t.Skipf("GNU parallel is not installed (Debian package parallel): %v", err)
	return ""
}

// An Outcome is what a run of GNU parallel printed and returned.
type Outcome struct {
	Stdout, Stderr string
	Code           int
}

// Run runs GNU parallel with --will-cite and args in dir, reading stdin,
// with a home directory of its own so that it writes nothing in the real
// one.
func Run(t testing.TB, dir, stdin string, args ...string) Outcome {
	t.Helper()
	cmd := exec.Command(Path(t), append([]string{"--will-cite"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("GNU parallel %q: %v", args, err)
	}
	return Outcome{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// Output is [Run] for a run that must succeed: it fails the test unless
// GNU parallel exits 0, and returns what it printed on stdout.
func Output(t testing.TB, dir, stdin string, args ...string) string {
	t.Helper()
	o := Run(t, dir, stdin, args...)
	if o.Code != 0 {
		t.Fatalf("GNU parallel %q exited with %d\n%s", args, o.Code, o.Stderr)
	}
	return o.Stdout
}
