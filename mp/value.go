package mp

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/multitask-go/multitask/mp/internal/shm"
)

// elem is the element types of a Value or an Array.
type elem interface {
	int32 | int64 | uint32 | uint64 | float64 | byte
}

// elemOf returns the element code and size of T.
func elemOf[T elem]() (code uint8, size int) {
	var z T
	switch any(z).(type) {
	case int32:
		return shm.ElemInt32, 4
	case int64:
		return shm.ElemInt64, 8
	case uint32:
		return shm.ElemUint32, 4
	case uint64:
		return shm.ElemUint64, 8
	case float64:
		return shm.ElemFloat64, 8
	case byte:
		return shm.ElemByte, 1
	}
	panic("unreachable")
}

// A Value is a number in memory shared by processes, Python's
// multiprocessing.Value for its numeric type codes, without the lock: every
// method is one atomic operation on the shared word (a compare-and-swap
// loop for Add on a float64), a few nanoseconds where Python's
// `with v.get_lock(): v.value += 1` costs about half a microsecond. For an
// update that spans several values, hold a [Lock].
//
// Make one with [NewValue] and pass it to child processes as (part of) the
// argument of a registered function; it needs no care when a process dies,
// since nothing is held. Methods are safe for concurrent use by goroutines
// of every process. Its methods return no error, so after Close they panic
// with an error that matches [ErrClosed]. A Value must not be copied.
type Value[T int32 | int64 | uint32 | uint64 | float64] struct {
	shared[cell[T], *cell[T]]
}

// A cell is the engine of a Value: the number's place in its memory.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
type cell[T int32 | int64 | uint32 | uint64 | float64] struct {
	shm.Object
	p     unsafe.Pointer // the number, 8-byte aligned
	wide  bool           // 8 bytes, not 4
	float bool
}

// Setup lays the cell out on its memory, after Init or Bind.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cell[T]) Setup() {
	_, size := elemOf[T]()
	c.p, c.wide, c.float = c.At(shm.Data), size == 8, c.Elem() == shm.ElemFloat64
}

// UnmarshalBinary decodes a Value's encoding; one of another type is an
// error.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cell[T]) UnmarshalBinary(b []byte) error {
	code, _ := elemOf[T]()
	return c.Decode(b, shm.KindValue, code)
}

// Close lets go of the cell's memory in this process.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cell[T]) Close() error { return c.Object.Close() }

// NewValue returns a Value holding v, in a page of shared memory of its
// own that the kernel frees once every process holding it has closed it or
// exited. It fails with an error matching [ErrUnsupported] off Linux.
func NewValue[T int32 | int64 | uint32 | uint64 | float64](v T) (*Value[T], error) {
	x := new(Value[T])
	code, _ := elemOf[T]()
	if err := x.init(shm.KindValue, code, 0); err != nil {
		return nil, err
	}
	x.Store(v)
	return x, nil
}

// Load returns the value.
func (v *Value[T]) Load() T {
	if !v.e.Open() {
		v.e.UseOrPanic(shm.KindValue, "Load")
	}
	x := load[T](v.e.p, v.e.wide)
	v.e.RaceAcquire()
	runtime.KeepAlive(v)
	return x
}

// Store sets the value.
func (v *Value[T]) Store(x T) {
	if !v.e.Open() {
		v.e.UseOrPanic(shm.KindValue, "Store")
	}
	v.e.RaceRelease()
	store(v.e.p, v.e.wide, x)
	runtime.KeepAlive(v)
}

// Add adds delta to the value and returns the new value. Integers wrap
// around on overflow, as Go's do.
func (v *Value[T]) Add(delta T) T {
	if !v.e.Open() {
		v.e.UseOrPanic(shm.KindValue, "Add")
	}
	v.e.RaceRelease()
	x := add(v.e.p, v.e.wide, v.e.float, delta)
	runtime.KeepAlive(v)
	return x
}

// CompareAndSwap sets the value to new if it is old, and reports whether it
// did. A float64 is compared bit for bit: a NaN matches the same NaN, and
// 0 does not match -0.
func (v *Value[T]) CompareAndSwap(old, new T) bool {
	if !v.e.Open() {
		v.e.UseOrPanic(shm.KindValue, "CompareAndSwap")
	}
	v.e.RaceRelease()
	ok := cas(v.e.p, v.e.wide, old, new)
	runtime.KeepAlive(v)
	return ok
}

// The atomic operations on a number of 4 or 8 bytes at p, by its bits.

func load[T elem](p unsafe.Pointer, wide bool) (x T) {
	if wide {
		*(*uint64)(unsafe.Pointer(&x)) = atomic.LoadUint64((*uint64)(p))
	} else {
		*(*uint32)(unsafe.Pointer(&x)) = atomic.LoadUint32((*uint32)(p))
	}
	return x
}

