package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/proctest"
)

// outcome is what a run printed and returned.
type outcome struct {
	stdout, stderr string
	code           int
}

// runMultitask runs the multitask built for the tests in dir.
func runMultitask(t *testing.T, dir, stdin string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(programs(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return outcome{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// joblogColumns reads a joblog without the columns no two runs share:
// Starttime and JobRuntime.
func joblogColumns(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for line := range strings.Lines(string(b)) {
		f := strings.Split(line, "\t")
		if len(f) < 9 {
			t.Fatalf("%s: short joblog line %q", path, line)
		}
		rows = append(rows, strings.Join(slices.Delete(f, 2, 4), "\t"))
	}
	return rows
}

func TestClusterRunsLikeLocal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"values", "", []string{"-k", "echo", ":::", "a", "b c", "it's"}},
		{"exit statuses and stderr", "", []string{"-k", "echo {}; echo err {} >&2; exit {}", ":::", "0", "1", "2"}},
		{"stdin lines and tags", "x\ny\n", []string{"-k", "--tag", "echo {}"}},
		{"several values", "", []string{"-k", "-n2", "echo", ":::", "1", "2", "3", "4", "5"}},
		{"pipe blocks", strings.Repeat("line\n", 10), []string{"-k", "--pipe", "--block", "10", "wc", "-c"}},
		{"pipe blocks in files", strings.Repeat("line\n", 10), []string{"-k", "--pipe", "--cat", "--block", "10", "wc -c < {}; cat | wc -c"}},
		{"environment", "", []string{"-k", `echo "$PARALLEL_SEQ"`, ":::", "a", "b"}},
		{"line buffer", "", []string{"--line-buffer", "--tag", "echo a; echo b", ":::", "1"}},
		{"signal", "", []string{"-k", "kill -9 $$", ":::", "1"}},
		{"not found", "", []string{"-k", "no-such-command-anywhere", ":::", "1"}},
		{"halt", "", []string{"-j1", "--halt", "now,fail=1", "exit {}", ":::", "0", "3", "0"}},
		{"timeout and retries", "", []string{"-k", "--timeout", "0.5", "--retries", "3", "echo try >> tries; echo out {}; sleep {}", ":::", "0", "10"}},
		{"results", "", []string{"-k", "--results", "res", "echo {}", ":::", "a", "b"}},
		{"workdir and nice", "", []string{"-k", "--wd", "w/{}", "--nice", "3", "basename $PWD; nice", ":::", "a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dirs [2]string
			var got [2]outcome
			for i, mode := range [][]string{nil, {"--cluster", "embedded"}} {
				dirs[i] = t.TempDir()
				args := slices.Concat(mode, []string{"-j2", "--joblog", "jl"}, tc.args)
				got[i] = runMultitask(t, dirs[i], tc.stdin, args...)
			}
			local, remote := got[0], got[1]
			if remote != local {
				t.Errorf("over the cluster: exit %d\nstdout %q\nstderr %q\nlocally: exit %d\nstdout %q\nstderr %q",
					remote.code, remote.stdout, remote.stderr, local.code, local.stdout, local.stderr)
			}
			if l, r := joblogColumns(t, filepath.Join(dirs[0], "jl")), joblogColumns(t, filepath.Join(dirs[1], "jl")); !slices.Equal(r, l) {
				t.Errorf("joblog without times over the cluster\n%q\nlocally\n%q", r, l)
			}
			for _, name := range []string{"tries", "res/1/a/stdout", "res/1/b/stdout"} {
				l, lerr := os.ReadFile(filepath.Join(dirs[0], name))
				r, rerr := os.ReadFile(filepath.Join(dirs[1], name))
				if !bytes.Equal(l, r) || (lerr == nil) != (rerr == nil) {
					t.Errorf("%s: over the cluster %q (%v), locally %q (%v)", name, r, rerr, l, lerr)
				}
			}
		})
	}
}

func TestResumeOverTheCluster(t *testing.T) {
	args := []string{"-k", "--joblog", "jl", "echo {}; exit {}", ":::", "0", "1", "0", "2"}
	var dirs [2]string
	var got [2]outcome
	for i, mode := range [][]string{nil, {"--cluster", "embedded"}} {
		dirs[i] = t.TempDir()
		if first := runMultitask(t, dirs[i], "", args...); first.code != 2 {
			t.Fatalf("first run: %+v", first)
		}
		got[i] = runMultitask(t, dirs[i], "", slices.Concat(mode, []string{"--resume-failed"}, args)...)
	}
	if got[1] != got[0] || got[1].stdout != "1\n2\n" {
		t.Errorf("resumed over the cluster %+v, locally %+v; want the failed jobs only", got[1], got[0])
	}
	if l, r := joblogColumns(t, filepath.Join(dirs[0], "jl")), joblogColumns(t, filepath.Join(dirs[1], "jl")); !slices.Equal(r, l) {
		t.Errorf("joblog over the cluster\n%q\nlocally\n%q", r, l)
	}
}

// A proc is a long-lived process of a test: stopped with SIGTERM and
// waited for at the test's end, and killed if it does not stop.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProc(t *testing.T, stdout *os.File, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(programs(t), args...)
	cmd.Stdout, cmd.Stderr = stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop ends p with SIGTERM, or SIGKILL after 20s, and waits for it.
func (p *proc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%v did not stop on SIGTERM", p.cmd.Args)
	}
}

