package shm

import (
	"context"
	"errors"
	"fmt"
	"math"
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
// with a compare-and-swap and reports the dead holder. The start time tells the
// holder from a later process that reused its pid.
const lockWaiters = 1 << 31

// LowHalf is the offset of the low 32 bits of a 64-bit word in memory.
var LowHalf = func() uintptr {
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
	return robustMutex{word: (*atomic.Uint64)(p), low: unsafe.Add(p, LowHalf)}
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
func (m robustMutex) lockSlow(ctx context.Context, o *Object, take func(old, new uint64) bool, mine func() bool) (deadPid int, err error) {
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
		if err := o.Usable(); err != nil {
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

// A Lock is the engine of mp.Lock: a robust mutex whose holder is a
// process. Set it up with Init (or Decode and Bind) and then Setup.
type Lock struct {
	Object
	m robustMutex
}

// Setup lays the lock out on its memory, after Init or Bind.
func (l *Lock) Setup() { l.m = newRobustMutex(l.At(Data)) }

// UnmarshalBinary decodes a Lock's encoding into an unbound Lock.
func (l *Lock) UnmarshalBinary(b []byte) error { return l.Decode(b, KindLock, 0) }

// TryLock takes the lock if it is open and free, without waiting: the fast
// path of Lock, small enough to be inlined.
func (l *Lock) TryLock() bool {
	ok := l.Open() && l.m.word.CompareAndSwap(0, selfWord)
	if ok {
		l.RaceAcquire()
	}
	runtime.KeepAlive(l)
	return ok
}

// Lock waits until the lock is free and takes it for this process, for as
// long as ctx allows. It returns the pid of the process that died holding
// it when it took it from one (with a nil error), or why it failed: ctx's
// error, or one matching [ErrClosed].
func (l *Lock) Lock(ctx context.Context) (deadPid int, err error) {
	if l.TryLock() {
		return 0, nil
	}
	return l.LockSlow(ctx)
}

// LockSlow is Lock after TryLock failed.
func (l *Lock) LockSlow(ctx context.Context) (deadPid int, err error) {
	defer runtime.KeepAlive(l)
	if err := l.Usable(); err != nil {
		return 0, err
	}
	dead, err := l.m.lockSlow(ctx, &l.Object, l.m.word.CompareAndSwap, nil)
	if err != nil {
		return 0, err
	}
	l.RaceAcquire()
	return dead, nil
}

// TryUnlock lets go of the lock if it is open and this process holds it
// with no waiter to wake: the fast path of Unlock, small enough to be
// inlined.
func (l *Lock) TryUnlock() bool {
	l.RaceRelease()
	ok := l.Open() && l.m.word.CompareAndSwap(selfWord, 0)
	runtime.KeepAlive(l)
	return ok
}

// Unlock lets go of the lock. It returns an error matching [ErrNotHeld]
// when this process does not hold it, and one matching [ErrClosed] after
// Close. It never blocks.
func (l *Lock) Unlock() error {
	if l.TryUnlock() {
		return nil
	}
	return l.UnlockSlow()
}

// UnlockSlow is Unlock after TryUnlock failed.
func (l *Lock) UnlockSlow() error {
	defer runtime.KeepAlive(l)
	if err := l.Usable(); err != nil {
		return err
	}
	if !l.m.unlock(selfWord) {
		return fmt.Errorf("mp: Lock.Unlock: %w (%s)", ErrNotHeld, l.m.holder())
	}
	return nil
}

// HeldHere reports whether this process holds the lock.
func (l *Lock) HeldHere() bool {
	ok := l.Open() && l.m.word.Load()&^lockWaiters == selfWord
	runtime.KeepAlive(l)
	return ok
}

// Close lets go of the lock's memory in this process, waking its waiters
// here; it does not unlock.
func (l *Lock) Close() error { return l.Object.Close(Data + LowHalf) }

// An RLock is the engine of mp.RLock: a robust mutex whose holder, a
// process, may lock it again, with a count of holds in shared memory. Set
// it up as a [Lock].
type RLock struct {
	Object
	m     robustMutex
	count *atomic.Uint32 // in shared memory: how many times the holder locked it

	mu sync.Mutex // orders this process's re-entries and releases with the word's changes
}

// Setup lays the lock out on its memory, after Init or Bind.
func (r *RLock) Setup() {
	r.m = newRobustMutex(r.At(Data))
	r.count = (*atomic.Uint32)(r.At(Data + 8))
}

// UnmarshalBinary decodes an RLock's encoding into an unbound RLock.
func (r *RLock) UnmarshalBinary(b []byte) error { return r.Decode(b, KindRLock, 0) }

// Lock takes the lock for this process, or, if this process holds it
// already, counts one more hold at once. It waits, heeds ctx and reports a
// dead holder as [Lock.Lock] does; after taking the lock from a dead holder
// the count is 1.
func (r *RLock) Lock(ctx context.Context) (deadPid int, err error) {
	defer runtime.KeepAlive(r)
	if err := r.Usable(); err != nil {
		return 0, err
	}
	if r.reenter() || r.take(0, selfWord) {
		r.RaceAcquire()
		return 0, nil
	}
	dead, err := r.m.lockSlow(ctx, &r.Object, r.take, r.reenter)
	if err != nil {
		return 0, err
	}
	r.RaceAcquire()
	return dead, nil
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
	if err := r.Usable(); err != nil {
		return err
	}
	r.RaceRelease()
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

// Close lets go of the lock's memory in this process, as [Lock.Close]
// does; it does not unlock.
func (r *RLock) Close() error { return r.Object.Close(Data + LowHalf) }

// The bits of an Event's word.
const (
	eventSet     = 1
	eventWaiters = 2 // some Wait may sleep on the word: Set must wake
)

// An Event is the engine of mp.Event: a flag in shared memory, with a bit
// that says whether Set must wake sleepers.
type Event struct {
	Object
	word *atomic.Uint32
}

// Setup lays the event out on its memory, after Init or Bind.
func (e *Event) Setup() {
	e.word = (*atomic.Uint32)(e.At(Data))
}

// UnmarshalBinary decodes an Event's encoding into an unbound Event.
func (e *Event) UnmarshalBinary(b []byte) error { return e.Decode(b, KindEvent, 0) }

// Set sets the flag and wakes every Wait. It never blocks.
func (e *Event) Set() error {
	defer runtime.KeepAlive(e)
	if err := e.Usable(); err != nil {
		return err
	}
	e.RaceRelease()
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
	if err := e.Usable(); err != nil {
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
	e.UseOrPanic(KindEvent, "IsSet")
	set := e.word.Load()&eventSet != 0
	if set {
		e.RaceAcquire()
	}
	runtime.KeepAlive(e)
	return set
}

// Wait returns nil once the flag is set, at once if it is. When ctx ends
// first it returns ctx.Err(). A Wait that sleeps holds an OS thread. After
// Close, Wait returns an error matching [ErrClosed].
func (e *Event) Wait(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	if err := e.Usable(); err != nil {
		return err
	}
	if e.word.Load()&eventSet != 0 {
		e.RaceAcquire()
		return nil
	}
	sl := newSleeper(ctx, unsafe.Pointer(e.word))
	defer sl.done()
	for {
		v := e.word.Load()
		if v&eventSet != 0 {
			e.RaceAcquire()
			return nil
		}
		if err := e.Usable(); err != nil {
			return err
		}
		if v&eventWaiters == 0 && !e.word.CompareAndSwap(v, v|eventWaiters) {
			continue
		}
		if _, err := sl.sleep(eventWaiters); err != nil {
			if e.word.Load()&eventSet != 0 {
				e.RaceAcquire()
				return nil
			}
			return err
		}
	}
}

// Close lets go of the event's memory in this process; Waits in this
// process return [ErrClosed].
func (e *Event) Close() error { return e.Object.Close(Data) }

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

// A Semaphore is the engine of mp.Semaphore: a count of free units, and a
// table of the units each process holds, so that a dead process's units
// come back.
type Semaphore struct {
	Object
	value   *atomic.Uint32 // free units
	nwait   *atomic.Uint32 // sleepers, or about to be: Release must wake one
	bounded bool
	bound   uint32 // the count Release may not exceed, when bounded
	table   []semSlot

	mu   sync.Mutex   // serialises claiming an entry for this process
	slot atomic.Int32 // this process's entry, -1 none yet
}

// Setup lays the semaphore out on its memory, after Init or Bind.
func (s *Semaphore) Setup() {
	s.value = (*atomic.Uint32)(s.At(Data))
	s.nwait = (*atomic.Uint32)(s.At(Data + 4))
	s.bounded, s.bound = s.elem == 1, uint32(s.param)
	s.table = unsafe.Slice((*semSlot)(s.At(semTable)), semSlots)
	s.slot.Store(-1)
}

// Fill gives a new semaphore its initial count, its Init's param.
func (s *Semaphore) Fill() { s.value.Store(uint32(s.param)) }

// UnmarshalBinary decodes a Semaphore's encoding into an unbound
// Semaphore.
func (s *Semaphore) UnmarshalBinary(b []byte) error { return s.Decode(b, KindSemaphore, 0) }

// Acquire takes a unit, waiting while there is none. When ctx ends first
// it returns ctx.Err() and takes nothing; with a ctx that has already
// ended, it takes a free unit without waiting and otherwise fails at once.
// A waiting Acquire sleeps in the kernel, holding an OS thread. After
// Close it returns an error matching [ErrClosed].
func (s *Semaphore) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	if err := s.Usable(); err != nil {
		return err
	}
	if v := s.value.Load(); v > 0 && s.value.CompareAndSwap(v, v-1) {
		s.track()
		return nil
	}
	sl := newSleeper(ctx, unsafe.Pointer(s.value))
	defer sl.done()
	for {
		if err := s.Usable(); err != nil {
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
	s.RaceAcquire()
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
	if err := s.Usable(); err != nil {
		return err
	}
	s.RaceRelease()
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
	s.UseOrPanic(KindSemaphore, "Value")
	v := int(s.value.Load())
	runtime.KeepAlive(s)
	return v
}

// Close lets go of the semaphore's memory in this process, and of its
// entry in the table when it holds no unit; Acquires waiting in this
// process return [ErrClosed].
func (s *Semaphore) Close() error {
	if s.Open() {
		if e := s.entry(false); e != nil && e.held.Load() == 0 {
			e.id.CompareAndSwap(selfWord, 0)
		}
	}
	return s.Object.Close(Data)
}

// A Barrier's memory: a lock word guarding the rest, the generation (the
// futex word waiters sleep on), the number of parties waiting, the broken
// flag, the outcomes of the last 64 generations (bit g%64 set when
// generation g ended broken), then one slot per party with the identity of
// the process waiting in it, then the table of the processes that hold the
// barrier: the identity of each, and how many of its Barrier objects stand
// for the barrier.
const (
	barrierGen        = Data + 8
	barrierCount      = Data + 12
	barrierBroken     = Data + 16
	barrierOutcomes   = Data + 24
	barrierDeadPid    = Data + 32 // the dead process that broke the last generation to break, or 0
	barrierSlots      = 128
	barrierHolderSize = 16
	MaxParties        = 1 << 16 // the most parties a barrier takes
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

// A Barrier is the engine of mp.Barrier: a generation that parties wait
// on, with the slots of those waiting and the table of the processes that
// hold the barrier, so that a death breaks it.
type Barrier struct {
	Object
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

// Setup lays the barrier out on its memory, after Init or Bind, and counts
// this object among the holders of the barrier.
func (b *Barrier) Setup() {
	b.m = newRobustMutex(b.At(Data))
	b.gen = (*atomic.Uint32)(b.At(barrierGen))
	b.count = (*atomic.Uint32)(b.At(barrierCount))
	b.broken = (*atomic.Uint32)(b.At(barrierBroken))
	b.outcomes = (*atomic.Uint64)(b.At(barrierOutcomes))
	b.deadPid = (*atomic.Uint32)(b.At(barrierDeadPid))
	b.slots = unsafe.Slice((*atomic.Uint64)(b.At(barrierSlots)), b.param)
	b.holders = unsafe.Slice((*barrierHolder)(b.At(uintptr(barrierHoldersAt(b.param)))), barrierHolders(b.param))
	b.join()
}

// UnmarshalBinary decodes a Barrier's encoding into an unbound Barrier.
func (b *Barrier) UnmarshalBinary(data []byte) error { return b.Decode(data, KindBarrier, 0) }

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
func (b *Barrier) Parties() int { return int(b.param) }

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
	b.RaceRelease()
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
		b.RaceRelease()
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
		if uerr := b.Usable(); uerr != nil {
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
	if err := b.Usable(); err != nil {
		return err
	}
	if b.m.word.CompareAndSwap(0, selfWord) {
		return nil
	}
	dead, err := b.m.lockSlow(context.Background(), &b.Object, b.m.word.CompareAndSwap, nil)
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
	b.RaceRelease() // and acquire: the others' arrivals happened before
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
	b.UseOrPanic(KindBarrier, "Broken")
	v := b.broken.Load() != 0
	runtime.KeepAlive(b)
	return v
}

// Waiting returns the number of parties waiting now, Python's n_waiting.
// It panics after Close, with an error matching [ErrClosed].
func (b *Barrier) Waiting() int {
	b.UseOrPanic(KindBarrier, "Waiting")
	v := int(b.count.Load())
	runtime.KeepAlive(b)
	return v
}

// Close lets go of the barrier's memory in this process, and of this
// object's count among its holders; Waits in this process return
// [ErrClosed].
func (b *Barrier) Close() error {
	return b.CloseWaking(func() {
		futexWake((*uint32)(unsafe.Pointer(b.gen)), math.MaxInt32)
		b.leave()
	})
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
	condTickets   = Data
	condUsed      = Data + 4
	condHigh      = Data + 8
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
	return (*uint32)(unsafe.Add(unsafe.Pointer(&e.word), LowHalf))
}

// A Condition is the engine of mp.Condition: a table of waiting calls in
// shared memory, in their order of arrival, each with a futex word of its
// own. The lock it goes with is passed to the methods that use it: its
// handle is mp's to keep.
type Condition struct {
	Object
	tickets *atomic.Uint32
	used    *atomic.Uint32 // entries not free: Notify skips its scan without any
	high    *atomic.Uint32 // entries from this index on have never been used
	table   []condEntry

	// mu orders, within this process, the taking of entries (the shared
	// lock orders it between processes, but every goroutine of the process
	// that holds it may take one) and the freeing of this process's
	// entries with Close.
	mu   sync.Mutex
	mine map[int]bool // the entries of this process's waiting calls
}

// Setup lays the condition out on its memory, after Init or Bind.
func (c *Condition) Setup() {
	c.tickets = (*atomic.Uint32)(c.At(condTickets))
	c.used = (*atomic.Uint32)(c.At(condUsed))
	c.high = (*atomic.Uint32)(c.At(condHigh))
	c.table = unsafe.Slice((*condEntry)(c.At(condTable)), condEntries)
	c.mine = make(map[int]bool)
}

// UnmarshalBinary decodes a Condition's own encoding (without its lock's)
// into an unbound Condition.
func (c *Condition) UnmarshalBinary(b []byte) error { return c.Decode(b, KindCondition, 0) }

// Wait unlocks l, which this process must hold, waits for a Notify, and
// locks l again before it returns, also when it returns an error: it then
// waits for the lock whatever ctx says. When ctx ends first, Wait returns
// ctx.Err(), unless a Notify chose it meanwhile: then it returns nil, and
// the Notify woke no other. When it took l back from a process that died
// holding it, it returns that process's pid too. It returns an error
// matching [ErrNotHeld], without waiting, when this process does not hold
// l.
func (c *Condition) Wait(ctx context.Context, l *Lock) (deadPid int, err error) {
	defer runtime.KeepAlive(c)
	if err := c.Usable(); err != nil {
		return 0, err
	}
	if !l.HeldHere() {
		return 0, fmt.Errorf("mp: Condition.Wait: %w", ErrNotHeld)
	}
	i, t, err := c.enter()
	if err != nil {
		return 0, err
	}
	if err := l.Unlock(); err != nil {
		c.free(i, t|condWaiting)
		return 0, err
	}
	err = c.await(ctx, i, t)
	dead, lerr := l.Lock(context.WithoutCancel(ctx))
	if lerr != nil {
		if err != nil {
			return 0, errors.Join(lerr, err)
		}
		return 0, lerr
	}
	return dead, err
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
	if err := c.Usable(); err != nil {
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
		if err := c.Usable(); err != nil {
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

// Notify wakes n of the calls waiting on the condition, or all of them
// when fewer wait, the longest waiting first, passing over those of dead
// processes when more wait than it wakes. l must be held by this process,
// or Notify returns an error matching [ErrNotHeld]; method names the
// caller in the message. It never blocks.
func (c *Condition) Notify(l *Lock, method string, n int) error {
	defer runtime.KeepAlive(c)
	if err := c.Usable(); err != nil {
		return err
	}
	if !l.HeldHere() {
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

// Close lets go of the condition's memory in this process (not of its
// lock's): Waits in this process return [ErrClosed] (or nil, when a Notify
// had chosen them), and their places are freed.
func (c *Condition) Close() error { return c.CloseWaking(c.leaveAll) }

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
