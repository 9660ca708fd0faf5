package mp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// This file holds what the synchronisation primitives and shared values
// have in common: a memory file shared by the processes that hold the
// object, how it crosses to a child (a handle: its id and layout encoded,
// its descriptor beside the argument), the identity of a process as lock
// words record it, and the sleeping on futex words in slices.

// An shmKind says what a shared memory object holds. It travels in the
// encoding and sits in the object's header, and both must agree with the
// type that decodes it.
type shmKind uint8

const (
	shmLock shmKind = 1 + iota
	shmRLock
	shmEvent
	shmSemaphore
	shmBarrier
	shmCondition
	shmValue
	shmArray
	shmRaw
	shmKinds // one past the last
)

var shmKindNames = [...]string{
	shmLock: "Lock", shmRLock: "RLock", shmEvent: "Event", shmSemaphore: "Semaphore",
	shmBarrier: "Barrier", shmCondition: "Condition", shmValue: "Value", shmArray: "Array",
	shmRaw: "SharedMemory",
}

func (k shmKind) String() string {
	if k > 0 && k < shmKinds {
		return shmKindNames[k]
	}
	return fmt.Sprintf("shmKind(%d)", uint8(k))
}

// The element types of a Value or an Array.
const (
	elemInt32 uint8 = 1 + iota
	elemInt64
	elemUint32
	elemUint64
	elemFloat64
	elemByte
)

// shmElem is the element types of a Value or an Array.
type shmElem interface {
	int32 | int64 | uint32 | uint64 | float64 | byte
}

// elemOf returns the element code and size of T.
func elemOf[T shmElem]() (code uint8, size int) {
	var z T
	switch any(z).(type) {
	case int32:
		return elemInt32, 4
	case int64:
		return elemInt64, 8
	case uint32:
		return elemUint32, 4
	case uint64:
		return elemUint64, 8
	case float64:
		return elemFloat64, 8
	case byte:
		return elemByte, 1
	}
	panic("unreachable")
}

// Every object but a SharedMemory starts with a header that a process
// binding it checks against what the encoding said; the data start at
// shmData, on a cache line of their own.
const (
	shmMagic   = 0x6d74736d // "msmt" in memory
	shmData    = 64
	shmMaxSize = 1 << 40 // the largest object; larger ones are refused at decoding
)

type shmHeader struct {
	magic uint32
	kind  shmKind
	elem  uint8
	_     [2]byte
	param uint64
}

// The states of an shm. The zero value is unusable: a primitive declared
// rather than made, or decoded in a child and not yet bound.
const (
	shmUnbound uint32 = iota
	shmOpen
	shmClosed
)

// An shm is one process's view of a shared memory object: the memory file
// and its mapping, with what the object is.
type shm struct {
	id    uint64
	kind  shmKind
	elem  uint8  // a Value's or an Array's element type
	param uint64 // Array length, Barrier parties, Semaphore bound, SharedMemory size

	state atomic.Uint32 // shmUnbound, shmOpen, shmClosed; changed with mu held
	hb    atomic.Uint64 // for the race detector only: see raceRelease
	mu    sync.Mutex    // guards f and mem while binding and closing
	f     *os.File
	mem   []byte
}

var pageSize = os.Getpagesize()

