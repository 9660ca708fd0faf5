package cluster

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A batcher sends items to their destinations several at a time, a
// destination's items one batch after another: the first item for a
// destination goes at once, and those that come while a batch is on its
// way go together in the next. A busy process so sends few messages, and
// an idle one waits for none.
type batcher[T any] struct {
	// send sends a prefix of items, at least one, to dest, and returns
	// how many it sent. It runs in a goroutine of the batcher's, one at a
	// time per destination.
	send func(dest string, items []T) int
	wg   *sync.WaitGroup // counts the goroutines that send

	mu      sync.Mutex
	waiting map[string][]T // by destination, while a batch is on its way there
}

func newBatcher[T any](wg *sync.WaitGroup, send func(dest string, items []T) int) *batcher[T] {
	return &batcher[T]{send: send, wg: wg, waiting: make(map[string][]T)}
}

// add queues item for dest, and starts a goroutine that sends to dest
// unless one is sending already.
func (b *batcher[T]) add(dest string, item T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q, sending := b.waiting[dest]; sending {
		b.waiting[dest] = append(q, item)
		return
	}
	b.waiting[dest] = []T{item}
	b.wg.Add(1)
	go b.loop(dest)
}

// loop sends the items waiting for dest until none is left.
func (b *batcher[T]) loop(dest string) {
	defer b.wg.Done()
	for {
		b.mu.Lock()
		q := b.waiting[dest]
		if len(q) == 0 {
			delete(b.waiting, dest)
			b.mu.Unlock()
			return
		}
		// The items that come meanwhile go to a new slice: q is send's.
		b.waiting[dest] = nil
		b.mu.Unlock()
		n := max(b.send(dest, q), 1)
		if n < len(q) {
			b.mu.Lock()
			b.waiting[dest] = append(q[n:len(q):len(q)], b.waiting[dest]...)
			b.mu.Unlock()
		}
	}
}

// A result is a task's outcome as a worker reports it. The results a
// worker has for one executor travel together, appended one after another
// to a message's data (see appendResult).
type result struct {
	id       string
	status   string // statusOK, statusError or statusDead
	attempts int    // the deliveries of the task, this one included
	object   string // the object store's name of the value, or ""
	data     []byte // the value, or the error as mp.MarshalError encodes it
	// ran is how long a chunk of Map ran, 0 for other tasks; it travels
	// in the message's header (see appendRan), which older executors
	// ignore.
	ran time.Duration
}

// appendRan appends to b the hRan header of a message holding rs; nothing
// when none of them tells how long it ran.
func appendRan(b []byte, rs []*outcome) []byte {
	for i, o := range rs {
		if o.ran <= 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(o.ran), 10)
	}
	return b
}

// parseRan sets the run times an hRan header gives on rs; it skips what
// it cannot read.
func parseRan(h string, rs []result) {
	for h != "" {
		var item string
		item, h, _ = strings.Cut(h, ",")
		i, nanos, _ := strings.Cut(item, ":")
		n, err1 := strconv.Atoi(i)
		d, err2 := strconv.ParseInt(nanos, 10, 64)
		if err1 == nil && err2 == nil && 0 <= n && n < len(rs) && d > 0 {
			rs[n].ran = time.Duration(d)
		}
	}
}

var errBadResults = errors.New("cluster: a malformed message of results")

// appendResult appends r to b, as parseResults reads it: the id, the
// status, the attempts, the object's name and the data, each string with
// its length first.
func appendResult(b []byte, r *result) []byte {
	b = appendString(b, r.id)
	b = appendString(b, r.status)
	b = binary.AppendUvarint(b, uint64(r.attempts))
	b = appendString(b, r.object)
	b = binary.AppendUvarint(b, uint64(len(r.data)))
	return append(b, r.data...)
}

// resultSize is the length of r as appendResult appends it.
func resultSize(r *result) int {
	n := binary.MaxVarintLen64 * 5
	return n + len(r.id) + len(r.status) + len(r.object) + len(r.data)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// parseResults reads the results of a message's data, which they share.
func parseResults(data []byte) ([]result, error) {
	var rs []result
	for len(data) > 0 {
		var r result
		var attempts uint64
		var ok bool
		if r.id, data, ok = cutString(data); !ok {
			return nil, errBadResults
		}
		if r.status, data, ok = cutString(data); !ok {
			return nil, errBadResults
		}
		if attempts, data, ok = cutUvarint(data); !ok || attempts > 1<<31 {
			return nil, errBadResults
		}
		r.attempts = int(attempts)
		if r.object, data, ok = cutString(data); !ok {
			return nil, errBadResults
		}
		if r.data, data, ok = cutBytes(data); !ok {
			return nil, errBadResults
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func cutUvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, false
	}
	return v, b[n:], true
}

// cutBytes cuts from b a slice of it that has its length first.
func cutBytes(b []byte) ([]byte, []byte, bool) {
	n, rest, ok := cutUvarint(b)
	if !ok || n > uint64(len(rest)) {
		return nil, nil, false
	}
	return rest[:n:n], rest[n:], true
}

func cutString(b []byte) (string, []byte, bool) {
	s, rest, ok := cutBytes(b)
	return string(s), rest, ok
}
