// Package shm is the shared-memory engine of package mp: the memory files
// that the synchronisation primitives and shared values of mp live in, the
// futexes their waiters sleep on, and the state machines of the primitives
// (Lock, RLock, Event, Semaphore, Barrier, Condition), with the tables of
// processes that let a primitive notice a dead holder.
//
// # Objects
//
// An [Object] is one process's view of a shared memory object: an anonymous
// memory file (memfd_create), mapped shared, with a header that says what it
// holds. [Object.Init] makes one; an object crosses to a child as its
// encoding ([Object.AppendBinary], [Object.Decode]) and its descriptor
// ([Object.Files], [Object.Bind]). Each engine type embeds an Object and
// adds a Setup, which lays it out on its memory after Init or Bind, and a
// Close. [Create], [Map] and [Unmap] serve the other engines of mp that
// share memory between processes.
//
// # Fast paths
//
// Package mp's types hold their engine by value and call it directly, so
// that an uncontended operation costs what it did before the split:
// [Lock.TryLock] and [Lock.TryUnlock] are small enough to be inlined.
//
// # Errors
//
// The sentinels the engine returns ([ErrClosed], [ErrBrokenBarrier],
// [ErrNotHeld], [ErrTooManyReleases]) are re-exported by mp as the same
// values. A lock taken from a dead holder is reported as that holder's pid,
// and mp makes its error of it. Messages keep mp's prefix, as mp's users
// read them.
//
// # Platforms
//
// Memory files and futexes are Linux facilities: elsewhere [Object.Init]
// fails with errors.ErrUnsupported.
package shm
