package mp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/multitask-go/multitask/mp/internal/shm"
)

// The primitives' engines are in package shm: the state machines on shared
// memory, the futexes and the tables of processes that tell a dead holder.
// The types here are their public faces: the docs, the errors users branch
// on, and (through shared) their handles.

// The errors of the primitives keep their identity when a child's function
// returns them: the parent's error matches them too.
func init() {
	RegisterError("mp.ErrOwnerDead", ErrOwnerDead)
	RegisterError("mp.ErrBrokenBarrier", ErrBrokenBarrier)
	RegisterError("mp.ErrNotHeld", ErrNotHeld)
	RegisterError("mp.ErrTooManyReleases", ErrTooManyReleases)
}

// ownerDead is the error of a Lock call of a lock of kind that took the
// lock from the dead process deadPid (0: none), with err, the call's other
// error, if any.
func ownerDead(kind string, deadPid int, err error) error {
	if deadPid == 0 {
		return err
	}
	od := &OwnerDeadError{Kind: kind, Pid: deadPid}
	if err != nil {
		return errors.Join(od, err)
	}
	return od
}

// A Lock is a mutual-exclusion lock shared by processes, Python's
// multiprocessing.Lock, that survives the death of its holder: when the
// process holding it dies (killed, crashed, or exited without unlocking),
// the next Lock call takes it over and returns an error matching
// [ErrOwnerDead], as a POSIX robust mutex does, instead of hanging forever
// as Python does. A process that dies while it waits for the lock changes
// nothing for the others. Make one with [NewLock] and pass it to child
// processes as (part of) the argument of a registered function.
//
// The holder is a process, not a goroutine: any goroutine of the process
// that locked it may unlock it (as with sync.Mutex), and Lock is not
// re-entrant (see [RLock]). An uncontended Lock+Unlock costs two atomic
// compare-and-swaps on shared memory (BenchmarkSync in bench/ measures it).
// Methods are safe for concurrent use by goroutines of every process.
// Close does not unlock: a lock this process holds stays held, and once
// this process exits the next Lock elsewhere gets [ErrOwnerDead]. A Lock
// must not be copied.
type Lock struct {
	shared[shm.Lock, *shm.Lock]
}

// NewLock returns a new unlocked Lock, in a page of shared memory of its
// own that the kernel frees once every process holding it has closed it or
// exited. It fails with an error matching [ErrUnsupported] off Linux.
func NewLock() (*Lock, error) {
	l := new(Lock)
	if err := l.init(shm.KindLock, 0, 0); err != nil {
		return nil, err
	}
	return l, nil
}

// Lock waits until the lock is free and takes it for this process. It
// returns nil, or, when it took the lock from a process that died holding
// it, an [*OwnerDeadError] (matching [ErrOwnerDead]): the caller then holds
// the lock, and must repair whatever state the dead holder may have left
// half-updated before it unlocks.
//
// When ctx ends first, Lock returns ctx.Err() and leaves the lock as it
// was; with a ctx that has already ended, Lock takes a free lock without
// waiting and otherwise fails at once (Python's acquire(block=False)). A
// waiting Lock sleeps in the kernel (a futex), holding an OS thread; it
// notices a dead holder within about 50 ms. After Close, Lock returns an
// error matching [ErrClosed].
func (l *Lock) Lock(ctx context.Context) error {
	if l.e.TryLock() {
		return nil
	}
	return l.lockSlow(ctx)
}

func (l *Lock) lockSlow(ctx context.Context) error {
	dead, err := l.e.LockSlow(ctx)
	return ownerDead("Lock", dead, err)
}

// Unlock lets go of the lock. It returns an error matching [ErrNotHeld] when
// this process does not hold it (it is free, or another process holds it),
// and one matching [ErrClosed] after Close. It never blocks.
func (l *Lock) Unlock() error {
	if l.e.TryUnlock() {
		return nil
	}
	return l.e.UnlockSlow()
}

