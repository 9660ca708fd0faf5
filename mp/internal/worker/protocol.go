package worker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
)

// Version is the version of the protocol, sent first in the ready frame.
// It changes with any change to the frames or to the shared page.
const Version = 1

// The kinds of the frames on a worker's pipes, which carry nothing else.
const (
	KindReady  wire.Kind = 1 + iota // worker → parent, on the result pipe: see AppendReady
	KindTask                        // parent → worker: a task (see AppendTask)
	KindBegan                       // worker → parent: a task began (see AppendSlotSeq)
	KindDone                        // worker → parent: a task's outcome (see AppendDone)
	KindCancel                      // parent → worker: cancel a running task's context (see AppendSlotSeq)
)

// Config makes a child a pool worker; it travels in the child's start
// message.
type Config struct {
	Init        string // the initializer's function; "" for none
	InitArg     []byte
	InitHandles []Ref // the handles in InitArg; their descriptors follow the worker's own four
	Timeout     int64 // ns; 0 for none
	SoftMemory  int64 // bytes of peak RSS after which the worker asks to be replaced
	HardMemory  int64 // bytes of RSS at which the worker exits
	Procs       int   // the worker's GOMAXPROCS
}

// Ref says which descriptors belong to a handle in an encoded argument: the
// handle's id and how many descriptors it has, which come in order.
type Ref struct {
	ID    uint64
	Files int
}

// maxRefs bounds the handles and descriptors a frame names: no message
// carries more descriptors than launch.MaxRights.
const maxRefs = launch.MaxRights

// ErrShortFrame is the error of a frame too short for its kind, or whose
// fields are out of range: a peer that broke the protocol.
var ErrShortFrame = errors.New("mp: truncated pool frame")

// ErrVersion is matched by the error of a ready frame of another protocol
// version than this package's [Version].
var ErrVersion = errors.New("mp: pool worker protocol version mismatch")

// AppendReady appends a ready frame whose payload is the protocol's
// version followed by msg, the outcome of the worker's initializer as mp
// encodes it.
func AppendReady(b, msg []byte) []byte {
	start := len(b)
	b = wire.StartFrame(b, KindReady)
	b = append(b, Version)
	b = append(b, msg...)
	return wire.EndFrame(b, start)
}

// ParseReady checks the version of a ready frame's payload and returns the
// message that follows it. A worker of another version fails with an error
// that matches [ErrVersion] and says both versions.
func ParseReady(p []byte) ([]byte, error) {
	if len(p) < 1 {
		return nil, ErrShortFrame
	}
	if p[0] != Version {
		return nil, fmt.Errorf("%w: the worker speaks version %d, the pool %d", ErrVersion, p[0], Version)
	}
	return p[1:], nil
}

// MaxSlots is the most tasks a worker holds at once: the slots of its
// shared page.
const MaxSlots = 64

// PageSize is the size of the page of a worker's slots.
const PageSize = 4096

// Slot states, in the low bits of a slot word; the sequence number of the
// task is in the rest.
const (
	slotQueued    = 1
	slotRunning   = 2
	slotCancelled = 3
	slotBits      = 2
)

// Slots is a view of a worker's shared page, of [PageSize] bytes, mapped in
// the parent and in the worker.
type Slots []byte

func (s Slots) word(i int) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&s[i*8]))
}

func slotWord(seq uint64, state uint64) uint64 { return seq<<slotBits | state }

// Queue marks slot i as holding task seq, not yet begun.
func (s Slots) Queue(i int, seq uint64) { s.word(i).Store(slotWord(seq, slotQueued)) }

// Begin moves task seq in slot i to running; false means the parent
// cancelled it or took it back.
func (s Slots) Begin(i int, seq uint64) bool {
	return s.word(i).CompareAndSwap(slotWord(seq, slotQueued), slotWord(seq, slotRunning))
}

// Cancel moves task seq in slot i to cancelled, and reports whether it is
// cancelled now, which it is unless it began.
func (s Slots) Cancel(i int, seq uint64) bool {
	w := s.word(i)
	return w.CompareAndSwap(slotWord(seq, slotQueued), slotWord(seq, slotCancelled)) ||
		w.Load() == slotWord(seq, slotCancelled)
}

// Began reports whether task seq in slot i has begun.
func (s Slots) Began(i int, seq uint64) bool {
	return s.word(i).Load() == slotWord(seq, slotRunning)
}

// The assist word follows the slots. A waiter in the parent that will read
// its task's outcome itself asks for it there, with the task's sequence
// number (wanted); a worker that begins that task while the request stands
// takes it (committed) and sends the task's frames on the assist pipe
// instead of the result pipe. Taking and withdrawing the request are
// compare-and-swaps on the word, so exactly one side wins.
const (
	assistWanted    = 1
	assistCommitted = 2
	assistWord      = MaxSlots // the word's index, after the slots'
)

// WantAssist asks the worker to send task seq's frames on the assist pipe.
func (s Slots) WantAssist(seq uint64) { s.word(assistWord).Store(slotWord(seq, assistWanted)) }

// CommitAssist, in the worker, takes the request for task seq if it stands.
func (s Slots) CommitAssist(seq uint64) bool {
	return s.word(assistWord).CompareAndSwap(slotWord(seq, assistWanted), slotWord(seq, assistCommitted))
}

// WithdrawAssist takes the request for task seq back; false means the
// worker took it first.
func (s Slots) WithdrawAssist(seq uint64) bool {
	return s.word(assistWord).CompareAndSwap(slotWord(seq, assistWanted), 0)
}

