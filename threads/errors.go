package threads

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrStopped is the error [Thread.Join] returns for a thread that was refused
// and never ran: a non-daemon thread started after its [Run] had begun to
// stop the daemon threads (every non-daemon thread had already finished, so
// nothing would keep the run alive for it), or any thread started after its
// [Run] had returned. The error also names the refused thread.
var ErrStopped = errors.New("threads: run is stopping")

// ErrGraceExpired matches, with [errors.Is], the error of a [Run] whose daemon
// threads did not all return within the grace period after their contexts
// were cancelled. The error is a [*GraceError] that names them.
var ErrGraceExpired = errors.New("threads: grace period expired with daemon threads still running")

// ErrGoexit is the error of a thread whose function called [runtime.Goexit]
// (for example t.FailNow in a test) instead of returning. [Thread.Join]
// returns it, and [Run] reports it wrapped with the thread's name.
var ErrGoexit = errors.New("threads: thread called runtime.Goexit instead of returning")

// errNilFunc is the error of a thread started with a nil function, and
// errNilMain the error of a Run called with one: programmer errors that
// nobody branches on, so they are not exported.
var (
	errNilFunc = errors.New("threads: Start called with a nil function")
	errNilMain = errors.New("threads: Run called with a nil main function")
)

// A GraceError is the part of [Run]'s error that reports daemon threads still
// running when the grace period ended. Run has abandoned them: it no longer
// waits for them and reports nothing about how they end, though
// [Thread.Join] on one of them still works. A GraceError unwraps to
// [ErrGraceExpired].
type GraceError struct {
	// Grace is the grace period that expired.
	Grace time.Duration
	// Abandoned holds the names of the daemon threads left running, in the
	// order they were started.
	Abandoned []string
}

// Error names the daemon threads left running.
func (e *GraceError) Error() string {
	var b strings.Builder
	for i, name := range e.Abandoned {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", name)
	}
	return fmt.Sprintf("threads: %d daemon thread(s) still running %v after being cancelled: %s",
		len(e.Abandoned), e.Grace, b.String())
}

// Unwrap returns [ErrGraceExpired], so that errors.Is matches it.
func (e *GraceError) Unwrap() error { return ErrGraceExpired }