// An RLock is a re-entrant lock shared by processes, Python's
// multiprocessing.RLock: the process that holds it may lock it again, and it
// is free once that process has unlocked it as many times as it locked it.
// Like [Lock], it survives the death of its holder: the next Lock returns
// an error matching [ErrOwnerDead] and holds it once; and Close does not
// unlock.
//
// The owner is the process, not the goroutine. Python's RLock belongs to a
// thread, but goroutines have no identity a lock could honestly use (they
// move between OS threads and have no exported id). So any goroutine of the
// holding process re-enters at once, and an RLock does not exclude
// goroutines of one process from each other: it is for mutual exclusion
// between processes, with re-entry for code (such as recursive functions)
// that may lock it again while it holds it. Use a sync.Mutex, or a [Lock],
// where goroutines of one process must take turns. Use one RLock value per
// process (the one received as an argument); an RLock must not be copied.
type RLock struct {
	shared[shm.RLock, *shm.RLock]
}

// NewRLock returns a new unlocked RLock, in a page of shared memory of its
// own. It fails with an error matching [ErrUnsupported] off Linux.
func NewRLock() (*RLock, error) {
	r := new(RLock)
	if err := r.init(shm.KindRLock, 0, 0); err != nil {
		return nil, err
	}
	return r, nil
}

// Lock takes the lock for this process, or, if this process holds it
// already, counts one more hold at once. It waits, heeds ctx and reports a
// dead holder as [Lock.Lock] does; after taking the lock from a dead holder
// the count is 1.
func (r *RLock) Lock(ctx context.Context) error {
	dead, err := r.e.Lock(ctx)
	return ownerDead("RLock", dead, err)
}

// Unlock undoes one Lock of this process; the last one lets the lock go.
// It returns an error matching [ErrNotHeld] when this process does not
// hold the lock, and one matching [ErrClosed] after Close.
func (r *RLock) Unlock() error { return r.e.Unlock() }

// An Event is a flag shared by processes, Python's multiprocessing.Event:
// Wait blocks until some process sets it. Set wakes every waiter, in every
// process, through a futex (BenchmarkSync in bench/ times Set to a sleeping
// waiter running again in another process). Nothing is
// held, so the death of a process changes nothing for the others: waiters
// whose setter died wait until their ctx ends. Methods are safe for
// concurrent use; an Event must not be copied.
type Event struct {
	shared[shm.Event, *shm.Event]
}

// NewEvent returns a new Event, not set, in a page of shared memory of its
// own. It fails with an error matching [ErrUnsupported] off Linux.
func NewEvent() (*Event, error) {
	e := new(Event)
	if err := e.init(shm.KindEvent, 0, 0); err != nil {
		return nil, err
	}
	return e, nil
}

// Set sets the flag and wakes every Wait. It never blocks.
func (e *Event) Set() error { return e.e.Set() }

// Clear clears the flag: later Waits block until the next Set.
func (e *Event) Clear() error { return e.e.Clear() }

// IsSet reports whether the flag is set. It panics after Close, with an
// error that matches [ErrClosed].
func (e *Event) IsSet() bool { return e.e.IsSet() }

// Wait returns nil once the flag is set, at once if it is. When ctx ends
// first it returns ctx.Err(). A Wait that sleeps holds an OS thread. After
// Close, Wait returns an error matching [ErrClosed].
func (e *Event) Wait(ctx context.Context) error { return e.e.Wait(ctx) }

// A Semaphore is a counter of units shared by processes, Python's
// multiprocessing.Semaphore and (made by [NewBoundedSemaphore])
// BoundedSemaphore: Acquire takes a unit, waiting while there is none, and
// Release gives one back.
//
// Units held by a process that dies come back: each process's acquired and
// not yet released units are counted in a table in the semaphore's memory,
// and a waiter that has slept a whole slice (about 50 ms at most) returns
// those of dead processes to the count. Exactly: units acquired by a
// process that dies are returned, except that a unit acquired or released
// in the instant the process died, between its two memory updates, may be
// lost (never counted twice); and the table has room for 248 processes at
// a time, so units taken by processes beyond that (while the others hold
// entries) are not tracked and do not come back. A Release in a process
// that holds no unit (one process signalling another) gives a unit to the
// count and tracks nothing; waiters whose signaller died wait until their
// ctx ends. A process that dies while it waits takes no unit, and the
// others wait and wake as before. Units a process holds when it closes the
// semaphore stay taken until it exits.
//
// Methods are safe for concurrent use; a Semaphore must not be copied.
type Semaphore struct {
	shared[shm.Semaphore, *shm.Semaphore]
}

