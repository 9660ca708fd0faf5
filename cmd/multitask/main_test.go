package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"github.com/multitask-go/multitask/internal/proctest"
)

func TestMain(m *testing.M) {
	if reaper.IsReaper(os.Args) {
		os.Exit(reaper.Serve(os.Stdin))
	}
	// Both runners must use the same shell: GNU parallel would otherwise
	// take the first shell among its ancestors.
	os.Setenv("PARALLEL_SHELL", "/bin/sh")
	// multitask reads GNU parallel's profiles and $PARALLEL, as GNU does:
	// the tests run with none, in a home of their own (GNU's runs have
	// theirs, see gnuHome), and keep Go's caches where they are.
	home, err := hermeticHome()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Every in-process run starts this binary as its reaper, which under
	// the race detector would sleep a second at exit (atexit_sleep_ms)
	// waiting for reports that a finished process can no longer have.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	code := runTests(m)
	os.RemoveAll(home)
	os.Exit(code)
}

// hermeticHome makes HOME a new empty directory and clears the variables
// that name GNU parallel's configuration, keeping Go's caches, which
// default to places in HOME, where they are.
func hermeticHome() (string, error) {
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			return "", fmt.Errorf("go env %s: %w", v, err)
		}
		os.Setenv(v, strings.TrimSpace(string(out)))
	}
	home, err := os.MkdirTemp("", "multitask-test-home-")
	if err != nil {
		return "", err
	}
	os.Setenv("HOME", home)
	for _, v := range []string{"PARALLEL", "PARALLEL_HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS"} {
		os.Unsetenv(v)
	}
	return home, nil
}

func runTests(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if gnuHomeDir != "" {
		os.RemoveAll(gnuHomeDir)
	}
	return proctest.Check(code)
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

// runInFile is runIn with stdin a regular file, as a shell's < gives it.
func runInFile(t *testing.T, stdin string, args ...string) outcome {
	t.Helper()
	f, err := os.Open(writeFile(t, t.TempDir(), "stdin", stdin))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, f, &out, &errOut)
	return outcome{out.String(), errOut.String(), code}
}

// gnuWorkers is how many GNU parallel runs are made at once. Each spends
// about a second starting, much of it waiting on the disk and the
// scheduler, so a few at a time keep two cores busy without starving the
// runs that time their jobs.
const gnuWorkers = 4

// A gnuRun is a GNU parallel run made in the background, so that the
// slow starts of many runs overlap each other and multitask's own runs.
type gnuRun struct {
	dir, stdin string
	args       []string
	done       chan struct{} // closed when out and err are set
	out        outcome
	err        error
}

var (
	gnuHomeOnce sync.Once
	gnuHomeDir  string
	gnuHomeErr  error
)

// gnuHome is the home directory of every GNU parallel run, so that none
// writes in the real one. GNU parallel caches there what it measures of
// the machine (the longest command line, which takes it most of a second
// to find); a first run fills the cache before any runs side by side, and
// the later ones only read it.
func gnuHome(t *testing.T, path string) string {
	t.Helper()
	gnuHomeOnce.Do(func() {
		if gnuHomeDir, gnuHomeErr = os.MkdirTemp("", "multitask-gnu-home-"); gnuHomeErr != nil {
			return
		}
		cmd := exec.Command(path, "--will-cite", "true", ":::", "1")
		cmd.Env = append(os.Environ(), "HOME="+gnuHomeDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			gnuHomeErr = fmt.Errorf("GNU parallel's first run: %w\n%s", err, out)
		}
	})
	if gnuHomeErr != nil {
		t.Fatal(gnuHomeErr)
	}
	return gnuHomeDir
}

