package shm

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
// object, how it crosses to a child (its id and layout encoded, its
// descriptor beside the argument), the identity of a process as lock words
// record it, and the sleeping on futex words in slices.

// A Kind says what a shared memory object holds. It travels in the
// encoding and sits in the object's header, and both must agree with the
// type that decodes it.
type Kind uint8

// The kinds of object, named after the types of package mp.
const (
	KindLock Kind = 1 + iota
	KindRLock
	KindEvent
	KindSemaphore
	KindBarrier
	KindCondition
	KindValue
	KindArray
	KindRaw // a SharedMemory: raw bytes, without a header
	kinds   // one past the last
)

var kindNames = [...]string{
	KindLock: "Lock", KindRLock: "RLock", KindEvent: "Event", KindSemaphore: "Semaphore",
	KindBarrier: "Barrier", KindCondition: "Condition", KindValue: "Value", KindArray: "Array",
	KindRaw: "SharedMemory",
}

// String returns the name of the mp type of the kind.
func (k Kind) String() string {
	if k > 0 && k < kinds {
		return kindNames[k]
	}
	return fmt.Sprintf("shm.Kind(%d)", uint8(k))
}

// The element types of a Value or an Array, as their objects record them.
const (
	ElemInt32 uint8 = 1 + iota
	ElemInt64
	ElemUint32
	ElemUint64
	ElemFloat64
	ElemByte
)

// ElemSize returns the size in bytes of an element of type code, or 0 for
// a code that names no element type.
func ElemSize(code uint8) int {
	switch code {
	case ElemInt32, ElemUint32:
		return 4
	case ElemInt64, ElemUint64, ElemFloat64:
		return 8
	case ElemByte:
		return 1
	}
	return 0
}

// Every object but a SharedMemory starts with a header that a process
// binding it checks against what the encoding said; the data start at
// Data, on a cache line of their own.
const (
	magic   = 0x6d74736d // "msmt" in memory
	Data    = 64         // the offset of an object's data in its memory
	maxSize = 1 << 40    // the largest object; larger ones are refused at decoding
)

type header struct {
	magic uint32
	kind  Kind
	elem  uint8
	_     [2]byte
	param uint64
}

// The states of an Object. The zero value is unusable: a primitive declared
// rather than made, or decoded in a child and not yet bound.
const (
	unbound uint32 = iota
	open
	closed
)

// An Object is one process's view of a shared memory object: the memory
// file and its mapping, with what the object is. The engines of the
// primitives embed one; a zero Object is unusable until Init or Decode and
// Bind. An Object must not be copied.
type Object struct {
	id    uint64
	kind  Kind
	elem  uint8  // a Value's or an Array's element type, a Semaphore's boundedness
	param uint64 // Array length, Barrier parties, Semaphore bound, SharedMemory size

	state atomic.Uint32 // unbound, open, closed; changed with mu held
	hb    atomic.Uint64 // for the race detector only: see RaceRelease
	mu    sync.Mutex    // guards f and mem while binding and closing
	f     *os.File
	mem   []byte
}

var pageSize = os.Getpagesize()

