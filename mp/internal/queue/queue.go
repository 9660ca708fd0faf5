package queue

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/multitask-go/multitask/internal/wire"
)

// The kinds of an item: bytes written by the codec, or a []byte put as it
// is. They are the kinds of mp's pipe frames, so that one encoder serves
// both.
const (
	KindMessage wire.Kind = 1 + iota
	KindBytes
)

// A Queue is a queue as one process holds it: the broker itself in the
// process that made the queue (with [Queue.Init]), a client of the broker
// in any other (a handle decoded with [Queue.UnmarshalBinary]), which
// connects at first use. Its items are encoded records, a kind and bytes.
//
// A Queue is safe for concurrent use. It must not be copied; its zero
// value is ready for Init or UnmarshalBinary, and for nothing else.
type Queue struct {
	id       uint64
	capacity int
	joinable bool
	b        *broker // in the creator; nil elsewhere

	// Elsewhere: where the broker is, and the connection to it, made at
	// first use.
	addr   string
	token  []byte
	once   sync.Once
	mu     sync.Mutex // guards c, cerr and closed
	c      *client
	cerr   error
	closed bool
}

// Init makes q a new queue in this process that holds at most capacity
// items (capacity <= 0: no bound), known to every process by id; a
// joinable queue counts unfinished tasks. It starts nothing until the
// queue is first marshalled.
func (q *Queue) Init(id uint64, capacity int, joinable bool) {
	q.id = id
	q.capacity = max(capacity, 0)
	q.joinable = joinable
	token := make([]byte, tokenSize)
	rand.Read(token)
	q.b = newBroker(q.capacity, joinable, token)
}

// ID returns the id given to Init, which the handle carries.
func (q *Queue) ID() uint64 { return q.id }

// tokenSize is the length of the secret that admits a process to a broker.
const tokenSize = 16

// The handle's encoding: a version byte, flags, the capacity, the id, the
// token and the address.
const (
	handleVersion = 1
	flagJoinable  = 1
)

// errNotMade is the error of a Queue that neither Init nor
// UnmarshalBinary set up.
var errNotMade = errors.New("mp: a queue must be made with NewQueue, NewSimpleQueue or NewJoinableQueue")

// MarshalBinary encodes the queue as a handle: the broker's address and the
// token that admits a process to it. In the creator it starts the broker's
// server on first use. It fails for a queue closed in this process, with an
// error that matches [ErrClosed].
func (q *Queue) MarshalBinary() ([]byte, error) {
	if q.b == nil && q.addr == "" {
		return nil, errNotMade
	}
	addr, token := q.addr, q.token
	if q.b != nil {
		var err error
		if addr, err = q.b.serve(); err != nil {
			return nil, err
		}
		token = q.b.token
	} else if err := q.Passable(); err != nil {
		return nil, err
	}
	var flags byte
	if q.joinable {
		flags |= flagJoinable
	}
	b := []byte{handleVersion, flags}
	b = binary.AppendUvarint(b, uint64(q.capacity))
	b = binary.LittleEndian.AppendUint64(b, q.id)
	b = append(b, token...)
	return append(b, addr...), nil
}

// UnmarshalBinary decodes a handle written by MarshalBinary into a zero
// Queue; the process connects to the broker at its first use of the queue.
func (q *Queue) UnmarshalBinary(b []byte) error {
	bad := func(what string) error { return fmt.Errorf("mp: decode a queue handle: %s", what) }
	if len(b) < 2 || b[0] != handleVersion {
		return bad("unknown version")
	}
	flags := b[1]
	capacity, n := binary.Uvarint(b[2:])
	if n <= 0 || capacity > 1<<40 {
		return bad("bad capacity")
	}
	rest := b[2+n:]
	if len(rest) < 8+tokenSize+1 {
		return bad("too short")
	}
	q.id = binary.LittleEndian.Uint64(rest)
	q.token = append([]byte(nil), rest[8:8+tokenSize]...)
	q.addr = string(rest[8+tokenSize:])
	q.capacity = int(capacity)
	q.joinable = flags&flagJoinable != 0
	return nil
}

