package mp_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
	"github.com/multitask-go/multitask/mp/internal/forkserver"
)

func TestForkServerRunsTasks(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	// More than the warm spares, so that replacements are used too.
	var ps []*mp.Process
	for i := range 5 {
		ps = append(ps, start(t, mp.NewProcess(square, 2*i, mp.Method(mp.ForkServer))))
	}
	for i, p := range ps {
		if v, err := square.Result(ctx, p); v != 4*i*i || err != nil {
			t.Fatalf("process %d: %v, %v", i, v, err)
		}
		if p.ExitCode() != 0 {
			t.Fatalf("process %d: exit code %d", i, p.ExitCode())
		}
	}
}

// The server replaces every spare taken: the last one at once, the others
// when their children exit, so that starts taken while spares remain do not
// share the cores with the start of a replacement. Whatever the order, the
// parent holds its spares again once its children are gone. Not parallel:
// other tests would take spares while this one counts them.
func TestForkServerReplacesSpares(t *testing.T) {
	ctx := guard(t)
	held := func(what string) {
		t.Helper()
		for forkserver.Held() != forkserver.Spares {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: the parent holds %d spares, want %d", what, forkserver.Held(), forkserver.Spares)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	run := func(n int) {
		t.Helper()
		var ps []*mp.Process
		for i := range n {
			ps = append(ps, start(t, mp.NewProcess(square, 2*i, mp.Method(mp.ForkServer))))
		}
		for i, p := range ps {
			if v, err := square.Result(ctx, p); v != 4*i*i || err != nil {
				t.Fatalf("process %d: %v, %v", i, v, err)
			}
		}
	}
	run(1) // the server starts
	held("after one start")
	run(1) // one spare taken while the parent holds another
	held("after a start that left a spare")
	run(2*forkserver.Spares + 1) // more than every spare: some are asked for
	held("after a burst of starts")
}

func TestForkServerOutcomes(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	failed := start(t, mp.NewProcess(square, 3, mp.Method(mp.ForkServer)))
	var re *mp.RemoteError
	if err := failed.Join(ctx); !errors.As(err, &re) || failed.ExitCode() != 1 {
		t.Fatalf("function error: %v, exit code %d; want a RemoteError and 1", err, failed.ExitCode())
	}
	killed := start(t, mp.NewProcess(hangs, struct{}{}, mp.Method(mp.ForkServer)))
	if err := killed.Kill(); err != nil {
		t.Fatal(err)
	}
	var ee *mp.ExitError
	if err := killed.Join(ctx); !errors.As(err, &ee) || ee.Code != -int(syscall.SIGKILL) {
		t.Fatalf("killed: %v", err)
	}
	if err := killed.Kill(); err != nil {
		t.Fatalf("Kill after exit: %v", err)
	}
}

func TestForkServerStartsFromMainState(t *testing.T) {
	// Not parallel: it changes the environment after Main.
	ctx := guard(t)
	t.Setenv("MULTITASK_TEST_LATE", "set after Main")
	viaServer := start(t, mp.NewProcess(env, "MULTITASK_TEST_LATE", mp.Method(mp.ForkServer)))
	viaSpawn := start(t, mp.NewProcess(env, "MULTITASK_TEST_LATE"))
	if v, err := env.Result(ctx, viaServer); v != "" || err != nil {
		t.Fatalf("ForkServer child saw %q, %v: the parent's later environment leaked in", v, err)
	}
	if v, err := env.Result(ctx, viaSpawn); v != "set after Main" || err != nil {
		t.Fatalf("Spawn child saw %q, %v", v, err)
	}
}

func TestForkServerChildrenPassPipes(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[string](t)
	p := start(t, mp.NewProcess(upper, theirs, mp.Method(mp.ForkServer)))
	theirs.Close()
	if err := mine.Send(ctx, "via server"); err != nil {
		t.Fatal(err)
	}
	if v, err := mine.Recv(ctx); v != "VIA SERVER" || err != nil {
		t.Fatalf("echo: %q, %v", v, err)
	}
	mine.Close()
	if n, err := upper.Result(ctx, p); n != 1 || err != nil {
		t.Fatalf("child: %d, %v", n, err)
	}
}

func TestForkServerRefusesOutputAndDetached(t *testing.T) {
	t.Parallel()
	for _, opt := range []mp.ProcessOption{mp.Output(nil, nil), mp.Detached(true)} {
		if err := mp.NewProcess(square, 2, mp.Method(mp.ForkServer), opt).Start(); err == nil {
			t.Fatal("Start succeeded")
		}
	}
}

func TestNoOrphansThroughForkServer(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[int](t)
	p := start(t, mp.NewProcess(tree, theirs, mp.Method(mp.ForkServer)))
	theirs.Close()
	grandchild, err := mine.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	p.Join(ctx)
	waitGone(t, ctx, grandchild)
}

// fussy panics when asked to encode its zero value, as careless marshalling
// methods do.
type fussy struct{ N int }

func (f fussy) MarshalBinary() ([]byte, error) {
	if f.N == 0 {
		panic("fussy: zero")
	}
	return []byte{byte(f.N)}, nil
}

func (f *fussy) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return errors.New("fussy: want one byte")
	}
	f.N = int(b[0])
	return nil
}

var double = mp.Register("fussy-double", func(ctx context.Context, f fussy) (int, error) { return 2 * f.N, nil })

// Spares warm up by encoding zero values of every registered function's
// types while they wait; a type that panics on that must not cost the spare,
// and the task must not see the spare's mark in its environment.
func TestForkServerSparesWarmUpSafely(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	var ps []*mp.Process
	for i := range 4 {
		ps = append(ps, start(t, mp.NewProcess(double, fussy{N: i + 1}, mp.Method(mp.ForkServer))))
	}
	for i, p := range ps {
		if v, err := double.Result(ctx, p); v != 2*(i+1) || err != nil {
			t.Fatalf("process %d: %v, %v; want %d", i, v, err, 2*(i+1))
		}
	}
	p := start(t, mp.NewProcess(env, "MULTITASK_SPARE", mp.Method(mp.ForkServer)))
	if v, err := env.Result(ctx, p); v != "" || err != nil {
		t.Fatalf("the task saw MULTITASK_SPARE=%q, %v", v, err)
	}
}