// shmSize returns the size of the memory file of an object, or an error
// when the layout is not one this package makes.
func objSize(kind shmKind, elem uint8, param uint64) (int, error) {
	need := uint64(shmData)
	switch kind {
	case shmLock, shmRLock, shmEvent:
	case shmCondition:
		need = condTable + condEntries*condEntrySize
	case shmSemaphore:
		if elem > 1 {
			return 0, fmt.Errorf("semaphore of flavour %d", elem)
		}
		if param > math.MaxInt32 {
			return 0, fmt.Errorf("semaphore bound %d out of range", param)
		}
		need = semTable + semSlots*semSlotSize
	case shmBarrier:
		if param < 1 || param > maxParties {
			return 0, fmt.Errorf("barrier of %d parties out of range [1:%d]", param, maxParties)
		}
		need = barrierHoldersAt(param) + barrierHolderSize*barrierHolders(param)
	case shmValue:
		if elem < elemInt32 || elem > elemFloat64 {
			return 0, fmt.Errorf("value of element type %d", elem)
		}
		need += 8
	case shmArray:
		size := map[uint8]uint64{elemInt32: 4, elemInt64: 8, elemUint32: 4, elemUint64: 8, elemFloat64: 8, elemByte: 1}[elem]
		if size == 0 {
			return 0, fmt.Errorf("array of element type %d", elem)
		}
		if param > (shmMaxSize-shmData)/size {
			return 0, fmt.Errorf("array of %d elements too large", param)
		}
		need += param*size + 4 // room for the word around the last byte
	case shmRaw:
		if param < 1 || param > shmMaxSize {
			return 0, fmt.Errorf("shared memory of %d bytes out of range [1:%d]", param, uint64(shmMaxSize))
		}
		need = param
	default:
		return 0, fmt.Errorf("unknown kind %d", kind)
	}
	page := uint64(pageSize)
	if need > uint64(math.MaxInt)-page {
		return 0, fmt.Errorf("%d bytes do not fit in this platform's address space", need)
	}
	return int((need + page - 1) / page * page), nil
}

// init makes the memory file of a new object and writes its header.
func (s *shm) init(kind shmKind, elem uint8, param uint64) error {
	size, err := objSize(kind, elem, param)
	if err != nil {
		return fmt.Errorf("mp: New%s: %w", kind, err)
	}
	loadSelf()
	f, mem, err := shmCreate("multitask-"+kind.String(), size)
	if err != nil {
		return fmt.Errorf("mp: New%s: %w", kind, err)
	}
	s.id, s.kind, s.elem, s.param = newHandleID(), kind, elem, param
	s.f, s.mem = f, mem
	if kind != shmRaw {
		*(*shmHeader)(unsafe.Pointer(&mem[0])) = shmHeader{magic: shmMagic, kind: kind, elem: elem, param: param}
	}
	s.state.Store(shmOpen)
	return nil
}

// at returns a pointer to the byte at off in the mapping.
func (s *shm) at(off uintptr) unsafe.Pointer { return unsafe.Pointer(&s.mem[off]) }

// usable returns nil while the object is open, else why it is not usable.
func (s *shm) usable() error {
	switch s.state.Load() {
	case shmOpen:
		return nil
	case shmClosed:
		return fmt.Errorf("mp: %s: %w", s.kind, ErrClosed)
	}
	return s.unboundError()
}

func (s *shm) unboundError() error {
	if s.kind == 0 {
		return errors.New("mp: a synchronisation primitive or shared value used without its constructor (a zero value)")
	}
	return fmt.Errorf("mp: %s decoded but not bound to its shared memory (not received as the argument of a process)", s.kind)
}

// useOrPanic is usable for the methods that return no error: they panic,
// with an error that matches ErrClosed after Close.
func (s *shm) useOrPanic(kind shmKind, method string) {
	if s.state.Load() == shmOpen {
		return
	}
	err := s.usable()
	if s.kind == 0 {
		err = fmt.Errorf("mp: %s.%s on a zero %s: make it with New%s", kind, method, kind, kind)
	}
	panic(fmt.Errorf("mp: %s.%s: %w", kind, method, err))
}

// close lets go of the shared memory in this process; wake lists the futex
// words to wake first, so that this process's waiters notice at once
// (those of other processes wake too, and go back to sleep).
func (s *shm) close(wake ...uintptr) error {
	return s.closeWaking(func() {
		for _, off := range wake {
			futexWake((*uint32)(s.at(off)), math.MaxInt32)
		}
	})
}

// closeWaking is close with a function that wakes this process's waiters:
// it runs once the object is marked closed, while the memory is still
// shared.
func (s *shm) closeWaking(wake func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load() != shmOpen {
		s.state.Store(shmClosed)
		return nil
	}
	s.state.Store(shmClosed)
	wake()
	var err error
	if s.kind == shmRaw {
		err = shmUnmap(s.mem)
		s.mem = nil
	} else {
		// Methods racing with Close may still hold pointers into the
		// mapping: give them private memory instead, which the cleanup
		// registered by keepMapped unmaps once the object is unreachable.
		err = shmRetire(s.mem)
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("mp: %s.Close: %w", s.kind, err)
	}
	return nil
}

