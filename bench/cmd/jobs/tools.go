//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// A peer is a program that a scenario runs: multitask or one of the tools
// it is compared with.
type peer struct {
	path    string   // absolute; "" when skip is set
	version string   // the first line of its version, for the header
	env     []string // its environment
	skip    string   // why it is not run; "" when it is
}

// peers are the programs found or built for a run.
type peers struct {
	multitask, xargs, gnu, rush peer
	cluster                     peer   // multitask, with multitask-cluster beside it
	bareTrue, bareWc            peer   // true and wc -l alone: the floors
	sh                          peer   // for the pipelines of the pipe scenario
	commit                      string // the repository's commit that multitask was built from
}

// buildMultitask builds ./cmd/multitask of the repository at repo into dir
// and returns the binary's path.
func buildMultitask(ctx context.Context, repo, dir string, progress io.Writer) (string, error) {
	bin := filepath.Join(dir, "multitask")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/multitask")
	cmd.Dir = repo
	cmd.Stdout, cmd.Stderr = progress, progress
	fmt.Fprintf(progress, "jobs: go build -o %s ./cmd/multitask (in %s)\n", bin, repo)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/multitask: %w", err)
	}
	return bin, nil
}

// clusterPeer builds ./cmd/multitask/multitask-cluster of the repository
// at repo beside multitask at bin, which runs it for --cluster, and
// returns multitask as the peer that runs with it; a build that fails
// makes a peer that is skipped.
func clusterPeer(ctx context.Context, repo, bin string, env []string, progress io.Writer) peer {
	out := filepath.Join(filepath.Dir(bin), "multitask-cluster")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/multitask/multitask-cluster")
	cmd.Dir = repo
	cmd.Stdout, cmd.Stderr = progress, progress
	fmt.Fprintf(progress, "jobs: go build -o %s ./cmd/multitask/multitask-cluster (in %s)\n", out, repo)
	if err := cmd.Run(); err != nil {
		return peer{env: env, skip: "go build ./cmd/multitask/multitask-cluster failed"}
	}
	return peer{path: bin, env: env}
}

// commit names the commit checked out at repo, with -dirty when its files
// differ from it.
func commit(ctx context.Context, repo string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// toolEnv returns the environment the tools run with: this process's, less
// the variables that change GNU parallel's behaviour, with SHELL=/bin/sh.
func toolEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARALLEL") && !strings.HasPrefix(kv, "SHELL=") {
			env = append(env, kv)
		}
	}
	return append(env, "SHELL=/bin/sh")
}

// lookup returns the program name as found on PATH, with the first line it
// prints for --version.
func lookup(ctx context.Context, name string, env []string) peer {
	p := peer{env: env}
	path, err := exec.LookPath(name)
	if err != nil {
		p.skip = "not installed"
		return p
	}
	p.path, p.version = path, firstLine(ctx, env, path, "--version")
	return p
}

// findGNU returns GNU parallel, installed with apt-get when parallel is not
// on PATH, with its environment: env with HOME set to home.
func findGNU(ctx context.Context, env []string, home string, progress io.Writer) peer {
	p := peer{env: append(env[:len(env):len(env)], "HOME="+home)}
	path, err := exec.LookPath("parallel")
	if err != nil {
		if err := installGNU(ctx, progress); err != nil {
			p.skip = "not installed, and " + err.Error()
			return p
		}
		if path, err = exec.LookPath("parallel"); err != nil {
			p.skip = "not on PATH after apt-get installed it"
			return p
		}
	}
	v := firstLine(ctx, p.env, path, "--will-cite", "--version")
	if !strings.HasPrefix(v, "GNU parallel") {
		p.skip = fmt.Sprintf("%s is not GNU parallel (it answers --version with %q)", path, v)
		return p
	}
	p.path, p.version = path, v
	return p
}

// installGNU runs apt-get install -y parallel, with sudo when this process is
// not root, and once more after apt-get update when that fails.
func installGNU(ctx context.Context, progress io.Writer) error {
	var prefix []string
	if os.Geteuid() != 0 {
		sudo, err := exec.LookPath("sudo")
		if err != nil {
			return errors.New("apt-get needs root, and there is no sudo")
		}
		prefix = []string{sudo}
	}
	apt := func(args ...string) error {
		argv := append(prefix[:len(prefix):len(prefix)], append([]string{"apt-get"}, args...)...)
		fmt.Fprintf(progress, "jobs: %s\n", strings.Join(argv, " "))
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, progress, progress // sudo may ask for a password
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s failed: %w", strings.Join(argv, " "), err)
		}
		return nil
	}
	err := apt("install", "-y", "parallel")
	if err == nil || ctx.Err() != nil {
		return err
	}
	if err := apt("update"); err != nil {
		return err
	}
	return apt("install", "-y", "parallel")
}

// findRush returns shenwei356/rush when a rush on PATH answers --version as
// it does; it is never installed.
func findRush(ctx context.Context, env []string) peer {
	p := peer{env: env, skip: "not installed"}
	path, err := exec.LookPath("rush")
	if err != nil {
		return p
	}
	// Another program of that name (Debian's restricted shell) may wait on
	// its stdin or take a while.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v := firstLine(ctx, env, path, "--version")
	if !strings.HasPrefix(v, "rush v") {
		p.skip = fmt.Sprintf("not installed (%s answers --version with %q, not \"rush v...\")", path, v)
		return p
	}
	p.path, p.version, p.skip = path, v, ""
	return p
}

// firstLine runs a program with stdin from /dev/null and returns the first
// line it printed on stdout or, when it failed, the error.
func firstLine(ctx context.Context, env []string, path string, args ...string) string {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	out, err := cmd.Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" && err != nil {
		return err.Error()
	}
	return strings.TrimSpace(line)
}

// machine describes this machine as the header shows it: the CPU model and
// the cores this process may use.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		model = cpuModel(b)
	}
	return fmt.Sprintf("%s, %d cores", model, runtime.NumCPU())
}

// cpuModel returns the first "model name" of /proc/cpuinfo's contents, or
// "unknown CPU".
func cpuModel(cpuinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// piped returns the tool that runs inner with args at the end of a
// pipeline, cat | inner args..., through sh: the scenario's stdin is cat's.
func (p peers) piped(name string, inner peer, args ...string) tool {
	sh := p.sh
	if sh.skip == "" && inner.skip != "" {
		sh.skip = inner.skip
	}
	sh.env = inner.env
	return tool{name, sh, append([]string{"-c", `cat | "$0" "$@"`, inner.path}, args...)}
}
