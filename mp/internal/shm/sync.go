package mp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A lock word is 64 bits of shared memory: 0 when the lock is free, else
// the identity of the holding process (see loadSelf): its pid in bits 0-29
// and the low half of its start time in bits 32-63, with bit 31, the waiters
// bit, set when some process may sleep on the word, so that unlocking must
// wake one. Futex waits compare the low 32 bits, which hold the pid and the
// waiters bit: a waiter that saw the bit set cannot miss the wake-up of the
// holder that clears it.
//
// A process never records itself in the kernel's robust-futex list, which
// is per thread, and goroutines move between threads. Instead, a waiter
// that sleeps a whole slice (1 ms at first, then longer, up to 50 ms) checks
// in /proc whether the holder still runs; if not, it takes the lock over
// with a compare-and-swap and reports ErrOwnerDead. The start time tells the
// holder from a later process that reused its pid.
const lockWaiters = 1 << 31

// The errors of the primitives keep their identity when a child's function
// returns them: the parent's error matches them too.
func init() {
	RegisterError("mp.ErrOwnerDead", ErrOwnerDead)
	RegisterError("mp.ErrBrokenBarrier", ErrBrokenBarrier)
	RegisterError("mp.ErrNotHeld", ErrNotHeld)
	RegisterError("mp.ErrTooManyReleases", ErrTooManyReleases)
}

// lowHalf is the offset of the low 32 bits of a 64-bit word in memory.
var lowHalf = func() uintptr {
	x := uint64(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return 0
	}
	return 4
}()

// A robustMutex is a lock word in shared memory.
type robustMutex struct {
	word *atomic.Uint64
	low  unsafe.Pointer // the futex word: word's low half
}

func newRobustMutex(p unsafe.Pointer) robustMutex {
	return robustMutex{word: (*atomic.Uint64)(p), low: unsafe.Add(p, lowHalf)}
}

// spins is how many times a locker looks at a held lock word before it
// sleeps: a holder running on another CPU often lets go within that time.
const spins = 100

// lockSlow waits for the mutex and takes it, for as long as ctx allows; s is
// the object it belongs to, checked for Close between sleeps. take makes the
// taking (a compare-and-swap of the word from old to new), so that the
// caller can do its bookkeeping with it; mine is called when the word names
// this process as the holder, and reports whether that will do (an RLock
// re-enters; nil waits, as a Lock does). lockSlow returns the pid of the
// dead process it took the mutex from, if it did.
func (m robustMutex) lockSlow(ctx context.Context, s *shm, take func(old, new uint64) bool, mine func() bool) (deadPid int, err error) {
	me := selfWord
	for range spins {
		v := m.word.Load()
		if v == 0 && take(0, me) {
			return 0, nil
		}
		if v&^lockWaiters == me && mine != nil && mine() {
			return 0, nil
		}
	}
	sl := newSleeper(ctx, m.low)
	defer sl.done()
	for {
		if err := s.usable(); err != nil {
			return 0, err
		}
		v := m.word.Load()
		switch {
		case v == 0:
			// After a sleep, take it with the waiters bit set: others may
			// sleep too, and the next Unlock must wake one of them.
			if take(0, me|lockWaiters) {
				return 0, nil
			}
			continue
		case v&^lockWaiters == me && mine != nil && mine():
			return 0, nil
		case v&lockWaiters == 0:
			if !m.word.CompareAndSwap(v, v|lockWaiters) {
				continue
			}
		}
		timedOut, err := sl.sleep(uint32(v | lockWaiters))
		if err != nil {
			// An Unlock may have woken this call, which leaves: pass the
			// wake-up on to another sleeper, if any.
			if m.word.Load() == 0 {
				futexWake((*uint32)(m.low), 1)
			}
			return 0, err
		}
		if timedOut {
			if v := m.word.Load(); v != 0 && !ownerAlive(v&^lockWaiters) && take(v, me|lockWaiters) {
				return ownerPid(v), nil
			}
		}
	}
}

// unlock lets go of the mutex if me holds it, and reports whether it did.
func (m robustMutex) unlock(me uint64) bool {
	for {
		v := m.word.Load()
		if v&^lockWaiters != me {
			return false
		}
		// A compare-and-swap, not a swap: two Unlocks racing in one
		// process must not free a lock that another process took between
		// them.
		if m.word.CompareAndSwap(v, 0) {
			if v&lockWaiters != 0 {
				futexWake((*uint32)(m.low), 1)
			}
			return true
		}
	}
}