// The race detector does not see the atomic operations on shared memory
// (it watches only the Go heap), so it would take data that a Lock guards
// in one process for a data race between goroutines. Under -race, the
// primitives mirror their synchronisation on a word of the Go heap: an
// operation that publishes (Unlock, Set, Release, a Store) releases it and
// one that observes (Lock, Wait, Acquire, a Load) acquires it. Without
// -race these compile to nothing.

// raceRelease marks a publishing operation.
func (s *shm) raceRelease() {
	if raceEnabled {
		s.hb.Add(1)
	}
}

// raceAcquire marks an observing operation.
func (s *shm) raceAcquire() {
	if raceEnabled {
		s.hb.Load()
	}
}

// keepMapped arranges for the mapping of owner's shm to be unmapped once
// owner is garbage collected: Close retires it but cannot unmap it while a
// method may still run. Every method that touches the mapping keeps its
// receiver alive (runtime.KeepAlive) until its last access.
func keepMapped[T any](owner *T, mem []byte) {
	runtime.AddCleanup(owner, func(mem []byte) { shmUnmap(mem) }, mem)
}

// The encoding of an object: its id, kind, element type and parameter.
const shmEncodedLen = 8 + 1 + 1 + 8

func (s *shm) appendBinary(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, s.id)
	b = append(b, byte(s.kind), s.elem)
	return binary.LittleEndian.AppendUint64(b, s.param)
}

// decode reads what appendBinary wrote into an unbound shm, which must be
// of kind (and, for a Value or Array, of element type elem).
func (s *shm) decode(b []byte, kind shmKind, elem uint8) error {
	if len(b) < shmEncodedLen {
		return fmt.Errorf("mp: a %s encodes as %d bytes, got %d", kind, shmEncodedLen, len(b))
	}
	if s.state.Load() != shmUnbound {
		return fmt.Errorf("mp: decoding into a %s already in use", kind)
	}
	id := binary.LittleEndian.Uint64(b)
	k, e, param := shmKind(b[8]), b[9], binary.LittleEndian.Uint64(b[10:])
	if k != kind {
		return fmt.Errorf("mp: a %s was sent where a %s is expected", k, kind)
	}
	if (kind == shmValue || kind == shmArray) && e != elem {
		return fmt.Errorf("mp: a %s of another element type was sent (code %d, want %d)", kind, e, elem)
	}
	if _, err := objSize(k, e, param); err != nil {
		return fmt.Errorf("mp: decode a %s: %w", kind, err)
	}
	s.id, s.kind, s.elem, s.param = id, k, e, param
	return nil
}

// files returns the descriptor to pass to a child.
func (s *shm) files() ([]*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, fmt.Errorf("mp: this %s cannot be passed to a process: %w", s.kind, err)
	}
	return []*os.File{s.f}, nil
}

