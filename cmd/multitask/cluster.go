package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/multitask-go/multitask/cmd/multitask/internal/bridge"
)

// clusterProgram is the program that links the cluster code, which the
// command runs rather than links, so that a local run starts fast.
const clusterProgram = "multitask-cluster"

// isClusterCommand reports whether the command line asks for a subcommand
// of multitask-cluster: the worker, the server or the status of a cluster.
func isClusterCommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "worker", "server", "status":
		return true
	}
	return false
}

// findCluster returns the path of multitask-cluster: beside this program,
// where go install puts both, or else on PATH.
func findCluster() (string, error) {
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), clusterProgram)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath(clusterProgram)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("%s is neither beside multitask nor on PATH: "+
				"go install github.com/multitask-go/multitask/cmd/multitask/...@latest installs both", clusterProgram)
		}
		return "", err
	}
	return p, nil
}

// execCluster replaces this process with multitask-cluster running the
// subcommand in args. It returns only when that fails, with the exit
// status.
func execCluster(args []string, stderr io.Writer) int {
	p, err := findCluster()
	if err == nil {
		err = syscall.Exec(p, append([]string{p}, args...), os.Environ())
	}
	fmt.Fprintf(stderr, "multitask: %v\n", err)
	return 255
}

// startBridge starts the bridge to the cluster at url, which runs the
// jobs of the run; with "embedded", a cluster of its own with one worker
// per slot.
func startBridge(url string, slots int, stderr io.Writer) (*bridge.Client, error) {
	p, err := findCluster()
	if err != nil {
		return nil, fmt.Errorf("--cluster: %w", err)
	}
	c, err := bridge.Start(p, []string{"bridge", "--workers", strconv.Itoa(slots), "--", url}, stderr)
	if err != nil {
		return nil, fmt.Errorf("--cluster %s: %w", url, err)
	}
	return c, nil
}
