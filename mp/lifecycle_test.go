package mp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
	"github.com/multitask-go/multitask/mp/mptest"
	"github.com/multitask-go/multitask/threads"
)

// Environment flags that turn this test binary into a misbehaving program.
const (
	envDupRegister = "MP_TEST_DUP_REGISTER"
	envNoMain      = "MP_TEST_NO_MAIN"
	envRunExit     = "MP_TEST_RUN_EXIT" // the value says which context runExitProgram gives
)

var _ = func() int {
	if os.Getenv(envDupRegister) != "" {
		mp.Register("square", func(ctx context.Context, x int) (int, error) { return x, nil })
	}
	return 0
}()

// exitKey is a context key for runExitProgram's derived context.
type exitKey struct{}

// runExitProgram is the program a Python user writes: inside threads.Run,
// main starts a non-daemon and a daemon process and returns, with how
// saying which context the processes get. It prints what became of them
// once Run has returned, and returns the exit status.
func runExitProgram(how string) int {
	var worker, daemon *mp.Process
	err := threads.Run(func(ctx context.Context) error {
		var opts []mp.ProcessOption
		switch how {
		case "none":
		case "main's":
			opts = append(opts, mp.Context(ctx))
		case "derived from main's":
			opts = append(opts, mp.Context(context.WithValue(ctx, exitKey{}, how)))
		case "unrelated":
			opts = append(opts, mp.Context(context.Background()))
		default:
			return fmt.Errorf("no context %q", how)
		}
		worker = mp.NewProcess(square, 4, opts...)
		// The daemon ignores its context and its grace outlasts the test,
		// so only the SIGTERM that ends a daemon at exit ends it.
		daemon = mp.NewProcess(hangs, struct{}{}, append(opts, mp.Daemon(true), mp.Grace(time.Hour))...)
		if err := worker.Start(); err != nil {
			return err
		}
		return daemon.Start()
	})
	if err != nil {
		fmt.Println("Run:", err)
		return 1
	}
	// Alive first: Result would wait for a worker still running.
	fmt.Printf("worker alive=%v code=%d; daemon alive=%v code=%d; children left %d\n",
		worker.Alive(), worker.ExitCode(), daemon.Alive(), daemon.ExitCode(), len(proctest.Children(os.Getpid())))
	v, err := square.Result(context.Background(), worker)
	fmt.Printf("worker result %d, %v\n", v, err)
	return 0
}

// As in Python, a program's non-daemon children are joined at exit and its
// daemon children terminated, with SIGTERM, without an extra call and
// whatever context they were given.
func TestDaemonRulesAtRunExit(t *testing.T) {
	t.Parallel()
	want := "worker alive=false code=0; daemon alive=false code=-15; children left 0\nworker result 16, <nil>\n"
	for _, how := range []string{"none", "main's", "derived from main's", "unrelated"} {
		t.Run(how+" context", func(t *testing.T) {
			t.Parallel()
			out, err := rerun(t, envRunExit+"="+how)
			if err != nil || string(out) != want {
				t.Fatalf("the program: %v; it printed:\n%s\nwant:\n%s", err, out, want)
			}
		})
	}
}