// NewSemaphore returns a semaphore with n free units (0 ≤ n < 2³¹), in a
// page of shared memory of its own. Release may raise the count above n.
// It fails with an error matching [ErrUnsupported] off Linux.
func NewSemaphore(n int) (*Semaphore, error) { return newSemaphore(n, false) }

// NewBoundedSemaphore returns a semaphore with n free units whose Release
// fails with [ErrTooManyReleases] rather than raise the count above n,
// Python's BoundedSemaphore.
func NewBoundedSemaphore(n int) (*Semaphore, error) { return newSemaphore(n, true) }

func newSemaphore(n int, bounded bool) (*Semaphore, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("mp: NewSemaphore(%d): the count must be in [0, %d]", n, math.MaxInt32)
	}
	s := new(Semaphore)
	var elem uint8
	if bounded {
		elem = 1
	}
	if err := s.init(shm.KindSemaphore, elem, uint64(n)); err != nil {
		return nil, err
	}
	s.e.Fill()
	return s, nil
}

// Acquire takes a unit, waiting while there is none. When ctx ends first
// it returns ctx.Err() and takes nothing; with a ctx that has already
// ended, it takes a free unit without waiting and otherwise fails at once.
// A waiting Acquire sleeps in the kernel, holding an OS thread. After
// Close it returns an error matching [ErrClosed].
func (s *Semaphore) Acquire(ctx context.Context) error { return s.e.Acquire(ctx) }

// Release gives a unit back and wakes a waiting Acquire, in any process. On
// a bounded semaphore whose count is back at its initial value it changes
// nothing and returns an error matching [ErrTooManyReleases]. It never
// blocks. After Close it returns an error matching [ErrClosed].
func (s *Semaphore) Release() error { return s.e.Release() }

// Value returns the number of free units, which other processes may change
// at any moment. It panics after Close, with an error matching [ErrClosed].
func (s *Semaphore) Value() int { return s.e.Value() }

// A Barrier makes a fixed number of parties wait for each other, Python's
// multiprocessing.Barrier: each calls Wait, and all return together once
// the last has arrived. It can then be used again.
//
// Like Python's, it has a broken state: [Barrier.Abort] breaks it, and a
// broken barrier fails every Wait, waiting or to come, with
// [ErrBrokenBarrier] until [Barrier.Reset]. Unlike Python's, a Wait whose
// ctx ends leaves the barrier as it was: the party withdraws, and the
// others go on waiting for a full set.
//
// The processes that hold the barrier are its possible parties: the one
// that made it, and every process that received it in the argument of its
// function, from the moment it has it until it closes it (once a process
// has closed every Barrier object it has of the barrier). A child closes
// its argument's handles when its function returns, also with an error or
// a panic, and a pool worker when its task returns; a process that ends any
// other way while it holds the barrier (killed, crashed, or exited with
// os.Exit) has died. A pool worker keeps what its initializer received for
// its whole life: a worker that ends (replaced, recycled, or at Shutdown)
// with a barrier from its initializer dies holding it. A process that dies
// while it holds the barrier breaks it, whether it waited at the barrier
// or had not arrived yet, so that no party waits for one that cannot come:
// the parties waiting notice within about 20 ms (each checks, after
// sleeping a whole slice, that the processes holding the barrier still
// run), and those that arrive later within a few milliseconds; they get
// [ErrBrokenBarrier], with the dead pid in the message, whatever their ctx,
// and the barrier stays broken until Reset. If the last party arrives
// before anyone noticed a death, the barrier trips (with the dead party
// counted if it had arrived), and the death breaks the next round. The
// table of holders has room for Parties()+64 processes at a time: the
// death of a process beyond that (while the others hold entries) goes
// unnoticed, unless it dies waiting. Methods are safe for concurrent use;
// a Barrier must not be copied.
type Barrier struct {
	shared[shm.Barrier, *shm.Barrier]
}

