package queue

import (
	"bytes"
	"encoding/binary"

	"github.com/multitask-go/multitask/internal/wire"
)

// An itemLog holds the items queued in the broker, first in first out, as
// records in the rings' format laid end to end in large chunks of memory.
// Compared with a slice of items each in its own memory, a record costs no
// allocation and no pointer for the garbage collector to trace (a queue
// whose producer runs ahead may hold millions), and moving items between
// the log and the rings is a copy of their bytes. A big item keeps its own
// memory: the log holds a marker record with its id.
type itemLog struct {
	chunks []*logChunk // front first
	spare  *logChunk   // the last chunk emptied, kept for the next one needed
	n      int
	bigs   map[uint64]item // big items, by the id in their marker
	nextID uint64
}

// A logChunk holds whole records in buf[start:end].
type logChunk struct {
	buf        []byte
	start, end int
}

// logChunkSize is the size of a chunk; any record that is not big fits.
const logChunkSize = 1 << 20

func init() {
	if recHeader+bigItem > logChunkSize {
		panic("mp: a queue log chunk does not hold the largest record")
	}
}

func (l *itemLog) len() int { return l.n }

// newChunk returns an empty chunk, the spare one if there is one.
func (l *itemLog) newChunk() *logChunk {
	if c := l.spare; c != nil {
		l.spare = nil
		c.start, c.end = 0, 0
		return c
	}
	return &logChunk{buf: make([]byte, logChunkSize)}
}

// reserveBack appends a record of kind with room for n bytes of payload and
// returns that room, for the caller to fill before any other call.
func (l *itemLog) reserveBack(kind wire.Kind, n int) []byte {
	need := recHeader + n
	var c *logChunk
	if k := len(l.chunks); k > 0 && len(l.chunks[k-1].buf)-l.chunks[k-1].end >= need {
		c = l.chunks[k-1]
	} else {
		c = l.newChunk()
		l.chunks = append(l.chunks, c)
	}
	rec := c.buf[c.end : c.end+need]
	binary.LittleEndian.PutUint32(rec, uint32(n))
	rec[4] = byte(kind)
	c.end += need
	l.n++
	return rec[recHeader:]
}

// pushBack appends an item, which the log copies unless it is big.
func (l *itemLog) pushBack(it item) {
	if len(it.data) >= bigItem {
		binary.LittleEndian.PutUint64(l.reserveBack(recBig, 8), l.keepBig(it))
		return
	}
	copy(l.reserveBack(it.kind, len(it.data)), it.data)
}

// pushFront puts an item back at the front.
func (l *itemLog) pushFront(it item) {
	kind, data := it.kind, it.data
	var id [8]byte
	if len(data) >= bigItem {
		binary.LittleEndian.PutUint64(id[:], l.keepBig(it))
		kind, data = recBig, id[:]
	}
	need := recHeader + len(data)
	if len(l.chunks) == 0 || l.chunks[0].start < need {
		c := l.newChunk()
		c.start, c.end = logChunkSize, logChunkSize
		l.chunks = append([]*logChunk{c}, l.chunks...)
	}
	c := l.chunks[0]
	c.start -= need
	rec := c.buf[c.start : c.start+need]
	binary.LittleEndian.PutUint32(rec, uint32(len(data)))
	rec[4] = byte(kind)
	copy(rec[recHeader:], data)
	l.n++
}

func (l *itemLog) keepBig(it item) uint64 {
	if l.bigs == nil {
		l.bigs = make(map[uint64]item)
	}
	l.nextID++
	l.bigs[l.nextID] = it
	return l.nextID
}

// front returns the item at the front, which must exist. Unless the item
// is big, its bytes are the log's, valid until the log next changes.
func (l *itemLog) front() item {
	c := l.chunks[0]
	rec := c.buf[c.start:]
	n := int(binary.LittleEndian.Uint32(rec))
	kind, data := wire.Kind(rec[4]), rec[recHeader:recHeader+n:recHeader+n]
	if kind == recBig {
		return l.bigs[binary.LittleEndian.Uint64(data)]
	}
	return item{kind: kind, data: data}
}

// takeFront removes the item at the front, which must exist, and returns
// it in memory of its own.
func (l *itemLog) takeFront() item {
	it := l.front()
	if len(it.data) < bigItem {
		it.data = bytes.Clone(it.data)
	}
	l.dropFront()
	return it
}

// dropFront removes the item at the front, which must exist.
func (l *itemLog) dropFront() {
	c := l.chunks[0]
	rec := c.buf[c.start:]
	n := int(binary.LittleEndian.Uint32(rec))
	if wire.Kind(rec[4]) == recBig {
		delete(l.bigs, binary.LittleEndian.Uint64(rec[recHeader:]))
	}
	c.start += recHeader + n
	l.n--
	if c.start == c.end {
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
		l.spare = c
		if len(l.chunks) == 0 {
			l.chunks = nil // let the slice's memory go after a burst
		}
	}
}