// Task flags.
const (
	TaskBatch = 1 << iota // the argument is a chunk of arguments
)

// Done flags.
const (
	DoneErr     = 1 << iota // Rest is an encoded error
	DoneSkipped             // the task was cancelled before it began
	DoneRecycle             // the worker wants to be replaced
)

// Task is a task as the parent sends it and the worker reads it.
type Task struct {
	Slot     int
	Flags    byte
	Seq      uint64
	Deadline int64 // unix ns; 0 for none
	Fn       string
	Refs     []Ref // the handles whose descriptors come with the task, in order
	Arg      []byte
}

// AppendTask appends t's frame.
func AppendTask(b []byte, t *Task) []byte {
	start := len(b)
	b = wire.StartFrame(b, KindTask)
	b = AppendTaskHead(b, t)
	b = append(b, t.Arg...)
	return wire.EndFrame(b, start)
}

// AppendTaskHead appends what comes before the argument in a task's
// payload, for a frame written in parts.
func AppendTaskHead(b []byte, t *Task) []byte {
	b = append(b, byte(t.Slot), t.Flags)
	b = binary.AppendUvarint(b, t.Seq)
	b = binary.AppendVarint(b, t.Deadline)
	b = binary.AppendUvarint(b, uint64(len(t.Fn)))
	b = append(b, t.Fn...)
	b = binary.AppendUvarint(b, uint64(len(t.Refs)))
	for _, r := range t.Refs {
		b = binary.LittleEndian.AppendUint64(b, r.ID)
		b = binary.AppendUvarint(b, uint64(r.Files))
	}
	return b
}

// ParseTask reads a task frame's payload. The task's Arg is p's memory.
func ParseTask(p []byte) (Task, error) {
	var t Task
	if len(p) < 2 {
		return t, ErrShortFrame
	}
	t.Slot, t.Flags, p = int(p[0]), p[1], p[2:]
	var n int
	if t.Seq, n = binary.Uvarint(p); n <= 0 {
		return t, ErrShortFrame
	}
	p = p[n:]
	if t.Deadline, n = binary.Varint(p); n <= 0 {
		return t, ErrShortFrame
	}
	p = p[n:]
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return t, ErrShortFrame
	}
	p = p[n:]
	t.Fn, p = string(p[:l]), p[l:]
	nrefs, n := binary.Uvarint(p)
	if n <= 0 || nrefs > maxRefs {
		return t, ErrShortFrame
	}
	p = p[n:]
	for range nrefs {
		if len(p) < 8 {
			return t, ErrShortFrame
		}
		id := binary.LittleEndian.Uint64(p)
		files, n := binary.Uvarint(p[8:])
		if n <= 0 || files > maxRefs {
			return t, ErrShortFrame
		}
		t.Refs = append(t.Refs, Ref{ID: id, Files: int(files)})
		p = p[8+n:]
	}
	t.Arg = p
	if t.Slot >= MaxSlots {
		return t, ErrShortFrame
	}
	return t, nil
}

// AppendSlotSeq appends a began or cancel frame, of kind, for task seq in
// slot.
func AppendSlotSeq(b []byte, kind wire.Kind, slot int, seq uint64) []byte {
	start := len(b)
	b = wire.StartFrame(b, kind)
	b = append(b, byte(slot))
	b = binary.AppendUvarint(b, seq)
	return wire.EndFrame(b, start)
}

// ParseSlotSeq reads a began or cancel frame's payload.
func ParseSlotSeq(p []byte) (slot int, seq uint64, err error) {
	if len(p) < 2 || int(p[0]) >= MaxSlots {
		return 0, 0, ErrShortFrame
	}
	seq, n := binary.Uvarint(p[1:])
	if n <= 0 {
		return 0, 0, ErrShortFrame
	}
	return int(p[0]), seq, nil
}

// Done is a task's outcome as the worker sends it and the parent reads it.
type Done struct {
	Slot  int
	Flags byte
	Seq   uint64
	Nanos uint64 // how long the function ran
	Rest  []byte // the encoded result, or error with DoneErr

	// In the worker: the pieces of the result's encoding, of which Rest
	// is the data (see codec.Spliced), written from the result's memory.
	Pieces []codec.Piece
}

// AppendDone appends d's frame; d has no Pieces.
func AppendDone(b []byte, d *Done) []byte {
	start := len(b)
	b = wire.StartFrame(b, KindDone)
	b = AppendDoneHead(b, d)
	b = append(b, d.Rest...)
	return wire.EndFrame(b, start)
}

// AppendDoneHead appends what comes before Rest in a done frame's payload,
// for a frame written in parts.
func AppendDoneHead(b []byte, d *Done) []byte {
	b = append(b, byte(d.Slot), d.Flags)
	b = binary.AppendUvarint(b, d.Seq)
	return binary.AppendUvarint(b, d.Nanos)
}

// ParseDone reads a done frame's payload. Its Rest is p's memory.
func ParseDone(p []byte) (Done, error) {
	var d Done
	if len(p) < 2 || int(p[0]) >= MaxSlots {
		return d, ErrShortFrame
	}
	d.Slot, d.Flags, p = int(p[0]), p[1], p[2:]
	var n int
	if d.Seq, n = binary.Uvarint(p); n <= 0 {
		return d, ErrShortFrame
	}
	p = p[n:]
	if d.Nanos, n = binary.Uvarint(p); n <= 0 {
		return d, ErrShortFrame
	}
	d.Rest = p[n:]
	return d, nil
}
