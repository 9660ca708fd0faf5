package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if reaper.IsReaper(os.Args) {
		os.Exit(reaper.Serve(os.Stdin))
	}
	// Both runners must use the same shell: GNU parallel would otherwise
	// take the first shell among its ancestors.
	os.Setenv("PARALLEL_SHELL", "/bin/sh")
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines leaked: " + err.Error() + "\n")
			return 1
		}
	}
	return code
}

// outcome is what a run printed and returned.
type outcome struct {
	stdout, stderr string
	code           int
}

// runIn runs multitask in-process with args and stdin.
func runIn(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return outcome{out.String(), errOut.String(), code}
}

// gnuParallel is the path of GNU parallel, or "" when it is not installed.
// MULTITASK_REQUIRE_GNU_PARALLEL=1 (set by .ci/run) turns its absence into
// a failure rather than a skip.
func gnuParallel(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("parallel")
	if err == nil {
		if out, _ := exec.Command(p, "--version").Output(); bytes.HasPrefix(out, []byte("GNU parallel")) {
			return p
		}
	}
	if os.Getenv("MULTITASK_REQUIRE_GNU_PARALLEL") == "1" {
		t.Fatal("GNU parallel is required (Debian package parallel) and not installed")
	}
	t.Skip("GNU parallel is not installed (Debian package parallel)")
	return ""
}

// runGNU runs GNU parallel with args and stdin, in dir, with a home of its
// own so that it writes nothing in the real one.
func runGNU(t *testing.T, dir, stdin string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(gnuParallel(t), append([]string{"--will-cite"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return outcome{out.String(), errOut.String(), code}
}

// inDir runs f with the working directory set to dir.
func inDir(t *testing.T, dir string, f func()) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	f()
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