// holder describes who holds the mutex, for an error message.
func (m robustMutex) holder() string {
	v := m.word.Load() &^ lockWaiters
	if v == 0 {
		return "it is not locked"
	}
	return fmt.Sprintf("process %d holds it", ownerPid(v))
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
// compare-and-swaps on shared memory, 8-12 ns (BenchmarkSync in bench/).
// Methods are safe for concurrent use by goroutines of every process. A
// Lock must not be copied.
type Lock struct {
	sh shm
	m  robustMutex
}

// NewLock returns a new unlocked Lock, in a page of shared memory of its
// own that the kernel frees once every process holding it has closed it or
// exited. It fails with an error matching [ErrUnsupported] off Linux.
func NewLock() (*Lock, error) {
	l := new(Lock)
	if err := l.sh.init(shmLock, 0, 0); err != nil {
		return nil, err
	}
	l.setup()
	return l, nil
}

func (l *Lock) setup() {
	l.m = newRobustMutex(l.sh.at(shmData))
	keepMapped(l, l.sh.mem)
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
	if l.sh.state.Load() == shmOpen && l.m.word.CompareAndSwap(0, selfWord) {
		l.sh.raceAcquire()
		runtime.KeepAlive(l)
		return nil
	}
	return l.lockSlow(ctx)
}

func (l *Lock) lockSlow(ctx context.Context) error {
	defer runtime.KeepAlive(l)
	if err := l.sh.usable(); err != nil {
		return err
	}
	dead, err := l.m.lockSlow(ctx, &l.sh, l.m.word.CompareAndSwap, nil)
	if err != nil {
		return err
	}
	l.sh.raceAcquire()
	if dead != 0 {
		return &OwnerDeadError{Kind: "Lock", Pid: dead}
	}
	return nil
}

// Unlock lets go of the lock. It returns an error matching [ErrNotHeld] when
// this process does not hold it (it is free, or another process holds it),
// and one matching [ErrClosed] after Close. It never blocks.
func (l *Lock) Unlock() error {
	l.sh.raceRelease()
	if l.sh.state.Load() == shmOpen && l.m.word.CompareAndSwap(selfWord, 0) {
		runtime.KeepAlive(l)
		return nil
	}
	defer runtime.KeepAlive(l)
	if err := l.sh.usable(); err != nil {
		return err
	}
	if !l.m.unlock(selfWord) {
		return fmt.Errorf("mp: Lock.Unlock: %w (%s)", ErrNotHeld, l.m.holder())
	}
	return nil
}

// heldHere reports whether this process holds the lock.
func (l *Lock) heldHere() bool {
	ok := l.sh.state.Load() == shmOpen && l.m.word.Load()&^lockWaiters == selfWord
	runtime.KeepAlive(l)
	return ok
}

// Close releases this process's mapping and descriptor of the lock; other
// processes keep theirs. Close does not unlock: a lock this process holds
// stays held, and once this process exits the next Lock elsewhere gets
// [ErrOwnerDead]. Calls waiting in this process return [ErrClosed]. Close is
// idempotent.
func (l *Lock) Close() error { return l.sh.close(shmData + lowHalf) }

// MarshalBinary encodes the lock as its id and kind, for the codec; its
// memory travels beside the argument as a descriptor.
func (l *Lock) MarshalBinary() ([]byte, error) { return l.sh.appendBinary(nil), nil }

// UnmarshalBinary decodes what MarshalBinary wrote; the child binds the
// memory before its function runs.
func (l *Lock) UnmarshalBinary(b []byte) error { return l.sh.decode(b, shmLock, 0) }

func (l *Lock) handleID() uint64                 { return l.sh.id }
func (l *Lock) handleFiles() ([]*os.File, error) { return l.sh.files() }
func (l *Lock) bindFiles(files []*os.File) error {
	if err := l.sh.bind(files); err != nil {
		return err
	}
	l.setup()
	return nil
}

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

// An RLock is a re-entrant lock shared by processes, Python's
// multiprocessing.RLock: the process that holds it may lock it again, and it
// is free once that process has unlocked it as many times as it locked it.
// Like [Lock], it survives the death of its holder: the next Lock returns
// an error matching [ErrOwnerDead] and holds it once.
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
	sh    shm
	m     robustMutex
	count *atomic.Uint32 // in shared memory: how many times the holder locked it

	mu sync.Mutex // orders this process's re-entries and releases with the word's changes
}

// NewRLock returns a new unlocked RLock, in a page of shared memory of its
// own. It fails with an error matching [ErrUnsupported] off Linux.
func NewRLock() (*RLock, error) {
	r := new(RLock)
	if err := r.sh.init(shmRLock, 0, 0); err != nil {
		return nil, err
	}
	r.setup()
	return r, nil
}

func (r *RLock) setup() {
	r.m = newRobustMutex(r.sh.at(shmData))
	r.count = (*atomic.Uint32)(r.sh.at(shmData + 8))
	keepMapped(r, r.sh.mem)
}

// Lock takes the lock for this process, or, if this process holds it
// already, counts one more hold at once. It waits, heeds ctx and reports a
// dead holder as [Lock.Lock] does; after taking the lock from a dead holder
// the count is 1.
func (r *RLock) Lock(ctx context.Context) error {
	defer runtime.KeepAlive(r)
	if err := r.sh.usable(); err != nil {
		return err
	}
	if r.reenter() || r.take(0, selfWord) {
		r.sh.raceAcquire()
		return nil
	}
	dead, err := r.m.lockSlow(ctx, &r.sh, r.take, r.reenter)
	if err != nil {
		return err
	}
	r.sh.raceAcquire()
	if dead != 0 {
		return &OwnerDeadError{Kind: "RLock", Pid: dead}
	}
	return nil
}

// take takes the word from old and sets the count to 1, in one step as far
// as the goroutines of this process can tell.
func (r *RLock) take(old, new uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.m.word.CompareAndSwap(old, new) {
		return false
	}
	r.count.Store(1)
	return true
}

// reenter counts one more hold if this process holds the lock.
func (r *RLock) reenter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m.word.Load()&^lockWaiters != selfWord {
		return false
	}
	r.count.Add(1)
	return true
}

// Unlock undoes one Lock of this process; the last one lets the lock go.
// It returns an error matching [ErrNotHeld] when this process does not
// hold the lock, and one matching [ErrClosed] after Close.
func (r *RLock) Unlock() error {
	defer runtime.KeepAlive(r)
	if err := r.sh.usable(); err != nil {
		return err
	}
	r.sh.raceRelease()
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.count.Load()
	if r.m.word.Load()&^lockWaiters != selfWord || c == 0 {
		return fmt.Errorf("mp: RLock.Unlock: %w (%s)", ErrNotHeld, r.m.holder())
	}
	if c > 1 {
		r.count.Store(c - 1)
		return nil
	}
	r.count.Store(0)
	r.m.unlock(selfWord)
	return nil
}

// Close releases this process's mapping and descriptor of the lock, as
// [Lock.Close] does; it does not unlock.
func (r *RLock) Close() error { return r.sh.close(shmData + lowHalf) }

// MarshalBinary encodes the lock as its id and kind, for the codec.
func (r *RLock) MarshalBinary() ([]byte, error) { return r.sh.appendBinary(nil), nil }

// UnmarshalBinary decodes what MarshalBinary wrote.
func (r *RLock) UnmarshalBinary(b []byte) error { return r.sh.decode(b, shmRLock, 0) }

