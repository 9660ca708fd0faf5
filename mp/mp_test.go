package mp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/proctest"
	"github.com/multitask-go/multitask/mp"
	"github.com/multitask-go/multitask/mp/mptest"
)

func TestMain(m *testing.M) {
	if os.Getenv(envNoMain) != "" && os.Getenv("MULTITASK_CHILD") != "" {
		time.Sleep(time.Hour) // a child whose program forgot mp.Main
	}
	mp.Main() // in a child process: run its task and exit
	for env, program := range programs {
		if v := os.Getenv(env); v != "" {
			os.Exit(program(v))
		}
	}
	code := m.Run()
	mptest.StopForkServer()
	os.Exit(proctest.Check(code))
}

// programs are what this test binary runs instead of its tests when
// re-run with one of these variables set to a non-empty value, which the
// program is given: each shows what a whole program sees, or changes
// something process-wide.
// Files with a build constraint add theirs in an init function.
var programs = map[string]func(string) int{
	envRunExit: runExitProgram,
}

// hangGuard bounds tests that would hang on a bug; it measures nothing.
const hangGuard = 30 * time.Second

func guard(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// start starts a process and makes sure it is gone when the test ends.
func start(t *testing.T, p *mp.Process) *mp.Process {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		p.Join(context.Background())
	})
	return p
}

var errOdd = errors.New("odd input")

var (
	square = mp.Register("square", func(ctx context.Context, x int) (int, error) {
		if x%2 == 1 {
			return 0, fmt.Errorf("square(%d): %w", x, errOdd)
		}
		return x * x, nil
	})
	panics = mp.Register("panics", func(ctx context.Context, msg string) (int, error) {
		panic(msg)
	})
	exits = mp.Register("exits", func(ctx context.Context, code int) (int, error) {
		os.Exit(code)
		return 0, nil
	})
	signals = mp.Register("signals", func(ctx context.Context, sig int) (int, error) {
		syscall.Kill(os.Getpid(), syscall.Signal(sig))
		select {}
	})
	crashes = mp.Register("crashes", func(ctx context.Context, _ struct{}) (int, error) {
		go func() {
			var p *int
			*p = 1
		}()
		select {}
	})
	// garbles writes a frame header announcing 4 GiB on its control
	// socket, then waits to be killed.
	garbles = mp.Register("garbles", func(ctx context.Context, _ struct{}) (int, error) {
		os.NewFile(3, "control").Write([]byte{0xff, 0xff, 0xff, 0xff, 9})
		select {}
	})
	waits = mp.Register("waits", func(ctx context.Context, _ struct{}) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	hangs = mp.Register("hangs", func(ctx context.Context, _ struct{}) (string, error) {
		select {} // ignores its context
	})
	env = mp.Register("env", func(ctx context.Context, name string) (string, error) {
		return os.Getenv(name), nil
	})
)

func TestProcessResult(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := start(t, mp.NewProcess(square, 12))
	if err := p.Join(ctx); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if v, err := square.Result(ctx, p); v != 144 || err != nil {
		t.Fatalf("Result = %v, %v; want 144", v, err)
	}
	if code := p.ExitCode(); code != 0 {
		t.Fatalf("ExitCode = %d, want 0", code)
	}
	if p.Alive() {
		t.Fatal("Alive after Join")
	}
	if p.Pid() <= 0 || p.Pid() == os.Getpid() {
		t.Fatalf("Pid = %d", p.Pid())
	}
	if p.Name() != "square" {
		t.Fatalf("Name = %q", p.Name())
	}
}

func TestProcessOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		p        func() *mp.Process
		wantCode int
		check    func(t *testing.T, err error)
	}{
		{"function error", func() *mp.Process { return mp.NewProcess(square, 3) }, 1, func(t *testing.T, err error) {
			var re *mp.RemoteError
			if !errors.As(err, &re) || !strings.Contains(re.Message, "odd input") {
				t.Fatalf("Join = %v, want a RemoteError with the child's message", err)
			}
		}},
		{"panic", func() *mp.Process { return mp.NewProcess(panics, "out of paper") }, 1, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "out of paper") {
				t.Fatalf("Join = %v, want the panic's message", err)
			}
		}},
		{"exit status", func() *mp.Process { return mp.NewProcess(exits, 7) }, 7, func(t *testing.T, err error) {
			var ee *mp.ExitError
			if !errors.As(err, &ee) || ee.Code != 7 {
				t.Fatalf("Join = %v, want an ExitError with code 7", err)
			}
		}},
		{"killed by a signal", func() *mp.Process { return mp.NewProcess(signals, int(syscall.SIGKILL)) }, -int(syscall.SIGKILL), func(t *testing.T, err error) {
			var ee *mp.ExitError
			if !errors.As(err, &ee) || ee.Code != -int(syscall.SIGKILL) {
				t.Fatalf("Join = %v, want killed by SIGKILL", err)
			}
		}},
		{"corrupt frame", func() *mp.Process { return mp.NewProcess(garbles, struct{}{}) }, -int(syscall.SIGKILL), func(t *testing.T, err error) {
			if !errors.Is(err, mp.ErrProtocol) {
				t.Fatalf("Join = %v, want ErrProtocol", err)
			}
		}},
		{"runtime crash", func() *mp.Process { return mp.NewProcess(crashes, struct{}{}, mp.Output(nil, io.Discard)) }, 2, func(t *testing.T, err error) {
			// A nil dereference outside any task is a Go runtime crash:
			// exit status 2, as for any Go program.
			var ee *mp.ExitError
			if !errors.As(err, &ee) || ee.Code != 2 {
				t.Fatalf("Join = %v, want exit status 2", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, tc.p())
			tc.check(t, p.Join(guard(t)))
			if code := p.ExitCode(); code != tc.wantCode {
				t.Fatalf("ExitCode = %d, want %d", code, tc.wantCode)
			}
		})
	}
}

