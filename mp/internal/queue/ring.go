package queue

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"github.com/multitask-go/multitask/internal/wire"
)

// A queue connection shares one memory object between the broker and the
// client process: a control block, then two rings of records. The client
// writes the up ring (the items it puts) and the broker reads it; the
// broker writes the down ring (items sent ahead to the client's Gets) and
// the client takes from it. Neither side needs a system call for an item
// while the other is awake: this is what makes a Put durable without a
// round trip (an item is in the queue once its record is published in
// memory the broker can read, whatever happens to the client after), and a
// Get's acknowledgement free (taking an item is one compare-and-swap of the
// down ring's tail, which the broker reads back if the client dies).
const (
	shmCtlSize = 4096
	ringSize   = 1 << 20 // bytes of each ring; a power of two
	shmSize    = shmCtlSize + 2*ringSize
	recHeader  = 5 // a record: 4-byte little-endian payload length, kind, payload

	// bigItem is the size from which an item's bytes go over the socket and
	// the ring carries only a marker with the item's id: a ring holds
	// several items of any size below it.
	bigItem = ringSize / 8
)

// The kind of a marker record: the item with the id in its payload comes
// over the socket. Items use KindMessage and KindBytes.
const recBig wire.Kind = 9

// Bits of shmCtl.state.
const (
	stClosed    = 1 << iota // the queue takes no more items
	stExhausted             // closed, and no item is left for a Get
)

// shmCtl is the control block at the start of a connection's shared memory.
// Fields written often by different sides sit on separate cache lines.
type shmCtl struct {
	upHead   atomic.Uint64 // bytes published to the up ring; client writes
	_        [56]byte
	upTail   atomic.Uint64 // bytes of the up ring consumed; broker writes
	_        [56]byte
	downHead atomic.Uint64 // bytes published to the down ring; broker writes
	_        [56]byte
	downTail atomic.Uint64 // bytes of the down ring taken: client CAS, broker CAS to steal back
	_        [56]byte
	credits  atomic.Int64 // items the client may put to a bounded queue; broker adds and swaps, client decrements
	_        [56]byte

	// Each flag is set by one side and cleared with a swap by the other.
	brokerAsleep atomic.Uint32 // broker: wake me with a qRing when the up ring gets a record
	clientAsleep atomic.Uint32 // client: a goroutine waits; bell me on any change
	want         atomic.Uint32 // client: keep my down ring stocked; broker clears when I idle
	wantCredits  atomic.Uint32 // client: a Put waits for credits or for room in the up ring
	tellTakes    atomic.Uint32 // broker: ring when you take an item (a Put waits for room)
	tellIdle     atomic.Uint32 // broker: ring when you leave Get with items in your ring
	state        atomic.Uint32 // stClosed | stExhausted; broker writes
	putting      atomic.Int32  // Puts between their check of stClosed and their publication
	inGet        atomic.Int32  // Gets running in the client
	size         atomic.Int64  // items in the queue, roughly, for Empty; broker writes
}

func init() {
	if unsafe.Sizeof(shmCtl{}) > shmCtlSize {
		panic("mp: queue control block too large")
	}
}

// A ring is one direction of records in shared memory: a single writer
// appends at head, and the reader consumes at tail. Offsets grow forever
// (64 bits do not wrap), so a compare-and-swap on tail never mistakes an old
// value for a new one.
type ring struct {
	head, tail *atomic.Uint64
	data       []byte // ringSize bytes
}

// shmLayout returns the control block and rings of a connection's memory.
func shmLayout(mem []byte) (*shmCtl, ring, ring) {
	ctl := (*shmCtl)(unsafe.Pointer(&mem[0]))
	up := ring{head: &ctl.upHead, tail: &ctl.upTail, data: mem[shmCtlSize : shmCtlSize+ringSize]}
	down := ring{head: &ctl.downHead, tail: &ctl.downTail, data: mem[shmCtlSize+ringSize : shmCtlSize+2*ringSize]}
	return ctl, up, down
}

// put appends a record, if it fits, and publishes it. Only the ring's one
// writer calls it.
func (r ring) put(kind wire.Kind, payload []byte) bool {
	h, t := r.head.Load(), r.tail.Load()
	need := uint64(recHeader + len(payload))
	if need > ringSize-(h-t) {
		return false
	}
	var hdr [recHeader]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(payload)))
	hdr[4] = byte(kind)
	r.copyIn(h, hdr[:])
	r.copyIn(h+recHeader, payload)
	r.head.Store(h + need)
	return true
}

// fits reports whether a record of n payload bytes fits now.
func (r ring) fits(n int) bool {
	return uint64(recHeader+n) <= ringSize-(r.head.Load()-r.tail.Load())
}

func (r ring) copyIn(off uint64, b []byte) {
	i := off % ringSize
	n := copy(r.data[i:], b)
	copy(r.data, b[n:])
}

func (r ring) copyOut(off uint64, b []byte) {
	i := off % ringSize
	n := copy(b, r.data[i:])
	copy(b[n:], r.data)
}

// header reads the header of the record at offset t, which must be below
// h, the head the caller loaded: its kind and payload length. ok is false
// when the record would not end by h.
func (r ring) header(t, h uint64) (kind wire.Kind, n int, ok bool) {
	var hdr [recHeader]byte
	r.copyOut(t, hdr[:])
	size := uint64(binary.LittleEndian.Uint32(hdr[:]))
	if h-t < recHeader || size > h-t-recHeader {
		return 0, 0, false
	}
	return wire.Kind(hdr[4]), int(size), true
}

// record reads the record at offset t, which must be below h, the head the
// caller loaded: its kind, a copy of its payload, and the offset after it.
// ok is false when the bytes are not a record that ends by h, which happens
// only when the writer reused the space meanwhile (the broker stole the
// records back): the caller reloads tail and tries again.
func (r ring) record(t, h uint64) (kind wire.Kind, payload []byte, next uint64, ok bool) {
	kind, n, ok := r.header(t, h)
	if !ok {
		return 0, nil, 0, false
	}
	payload = make([]byte, n)
	r.copyOut(t+recHeader, payload)
	return kind, payload, t + recHeader + uint64(n), true
}
