package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
)

// The test binary is also multitask-cluster: a link named so, beside a
// multitask built for the tests, runs it as the program (see programs),
// so that workers, servers and bridges run under the race detector.
func TestMain(m *testing.M) {
	if reaper.IsReaper(os.Args) {
		os.Exit(reaper.Serve(os.Stdin))
	}
	mp.Main()
	if filepath.Base(os.Args[0]) == clusterName {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Setenv("PARALLEL_SHELL", "/bin/sh")
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(proctest.Check(code))
}

const clusterName = "multitask-cluster"

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// programs returns the path of a multitask built for the tests, with
// multitask-cluster beside it: a link to the test binary.
func programs(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "multitask-cluster-test-"); buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "multitask"), "..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		exe, err := os.Executable()
		if err != nil {
			buildErr = err
			return
		}
		buildErr = os.Symlink(exe, filepath.Join(binDir, clusterName))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "multitask")
}