func (r *RLock) handleID() uint64                 { return r.sh.id }
func (r *RLock) handleFiles() ([]*os.File, error) { return r.sh.files() }
func (r *RLock) bindFiles(files []*os.File) error {
	if err := r.sh.bind(files); err != nil {
		return err
	}
	r.setup()
	return nil
}

// The bits of an Event's word.
const (
	eventSet     = 1
	eventWaiters = 2 // some Wait may sleep on the word: Set must wake
)

// An Event is a flag shared by processes, Python's multiprocessing.Event:
// Wait blocks until some process sets it. Set wakes every waiter, in every
// process, through a futex: about 20 µs (p50) from Set to a sleeping waiter
// running again in another process (BenchmarkSync in bench/). Nothing is
// held, so the death of a process changes nothing for the others: waiters
// whose setter died wait until their ctx ends. Methods are safe for
// concurrent use; an Event must not be copied.
type Event struct {
	sh   shm
	word *atomic.Uint32
}

// NewEvent returns a new Event, not set, in a page of shared memory of its
// own. It fails with an error matching [ErrUnsupported] off Linux.
func NewEvent() (*Event, error) {
	e := new(Event)
	if err := e.sh.init(shmEvent, 0, 0); err != nil {
		return nil, err
	}
	e.setup()
	return e, nil
}

func (e *Event) setup() {
	e.word = (*atomic.Uint32)(e.sh.at(shmData))
	keepMapped(e, e.sh.mem)
}

// Set sets the flag and wakes every Wait. It never blocks.
func (e *Event) Set() error {
	defer runtime.KeepAlive(e)
	if err := e.sh.usable(); err != nil {
		return err
	}
	e.sh.raceRelease()
	if e.word.Load() == eventSet {
		return nil
	}
	if e.word.Swap(eventSet)&eventWaiters != 0 {
		futexWake((*uint32)(unsafe.Pointer(e.word)), math.MaxInt32)
	}
	return nil
}

// Clear clears the flag: later Waits block until the next Set.
func (e *Event) Clear() error {
	defer runtime.KeepAlive(e)
	if err := e.sh.usable(); err != nil {
		return err
	}
	for {
		v := e.word.Load()
		if v&eventSet == 0 || e.word.CompareAndSwap(v, v&^eventSet) {
			return nil
		}
	}
}

// IsSet reports whether the flag is set. It panics after Close, with an
// error that matches [ErrClosed].
func (e *Event) IsSet() bool {
	e.sh.useOrPanic(shmEvent, "IsSet")
	set := e.word.Load()&eventSet != 0
	if set {
		e.sh.raceAcquire()
	}
	runtime.KeepAlive(e)
	return set
}

// Wait returns nil once the flag is set, at once if it is. When ctx ends
// first it returns ctx.Err(). A Wait that sleeps holds an OS thread. After
// Close, Wait returns an error matching [ErrClosed].
func (e *Event) Wait(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	if err := e.sh.usable(); err != nil {
		return err
	}
	if e.word.Load()&eventSet != 0 {
		e.sh.raceAcquire()
		return nil
	}
	sl := newSleeper(ctx, unsafe.Pointer(e.word))
	defer sl.done()
	for {
		v := e.word.Load()
		if v&eventSet != 0 {
			e.sh.raceAcquire()
			return nil
		}
		if err := e.sh.usable(); err != nil {
			return err
		}
		if v&eventWaiters == 0 && !e.word.CompareAndSwap(v, v|eventWaiters) {
			continue
		}
		if _, err := sl.sleep(eventWaiters); err != nil {
			if e.word.Load()&eventSet != 0 {
				e.sh.raceAcquire()
				return nil
			}
			return err
		}
	}
}

// Close releases this process's mapping and descriptor of the event;
// Waits in this process return [ErrClosed]. Close is idempotent.
func (e *Event) Close() error { return e.sh.close(shmData) }

// MarshalBinary encodes the event as its id and kind, for the codec.
func (e *Event) MarshalBinary() ([]byte, error) { return e.sh.appendBinary(nil), nil }

// UnmarshalBinary decodes what MarshalBinary wrote.
func (e *Event) UnmarshalBinary(b []byte) error { return e.sh.decode(b, shmEvent, 0) }

func (e *Event) handleID() uint64                 { return e.sh.id }
func (e *Event) handleFiles() ([]*os.File, error) { return e.sh.files() }
func (e *Event) bindFiles(files []*os.File) error {
	if err := e.sh.bind(files); err != nil {
		return err
	}
	e.setup()
	return nil
}

// A Semaphore's memory: the count of free units and the number of
// sleepers, then a table with one entry per process that acquired units:
// its identity and how many units it holds. A waiter that sleeps a whole
// slice looks for entries of dead processes and gives their units back.
const (
	semTable    = 128
	semSlotSize = 16
	semSlots    = (4096 - semTable) / semSlotSize // 248 processes
	// semReclaiming marks an entry whose dead process's units are being
	// given back; no identity has bits 30 and 31 set.
	semReclaiming = math.MaxUint64
)

// A semSlot is an entry of a Semaphore's table.
type semSlot struct {
	id   atomic.Uint64 // the identity of the process, 0 when free
	held atomic.Uint32 // units it acquired and has not released
	_    uint32
}

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
// others wait and wake as before.
//
// Methods are safe for concurrent use; a Semaphore must not be copied.
type Semaphore struct {
	sh      shm
	value   *atomic.Uint32 // free units
	nwait   *atomic.Uint32 // sleepers, or about to be: Release must wake one
	bounded bool
	bound   uint32 // the count Release may not exceed, when bounded
	table   []semSlot

	mu   sync.Mutex   // serialises claiming an entry for this process
	slot atomic.Int32 // this process's entry, -1 none yet
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
	if err := s.sh.init(shmSemaphore, elem, uint64(n)); err != nil {
		return nil, err
	}
	s.setup()
	s.value.Store(uint32(n))
	return s, nil
}