func store[T elem](p unsafe.Pointer, wide bool, x T) {
	if wide {
		atomic.StoreUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&x)))
	} else {
		atomic.StoreUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&x)))
	}
}

func add[T elem](p unsafe.Pointer, wide, float bool, delta T) (x T) {
	switch {
	case float:
		for {
			old := atomic.LoadUint64((*uint64)(p))
			sum := math.Float64frombits(old) + float64(delta)
			if atomic.CompareAndSwapUint64((*uint64)(p), old, math.Float64bits(sum)) {
				return T(sum)
			}
		}
	case wide:
		// Adding the bits adds two's-complement integers of either sign.
		*(*uint64)(unsafe.Pointer(&x)) = atomic.AddUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&delta)))
	default:
		*(*uint32)(unsafe.Pointer(&x)) = atomic.AddUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&delta)))
	}
	return x
}

func cas[T elem](p unsafe.Pointer, wide bool, old, new T) bool {
	if wide {
		return atomic.CompareAndSwapUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&old)), *(*uint64)(unsafe.Pointer(&new)))
	}
	return atomic.CompareAndSwapUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&old)), *(*uint32)(unsafe.Pointer(&new)))
}

// byteShift is where the byte at an address sits in the 32-bit word around
// it, by the address's low two bits.
var byteShift = func() [4]uint {
	if shm.LowHalf == 0 { // little-endian
		return [4]uint{0, 8, 16, 24}
	}
	return [4]uint{24, 16, 8, 0}
}()

// An Array is a fixed-length array of numbers or bytes in memory shared by
// processes, Python's multiprocessing.Array without the lock: Load, Store
// and Add are each one atomic operation on one element (bytes through the
// aligned 32-bit word around them), and CopyTo and CopyFrom move many
// elements at the speed of memory, not atomically. For updates that span
// several elements, hold a [Lock].
//
// An index out of range panics, as a slice index does, before any memory is
// touched. Its element methods return no error, so after Close they panic
// with an error that matches [ErrClosed]. Methods are safe for concurrent
// use by goroutines of every process; an Array must not be copied.
type Array[T int32 | int64 | uint32 | uint64 | float64 | byte] struct {
	shared[cells[T], *cells[T]]
}

// A cells is the engine of an Array: the elements' place in its memory.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
type cells[T int32 | int64 | uint32 | uint64 | float64 | byte] struct {
	shm.Object
	base  unsafe.Pointer // element 0, 64-byte aligned
	n     int
	size  int // bytes per element: 1, 4 or 8
	float bool
}

// Setup lays the cells out on their memory, after Init or Bind.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cells[T]) Setup() {
	_, c.size = elemOf[T]()
	c.base, c.n, c.float = c.At(shm.Data), int(c.Param()), c.Elem() == shm.ElemFloat64
}

// UnmarshalBinary decodes an Array's encoding; one of another element type
// is an error.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cells[T]) UnmarshalBinary(b []byte) error {
	code, _ := elemOf[T]()
	return c.Decode(b, shm.KindArray, code)
}

// Close lets go of the cells' memory in this process.
//
//lint:ignore U1000 used as a type argument of shared, which unused misses
func (c *cells[T]) Close() error { return c.Object.Close() }

// NewArray returns an Array of n zero elements, in shared memory of its own
// (n×size rounded up to whole pages) that the kernel frees once every
// process holding it has closed it or exited. It fails with an error
// matching [ErrUnsupported] off Linux.
func NewArray[T int32 | int64 | uint32 | uint64 | float64 | byte](n int) (*Array[T], error) {
	if n < 0 {
		return nil, fmt.Errorf("mp: NewArray(%d): negative length", n)
	}
	a := new(Array[T])
	code, _ := elemOf[T]()
	if err := a.init(shm.KindArray, code, uint64(n)); err != nil {
		return nil, err
	}
	return a, nil
}

// Len returns the number of elements; it works after Close too.
func (a *Array[T]) Len() int { return a.e.n }

// elem checks the array and the index and returns the element's address.
func (a *Array[T]) elem(i int, method string) unsafe.Pointer {
	if !a.e.Open() {
		a.e.UseOrPanic(shm.KindArray, method)
	}
	if uint(i) >= uint(a.e.n) {
		panic(fmt.Sprintf("mp: Array index %d out of range [0:%d]", i, a.e.n))
	}
	return unsafe.Add(a.e.base, i*a.e.size)
}

// Load returns element i.
func (a *Array[T]) Load(i int) T {
	p := a.elem(i, "Load")
	var x T
	if a.e.size == 1 {
		w := atomic.LoadUint32((*uint32)(unsafe.Add(p, -(i & 3))))
		*(*byte)(unsafe.Pointer(&x)) = byte(w >> byteShift[i&3])
	} else {
		x = load[T](p, a.e.size == 8)
	}
	a.e.RaceAcquire()
	runtime.KeepAlive(a)
	return x
}

