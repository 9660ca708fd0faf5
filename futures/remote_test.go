package futures_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/multitask-go/multitask/futures"
)

// holder is an executor that keeps its tasks, as one that sends them to
// another process does, and lets the test play the other side.
type holder struct{ tasks []futures.Task }

func (h *holder) Execute(t futures.Task) error {
	h.tasks = append(h.tasks, t)
	return nil
}

func (h *holder) Shutdown(context.Context) error { return nil }

func TestGuardDecidesCancellation(t *testing.T) {
	h := &holder{}
	ctx := context.Background()
	f := futures.Submit(ctx, h, func(context.Context) (int, error) { return 7, nil })
	task := h.tasks[0]
	var begun atomic.Bool
	var asked atomic.Int32
	if !task.Guard(func() bool { asked.Add(1); return !begun.Load() }) {
		t.Fatal("Guard on a pending task reported it ended")
	}
	begun.Store(true) // the other side began the work
	if f.Cancel() {
		t.Fatal("Cancel returned true though the guard refused")
	}
	if asked.Load() != 1 || f.State() != futures.Pending {
		t.Fatalf("guard asked %d times, state %v", asked.Load(), f.State())
	}
	if !task.Begin() || f.State() != futures.Running {
		t.Fatalf("Begin: state %v", f.State())
	}
	if task.Begin() {
		t.Error("Begin twice reported true")
	}
	if f.Cancel() {
		t.Error("Cancel of a begun task returned true")
	}
	task.Run() // delivers the outcome
	if v, err := f.Result(ctx); v != 7 || err != nil {
		t.Fatalf("Result = %d, %v", v, err)
	}
	task.Run() // does nothing now
}

func TestGuardAllowsCancellation(t *testing.T) {
	h := &holder{}
	ctx, cancel := context.WithCancel(context.Background())
	f := futures.Submit(ctx, h, func(context.Context) (int, error) { return 7, nil })
	task := h.tasks[0]
	var asked atomic.Int32
	task.Guard(func() bool { asked.Add(1); return true })
	cancel() // the context's end asks the guard too
	if err := f.Err(context.Background()); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Err = %v", err)
	}
	if asked.Load() != 1 {
		t.Fatalf("guard asked %d times", asked.Load())
	}
	if task.Begin() {
		t.Error("Begin of a cancelled task reported true")
	}
	if task.Guard(func() bool { return true }) {
		t.Error("Guard of a cancelled task reported true")
	}
	if (futures.Task{}).Begin() || (futures.Task{}).Guard(func() bool { return true }) {
		t.Error("the zero Task began or took a guard")
	}
}

func TestAssistRunsInTheWaiter(t *testing.T) {
	h := &holder{}
	ctx := context.Background()
	f := futures.Submit(ctx, h, func(context.Context) (int, error) { return 7, nil })
	task := h.tasks[0]
	var helped atomic.Int32
	if !task.Assist(func(context.Context) {
		helped.Add(1)
		if task.Begin() {
			task.Run() // the waiter brings the outcome itself
		}
	}) {
		t.Fatal("Assist on a pending task reported it ended")
	}
	if v, err := f.Result(ctx); v != 7 || err != nil {
		t.Fatalf("Result = %d, %v", v, err)
	}
	if err := f.Err(ctx); err != nil || helped.Load() != 1 {
		t.Fatalf("Err = %v after %d helps; a done future needs none", err, helped.Load())
	}
}

func TestAssistThatCannotHelp(t *testing.T) {
	h := &holder{}
	f := futures.Submit(context.Background(), h, func(context.Context) (int, error) { return 7, nil })
	task := h.tasks[0]
	task.Assist(func(context.Context) {}) // returns at once
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Result(ctx); !errors.Is(err, context.Canceled) || f.State() != futures.Pending {
		t.Fatalf("Result with an ended ctx: %v, state %v", err, f.State())
	}
	task.Run()
	if v, err := f.Result(context.Background()); v != 7 || err != nil {
		t.Fatalf("Result = %d, %v", v, err)
	}
	if task.Assist(func(context.Context) {}) || (futures.Task{}).Assist(func(context.Context) {}) {
		t.Error("Assist of an ended task, or of the zero Task, reported true")
	}
}

// TestSettledFutureLetsGoOfItsExecutor holds futures that ended every way
// and checks that what only their executor needed (its guard, its assist,
// the task's function and what they refer to) can be collected.
func TestSettledFutureLetsGoOfItsExecutor(t *testing.T) {
	for name, end := range map[string]func(futures.Task, *futures.Future[int]){
		"ran": func(task futures.Task, _ *futures.Future[int]) { task.Run() },
		"ran elsewhere": func(task futures.Task, _ *futures.Future[int]) {
			task.Begin()
			task.Run()
		},
		"panicked":      func(task futures.Task, _ *futures.Future[int]) { task.Run() },
		"was cancelled": func(_ futures.Task, f *futures.Future[int]) { f.Cancel() },
		"was rejected":  func(task futures.Task, _ *futures.Future[int]) { task.Reject(errors.New("refused")) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f, gone := submitHooked(ctx, name == "panicked", end)
			runtime.GC()
			runtime.GC()
			if gone.Value() != nil {
				t.Errorf("a future that %s keeps its executor's state", name)
			}
			select {
			case <-f.Done():
			default:
				t.Fatal("the future did not end")
			}
			runtime.KeepAlive(f)
		})
	}
}

// submitHooked submits a task whose function and executor hooks refer to
// the executor's state, ends it with end, and returns its future and a
// weak pointer to that state.
func submitHooked(ctx context.Context, panics bool, end func(futures.Task, *futures.Future[int])) (*futures.Future[int], weak.Pointer[[1 << 16]byte]) {
	h := &holder{}
	state := new([1 << 16]byte)
	f := futures.Submit(ctx, h, func(context.Context) (int, error) {
		if panics {
			panic(state[0])
		}
		return int(state[0]), nil
	})
	task := h.tasks[0]
	task.Guard(func() bool { return state[0] == 0 })
	task.Assist(func(context.Context) { _ = state[1] })
	end(task, f)
	return f, weak.Make(state)
}

// TestRunDeliversFromAnotherGoroutine begins a task in one goroutine and
// delivers its outcome from another that only saw it begin, as an
// executor's cancellation guard and its reader of results do.
func TestRunDeliversFromAnotherGoroutine(t *testing.T) {
	for range 20 {
		h := &holder{}
		ctx, cancel := context.WithCancel(context.Background()) // a context the future watches
		f := futures.Submit(ctx, h, func(context.Context) (int, error) { return 7, nil })
		task := h.tasks[0]
		go task.Begin()
		for f.State() != futures.Running {
			runtime.Gosched()
		}
		task.Run()
		if v, err := f.Result(context.Background()); v != 7 || err != nil {
			t.Fatalf("Result = %d, %v", v, err)
		}
		cancel()
	}
}