// objSize returns the size of the memory file of an object, or an error
// when the layout is not one this package makes.
func objSize(kind Kind, elem uint8, param uint64) (int, error) {
	need := uint64(Data)
	switch kind {
	case KindLock, KindRLock, KindEvent:
	case KindCondition:
		need = condTable + condEntries*condEntrySize
	case KindSemaphore:
		if elem > 1 {
			return 0, fmt.Errorf("semaphore of flavour %d", elem)
		}
		if param > math.MaxInt32 {
			return 0, fmt.Errorf("semaphore bound %d out of range", param)
		}
		need = semTable + semSlots*semSlotSize
	case KindBarrier:
		if param < 1 || param > MaxParties {
			return 0, fmt.Errorf("barrier of %d parties out of range [1:%d]", param, MaxParties)
		}
		need = barrierHoldersAt(param) + barrierHolderSize*barrierHolders(param)
	case KindValue:
		if elem < ElemInt32 || elem > ElemFloat64 {
			return 0, fmt.Errorf("value of element type %d", elem)
		}
		need += 8
	case KindArray:
		size := uint64(ElemSize(elem))
		if size == 0 {
			return 0, fmt.Errorf("array of element type %d", elem)
		}
		if param > (maxSize-Data)/size {
			return 0, fmt.Errorf("array of %d elements too large", param)
		}
		need += param*size + 4 // room for the word around the last byte
	case KindRaw:
		if param < 1 || param > maxSize {
			return 0, fmt.Errorf("shared memory of %d bytes out of range [1:%d]", param, uint64(maxSize))
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

// Init makes the memory file of a new object with the given id, maps it and
// writes its header. elem and param are what the kind needs: the element
// type of a Value or an Array, the boundedness (1) of a Semaphore; an
// Array's length, a Barrier's parties, a Semaphore's bound, a
// SharedMemory's size. Off Linux it fails with [errors.ErrUnsupported].
func (o *Object) Init(kind Kind, elem uint8, param, id uint64) error {
	size, err := objSize(kind, elem, param)
	if err != nil {
		return fmt.Errorf("mp: New%s: %w", kind, err)
	}
	loadSelf()
	f, mem, err := Create("multitask-"+kind.String(), size)
	if err != nil {
		return fmt.Errorf("mp: New%s: %w", kind, err)
	}
	o.id, o.kind, o.elem, o.param = id, kind, elem, param
	o.f, o.mem = f, mem
	if kind != KindRaw {
		*(*header)(unsafe.Pointer(&mem[0])) = header{magic: magic, kind: kind, elem: elem, param: param}
		o.keepMapped()
	}
	o.state.Store(open)
	return nil
}

// Base returns o, so that the engines that embed an Object give it out.
func (o *Object) Base() *Object { return o }

// ID returns the object's id, the same in every process.
func (o *Object) ID() uint64 { return o.id }

// Kind returns what the object holds, or 0 for a zero Object.
func (o *Object) Kind() Kind { return o.kind }

// Elem returns the element type (or a Semaphore's boundedness).
func (o *Object) Elem() uint8 { return o.elem }

// Param returns the object's parameter: see [Object.Init].
func (o *Object) Param() uint64 { return o.param }

// At returns a pointer to the byte at off in the mapping.
func (o *Object) At(off uintptr) unsafe.Pointer { return unsafe.Pointer(&o.mem[off]) }

// Open reports whether the object is open; the fast paths test it before
// they touch the mapping.
func (o *Object) Open() bool { return o.state.Load() == open }

// Usable returns nil while the object is open, else why it is not usable:
// an error matching [ErrClosed] after Close.
func (o *Object) Usable() error {
	switch o.state.Load() {
	case open:
		return nil
	case closed:
		return fmt.Errorf("mp: %s: %w", o.kind, ErrClosed)
	}
	return o.UnboundError()
}

// UnboundError is the error of a zero object, or of one decoded and not
// bound.
func (o *Object) UnboundError() error {
	if o.kind == 0 {
		return errors.New("mp: a synchronisation primitive or shared value used without its constructor (a zero value)")
	}
	return fmt.Errorf("mp: %s decoded but not bound to its shared memory (not received as the argument of a process)", o.kind)
}

// UseOrPanic is Usable for the methods that return no error: they panic,
// with an error that matches [ErrClosed] after Close. kind names the type
// in the message when the object is a zero value.
func (o *Object) UseOrPanic(kind Kind, method string) {
	if o.state.Load() == open {
		return
	}
	err := o.Usable()
	if o.kind == 0 {
		err = fmt.Errorf("mp: %s.%s on a zero %s: make it with New%s", kind, method, kind, kind)
	}
	panic(fmt.Errorf("mp: %s.%s: %w", kind, method, err))
}

// Close lets go of the shared memory in this process; wake lists the
// offsets of the futex words to wake first, so that this process's waiters
// notice at once (those of other processes wake too, and go back to
// sleep). It is idempotent.
func (o *Object) Close(wake ...uintptr) error {
	return o.CloseWaking(func() {
		for _, off := range wake {
			futexWake((*uint32)(o.At(off)), math.MaxInt32)
		}
	})
}

// CloseWaking is Close with a function that wakes this process's waiters:
// it runs once the object is marked closed, while the memory is still
// shared.
func (o *Object) CloseWaking(wake func()) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.Load() != open {
		o.state.Store(closed)
		return nil
	}
	o.state.Store(closed)
	wake()
	var err error
	if o.kind == KindRaw {
		err = Unmap(o.mem)
		o.mem = nil
	} else {
		// Methods racing with Close may still hold pointers into the
		// mapping: give them private memory instead, which the cleanup
		// registered by keepMapped unmaps once the object is unreachable.
		err = retire(o.mem)
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	if err != nil {
		return fmt.Errorf("mp: %s.Close: %w", o.kind, err)
	}
	return nil
}

// Bytes returns the mapping of a SharedMemory, its whole size, or nil once
// it is closed.
func (o *Object) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.Load() != open {
		return nil
	}
	n := int(o.param)
	return o.mem[:n:n]
}

// The race detector does not see the atomic operations on shared memory
// (it watches only the Go heap), so it would take data that a Lock guards
// in one process for a data race between goroutines. Under -race, the
// primitives mirror their synchronisation on a word of the Go heap: an
// operation that publishes (Unlock, Set, Release, a Store) releases it and
// one that observes (Lock, Wait, Acquire, a Load) acquires it. Without
// -race these compile to nothing.

// RaceRelease marks a publishing operation.
func (o *Object) RaceRelease() {
	if raceEnabled {
		o.hb.Add(1)
	}
}

// RaceAcquire marks an observing operation.
func (o *Object) RaceAcquire() {
	if raceEnabled {
		o.hb.Load()
	}
}

// keepMapped arranges for the mapping to be unmapped once the object (and
// so whatever holds it) is garbage collected: Close retires it but cannot
// unmap it while a method may still run. Every method that touches the
// mapping keeps its receiver alive (runtime.KeepAlive) until its last
// access.
func (o *Object) keepMapped() {
	runtime.AddCleanup(o, func(mem []byte) { Unmap(mem) }, o.mem)
}

// EncodedLen is the length of an object's encoding: its id, kind, element
// type and parameter.
const EncodedLen = 8 + 1 + 1 + 8

// AppendBinary appends the object's encoding to b.
func (o *Object) AppendBinary(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.id)
	b = append(b, byte(o.kind), o.elem)
	return binary.LittleEndian.AppendUint64(b, o.param)
}

// Decode reads what AppendBinary wrote into an unbound Object, which must
// be of kind (and, for a Value or Array, of element type elem).
func (o *Object) Decode(b []byte, kind Kind, elem uint8) error {
	if len(b) < EncodedLen {
		return fmt.Errorf("mp: a %s encodes as %d bytes, got %d", kind, EncodedLen, len(b))
	}
	if o.state.Load() != unbound {
		return fmt.Errorf("mp: decoding into a %s already in use", kind)
	}
	id := binary.LittleEndian.Uint64(b)
	k, e, param := Kind(b[8]), b[9], binary.LittleEndian.Uint64(b[10:])
	if k != kind {
		return fmt.Errorf("mp: a %s was sent where a %s is expected", k, kind)
	}
	if (kind == KindValue || kind == KindArray) && e != elem {
		return fmt.Errorf("mp: a %s of another element type was sent (code %d, want %d)", kind, e, elem)
	}
	if _, err := objSize(k, e, param); err != nil {
		return fmt.Errorf("mp: decode a %s: %w", kind, err)
	}
	o.id, o.kind, o.elem, o.param = id, k, e, param
	return nil
}

// Files returns the descriptor to pass to a child.
func (o *Object) Files() ([]*os.File, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.Usable(); err != nil {
		return nil, fmt.Errorf("mp: this %s cannot be passed to a process: %w", o.kind, err)
	}
	return []*os.File{o.f}, nil
}

// Bind maps the descriptor that came with a decoded object and checks that
// it is the object the encoding described.
func (o *Object) Bind(files []*os.File) error {
	if len(files) != 1 {
		return fmt.Errorf("mp: a %s takes 1 descriptor, got %d", o.kind, len(files))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.Load() != unbound || o.kind == 0 {
		return fmt.Errorf("mp: binding a %s that is not freshly decoded", o.kind)
	}
	size, err := objSize(o.kind, o.elem, o.param)
	if err != nil {
		return err
	}
	loadSelf()
	mem, err := Map(files[0], size)
	if err != nil {
		return fmt.Errorf("mp: bind a %s: %w", o.kind, err)
	}
	if o.kind != KindRaw {
		h := *(*header)(unsafe.Pointer(&mem[0]))
		if h != (header{magic: magic, kind: o.kind, elem: o.elem, param: o.param}) {
			Unmap(mem)
			return fmt.Errorf("mp: bind a %s: the shared memory holds something else", o.kind)
		}
	}
	o.f, o.mem = files[0], mem
	if o.kind != KindRaw {
		o.keepMapped()
	}
	o.state.Store(open)
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

// A Raw is the engine of mp.SharedMemory: an Object of raw bytes, without
// a header or a layout.
type Raw struct{ Object }

// Setup has nothing to lay out.
func (*Raw) Setup() {}

// UnmarshalBinary decodes a SharedMemory's encoding into an unbound Raw.
func (r *Raw) UnmarshalBinary(b []byte) error { return r.Decode(b, KindRaw, 0) }

// Close unmaps the memory in this process.
func (r *Raw) Close() error { return r.Object.Close() }