func (s *Semaphore) setup() {
	s.value = (*atomic.Uint32)(s.sh.at(shmData))
	s.nwait = (*atomic.Uint32)(s.sh.at(shmData + 4))
	s.bounded, s.bound = s.sh.elem == 1, uint32(s.sh.param)
	s.table = unsafe.Slice((*semSlot)(s.sh.at(semTable)), semSlots)
	s.slot.Store(-1)
	keepMapped(s, s.sh.mem)
}

// Acquire takes a unit, waiting while there is none. When ctx ends first
// it returns ctx.Err() and takes nothing; with a ctx that has already
// ended, it takes a free unit without waiting and otherwise fails at once.
// A waiting Acquire sleeps in the kernel, holding an OS thread. After
// Close it returns an error matching [ErrClosed].
func (s *Semaphore) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	if err := s.sh.usable(); err != nil {
		return err
	}
	if v := s.value.Load(); v > 0 && s.value.CompareAndSwap(v, v-1) {
		s.track()
		return nil
	}
	sl := newSleeper(ctx, unsafe.Pointer(s.value))
	defer sl.done()
	for {
		if err := s.sh.usable(); err != nil {
			return err
		}
		if v := s.value.Load(); v > 0 {
			if s.value.CompareAndSwap(v, v-1) {
				s.track()
				return nil
			}
			continue
		}
		s.nwait.Add(1)
		timedOut, err := sl.sleep(0)
		s.nwait.Add(^uint32(0))
		if err != nil {
			// A Release may have woken this call for a unit it leaves:
			// pass the wake-up on.
			if s.value.Load() > 0 && s.nwait.Load() > 0 {
				futexWake((*uint32)(unsafe.Pointer(s.value)), 1)
			}
			return err
		}
		if timedOut {
			s.reclaim()
		}
	}
}

// track counts a unit this process acquired in its table entry.
func (s *Semaphore) track() {
	s.sh.raceAcquire()
	if e := s.entry(true); e != nil {
		e.held.Add(1)
	}
}

// entry returns this process's entry, claiming one if claim is set and it
// has none; nil when it has none (or the table is full).
func (s *Semaphore) entry(claim bool) *semSlot {
	if i := s.slot.Load(); i >= 0 {
		return &s.table[i]
	}
	if !claim {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.slot.Load(); i >= 0 {
		return &s.table[i]
	}
	for attempt := 0; attempt < 2; attempt++ {
		for i := range s.table {
			if id := s.table[i].id.Load(); id == selfWord || id == 0 && s.table[i].id.CompareAndSwap(0, selfWord) {
				s.slot.Store(int32(i))
				return &s.table[i]
			}
		}
		s.reclaim() // free the entries of dead processes, then look again
	}
	return nil
}

// reclaim gives back the units of dead processes and frees their entries.
func (s *Semaphore) reclaim() {
	n := uint32(0)
	for i := range s.table {
		e := &s.table[i]
		id := e.id.Load()
		if id == 0 || id == semReclaiming || id == selfWord || ownerAlive(id) {
			continue
		}
		if !e.id.CompareAndSwap(id, semReclaiming) {
			continue
		}
		h := e.held.Swap(0)
		e.id.Store(0)
		n += h
	}
	if n > 0 {
		s.value.Add(n)
		futexWake((*uint32)(unsafe.Pointer(s.value)), int(n))
	}
}

// Release gives a unit back and wakes a waiting Acquire, in any process. On
// a bounded semaphore whose count is back at its initial value it changes
// nothing and returns an error matching [ErrTooManyReleases]. It never
// blocks. After Close it returns an error matching [ErrClosed].
func (s *Semaphore) Release() error {
	defer runtime.KeepAlive(s)
	if err := s.sh.usable(); err != nil {
		return err
	}
	s.sh.raceRelease()
	// Untrack first: a process that dies between the two steps loses the
	// unit rather than have it counted twice.
	e := s.entry(false)
	untracked := false
	for e != nil {
		h := e.held.Load()
		if h == 0 {
			break
		}
		if e.held.CompareAndSwap(h, h-1) {
			untracked = true
			break
		}
	}
	for {
		v := s.value.Load()
		if s.bounded && v >= s.bound || v >= math.MaxInt32 {
			if untracked {
				e.held.Add(1)
			}
			return fmt.Errorf("mp: Semaphore.Release: %w (count %d)", ErrTooManyReleases, v)
		}
		if s.value.CompareAndSwap(v, v+1) {
			break
		}
	}
	if s.nwait.Load() > 0 {
		futexWake((*uint32)(unsafe.Pointer(s.value)), 1)
	}
	return nil
}

// Value returns the number of free units, which other processes may change
// at any moment. It panics after Close, with an error matching [ErrClosed].
func (s *Semaphore) Value() int {
	s.sh.useOrPanic(shmSemaphore, "Value")
	v := int(s.value.Load())
	runtime.KeepAlive(s)
	return v
}

// Close releases this process's mapping and descriptor of the semaphore;
// Acquires waiting in this process return [ErrClosed]. Units this process
// holds stay taken until it exits. Close is idempotent.
func (s *Semaphore) Close() error {
	if s.sh.state.Load() == shmOpen {
		if e := s.entry(false); e != nil && e.held.Load() == 0 {
			e.id.CompareAndSwap(selfWord, 0)
		}
	}
	return s.sh.close(shmData)
}

// MarshalBinary encodes the semaphore as its id, kind and bound, for the
// codec.
func (s *Semaphore) MarshalBinary() ([]byte, error) { return s.sh.appendBinary(nil), nil }

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *Semaphore) UnmarshalBinary(b []byte) error { return s.sh.decode(b, shmSemaphore, 0) }

func (s *Semaphore) handleID() uint64                 { return s.sh.id }
func (s *Semaphore) handleFiles() ([]*os.File, error) { return s.sh.files() }
func (s *Semaphore) bindFiles(files []*os.File) error {
	if err := s.sh.bind(files); err != nil {
		return err
	}
	s.setup()
	return nil
}