// startGNU runs each of runs with GNU parallel in its dir, gnuWorkers at a
// time, in the background; wait gives each one's outcome. The test's
// cleanup kills what still runs and waits for it.
func startGNU(t *testing.T, runs ...*gnuRun) {
	t.Helper()
	path := gnutest.Path(t)
	home := gnuHome(t, path)
	for _, r := range runs {
		r.done = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	next := make(chan *gnuRun)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(next)
		for i, r := range runs {
			select {
			case next <- r:
			case <-ctx.Done():
				for _, r := range runs[i:] {
					r.err = ctx.Err()
					close(r.done)
				}
				return
			}
		}
	})
	for range min(gnuWorkers, len(runs)) {
		wg.Go(func() {
			for r := range next {
				r.out, r.err = r.run(ctx, path, home)
				close(r.done)
			}
		})
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// gnuHang bounds a run of GNU parallel. Now and then it hangs for good
// (with --pipe --bin and a job that stops reading, say), so a run that
// takes longer is killed and run once more.
const gnuHang = time.Minute

// run runs GNU parallel with home as its home directory, a second time
// if the first hangs.
func (r *gnuRun) run(ctx context.Context, path, home string) (outcome, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, gnuHang)
		o, err := r.runOnce(actx, path, home)
		hung := ctx.Err() == nil && actx.Err() != nil
		cancel()
		switch {
		case !hung:
			return o, err
		case attempt == 2:
			return outcome{}, fmt.Errorf("GNU parallel %q hung twice (killed after %v)", r.args, gnuHang)
		}
	}
}

// runOnce runs GNU parallel once, killed when ctx ends.
func (r *gnuRun) runOnce(ctx context.Context, path, home string) (outcome, error) {
	cmd := exec.CommandContext(ctx, path, append([]string{"--will-cite"}, r.args...)...)
	// GNU parallel runs in a session of its own, which holds its helpers
	// and its jobs' process groups. A run cut short is killed with all of
	// them; WaitDelay bounds the wait for what holds its output.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error {
		proctest.KillSession(cmd.Process.Pid)
		return nil
	}
	cmd.WaitDelay = 30 * time.Second
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.Stdin = strings.NewReader(r.stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if cmd.Process != nil {
		// What GNU parallel leaves in its session once it has exited is a
		// helper it did not wait for: with --tee, a tee blocked for ever
		// on the FIFO of a job that never opened it.
		proctest.KillSession(cmd.Process.Pid)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return outcome{out.String(), errOut.String(), ee.ExitCode()}, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("GNU parallel %q: %w", r.args, err)
	}
	return outcome{out.String(), errOut.String(), 0}, nil
}

// wait waits for the run and returns its outcome.
func (r *gnuRun) wait(t *testing.T) outcome {
	t.Helper()
	<-r.done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.out
}

// runGNU runs GNU parallel with args and stdin in dir, and waits for it.
func runGNU(t *testing.T, dir, stdin string, args ...string) outcome {
	t.Helper()
	r := &gnuRun{dir: dir, stdin: stdin, args: args}
	startGNU(t, r)
	return r.wait(t)
}

// A pair is one command line for both runners, each in a directory of
// its own holding the same files.
type pair struct {
	files          map[string]string
	stdin          string
	args           []string
	gnuArgs        []string // GNU's command line when not args
	stdinFile      bool     // multitask's stdin is a regular file, not a pipe
	gnuDir, ourDir string
	gnu            *gnuRun
}

// startPairs makes each pair's directories and starts its GNU parallel
// runs in the background.
func startPairs(t *testing.T, pairs ...*pair) {
	t.Helper()
	runs := make([]*gnuRun, len(pairs))
	for i, p := range pairs {
		p.gnuDir, p.ourDir = t.TempDir(), t.TempDir()
		for name, content := range p.files {
			writeFile(t, p.gnuDir, name, content)
			writeFile(t, p.ourDir, name, content)
		}
		p.gnu = &gnuRun{dir: p.gnuDir, stdin: p.stdin, args: p.args}
		if p.gnuArgs != nil {
			p.gnu.args = p.gnuArgs
		}
		runs[i] = p.gnu
	}
	startGNU(t, runs...)
}

// run runs multitask in its directory (one at a time: it changes the
// working directory) and returns both outcomes.
func (p *pair) run(t *testing.T) (gnu, ours outcome) {
	t.Helper()
	inDir(t, p.ourDir, func() {
		if p.stdinFile {
			ours = runInFile(t, p.stdin, p.args...)
		} else {
			ours = runIn(t, p.stdin, p.args...)
		}
	})
	return p.gnu.wait(t), ours
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
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