// Store sets element i to v.
func (a *Array[T]) Store(i int, v T) {
	p := a.elem(i, "Store")
	a.e.RaceRelease()
	if a.e.size == 1 {
		b := *(*byte)(unsafe.Pointer(&v))
		updateByte(p, i, func(byte) byte { return b })
	} else {
		store(p, a.e.size == 8, v)
	}
	runtime.KeepAlive(a)
}

// Add adds delta to element i and returns its new value. Integers and bytes
// wrap around on overflow, as Go's do.
func (a *Array[T]) Add(i int, delta T) T {
	p := a.elem(i, "Add")
	a.e.RaceRelease()
	var x T
	if a.e.size == 1 {
		d := *(*byte)(unsafe.Pointer(&delta))
		*(*byte)(unsafe.Pointer(&x)) = updateByte(p, i, func(b byte) byte { return b + d })
	} else {
		x = add(p, a.e.size == 8, a.e.float, delta)
	}
	runtime.KeepAlive(a)
	return x
}

// updateByte replaces the byte at p (element i) by f of it, atomically with
// a compare-and-swap of the word around it, and returns the new byte.
func updateByte(p unsafe.Pointer, i int, f func(byte) byte) byte {
	w := (*uint32)(unsafe.Add(p, -(i & 3)))
	shift := byteShift[i&3]
	for {
		old := atomic.LoadUint32(w)
		b := f(byte(old >> shift))
		if atomic.CompareAndSwapUint32(w, old, old&^(0xff<<shift)|uint32(b)<<shift) {
			return b
		}
	}
}

// elems returns the elements from i on, checking i against [0, Len()].
func (a *Array[T]) elems(i int, method string) []T {
	if !a.e.Open() {
		a.e.UseOrPanic(shm.KindArray, method)
	}
	if uint(i) > uint(a.e.n) {
		panic(fmt.Sprintf("mp: Array.%s start %d out of range [0:%d]", method, i, a.e.n))
	}
	return unsafe.Slice((*T)(a.e.base), a.e.n)[i:]
}

// CopyTo copies elements from index i on into dst, as many as fit, and
// returns how many it copied: copy(dst, array[i:]). It is a plain memory
// copy, not atomic: elements that other processes write meanwhile may be
// seen old or new, and a float64 or 64-bit integer torn on platforms
// without 64-bit moves. i out of [0, Len()] panics.
func (a *Array[T]) CopyTo(i int, dst []T) int {
	n := copy(dst, a.elems(i, "CopyTo"))
	a.e.RaceAcquire()
	runtime.KeepAlive(a)
	return n
}

// CopyFrom copies src into the elements from index i on, as many as fit,
// and returns how many it copied: copy(array[i:], src). It is a plain
// memory copy, not atomic (see CopyTo). i out of [0, Len()] panics.
func (a *Array[T]) CopyFrom(i int, src []T) int {
	a.e.RaceRelease()
	n := copy(a.elems(i, "CopyFrom"), src)
	runtime.KeepAlive(a)
	return n
}

// A SharedMemory is a region of raw bytes shared by processes, Python's
// multiprocessing.shared_memory.SharedMemory for programs that bring their
// own layout (put atomics on aligned words with sync/atomic, and a [Lock]
// around the rest). Pass it to child processes as (part of) the argument of
// a registered function: each maps the same memory.
//
// Unlike Python's, it has no name and leaks nothing: the memory lives in
// no file system, and the kernel frees it once every process that had it
// has closed it or exited, even after crashes. There is no unlink.
//
// The slice [SharedMemory.Bytes] returns is the mapping itself: after
// Close it must not be touched (as any memory a program unmapped; an access
// faults and crashes the program). Because of that slice, a SharedMemory
// that is dropped without Close stays mapped until the process exits.
type SharedMemory struct {
	shared[shm.Raw, *shm.Raw]
}

// NewSharedMemory returns size bytes (1 to 2⁴⁰) of zeroed shared memory,
// page-aligned. It fails with an error matching [ErrUnsupported] off Linux.
func NewSharedMemory(size int) (*SharedMemory, error) {
	if size < 1 {
		return nil, fmt.Errorf("mp: NewSharedMemory(%d): the size must be positive", size)
	}
	m := new(SharedMemory)
	if err := m.init(shm.KindRaw, 0, uint64(size)); err != nil {
		return nil, err
	}
	return m, nil
}

// Bytes returns the shared memory, Len bytes, or nil after Close.
func (m *SharedMemory) Bytes() []byte { return m.e.Bytes() }

// Len returns the size of the shared memory in bytes.
func (m *SharedMemory) Len() int { return int(m.e.Param()) }