// Passable says why the handle cannot be passed to a process, if it
// cannot: the queue is closed in this process (an error that matches
// [ErrClosed]).
func (q *Queue) Passable() error {
	if q.b != nil {
		if q.b.isClosed() {
			return fmt.Errorf("mp: a closed queue cannot be passed to a process: %w", ErrClosed)
		}
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return fmt.Errorf("mp: a closed queue cannot be passed to a process: %w", ErrClosed)
	}
	return nil
}

// client returns the connection to the broker, making it at first use.
func (q *Queue) client() (*client, error) {
	if q.addr == "" {
		return nil, errNotMade
	}
	q.once.Do(func() {
		c, err := dial(q.addr, q.token, q.capacity, Version)
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.closed && c != nil {
			c.close()
			c, err = nil, ErrClosed
		}
		q.c, q.cerr = c, err
	})
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, ErrClosed
	}
	return q.c, q.cerr
}

// Put adds an item of kind at the back of the queue. It blocks while a
// bounded queue is full, until a Get makes room, ctx ends (it returns
// ctx.Err() and has enqueued nothing) or the queue is closed ([ErrClosed]).
// With a ctx that has already ended it does not wait. The bytes of a
// [KindBytes] item stay the caller's: the queue copies them. Those of a
// [KindMessage] item the caller gives up, and the creator's queue may keep
// them. The caller checks the size; see mp.Queue.Put for the rest.
func (q *Queue) Put(ctx context.Context, kind wire.Kind, b []byte) error {
	if q.b != nil {
		if kind == KindBytes && len(b) >= bigItem {
			// The caller may reuse its slice; the queue copies smaller
			// items into its log, but keeps a big one as it is.
			b = append([]byte(nil), b...)
		}
		return q.b.put(ctx, item{kind: kind, data: b})
	}
	c, err := q.client()
	if err != nil {
		return err
	}
	return c.put(ctx, kind, b)
}

// Get removes the item at the front of the queue and returns its kind and
// bytes, which are the caller's. It blocks while the queue is empty, until
// an item comes, ctx ends (it returns ctx.Err() and has taken nothing) or
// the queue is closed and drained ([ErrClosed]). With a ctx that has
// already ended it does not wait.
func (q *Queue) Get(ctx context.Context) (wire.Kind, []byte, error) {
	if q.b != nil {
		it, err := q.b.get(ctx)
		return it.kind, it.data, err
	}
	c, err := q.client()
	if err != nil {
		return 0, nil, err
	}
	return c.get(ctx)
}

// Empty reports whether the queue looked empty a moment ago, this
// process's own Puts included. It does not block.
func (q *Queue) Empty() bool {
	if q.b != nil {
		return q.b.empty()
	}
	c, err := q.client()
	if err != nil {
		return true
	}
	return c.empty()
}

// TaskDone takes one from the count of unfinished tasks. It returns
// [ErrTaskDone] when the count is zero, and [ErrClosed] after Close. From a
// process other than the creator it waits for the broker's answer.
func (q *Queue) TaskDone() error {
	if q.b != nil {
		return q.b.taskDone()
	}
	c, err := q.client()
	if err != nil {
		return err
	}
	return c.request(context.Background(), opTaskDone)
}

// Join waits until the count of unfinished tasks is zero, or ctx ends (it
// returns ctx.Err()). It returns [ErrClosed] after Close, or when the
// queue's process has gone.
func (q *Queue) Join(ctx context.Context) error {
	if q.b != nil {
		return q.b.join(ctx)
	}
	c, err := q.client()
	if err != nil {
		return err
	}
	return c.request(ctx, opJoin)
}

// Close, in the creator, closes the queue for every process; elsewhere it
// releases this process's connection. It does not wait, is idempotent and
// returns nil.
func (q *Queue) Close() error {
	if q.b != nil {
		q.b.closeQueue()
		return nil
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	c := q.c
	q.mu.Unlock()
	if c != nil {
		c.close()
	}
	return nil
}

// Shutdown, in the creator, closes the queue and waits until it is drained
// and the broker's goroutines have ended; when ctx ends first, it stops the
// broker at once, dropping the items left, and returns ctx.Err().
// Elsewhere it is Close.
func (q *Queue) Shutdown(ctx context.Context) error {
	if q.b == nil {
		return q.Close()
	}
	return q.b.shutdown(ctx)
}
