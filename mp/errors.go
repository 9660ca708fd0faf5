package mp

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/queue"
	"github.com/multitask-go/multitask/mp/internal/shm"
)

// The sentinels of the synchronisation primitives that their engine (the
// internal package shm) detects are that package's values, re-exported
// here as the same values: one identity, so errors.Is matches them whichever
// layer wrapped them. The errors that need a process's view (ErrOwnerDead,
// OwnerDeadError) are this package's own: the engine reports a dead holder
// as its pid, and the types of this package make the error.

// ErrClosed is returned by the methods of a [Conn] or queue closed in this
// process, and by those of a queue that its creator closed (once drained)
// or whose creator has exited; and matched by the error of a method of a
// synchronisation primitive or shared value closed in this process. It is
// the queue engine's sentinel, which is the shared-memory engine's, so that
// both engines' errors match it without a translation.
var ErrClosed = queue.ErrClosed

// ErrConnBroken is returned by Send on a [Conn] whose earlier Send was cut
// off part-way through a message by the end of its context: the stream can
// no longer be read as messages, so the connection takes no more.
var ErrConnBroken = errors.New("mp: connection broken by a cancelled Send")

// ErrNotRegistered is the error of a call to a function that the process
// running it does not know: registered too late (after Main or the first
// process started), or only in some builds of the program.
var ErrNotRegistered = errors.New("mp: function not registered")

// ErrStarted is returned by [Process.Start] for a process already started.
var ErrStarted = errors.New("mp: process already started")

// ErrNotStarted is returned by the methods of a [Process] that need a
// process and find that Start has not been called, or failed.
var ErrNotStarted = errors.New("mp: process not started")

// ErrNoMain is the error of a child process that never called [Main]: the
// child's main function must call Main first, or the child runs the whole
// program again instead of its task.
var ErrNoMain = errors.New("mp: child process did not call mp.Main")

// ErrProtocol is the error of a child that sent its parent something other
// than the protocol allows: a corrupt or oversized frame, a wrong token. The
// parent kills such a child and goes on.
var ErrProtocol = errors.New("mp: child broke the protocol")

// ErrTooLarge is matched by the error of a call whose value encodes to more
// than one message between processes carries ([MaxValue] bytes): a
// [Func.Submit] whose argument is too large fails at once, a [Queue.Put]
// returns it, and a task whose result is too large fails with it. Nothing
// is sent.
var ErrTooLarge = errors.New("mp: value too large to cross between processes")

// MaxValue is the largest encoded value, in bytes, that crosses between
// processes in one message: 1 GiB, less room for the message's own head.
const MaxValue = wire.MaxFrameDefault - 64<<10

// ErrTaskDone is returned by [JoinableQueue.TaskDone] called more times
// than items were put: Python raises ValueError there. It is the queue
// engine's own sentinel.
var ErrTaskDone = queue.ErrTaskDone

// ErrUnsupported is returned where the platform lacks what a feature needs:
// process supervision and shared memory are Linux-first.
var ErrUnsupported = errors.ErrUnsupported

// An ExitError reports a child process that ended without a result from
// its function: it exited with a non-zero status, was killed by a signal,
// or exited before it reported.
type ExitError struct {
	Pid  int
	Code int // exit status; -N when killed by signal N
}

func (e *ExitError) Error() string {
	if e.Code < 0 {
		return fmt.Sprintf("mp: process %d killed by signal %d", e.Pid, -e.Code)
	}
	return fmt.Sprintf("mp: process %d exited with status %d before reporting a result", e.Pid, e.Code)
}

// A RemoteError is an error returned in a child process whose type the
// parent cannot rebuild: it keeps the type's name and the message, and
// matches the sentinel registered with [RegisterError] that the error
// matched in the child.
type RemoteError struct {
	Type    string // the Go type of the error in the child, as %T prints it
	Message string

	sentinel error // the registered sentinel the error matched in the child
}

func (e *RemoteError) Error() string { return e.Message }

// Unwrap returns the error registered with [RegisterError] that the
// child's error matched, or nil.
func (e *RemoteError) Unwrap() error { return e.sentinel }