func TestRunWaitsForNonDaemonProcesses(t *testing.T) {
	// Not parallel: the run adopts every process started while it runs.
	var worker, daemon *mp.Process
	err := threads.Run(func(ctx context.Context) error {
		worker = mp.NewProcess(square, 4, mp.Context(ctx))
		daemon = mp.NewProcess(hangs, struct{}{}, mp.Context(ctx), mp.Daemon(true), mp.Grace(10*time.Millisecond))
		if err := worker.Start(); err != nil {
			return err
		}
		return daemon.Start()
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Run returned only after the non-daemon child exited by itself, and
	// after stopping the daemon child.
	if worker.Alive() || worker.ExitCode() != 0 {
		t.Fatalf("non-daemon child: alive %v, exit code %d; want joined with 0", worker.Alive(), worker.ExitCode())
	}
	if v, err := square.Result(context.Background(), worker); v != 16 || err != nil {
		t.Fatalf("non-daemon child's result: %v, %v", v, err)
	}
	if daemon.Alive() || daemon.ExitCode() >= 0 {
		t.Fatalf("daemon child: alive %v, exit code %d; want stopped by a signal", daemon.Alive(), daemon.ExitCode())
	}
}

func TestDuplicateRegistrationPanicsAtInit(t *testing.T) {
	t.Parallel()
	out, err := rerun(t, envDupRegister)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(string(out), `mp: Register("square"): the name is already registered`) {
		t.Fatalf("binary with a duplicate name: %v, output:\n%s", err, out)
	}
}

func TestChildWithoutMainSaysSo(t *testing.T) {
	// Not parallel: the child must inherit envNoMain from this process.
	t.Setenv(envNoMain, "1")
	ctx := guard(t)
	var stderr strings.Builder
	p := start(t, mp.NewProcess(square, 2, mp.Output(nil, &stderr)))
	if err := p.Join(ctx); !errors.Is(err, mp.ErrNoMain) {
		t.Fatalf("Join = %v, want ErrNoMain", err)
	}
	if !strings.Contains(stderr.String(), "call mp.Main() first") {
		t.Fatalf("the child did not say what is wrong; stderr:\n%s", stderr.String())
	}
}

func TestChildRunByHand(t *testing.T) {
	t.Parallel()
	out, err := rerun(t, "MULTITASK_CHILD=1:00ff")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "not started by a multitask parent") {
		t.Fatalf("child run by hand: %v, output:\n%s", err, out)
	}
}

// rerun runs this test binary with env set (NAME or NAME=VALUE) and no
// test selected, and returns its combined output.
func rerun(t *testing.T, env string) ([]byte, error) {
	t.Helper()
	if !strings.Contains(env, "=") {
		env += "=1"
	}
	cmd := exec.CommandContext(guard(t), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	return cmd.CombinedOutput()
}

// label is a variable that Fork children receive as it was at Start.
var label = mp.Inherit(new(string))

var readLabel = mp.Register("read-label", func(ctx context.Context, _ struct{}) (string, error) {
	return *label, nil
})

func TestForkSnapshotsInheritedVariables(t *testing.T) {
	// Not parallel: it writes the package-level variable.
	ctx := guard(t)
	*label = "at start"
	fork := start(t, mp.NewProcess(readLabel, struct{}{}, mp.Method(mp.Fork)))
	*label = "changed after start"
	spawn := start(t, mp.NewProcess(readLabel, struct{}{}))
	if got, err := readLabel.Result(ctx, fork); got != "at start" || err != nil {
		t.Fatalf("Fork child saw %q, %v; want the value at its Start", got, err)
	}
	if got, err := readLabel.Result(ctx, spawn); got != "" || err != nil {
		t.Fatalf("Spawn child saw %q, %v; want the zero value: Spawn carries no snapshot", got, err)
	}
}

func TestDetachedChildRuns(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := start(t, mp.NewProcess(square, 6, mp.Detached(true)))
	if v, err := square.Result(ctx, p); v != 36 || err != nil {
		t.Fatalf("detached child: %v, %v", v, err)
	}
}

func TestStartMethodString(t *testing.T) {
	t.Parallel()
	for m, want := range map[mp.StartMethod]string{mp.Spawn: "spawn", mp.ForkServer: "forkserver", mp.Fork: "fork", 9: "StartMethod(9)"} {
		if got := m.String(); got != want {
			t.Errorf("%d: %q, want %q", m, got, want)
		}
	}
}

// writesToPassed writes a greeting to the one file it was passed. (A
// listener passes the same way; the test uses a pipe so that the test
// binary does not need package net.)
var writesToPassed = mp.Register("writes-to-passed", func(ctx context.Context, _ struct{}) (int, error) {
	files := mp.InheritedFiles()
	if len(files) != 1 {
		return 0, fmt.Errorf("%d files passed, want 1", len(files))
	}
	defer files[0].Close()
	return files[0].Write([]byte("hello from the child"))
})

func TestForkPassesFiles(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := start(t, mp.NewProcess(writesToPassed, struct{}{}, mp.Method(mp.Fork), mp.PassFiles(w)))
	w.Close() // the child holds its own copy now
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello from the child" {
		t.Fatalf("read %q, %v", got, err)
	}
	if n, err := writesToPassed.Result(ctx, p); n != len(got) || err != nil {
		t.Fatalf("child: %d, %v", n, err)
	}
	if err := mp.NewProcess(writesToPassed, struct{}{}, mp.PassFiles(os.Stdin)).Start(); err == nil {
		t.Fatal("PassFiles with Spawn was accepted")
	}
}

// fstat reports what fstat(2) says of descriptor fd in the child.
var fstat = mp.Register("fstat", func(ctx context.Context, fd int) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return err.Error(), nil
	}
	return "open", nil
})

// CPython's test_closefd: a child started by Spawn or ForkServer does not
// get a descriptor of its parent's that lacks close-on-exec, only the
// handles given. Nor does a Fork child, whose snapshot holds only the files
// passed with PassFiles (CPython's fork children get every descriptor).
func TestClosefd(t *testing.T) {
	// Not parallel: every process started while the descriptor is open
	// would get it, and the fork server is restarted.
	// A high number, as CPython's test takes, so that no descriptor the
	// child opens itself gets it.
	const fd = 250
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) == nil {
		t.Fatalf("descriptor %d is in use", fd)
	}
	if err := syscall.Dup2(int(null.Fd()), fd); err != nil { // without close-on-exec
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	// A fork server started before would not have the descriptor: have
	// the next ForkServer start begin a new one, which would.
	mptest.StopForkServer()
	for _, m := range []mp.StartMethod{mp.Spawn, mp.ForkServer, mp.Fork} {
		t.Run(m.String(), func(t *testing.T) {
			ctx := guard(t)
			p := start(t, mp.NewProcess(fstat, fd, mp.Method(m)))
			got, err := fstat.Result(ctx, p)
			if want := syscall.EBADF.Error(); got != want || err != nil {
				t.Fatalf("fstat(%d) in the child: %q, %v; want %q", fd, got, err, want)
			}
		})
	}
}

// ignoresTerm ignores SIGTERM, says so, and hangs.
var ignoresTerm = mp.Register("ignores-term", func(ctx context.Context, ready *mp.Event) (struct{}, error) {
	signal.Ignore(syscall.SIGTERM)
	if err := ready.Set(); err != nil {
		return struct{}{}, err
	}
	select {}
})

// A daemon child that outlives SIGTERM by its grace period is killed.
func TestRunKillsDaemonAfterGrace(t *testing.T) {
	// Not parallel: the run adopts every process started while it runs.
	ready := must(mp.NewEvent())(t)
	var daemon *mp.Process
	err := threads.Run(func(ctx context.Context) error {
		daemon = mp.NewProcess(ignoresTerm, ready, mp.Daemon(true), mp.Grace(10*time.Millisecond))
		if err := daemon.Start(); err != nil {
			return err
		}
		return ready.Wait(ctx)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if daemon.Alive() || daemon.ExitCode() != -int(syscall.SIGKILL) {
		t.Fatalf("daemon child: alive %v, exit code %d; want killed by SIGKILL", daemon.Alive(), daemon.ExitCode())
	}
}