// startServer starts multitask server on loopback and returns its URL.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	startProc(t, w, append([]string{"server", "--listen", "127.0.0.1:0", "--insecure"}, args...)...)
	w.Close()
	url, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("the server printed %q, %v; want its URL", url, err)
	}
	return strings.TrimSpace(url)
}

// waitFile waits for file to hold a line and returns it.
func waitFile(t *testing.T, file string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(file); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written", file)
		}
	}
}

func TestKilledWorkersJobRunsElsewhereAndPrintsOnce(t *testing.T) {
	url := startServer(t)
	var workers []*proc
	for range 2 {
		workers = append(workers, startProc(t, nil, "worker", url, "-j1", "--ack-wait", "1s"))
	}
	dir := t.TempDir()
	// The first run of the job tells its worker (the shell's parent) and
	// a process it left in the background, then waits; the second prints.
	// Jobs run in their worker's working directory.
	script := "cd " + dir + `; if mkdir first 2>/dev/null; then sleep 60 & echo $! > sleeper; echo $PPID > worker; wait; fi; echo done {}`
	cmd := exec.Command(programs(t), "--cluster", url, "--joblog", "jl", script, ":::", "x")
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	victim, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "worker")))
	sleeper, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "sleeper")))
	var killed *proc
	for _, w := range workers {
		if w.cmd.Process.Pid == victim {
			killed = w
		}
	}
	if killed == nil {
		t.Fatalf("the job's parent %d is no worker", victim)
	}
	killed.cmd.Process.Kill()
	<-killed.done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("multitask: %v\n%s", err, errOut.String())
	}
	if out.String() != "done x\n" {
		t.Fatalf("stdout %q; want the second run's output, once", out.String())
	}
	if rows := joblogColumns(t, filepath.Join(dir, "jl")); len(rows) != 2 || !strings.HasPrefix(rows[1], "1\t:\t0\t7\t0\t0\t") {
		t.Fatalf("joblog %q", rows)
	}
	wait, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if !proctest.Gone(wait, sleeper) {
		syscall.Kill(sleeper, syscall.SIGKILL)
		t.Fatalf("process %d of the killed worker's job survived it", sleeper)
	}
}

func TestServerRefusesToListenInsecurely(t *testing.T) {
	for _, args := range [][]string{
		{"server", "--listen", "0.0.0.0:0"},
		{"server", "--listen", "0.0.0.0:0", "--insecure"},
		{"server", "--listen", "127.0.0.1:0"},
		{"server", "--listen", "0.0.0.0:0", "--user", "u", "--password", "p"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
		if code != 255 || out.Len() != 0 || !strings.Contains(errOut.String(), "needs TLS and authentication") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want a refusal", args, code, out.String(), errOut.String())
		}
	}
}