// bind maps the descriptor that came with a decoded object and checks that
// it is the object the encoding described.
func (s *shm) bind(files []*os.File) error {
	if len(files) != 1 {
		return fmt.Errorf("mp: a %s takes 1 descriptor, got %d", s.kind, len(files))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Load() != shmUnbound || s.kind == 0 {
		return fmt.Errorf("mp: binding a %s that is not freshly decoded", s.kind)
	}
	size, err := objSize(s.kind, s.elem, s.param)
	if err != nil {
		return err
	}
	loadSelf()
	mem, err := shmMap(files[0], size)
	if err != nil {
		return fmt.Errorf("mp: bind a %s: %w", s.kind, err)
	}
	if s.kind != shmRaw {
		h := *(*shmHeader)(unsafe.Pointer(&mem[0]))
		if h != (shmHeader{magic: shmMagic, kind: s.kind, elem: s.elem, param: s.param}) {
			shmUnmap(mem)
			return fmt.Errorf("mp: bind a %s: the shared memory holds something else", s.kind)
		}
	}
	s.f, s.mem = files[0], mem
	s.state.Store(shmOpen)
	return nil
}

// The identity of this process as lock words record it: the pid in the low
// 30 bits, the low 32 bits of the start time in the high half. The start
// time tells a process from a later one that reuses its pid, so a lock is
// never taken from a live holder for a dead one's sake.
var ident struct {
	once   sync.Once
	word   uint64 // pid | start<<32
	pid    int
	procOK bool // /proc works: owner-death detection is on
}

// selfWord is ident.word, read by the fast paths once loadSelf has run,
// which every constructor and every bind do before an object is usable.
var selfWord uint64

const pidMask = 1<<30 - 1

func loadSelf() {
	ident.once.Do(func() {
		pid, start, ok := selfIdentity()
		ident.pid, ident.procOK = pid, ok && pid <= pidMask
		ident.word = uint64(pid)&pidMask | uint64(uint32(start))<<32
		selfWord = ident.word
	})
}

// ownerPid and ownerAlive read an identity recorded in a lock word.
func ownerPid(w uint64) int { return int(w & pidMask) }

// ownerAlive reports whether the process whose identity is w may still
// run: false only when /proc says for sure that it is gone.
func ownerAlive(w uint64) bool {
	pid := ownerPid(w)
	if w == ident.word || !ident.procOK || pid == 0 {
		return true
	}
	// An earlier process with this process's pid is dead, and
	// processAlive finds so by its start time.
	return processAlive(pid, uint32(w>>32))
}

// Sleeping on a futex word is done in slices that start short and grow to
// maxSlice: between two, a waiter looks around (is the holder alive, is the
// object closed). A wake-up ends a slice early, and so does the end of ctx.
// A barrier's parties look around more often, since a death must break the
// barrier within 100 ms.
const (
	minSlice        = time.Millisecond
	maxSlice        = 50 * time.Millisecond
	maxBarrierSlice = 20 * time.Millisecond
)

// A sleeper waits on one futex word on behalf of one blocking call. Make it
// with newSleeper and call done when the call no longer sleeps.
type sleeper struct {
	ctx      context.Context
	addr     *uint32
	slice    time.Duration
	maxSlice time.Duration // the longest slice

	stop     func() bool   // unregisters interrupt from ctx
	quit     chan struct{} // closed by done: the call sleeps no more
	finished chan struct{} // closed when interrupt has returned
}

func newSleeper(ctx context.Context, addr unsafe.Pointer) *sleeper {
	return &sleeper{ctx: ctx, addr: (*uint32)(addr), slice: minSlice, maxSlice: maxSlice}
}

// sleep sleeps while the word holds val, for one slice at most. It reports
// whether the slice ran out without a wake-up, and ctx's error once ctx has
// ended.
func (s *sleeper) sleep(val uint32) (timedOut bool, err error) {
	if err := s.ctx.Err(); err != nil {
		return false, err
	}
	if s.stop == nil && s.ctx.Done() != nil {
		s.quit, s.finished = make(chan struct{}), make(chan struct{})
		s.stop = context.AfterFunc(s.ctx, s.interrupt)
	}
	d := s.slice
	if dl, ok := s.ctx.Deadline(); ok {
		d = max(min(d, time.Until(dl)), 50*time.Microsecond)
	}
	timedOut = futexWait(s.addr, val, d)
	if timedOut {
		s.slice = min(2*s.slice, s.maxSlice)
	}
	return timedOut, s.ctx.Err()
}

// interrupt wakes the sleepers on the word when ctx ends. A wake-up that
// comes just before the call enters the kernel would be missed, so it wakes
// again, a little later, until the call says it sleeps no more (or for at
// most a slice, after which the call looks at ctx by itself). Every process
// sleeping on the word wakes too, and goes back to sleep.
func (s *sleeper) interrupt() {
	defer close(s.finished)
	t := time.NewTimer(interruptEvery)
	defer t.Stop()
	for range maxSlice / interruptEvery {
		futexWake(s.addr, math.MaxInt32)
		select {
		case <-s.quit:
			return
		case <-t.C:
			t.Reset(interruptEvery)
		}
	}
}

const interruptEvery = 200 * time.Microsecond

// done ends the sleeping: the goroutine that interrupt runs in, if it
// started, has returned when done does.
func (s *sleeper) done() {
	if s.stop != nil && !s.stop() {
		close(s.quit)
		<-s.finished
	}
}