// A Barrier's memory: a lock word guarding the rest, the generation (the
// futex word waiters sleep on), the number of parties waiting, the broken
// flag, the outcomes of the last 64 generations (bit g%64 set when
// generation g ended broken), then one slot per party with the identity of
// the process waiting in it, then the table of the processes that hold the
// barrier: the identity of each, and how many of its Barrier objects stand
// for the barrier.
const (
	barrierGen        = shmData + 8
	barrierCount      = shmData + 12
	barrierBroken     = shmData + 16
	barrierOutcomes   = shmData + 24
	barrierDeadPid    = shmData + 32 // the dead process that broke the last generation to break, or 0
	barrierSlots      = 128
	barrierHolderSize = 16
	maxParties        = 1 << 16
)

// barrierHoldersAt is the offset of the table of holders of a barrier of
// parties parties.
func barrierHoldersAt(parties uint64) uint64 {
	return (barrierSlots + 8*parties + barrierHolderSize - 1) &^ (barrierHolderSize - 1)
}

// barrierHolders is the number of entries in the table of holders: one per
// party, and some for processes that hold the barrier without waiting at it
// (the one that made it, say).
func barrierHolders(parties uint64) uint64 { return parties + 64 }

// A barrierHolder is an entry of a Barrier's table of holders.
type barrierHolder struct {
	id   atomic.Uint64 // the identity of the process, 0 when free
	refs atomic.Uint32 // its Barrier objects that stand for the barrier
	_    uint32
}

// holdersMu orders the changes to this process's entries in the tables of
// holders of every barrier: two objects of one barrier may join and leave
// at once.
var holdersMu sync.Mutex

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
// function, from the moment it has it until it closes it. A child closes
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
	sh       shm
	m        robustMutex    // guards the fields below, for a few instructions at a time
	gen      *atomic.Uint32 // generation; futex word
	count    *atomic.Uint32
	broken   *atomic.Uint32
	outcomes *atomic.Uint64
	deadPid  *atomic.Uint32
	slots    []atomic.Uint64
	holders  []barrierHolder
	joined   int // this object's process's entry in holders, or -1
}

// NewBarrier returns a barrier for parties parties (1 to 65536), in shared
// memory of its own. It fails with an error matching [ErrUnsupported] off
// Linux.
func NewBarrier(parties int) (*Barrier, error) {
	if parties < 1 || parties > maxParties {
		return nil, fmt.Errorf("mp: NewBarrier(%d): parties must be in [1, %d]", parties, maxParties)
	}
	b := new(Barrier)
	if err := b.sh.init(shmBarrier, 0, uint64(parties)); err != nil {
		return nil, err
	}
	b.setup()
	return b, nil
}

func (b *Barrier) setup() {
	b.m = newRobustMutex(b.sh.at(shmData))
	b.gen = (*atomic.Uint32)(b.sh.at(barrierGen))
	b.count = (*atomic.Uint32)(b.sh.at(barrierCount))
	b.broken = (*atomic.Uint32)(b.sh.at(barrierBroken))
	b.outcomes = (*atomic.Uint64)(b.sh.at(barrierOutcomes))
	b.deadPid = (*atomic.Uint32)(b.sh.at(barrierDeadPid))
	b.slots = unsafe.Slice((*atomic.Uint64)(b.sh.at(barrierSlots)), b.sh.param)
	b.holders = unsafe.Slice((*barrierHolder)(b.sh.at(uintptr(barrierHoldersAt(b.sh.param)))), barrierHolders(b.sh.param))
	keepMapped(b, b.sh.mem)
	b.join()
}

// join counts this object in this process's entry of the table of holders,
// taking a free entry if the process has none.
func (b *Barrier) join() {
	holdersMu.Lock()
	defer holdersMu.Unlock()
	b.joined = -1
	for i := range b.holders {
		if b.holders[i].id.Load() == selfWord {
			b.holders[i].refs.Add(1)
			b.joined = i
			return
		}
	}
	for i := range b.holders {
		// A free entry's refs are 0: who frees an entry zeroes them first.
		if b.holders[i].id.CompareAndSwap(0, selfWord) {
			b.holders[i].refs.Add(1)
			b.joined = i
			return
		}
	}
}

// leave undoes join, when the object is closed: the process's entry is
// freed with its last object.
func (b *Barrier) leave() {
	holdersMu.Lock()
	defer holdersMu.Unlock()
	if b.joined < 0 {
		return
	}
	e := &b.holders[b.joined]
	if e.id.Load() == selfWord && e.refs.Add(^uint32(0)) == 0 {
		e.id.CompareAndSwap(selfWord, 0)
	}
}

// Parties returns the number of parties the barrier waits for.
func (b *Barrier) Parties() int { return int(b.sh.param) }