// TestEnvReachesWorkers gives a job over the cluster a variable of the
// submitting process that its worker lacks.
func TestEnvReachesWorkers(t *testing.T) {
	url := startServer(t)
	startProc(t, nil, "worker", url, "-j1") // before the variable is set
	t.Setenv("MULTITASK_TEST_ENV", "from the submitter")
	o := runMultitask(t, t.TempDir(), "", "--cluster", url, "--env", "MULTITASK_TEST_E*", `echo "[$MULTITASK_TEST_ENV]"`, ":::", "1")
	if o.code != 0 || o.stdout != "[from the submitter] 1\n" {
		t.Fatalf("--env over the cluster: %+v", o)
	}
	o = runMultitask(t, t.TempDir(), "", "--cluster", url, `echo "[$MULTITASK_TEST_ENV]"`, ":::", "1")
	if o.code != 0 || o.stdout != "[] 1\n" {
		t.Fatalf("without --env, over the cluster: %+v", o)
	}
}

func TestStatus(t *testing.T) {
	url := startServer(t)
	status := func() queueStatus {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"status", "--json", "--cluster", url}, nil, &out, &errOut); code != 0 {
			t.Fatalf("status: exit %d: %s", code, errOut.String())
		}
		var s queueStatus
		if err := json.Unmarshal(out.Bytes(), &s); err != nil {
			t.Fatalf("status --json printed %q: %v", out.String(), err)
		}
		return s
	}
	if s := status(); s != (queueStatus{Queue: "multitask"}) {
		t.Fatalf("status of a new server: %+v", s)
	}
	// A job with no worker waits in the queue.
	dir := t.TempDir()
	// The worker runs jobs in its own directory, the package's: write nothing.
	cmd := exec.Command(programs(t), "--cluster", url, "echo", ":::", "done")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for s := status(); s.Queued != 1; s = status() {
		time.Sleep(50 * time.Millisecond)
	}
	startProc(t, nil, "worker", url, "-j", "2")
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	// The worker reports the jobs it ended a moment after.
	waitStatus := func(want queueStatus) {
		t.Helper()
		s := status()
		for deadline := time.Now().Add(30 * time.Second); s != want; s = status() {
			if time.Now().After(deadline) {
				t.Fatalf("status %+v; want %+v", s, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitStatus(queueStatus{Queue: "multitask", Workers: 1, Done: 1})
	var out bytes.Buffer
	if code := run(context.Background(), []string{"status", url}, nil, &out, os.Stderr); code != 0 {
		t.Fatalf("status: exit %d", code)
	}
	want := "queue        multitask\nworkers      1\nqueued       0\nrunning      0\nredelivered  0\n" +
		"done         1\nfailed       0\ndead         0\n"
	if out.String() != want {
		t.Fatalf("status printed\n%s\nwant\n%s", out.String(), want)
	}

	// A job that exits 3 once the other has begun halts the run, which
	// stops the other: one more done, and one failed.
	began := filepath.Join(t.TempDir(), "began")
	if got := runMultitask(t, dir, "", "--cluster", url, "-j2", "--halt", "now,fail=1", "sh", "-c", "{}", ":::",
		"while [ ! -e "+began+" ]; do sleep 0.05; done; exit 3", "touch "+began+"; exec sleep 60"); got.code != 3 {
		t.Fatalf("the halted run: %+v", got)
	}
	waitStatus(queueStatus{Queue: "multitask", Workers: 1, Done: 2, Failed: 1})
}

func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"nonsense"}, `unknown subcommand "nonsense"`},
		{[]string{"worker"}, "multitask worker: no URL"},
		{[]string{"status", "a", "b"}, "multitask status: one URL"},
		{[]string{"worker", "--tls-cert", "c", "nats://127.0.0.1:1"}, "need --tls-ca"},
		{[]string{"status", "nats://127.0.0.1:1"}, "multitask status: cluster: connect to nats://127.0.0.1:1"},
		{[]string{"bridge", "embedded"}, "started by multitask --cluster"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut); code != 255 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 255 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	if got := runMultitask(t, t.TempDir(), "", "--cluster", "nats://127.0.0.1:1", "true", ":::", "1"); got.code != 255 ||
		!strings.Contains(got.stderr, "multitask: --cluster nats://127.0.0.1:1: cluster: connect to nats://127.0.0.1:1") {
		t.Errorf("multitask --cluster with no server: %+v", got)
	}
}