func TestProcessKillAndTerminate(t *testing.T) {
	t.Parallel()
	for name, stop := range map[string]func(*mp.Process) error{
		"Kill":      (*mp.Process).Kill,
		"Terminate": (*mp.Process).Terminate,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			p := start(t, mp.NewProcess(hangs, struct{}{}))
			if !p.Alive() {
				t.Fatal("not Alive after Start")
			}
			if err := stop(p); err != nil {
				t.Fatal(err)
			}
			var ee *mp.ExitError
			if err := p.Join(ctx); !errors.As(err, &ee) || ee.Code >= 0 {
				t.Fatalf("Join = %v, want killed by a signal", err)
			}
			if err := stop(p); err != nil {
				t.Fatalf("%s of an exited process: %v, want nil", name, err)
			}
		})
	}
}

func TestProcessMisuse(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	p := mp.NewProcess(square, 2)
	if err := p.Join(ctx); !errors.Is(err, mp.ErrNotStarted) {
		t.Fatalf("Join before Start = %v, want ErrNotStarted", err)
	}
	if err := p.Kill(); !errors.Is(err, mp.ErrNotStarted) {
		t.Fatalf("Kill before Start = %v, want ErrNotStarted", err)
	}
	if p.ExitCode() != -1 || p.Alive() || p.Pid() != 0 {
		t.Fatalf("unstarted process: code %d alive %v pid %d", p.ExitCode(), p.Alive(), p.Pid())
	}
	start(t, p)
	if err := p.Start(); !errors.Is(err, mp.ErrStarted) {
		t.Fatalf("second Start = %v, want ErrStarted", err)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Result(ctx, p); err == nil {
		t.Fatal("Result through another function's Func succeeded")
	}
}

type jobWithChan struct {
	Name string
	Done chan int
}

var (
	takesChan = mp.Register("takes-chan", func(ctx context.Context, j jobWithChan) (int, error) { return 0, nil })

	// parentOnly is registered in the test process but not in its
	// children, as a function registered too late would be.
	parentOnly = func() *mp.Func[int, int] {
		if os.Getenv("MULTITASK_CHILD") != "" {
			return mp.Register("parent-only-stand-in", func(ctx context.Context, x int) (int, error) { return x, nil })
		}
		return mp.Register("parent-only", func(ctx context.Context, x int) (int, error) { return x, nil })
	}()
)

func TestProcessBadInput(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	t.Run("unencodable argument", func(t *testing.T) {
		p := mp.NewProcess(takesChan, jobWithChan{Name: "x", Done: make(chan int)})
		if err := p.Start(); !errors.Is(err, codec.ErrUnsupported) {
			t.Fatalf("Start = %v, want codec.ErrUnsupported", err)
		}
		if err := p.Join(ctx); !errors.Is(err, codec.ErrUnsupported) {
			t.Fatalf("Join after a failed Start = %v, want the same error", err)
		}
		if err := p.Start(); !errors.Is(err, mp.ErrStarted) {
			t.Fatalf("Start again = %v, want ErrStarted", err)
		}
	})
	t.Run("function unknown to the child", func(t *testing.T) {
		p := start(t, mp.NewProcess(parentOnly, 1))
		if err := p.Join(ctx); !errors.Is(err, mp.ErrNotRegistered) {
			t.Fatalf("Join = %v, want ErrNotRegistered", err)
		}
	})
	t.Run("nil Func", func(t *testing.T) {
		if err := mp.NewProcess[int, int](nil, 1).Start(); err == nil {
			t.Fatal("Start of a nil Func succeeded")
		}
	})
	t.Run("bad option", func(t *testing.T) {
		if err := mp.NewProcess(square, 2, mp.Grace(-time.Second)).Start(); err == nil {
			t.Fatal("Start with a negative grace succeeded")
		}
	})
}

func TestRegisterMisuse(t *testing.T) {
	t.Parallel()
	cases := map[string]func(){
		"after Main": func() { mp.Register("late", func(ctx context.Context, x int) (int, error) { return x, nil }) },
		"empty name": func() { mp.Register("", func(ctx context.Context, x int) (int, error) { return x, nil }) },
		"nil fn":     func() { mp.Register[int, int]("nil-fn", nil) },
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("no panic")
				}
			}()
			fn()
		})
	}
}