// NewBarrier returns a barrier for parties parties (1 to 65536), in shared
// memory of its own. It fails with an error matching [ErrUnsupported] off
// Linux.
func NewBarrier(parties int) (*Barrier, error) {
	if parties < 1 || parties > shm.MaxParties {
		return nil, fmt.Errorf("mp: NewBarrier(%d): parties must be in [1, %d]", parties, shm.MaxParties)
	}
	b := new(Barrier)
	if err := b.init(shm.KindBarrier, 0, uint64(parties)); err != nil {
		return nil, err
	}
	return b, nil
}

// Parties returns the number of parties the barrier waits for.
func (b *Barrier) Parties() int { return b.e.Parties() }

// Wait waits until all parties have called Wait, and returns the party's
// index, from 0 to Parties()-1, different for each party of one round (the
// order of arrival when no party withdrew): Python's way of choosing one
// party to do some work. It returns -1 and an error matching
// [ErrBrokenBarrier] when the barrier is broken, or breaks while waiting.
// When ctx ends first, Wait withdraws the party and returns ctx.Err(),
// unless the barrier tripped meanwhile, when it returns as if ctx had not
// ended. A waiting Wait sleeps in the kernel, holding an OS thread. After
// Close it returns an error matching [ErrClosed].
func (b *Barrier) Wait(ctx context.Context) (int, error) { return b.e.Wait(ctx) }

// Abort breaks the barrier: waiting parties return [ErrBrokenBarrier] at
// once, and so does every Wait until [Barrier.Reset]. Python's abort.
func (b *Barrier) Abort() error { return b.e.Abort() }

// Reset returns the barrier to its empty, unbroken state. Parties waiting
// return [ErrBrokenBarrier], as in Python.
func (b *Barrier) Reset() error { return b.e.Reset() }

// Broken reports whether the barrier is broken. It panics after Close,
// with an error matching [ErrClosed].
func (b *Barrier) Broken() bool { return b.e.Broken() }

// Waiting returns the number of parties waiting now, Python's n_waiting.
// It panics after Close, with an error matching [ErrClosed].
func (b *Barrier) Waiting() int { return b.e.Waiting() }

// A Condition is a condition variable shared by processes, Python's
// multiprocessing.Condition: with its [Lock] held, a process waits until
// another notifies it. It crosses to a child together with its lock: the
// child's Condition comes with its own handle on the same lock, returned by
// [Condition.L].
//
// Notify(n) wakes exactly n of the calls that wait when it is called (all
// of them when fewer wait), the longest waiting first, in whichever
// processes and goroutines they are; the next Notify wakes the next ones,
// and a Notify with nobody waiting is lost, as in Python. Wait does not
// return without a Notify but when its ctx ends or the Condition is closed
// in its process; still, another process may change the state the
// condition is about before a woken Wait has the lock again, so test it in
// a loop, or use [Condition.WaitFor].
//
// A process that dies holding the lock makes the next Wait (or Lock) take
// the lock over and return [ErrOwnerDead]. A process that dies while it
// waits keeps no Notify from the others: Notify passes over a waiter whose
// process is gone when more wait than it wakes (a waiter that dies after it
// was chosen has used its Notify up, as in Python). A process that dies
// without notifying leaves the waiters waiting until their ctx ends. At
// most 4088 calls wait on one Condition at a time; the next Wait fails at
// once. Methods are safe for concurrent use; a Condition must not be
// copied.
type Condition struct {
	shared[shm.Condition, *shm.Condition]

	l        *Lock
	ownsLock bool // l was made for this Condition: Close closes it
}

// NewCondition returns a condition variable that uses the lock l, or a new
// Lock of its own when l is nil. It fails with an error matching
// [ErrUnsupported] off Linux.
func NewCondition(l *Lock) (*Condition, error) {
	owns := false
	if l == nil {
		var err error
		if l, err = NewLock(); err != nil {
			return nil, err
		}
		owns = true
	} else if err := l.e.Usable(); err != nil {
		return nil, fmt.Errorf("mp: NewCondition: %w", err)
	}
	c := &Condition{l: l, ownsLock: owns}
	if err := c.init(shm.KindCondition, 0, 0); err != nil {
		if owns {
			l.Close()
		}
		return nil, err
	}
	return c, nil
}