// Wait waits until all parties have called Wait, and returns the party's
// index, from 0 to Parties()-1, different for each party of one round (the
// order of arrival when no party withdrew): Python's way of choosing one
// party to do some work. It returns -1 and an error matching
// [ErrBrokenBarrier] when the barrier is broken, or breaks while waiting.
// When ctx ends first, Wait withdraws the party and returns ctx.Err(),
// unless the barrier tripped meanwhile, when it returns as if ctx had not
// ended. A waiting Wait sleeps in the kernel, holding an OS thread. After
// Close it returns an error matching [ErrClosed].
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	defer runtime.KeepAlive(b)
	b.sh.raceRelease()
	if err := b.lockState(); err != nil {
		return -1, err
	}
	if b.broken.Load() != 0 {
		pid := int(b.deadPid.Load())
		b.m.unlock(selfWord)
		return -1, brokenError(pid)
	}
	g := b.gen.Load()
	i := 0
	for i < len(b.slots) && b.slots[i].Load() != 0 {
		i++ // count < parties, so a slot is free
	}
	if i == len(b.slots) { // cannot happen but with corrupt memory
		b.breakLocked(0)
		b.m.unlock(selfWord)
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
		return -1, fmt.Errorf("mp: Barrier.Wait: no free slot: %w", ErrBrokenBarrier)
	}
	b.slots[i].Store(selfWord)
	if b.count.Add(1) == uint32(len(b.slots)) {
		b.endLocked(false)
		b.m.unlock(selfWord)
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
		b.sh.raceRelease()
		return i, nil
	}
	b.m.unlock(selfWord)

	sl := newSleeper(ctx, unsafe.Pointer(b.gen))
	sl.maxSlice = maxBarrierSlice
	defer sl.done()
	for {
		timedOut, err := sl.sleep(g)
		if b.gen.Load() != g {
			return b.outcome(i, g)
		}
		if uerr := b.sh.usable(); uerr != nil {
			return -1, uerr
		}
		if err == nil && !timedOut {
			continue
		}
		if lerr := b.lockState(); lerr != nil {
			return -1, lerr
		}
		if b.gen.Load() != g {
			b.m.unlock(selfWord)
			return b.outcome(i, g)
		}
		if err != nil {
			b.slots[i].Store(0)
			b.count.Add(^uint32(0))
			b.m.unlock(selfWord)
			return -1, err
		}
		if pid := b.deadHolder(); pid != 0 {
			b.breakLocked(pid)
			b.m.unlock(selfWord)
			futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
			return -1, brokenError(pid)
		}
		b.m.unlock(selfWord)
	}
}

// lockState takes the barrier's lock word. A process that died holding it
// may have left the state half-updated: the barrier is then broken.
func (b *Barrier) lockState() error {
	if err := b.sh.usable(); err != nil {
		return err
	}
	if b.m.word.CompareAndSwap(0, selfWord) {
		return nil
	}
	dead, err := b.m.lockSlow(context.Background(), &b.sh, b.m.word.CompareAndSwap, nil)
	if err != nil {
		return err
	}
	if dead != 0 {
		b.breakLocked(dead)
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
	}
	return nil
}

// breakLocked breaks the barrier, because process pid died (or 0: Abort).
// The caller holds the lock word and wakes the waiters after letting it
// go.
func (b *Barrier) breakLocked(pid int) {
	b.broken.Store(1)
	b.deadPid.Store(uint32(pid))
	b.endLocked(true)
}

// brokenError is Wait's error on a broken barrier; pid is the process whose
// death broke it, or 0.
func brokenError(pid int) error {
	if pid != 0 {
		return fmt.Errorf("mp: Barrier.Wait: process %d, which held the barrier, died: %w", pid, ErrBrokenBarrier)
	}
	return fmt.Errorf("mp: Barrier.Wait: %w", ErrBrokenBarrier)
}

// endLocked ends the current generation, tripped or broken: the waiting
// parties wake and find the outcome. The caller holds the lock word and
// wakes the waiters after letting it go.
func (b *Barrier) endLocked(broken bool) {
	g := b.gen.Load()
	bit := uint64(1) << (g % 64)
	if broken {
		b.outcomes.Or(bit)
	} else {
		b.outcomes.And(^bit)
	}
	for i := range b.slots {
		b.slots[i].Store(0)
	}
	b.count.Store(0)
	b.gen.Store(g + 1)
}

// outcome returns what Wait returns to the party in slot i of generation g,
// which has ended. A party that fell 64 generations behind (possible only
// with more callers than parties) cannot tell, and reports the barrier
// broken rather than claim a rendezvous it cannot vouch for.
func (b *Barrier) outcome(i int, g uint32) (int, error) {
	if err := b.lockState(); err != nil {
		return -1, err
	}
	now, bits, pid := b.gen.Load(), b.outcomes.Load(), int(b.deadPid.Load())
	b.m.unlock(selfWord)
	if now-g > 64 || bits&(1<<(g%64)) != 0 {
		if now != g+1 {
			pid = 0 // later generations broke since: the pid may be theirs
		}
		return -1, brokenError(pid)
	}
	b.sh.raceRelease() // and acquire: the others' arrivals happened before
	return i, nil
}

// deadHolder returns the pid of a dead process that waited at the barrier
// or held it, or 0; it frees the dead process's entry in the table of
// holders, so that its death breaks no later round. The caller holds the
// lock word.
func (b *Barrier) deadHolder() int {
	var dead uint64
	for i := range b.slots {
		if id := b.slots[i].Load(); id != 0 && !ownerAlive(id) {
			dead = id
			break
		}
	}
	for i := range b.holders {
		e := &b.holders[i]
		id := e.id.Load()
		if id == 0 || dead != 0 && id != dead || dead == 0 && ownerAlive(id) {
			continue
		}
		dead = id
		e.refs.Store(0) // who takes a free entry counts from 0
		e.id.Store(0)
		break
	}
	return ownerPid(dead)
}

// Abort breaks the barrier: waiting parties return [ErrBrokenBarrier] at
// once, and so does every Wait until [Barrier.Reset]. Python's abort.
func (b *Barrier) Abort() error {
	defer runtime.KeepAlive(b)
	if err := b.lockState(); err != nil {
		return err
	}
	b.breakLocked(0)
	b.m.unlock(selfWord)
	futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
	return nil
}

// Reset returns the barrier to its empty, unbroken state. Parties waiting
// return [ErrBrokenBarrier], as in Python.
func (b *Barrier) Reset() error {
	defer runtime.KeepAlive(b)
	if err := b.lockState(); err != nil {
		return err
	}
	waiting := b.count.Load() > 0
	if waiting {
		b.breakLocked(0)
	}
	b.broken.Store(0)
	b.m.unlock(selfWord)
	if waiting {
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
	}
	return nil
}

// Broken reports whether the barrier is broken. It panics after Close,
// with an error matching [ErrClosed].
func (b *Barrier) Broken() bool {
	b.sh.useOrPanic(shmBarrier, "Broken")
	v := b.broken.Load() != 0
	runtime.KeepAlive(b)
	return v
}