func TestJoinContext(t *testing.T) {
	t.Parallel()
	p := start(t, mp.NewProcess(waits, struct{}{}))
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Join(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join = %v, want DeadlineExceeded", err)
	}
	if !p.Alive() {
		t.Fatal("Join's expired context ended the process")
	}
}

func TestContextCancelsChild(t *testing.T) {
	t.Parallel()
	t.Run("function returns", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(guard(t))
		p := start(t, mp.NewProcess(waits, struct{}{}, mp.Context(ctx)))
		cancel()
		err := p.Join(guard(t))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Join = %v, want the child's context.Canceled", err)
		}
		if p.ExitCode() != 1 {
			t.Fatalf("ExitCode = %d, want 1 (the function failed)", p.ExitCode())
		}
	})
	t.Run("killed after grace", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(guard(t))
		p := start(t, mp.NewProcess(hangs, struct{}{}, mp.Context(ctx), mp.Grace(10*time.Millisecond)))
		cancel()
		var ee *mp.ExitError
		if err := p.Join(guard(t)); !errors.As(err, &ee) || ee.Code != -int(syscall.SIGKILL) {
			t.Fatalf("Join = %v, want killed by SIGKILL", err)
		}
	})
}

func TestSpawnInheritsEnvironment(t *testing.T) {
	ctx := guard(t)
	t.Setenv("MULTITASK_TEST_VALUE", "carried")
	p := start(t, mp.NewProcess(env, "MULTITASK_TEST_VALUE"))
	if v, err := env.Result(ctx, p); v != "carried" || err != nil {
		t.Fatalf("child saw %q, %v", v, err)
	}
	p2 := start(t, mp.NewProcess(env, "MULTITASK_CHILD"))
	if v, err := env.Result(ctx, p2); v != "" || err != nil {
		t.Fatalf("the child's own marker leaked to its function: %q, %v", v, err)
	}
}

var (
	// tree starts a grandchild that hangs, reports its pid, and hangs too.
	tree = mp.Register("tree", func(ctx context.Context, c *mp.Conn[int]) (int, error) {
		g := mp.NewProcess(hangs, struct{}{})
		if err := g.Start(); err != nil {
			return 0, err
		}
		if err := c.Send(ctx, g.Pid()); err != nil {
			return 0, err
		}
		select {}
	})
	// daemonOfChild reports whether a process started from this one,
	// without the Daemon option, is a daemon.
	daemonOfChild = mp.Register("daemon-of-child", func(ctx context.Context, _ struct{}) (bool, error) {
		g := mp.NewProcess(whoami, struct{}{})
		if err := g.Start(); err != nil {
			return false, err
		}
		info, err := whoami.Result(ctx, g)
		return info.Daemon, err
	})
	whoami = mp.Register("whoami", func(ctx context.Context, _ struct{}) (mp.Info, error) {
		return mp.Current(), nil
	})
)

func TestNoOrphans(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(tree, theirs))
	theirs.Close()
	grandchild, err := mine.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !proctest.Alive(grandchild) {
		t.Fatalf("grandchild %d not running", grandchild)
	}
	p.Kill() // SIGKILL: the child has no chance to clean up
	p.Join(ctx)
	waitGone(t, ctx, grandchild)
}

// waitGone waits until pid has exited, and fails the test if it outlives
// ctx.
func waitGone(t *testing.T, ctx context.Context, pid int) {
	t.Helper()
	if !proctest.Gone(ctx, pid) {
		t.Fatalf("process %d outlived its parent", pid)
	}
}

func TestCurrent(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	if self := mp.Current(); self.Child || self.Pid != os.Getpid() {
		t.Fatalf("Current in the test process = %+v", self)
	}
	p := start(t, mp.NewProcess(whoami, struct{}{}, mp.Name("worker-1")))
	info, err := whoami.Result(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Child || info.Name != "worker-1" || info.Pid != p.Pid() || info.Daemon {
		t.Fatalf("Current in the child = %+v", info)
	}
}

func TestDaemonInheritance(t *testing.T) {
	t.Parallel()
	for _, daemon := range []bool{true, false} {
		t.Run(fmt.Sprint(daemon), func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			p := start(t, mp.NewProcess(daemonOfChild, struct{}{}, mp.Daemon(daemon)))
			got, err := daemonOfChild.Result(ctx, p)
			if err != nil || got != daemon {
				t.Fatalf("grandchild of a daemon=%v child: daemon=%v, %v", daemon, got, err)
			}
		})
	}
}
