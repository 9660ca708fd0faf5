package mp

import (
	"encoding/binary"
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
)

// A pool worker is a child whose start message carries a workerMsg instead
// of a function. It answers with a ready frame once its initializer has
// run, then runs the tasks it is sent, one at a time, in the order they
// came, until its control channel ends.
//
// Every task the parent sends occupies a slot of a page of memory shared
// with the worker: a word that holds the task's sequence number and where
// it stands. The worker moves a slot from queued to running just before it
// calls the function; the parent moves it from queued to cancelled to
// cancel the task or to take it back. Both are compare-and-swaps on the
// same word, so exactly one side wins: a task is cancelled only if it never
// began, and when a worker dies the page says which of its tasks began.
const (
	kindReady wire.Kind = kindCancel + 1 + iota // worker → parent: readyMsg
	kindTask                                    // parent → worker: a task
	kindBegan                                   // worker → parent: a task began
	kindDone                                    // worker → parent: a task's outcome
)

// kindCancel, parent → worker, cancels the context of a running task.

// workerMsg makes a child a pool worker.
type workerMsg struct {
	Init        string // the initializer's function; "" for none
	InitArg     []byte
	InitHandles []handleRef // the handles in InitArg; their descriptors follow the worker's own four
	Timeout     int64       // ns; 0 for none
	SoftMemory  int64       // bytes of peak RSS after which the worker asks to be replaced
	HardMemory  int64       // bytes of RSS at which the worker exits
	Procs       int         // the worker's GOMAXPROCS
}

// readyMsg reports the outcome of the initializer.
type readyMsg struct {
	Err *errorMsg
}

// Slot states, in the low bits of a slot word; the sequence number of the
// task is in the rest.
const (
	slotQueued    = 1
	slotRunning   = 2
	slotCancelled = 3
	slotBits      = 2
)

// slotPage is the size of the shared page of a worker's slots.
const slotPage = 4096

// slots is a view of a worker's shared page.
type slots []byte

func (s slots) word(i int) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&s[i*8]))
}

func slotWord(seq uint64, state uint64) uint64 { return seq<<slotBits | state }

// queue marks slot i as holding task seq, not yet begun.
func (s slots) queue(i int, seq uint64) { s.word(i).Store(slotWord(seq, slotQueued)) }

// begin moves task seq in slot i to running; false means the parent
// cancelled it or took it back.
func (s slots) begin(i int, seq uint64) bool {
	return s.word(i).CompareAndSwap(slotWord(seq, slotQueued), slotWord(seq, slotRunning))
}

// cancel moves task seq in slot i to cancelled, and reports whether it is
// cancelled now, which it is unless it began.
func (s slots) cancel(i int, seq uint64) bool {
	w := s.word(i)
	return w.CompareAndSwap(slotWord(seq, slotQueued), slotWord(seq, slotCancelled)) ||
		w.Load() == slotWord(seq, slotCancelled)
}

// began reports whether task seq in slot i has begun.
func (s slots) began(i int, seq uint64) bool {
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
	assistWord      = maxPrefetch // the word's index, after the slots'
)

// wantAssist asks the worker to send task seq's frames on the assist pipe.
func (s slots) wantAssist(seq uint64) { s.word(assistWord).Store(slotWord(seq, assistWanted)) }

// commitAssist, in the worker, takes the request for task seq if it stands.
func (s slots) commitAssist(seq uint64) bool {
	return s.word(assistWord).CompareAndSwap(slotWord(seq, assistWanted), slotWord(seq, assistCommitted))
}

// withdrawAssist takes the request for task seq back; false means the
// worker took it first.
func (s slots) withdrawAssist(seq uint64) bool {
	return s.word(assistWord).CompareAndSwap(slotWord(seq, assistWanted), 0)
}

// Task flags.
const (
	taskBatch = 1 << iota // the argument is a chunk of arguments
)

// Done flags.
const (
	doneErr     = 1 << iota // the rest is an errorMsg
	doneSkipped             // the task was cancelled before it began
	doneRecycle             // the worker wants to be replaced
)

var errShortFrame = errors.New("mp: truncated pool frame")

// taskFrame is a task as the worker reads it.
type taskFrame struct {
	slot     int
	flags    byte
	seq      uint64
	deadline int64 // unix ns; 0 for none
	fn       string
	refs     []handleRef // the handles whose descriptors came with the frame, in order
	arg      []byte
	files    map[uint64][]*os.File // the worker's copies of those descriptors
}