// Waiting returns the number of parties waiting now, Python's n_waiting.
// It panics after Close, with an error matching [ErrClosed].
func (b *Barrier) Waiting() int {
	b.sh.useOrPanic(shmBarrier, "Waiting")
	v := int(b.count.Load())
	runtime.KeepAlive(b)
	return v
}

// Close releases this process's mapping and descriptor of the barrier;
// Waits in this process return [ErrClosed]. Once a process has closed
// every Barrier object it has of the barrier, it no longer holds it, and
// its death no longer breaks it. Close is idempotent.
func (b *Barrier) Close() error {
	return b.sh.closeWaking(func() {
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
		b.leave()
	})
}

// MarshalBinary encodes the barrier as its id, kind and parties, for the
// codec.
func (b *Barrier) MarshalBinary() ([]byte, error) { return b.sh.appendBinary(nil), nil }

// UnmarshalBinary decodes what MarshalBinary wrote.
func (b *Barrier) UnmarshalBinary(data []byte) error { return b.sh.decode(data, shmBarrier, 0) }

func (b *Barrier) handleID() uint64                 { return b.sh.id }
func (b *Barrier) handleFiles() ([]*os.File, error) { return b.sh.files() }
func (b *Barrier) bindFiles(files []*os.File) error {
	if err := b.sh.bind(files); err != nil {
		return err
	}
	b.setup()
	return nil
}

// A Condition's memory: the ticket of the next Wait, the number of entries
// in use, how far into the table entries were ever used, then a table with
// one entry per waiting call. An entry is a word holding the ticket of the
// call (its order of arrival) in the high half and its state in the low
// half, the futex word the call sleeps on; then the identity of the call's
// process. An entry is taken with the condition's lock held, and freed by
// its call, by Close in its process, or, once its process is dead, by any
// process; a compare-and-swap of the whole word frees it, so that the
// ticket tells a dead call's entry from a new call's that took its place.
const (
	condTickets   = shmData
	condUsed      = shmData + 4
	condHigh      = shmData + 8
	condTable     = 128
	condEntrySize = 16
	condEntries   = (64<<10 - condTable) / condEntrySize // 4088 waiting calls at a time
)

// The states of a Condition's entry.
const (
	condFree     uint64 = iota
	condWaiting         // its call sleeps until a Notify chooses it
	condNotified        // a Notify chose it; its call has yet to wake up
)

// A condEntry is an entry of a Condition's table.
type condEntry struct {
	word atomic.Uint64 // ticket<<32 | state
	id   atomic.Uint64 // the identity of the waiting call's process
}

// futex returns the address of the entry's state, the futex word.
func (e *condEntry) futex() *uint32 {
	return (*uint32)(unsafe.Add(unsafe.Pointer(&e.word), lowHalf))
}

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
	sh      shm
	tickets *atomic.Uint32
	used    *atomic.Uint32 // entries not free: Notify skips its scan without any
	high    *atomic.Uint32 // entries from this index on have never been used
	table   []condEntry

	l        *Lock
	ownsLock bool // l was made for this Condition: Close closes it

	// mu orders, within this process, the taking of entries (the shared
	// lock orders it between processes, but every goroutine of the process
	// that holds it may take one) and the freeing of this process's
	// entries with Close.
	mu   sync.Mutex
	mine map[int]bool // the entries of this process's waiting calls
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
	} else if err := l.sh.usable(); err != nil {
		return nil, fmt.Errorf("mp: NewCondition: %w", err)
	}
	c := &Condition{l: l, ownsLock: owns}
	if err := c.sh.init(shmCondition, 0, 0); err != nil {
		if owns {
			l.Close()
		}
		return nil, err
	}
	c.setup()
	return c, nil
}

func (c *Condition) setup() {
	c.tickets = (*atomic.Uint32)(c.sh.at(condTickets))
	c.used = (*atomic.Uint32)(c.sh.at(condUsed))
	c.high = (*atomic.Uint32)(c.sh.at(condHigh))
	c.table = unsafe.Slice((*condEntry)(c.sh.at(condTable)), condEntries)
	c.mine = make(map[int]bool)
	keepMapped(c, c.sh.mem)
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
	defer runtime.KeepAlive(c)
	if err := c.sh.usable(); err != nil {
		return err
	}
	if !c.l.heldHere() {
		return fmt.Errorf("mp: Condition.Wait: %w", ErrNotHeld)
	}
	i, t, err := c.enter()
	if err != nil {
		return err
	}
	if err := c.l.Unlock(); err != nil {
		c.free(i, t|condWaiting)
		return err
	}
	err = c.await(ctx, i, t)
	if lerr := c.l.Lock(context.WithoutCancel(ctx)); lerr != nil {
		if err != nil {
			return errors.Join(lerr, err)
		}
		return lerr
	}
	return err
}

// enter takes a free entry for a call of this process that is about to
// wait, with the lock held. It returns the entry's index and the call's
// ticket, shifted to its place in the entry's word.
func (c *Condition) enter() (i int, ticket uint64, err error) {
	for attempt := 0; ; attempt++ {
		if i, ticket, err = c.take(); err != nil || i >= 0 {
			return i, ticket, err
		}
		if attempt > 0 {
			return 0, 0, fmt.Errorf("mp: Condition.Wait: %d calls wait already, as many as a Condition takes", condEntries)
		}
		c.reclaim()
	}
}

// take takes a free entry, if there is one, for enter.
func (c *Condition) take() (int, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Close marks the object closed before it frees this process's
	// entries under mu: an entry taken now is one Close will see.
	if err := c.sh.usable(); err != nil {
		return 0, 0, err
	}
	for i := range c.table {
		e := &c.table[i]
		if e.word.Load() != condFree {
			continue
		}
		if i >= int(c.high.Load()) {
			c.high.Store(uint32(i + 1))
		}
		// No other call takes an entry meanwhile, and the others look at
		// the id only once the word says the entry waits.
		t := uint64(c.tickets.Add(1)) << 32
		e.id.Store(selfWord)
		e.word.Store(t | condWaiting)
		c.used.Add(1)
		c.mine[i] = true
		return i, t, nil
	}
	return -1, 0, nil
}

