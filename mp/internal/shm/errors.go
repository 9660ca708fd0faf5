package shm

import "errors"

// The errors the engine returns that users of package mp branch on. Each is
// re-exported by mp as the same value (mp.ErrClosed is ErrClosed, and so
// on), which keeps one identity: errors.Is matches either name. Their
// messages keep mp's prefix, since mp's users read them.
var (
	// ErrClosed is matched by the error of a method of an object closed in
	// this process.
	ErrClosed = errors.New("mp: closed")

	// ErrBrokenBarrier is matched by the error of [Barrier.Wait] on a
	// barrier that is broken or breaks while the party waits.
	ErrBrokenBarrier = errors.New("mp: barrier broken")

	// ErrNotHeld is matched by the error of an Unlock, or of a [Condition]
	// method, called by a process that does not hold the lock.
	ErrNotHeld = errors.New("mp: lock not held by this process")

	// ErrTooManyReleases is matched by the error of [Semaphore.Release] on
	// a bounded semaphore whose count is back at its initial value.
	ErrTooManyReleases = errors.New("mp: semaphore released too many times")
)