func appendTask(b []byte, t *taskFrame) []byte {
	start := len(b)
	b = wire.StartFrame(b, kindTask)
	b = appendTaskHead(b, t)
	b = append(b, t.arg...)
	return wire.EndFrame(b, start)
}

// appendTaskHead appends what comes before the argument in a task's
// payload.
func appendTaskHead(b []byte, t *taskFrame) []byte {
	b = append(b, byte(t.slot), t.flags)
	b = binary.AppendUvarint(b, t.seq)
	b = binary.AppendVarint(b, t.deadline)
	b = binary.AppendUvarint(b, uint64(len(t.fn)))
	b = append(b, t.fn...)
	b = binary.AppendUvarint(b, uint64(len(t.refs)))
	for _, r := range t.refs {
		b = binary.LittleEndian.AppendUint64(b, r.ID)
		b = binary.AppendUvarint(b, uint64(r.Files))
	}
	return b
}

func parseTask(p []byte) (taskFrame, error) {
	var t taskFrame
	if len(p) < 2 {
		return t, errShortFrame
	}
	t.slot, t.flags, p = int(p[0]), p[1], p[2:]
	var n int
	if t.seq, n = binary.Uvarint(p); n <= 0 {
		return t, errShortFrame
	}
	p = p[n:]
	if t.deadline, n = binary.Varint(p); n <= 0 {
		return t, errShortFrame
	}
	p = p[n:]
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return t, errShortFrame
	}
	p = p[n:]
	t.fn, p = string(p[:l]), p[l:]
	nrefs, n := binary.Uvarint(p)
	if n <= 0 || nrefs > maxRights {
		return t, errShortFrame
	}
	p = p[n:]
	for range nrefs {
		if len(p) < 8 {
			return t, errShortFrame
		}
		id := binary.LittleEndian.Uint64(p)
		files, n := binary.Uvarint(p[8:])
		if n <= 0 || files > maxRights {
			return t, errShortFrame
		}
		t.refs = append(t.refs, handleRef{ID: id, Files: int(files)})
		p = p[8+n:]
	}
	t.arg = p
	if t.slot >= maxPrefetch {
		return t, errShortFrame
	}
	return t, nil
}

// appendSlotSeq appends a began or cancel frame.
func appendSlotSeq(b []byte, kind wire.Kind, slot int, seq uint64) []byte {
	start := len(b)
	b = wire.StartFrame(b, kind)
	b = append(b, byte(slot))
	b = binary.AppendUvarint(b, seq)
	return wire.EndFrame(b, start)
}

func parseSlotSeq(p []byte) (int, uint64, error) {
	if len(p) < 2 || int(p[0]) >= maxPrefetch {
		return 0, 0, errShortFrame
	}
	seq, n := binary.Uvarint(p[1:])
	if n <= 0 {
		return 0, 0, errShortFrame
	}
	return int(p[0]), seq, nil
}

// doneFrame is a task's outcome as the parent reads it.
type doneFrame struct {
	slot  int
	flags byte
	seq   uint64
	nanos uint64 // how long the function ran
	rest  []byte

	// In the worker: the pieces of the result's encoding, of which rest
	// is the data (see codec.Spliced), written from the result's memory.
	pieces []codec.Piece
}

func appendDone(b []byte, d *doneFrame) []byte {
	start := len(b)
	b = wire.StartFrame(b, kindDone)
	b = appendDoneHead(b, d)
	b = append(b, d.rest...)
	return wire.EndFrame(b, start)
}

// appendDoneHead appends what comes before rest in a done frame's payload.
func appendDoneHead(b []byte, d *doneFrame) []byte {
	b = append(b, byte(d.slot), d.flags)
	b = binary.AppendUvarint(b, d.seq)
	return binary.AppendUvarint(b, d.nanos)
}

func parseDone(p []byte) (doneFrame, error) {
	var d doneFrame
	if len(p) < 2 || int(p[0]) >= maxPrefetch {
		return d, errShortFrame
	}
	d.slot, d.flags, p = int(p[0]), p[1], p[2:]
	var n int
	if d.seq, n = binary.Uvarint(p); n <= 0 {
		return d, errShortFrame
	}
	p = p[n:]
	if d.nanos, n = binary.Uvarint(p); n <= 0 {
		return d, errShortFrame
	}
	d.rest = p[n:]
	return d, nil
}