// ErrOwnerDead is matched by the error of [Lock.Lock], [RLock.Lock] and
// [Condition.Wait] when they took the lock from a process that died holding
// it: the caller holds the lock, and should repair the state it guards
// before unlocking (POSIX robust mutexes' EOWNERDEAD). The error is an
// [*OwnerDeadError], which tells the dead process's pid.
var ErrOwnerDead = errors.New("mp: the lock's holder died")

// An OwnerDeadError is returned by the Lock methods of [Lock] and [RLock],
// and by [Condition.Wait], when they took the lock from a process that died
// holding it. The caller holds the lock. It matches [ErrOwnerDead].
type OwnerDeadError struct {
	Kind string // "Lock" or "RLock"
	Pid  int    // the process that died holding the lock
}

func (e *OwnerDeadError) Error() string {
	return fmt.Sprintf("mp: %s: process %d died holding the lock; this process holds it now, and the state it guards may be inconsistent", e.Kind, e.Pid)
}

// Unwrap returns ErrOwnerDead.
func (e *OwnerDeadError) Unwrap() error { return ErrOwnerDead }

// ErrBrokenBarrier is matched by the error of [Barrier.Wait] on a barrier
// that is broken or breaks while the party waits: aborted, reset, or a
// process that held it died, waiting or before it arrived (see [Barrier]).
// Python raises BrokenBarrierError there.
var ErrBrokenBarrier = shm.ErrBrokenBarrier

// ErrNotHeld is matched by the error of an Unlock, or of a [Condition]
// method, called by a process that does not hold the lock. Python raises
// RuntimeError or ValueError there.
var ErrNotHeld = shm.ErrNotHeld

// ErrTooManyReleases is matched by the error of [Semaphore.Release] on a
// bounded semaphore whose count is back at its initial value. Python raises
// ValueError there.
var ErrTooManyReleases = shm.ErrTooManyReleases

// ErrEmpty is returned by [Queue.TryGet] when no item is at hand: Python's
// queue.Empty. It is not [ErrClosed]: more items may come.
var ErrEmpty = errors.New("mp: queue empty")

// ErrFull is returned by [Queue.TryPut] when the queue has no room now:
// Python's queue.Full. It is not [ErrClosed]: room may come.
var ErrFull = errors.New("mp: queue full")

// ErrPoolBroken is matched by the error of the tasks of a [Pool] that can no
// longer run them, Python's BrokenProcessPool: a worker could not be
// started, or the [Initializer] failed in one. The tasks waiting and every
// later submission fail with an error that matches it and wraps the cause;
// tasks already running finish. As BrokenProcessPool is a BrokenExecutor,
// the error also matches futures.ErrBroken.
var ErrPoolBroken error = poolBroken{}

type poolBroken struct{}

func (poolBroken) Error() string { return "mp: process pool broken" }

// Is makes ErrPoolBroken match futures.ErrBroken.
func (poolBroken) Is(target error) bool { return target == futures.ErrBroken }

// ErrWorkerDied matches the error of a task whose worker process died while
// it ran: the worker exited, crashed, was killed, or crossed the pool's hard
// memory limit. errors.As to a [*WorkerDiedError] tells which.
var ErrWorkerDied = errors.New("mp: worker process died")

// A WorkerDiedError is the error of a task whose worker process died while
// it ran. It matches [ErrWorkerDied].
type WorkerDiedError struct {
	Pid      int
	ExitCode int    // exit status, or -N when signal N killed the worker
	Reason   string // what the pool knows of why, or ""
	Stderr   string // the last lines the worker wrote to standard error
	Err      error  // what the pool saw go wrong, such as ErrProtocol, or nil
}

func (e *WorkerDiedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mp: worker process %d died while running the task: ", e.Pid)
	if e.ExitCode < 0 {
		fmt.Fprintf(&b, "killed by signal %d (%v)", -e.ExitCode, syscall.Signal(-e.ExitCode))
	} else {
		fmt.Fprintf(&b, "exit status %d", e.ExitCode)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Stderr != "" {
		b.WriteString("; its stderr ended with:\n" + e.Stderr)
	}
	return b.String()
}

// Is makes a WorkerDiedError match [ErrWorkerDied].
func (e *WorkerDiedError) Is(target error) bool { return target == ErrWorkerDied }