// reclaim frees the entries of dead processes.
func (c *Condition) reclaim() {
	for i := range c.table[:c.high.Load()] {
		e := &c.table[i]
		if w := e.word.Load(); w != condFree && !ownerAlive(e.id.Load()) && e.word.CompareAndSwap(w, condFree) {
			c.used.Add(^uint32(0))
		}
	}
}

// await sleeps until a Notify chooses entry i, of a call of this process
// with ticket t, and frees it; or until ctx ends, and frees it unless a
// Notify chose it meanwhile.
func (c *Condition) await(ctx context.Context, i int, t uint64) error {
	e := &c.table[i]
	sl := newSleeper(ctx, unsafe.Pointer(e.futex()))
	defer sl.done()
	for {
		w := e.word.Load()
		// After Close, the entry may be another call's: Close frees this
		// process's entries once the object is marked closed, so w is
		// this call's if the object is still open now.
		if err := c.sh.usable(); err != nil {
			return err
		}
		if w == t|condNotified {
			c.free(i, w)
			return nil
		}
		if _, err := sl.sleep(uint32(condWaiting)); err != nil && c.free(i, t|condWaiting) {
			return err
		}
	}
}

// free frees entry i, of a call of this process, if its word is w and
// Close has not freed it, and reports whether it did.
func (c *Condition) free(i int, w uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mine[i] || !c.table[i].word.CompareAndSwap(w, condFree) {
		return false
	}
	delete(c.mine, i)
	c.used.Add(^uint32(0))
	return true
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
func (c *Condition) Notify(n int) error { return c.notify("Notify", n) }

// NotifyAll wakes every call waiting on the condition; the lock must be
// held by this process.
func (c *Condition) NotifyAll() error { return c.notify("NotifyAll", math.MaxInt32) }

func (c *Condition) notify(method string, n int) error {
	defer runtime.KeepAlive(c)
	if err := c.sh.usable(); err != nil {
		return err
	}
	if !c.l.heldHere() {
		return fmt.Errorf("mp: Condition.%s: %w", method, ErrNotHeld)
	}
	if n <= 0 || c.used.Load() == 0 {
		return nil
	}
	type waiter struct {
		e *condEntry
		w uint64
	}
	var buf [16]waiter
	waiting := buf[:0]
	for i := range c.table[:c.high.Load()] {
		e := &c.table[i]
		if w := e.word.Load(); w&(1<<32-1) == condWaiting {
			waiting = append(waiting, waiter{e, w})
		}
	}
	choose := len(waiting) > n
	if choose {
		slices.SortFunc(waiting, func(a, b waiter) int {
			// Tickets wrap around: compare their distance.
			return int(int32(uint32(a.w>>32) - uint32(b.w>>32)))
		})
	}
	for _, x := range waiting {
		if n == 0 {
			break
		}
		if choose && !ownerAlive(x.e.id.Load()) {
			// A dead waiter must not take a live one's turn.
			if x.e.word.CompareAndSwap(x.w, condFree) {
				c.used.Add(^uint32(0))
			}
			continue
		}
		// A call whose ctx ended may have freed its entry meanwhile.
		if x.e.word.CompareAndSwap(x.w, x.w&^(1<<32-1)|condNotified) {
			futexWake(x.e.futex(), 1)
			n--
		}
	}
	return nil
}

// Close releases this process's mapping and descriptor of the condition,
// and of its lock when the lock was made with it (by NewCondition(nil), or
// when the Condition was received by a child). Waits in this process return
// [ErrClosed] (or nil, when a Notify had chosen them), and their places
// are freed. Close is idempotent.
func (c *Condition) Close() error {
	err := c.sh.closeWaking(c.leaveAll)
	if c.ownsLock && c.l != nil {
		err = errors.Join(err, c.l.Close())
	}
	return err
}

// leaveAll frees the entries of this process's waiting calls, and wakes
// the calls, which find the Condition closed.
func (c *Condition) leaveAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.mine {
		e := &c.table[i]
		e.word.Store(condFree)
		c.used.Add(^uint32(0))
		futexWake(e.futex(), 1)
		delete(c.mine, i)
	}
}

// MarshalBinary encodes the condition and its lock as their ids and kinds,
// for the codec.
func (c *Condition) MarshalBinary() ([]byte, error) {
	if c.l == nil {
		return nil, errors.New("mp: a Condition without its lock cannot be encoded")
	}
	return c.l.sh.appendBinary(c.sh.appendBinary(nil)), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (c *Condition) UnmarshalBinary(b []byte) error {
	if len(b) != 2*shmEncodedLen {
		return fmt.Errorf("mp: a Condition encodes as %d bytes, got %d", 2*shmEncodedLen, len(b))
	}
	if err := c.sh.decode(b[:shmEncodedLen], shmCondition, 0); err != nil {
		return err
	}
	l := new(Lock)
	if err := l.sh.decode(b[shmEncodedLen:], shmLock, 0); err != nil {
		return err
	}
	c.l, c.ownsLock = l, true
	return nil
}

func (c *Condition) handleID() uint64 { return c.sh.id }

func (c *Condition) handleFiles() ([]*os.File, error) {
	if c.l == nil {
		return nil, c.sh.unboundError()
	}
	fs, err := c.sh.files()
	if err != nil {
		return nil, err
	}
	lf, err := c.l.sh.files()
	if err != nil {
		return nil, fmt.Errorf("mp: this Condition cannot be passed to a process: its lock: %w", err)
	}
	return append(fs, lf...), nil
}

func (c *Condition) bindFiles(files []*os.File) error {
	if len(files) != 2 || c.l == nil {
		return fmt.Errorf("mp: a Condition takes 2 descriptors, got %d", len(files))
	}
	if err := c.sh.bind(files[:1]); err != nil {
		return err
	}
	c.setup()
	if err := c.l.bindFiles(files[1:]); err != nil {
		return err
	}
	return nil
}