// L returns the condition's lock.
func (c *Condition) L() *Lock { return c.l }

// Wait unlocks the lock, which this process must hold, waits for a Notify,
// and locks it again before it returns, also when it returns an error: it
// then waits for the lock whatever ctx says, as pthread_cond_timedwait does.
// When ctx ends first, Wait returns ctx.Err(), unless a Notify chose it
// meanwhile: then it returns nil, and the Notify woke no other. When the
// lock's holder died meanwhile, Wait returns an error matching
// [ErrOwnerDead] (and holds the lock). It returns an error matching
// [ErrNotHeld], without waiting, when this process does not hold the lock.
// A waiting Wait sleeps in the kernel, holding an OS thread.
func (c *Condition) Wait(ctx context.Context) error {
	dead, err := c.e.Wait(ctx, &c.l.e)
	return ownerDead("Lock", dead, err)
}

// WaitFor waits, as Wait does, until cond returns true, and returns nil;
// cond is called with the lock held. When ctx ends first it returns
// ctx.Err() (with the lock held), unless cond has become true.
func (c *Condition) WaitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		if err := c.Wait(ctx); err != nil {
			if errors.Is(err, ErrOwnerDead) || !cond() {
				return err
			}
			return nil
		}
	}
	return nil
}

// Notify wakes n of the calls waiting on the condition, or all of them
// when fewer wait, the longest waiting first (see [Condition]). The lock
// must be held by this process, or Notify returns an error matching
// [ErrNotHeld]. It never blocks; when more calls wait than it wakes, it
// checks in /proc that the processes of those it chooses in other
// processes still run.
func (c *Condition) Notify(n int) error { return c.e.Notify(&c.l.e, "Notify", n) }

// NotifyAll wakes every call waiting on the condition; the lock must be
// held by this process.
func (c *Condition) NotifyAll() error { return c.e.Notify(&c.l.e, "NotifyAll", math.MaxInt32) }

// A Condition's handle is two objects, its own and its lock's: the methods
// below carry both, through their shared parts.

// Close releases this process's mapping and descriptor of the condition,
// and of its lock when the lock was made with it (by NewCondition(nil), or
// when the Condition was received by a child). Waits in this process return
// [ErrClosed] (or nil, when a Notify had chosen them), and their places
// are freed. Close is idempotent.
func (c *Condition) Close() error {
	err := c.shared.Close()
	if c.ownsLock && c.l != nil {
		err = errors.Join(err, c.l.Close())
	}
	return err
}

// MarshalBinary encodes the condition and its lock as their ids and kinds,
// for the codec.
func (c *Condition) MarshalBinary() ([]byte, error) {
	if c.l == nil {
		return nil, errors.New("mp: a Condition without its lock cannot be encoded")
	}
	b, _ := c.shared.MarshalBinary()
	return c.l.e.AppendBinary(b), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (c *Condition) UnmarshalBinary(b []byte) error {
	if len(b) != 2*shm.EncodedLen {
		return fmt.Errorf("mp: a Condition encodes as %d bytes, got %d", 2*shm.EncodedLen, len(b))
	}
	if err := c.shared.UnmarshalBinary(b[:shm.EncodedLen]); err != nil {
		return err
	}
	l := new(Lock)
	if err := l.UnmarshalBinary(b[shm.EncodedLen:]); err != nil {
		return err
	}
	c.l, c.ownsLock = l, true
	return nil
}

func (c *Condition) handleFiles() ([]*os.File, error) {
	if c.l == nil {
		return nil, c.e.UnboundError()
	}
	fs, err := c.shared.handleFiles()
	if err != nil {
		return nil, err
	}
	lf, err := c.l.handleFiles()
	if err != nil {
		return nil, fmt.Errorf("mp: this Condition cannot be passed to a process: its lock: %w", err)
	}
	return append(fs, lf...), nil
}

func (c *Condition) bindFiles(files []*os.File) error {
	if len(files) != 2 || c.l == nil {
		return fmt.Errorf("mp: a Condition takes 2 descriptors, got %d", len(files))
	}
	if err := c.shared.bindFiles(files[:1]); err != nil {
		return err
	}
	return c.l.bindFiles(files[1:])
}
