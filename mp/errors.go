package mp

import (
	"errors"
	"fmt"
)

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

// ErrTaskDone is returned by [JoinableQueue.TaskDone] called more times
// than items were put: Python raises ValueError there.
var ErrTaskDone = errors.New("mp: TaskDone called more times than items were put")

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
// parent cannot rebuild: it keeps the type's name and the message.
type RemoteError struct {
	Type    string // the Go type of the error in the child, as %T prints it
	Message string
}

func (e *RemoteError) Error() string { return e.Message }
