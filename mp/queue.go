package mp

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/queue"
)

// A Queue is a first-in first-out queue of values of type T shared by
// processes, Python's multiprocessing.Queue: any number of processes put and
// get, concurrently and from any number of goroutines each.
//
// # Where it lives
//
// The queue lives in the process that called [NewQueue], its creator, which
// serves the others from goroutines of its own (its broker). A Queue is
// passed to a child process as an argument of a registered function, also
// inside a struct field, like a [Conn]; a child may pass it on to its own
// children. Each process that uses a handle connects to the broker over a
// unix socket with an abstract address (Linux), proving with a secret token
// from the handle, and with its user id, that it may; items then move
// through memory shared with the broker, without a system call per item
// while both sides are busy. Items are copied through the codec (see
// package codec) even within one process: a Get never returns memory that a
// Put's caller still holds. A []byte goes as it is, without encoding, and
// an item of any size the codec allows may go.
//
// # Guarantees
//
// Every item put is returned by exactly one Get, also when processes that
// put or get are killed:
//   - A Put that returned nil has enqueued its item: it is in the queue
//     even if the putting process is killed right after.
//   - A Put that returned an error did not enqueue. A Put cut off by the
//     death of its process enqueued its item wholly or not at all.
//   - An item is taken at one instant inside a Get, an atomic update of
//     memory the broker reads; after it Get only decodes and returns the
//     item. Items the broker sent ahead to a process (see below) and that
//     no Get there took go back to the front of the queue when that process
//     dies or closes its handle, in order.
//   - Items put by one goroutine are got in the order they were put, by a
//     process that is the only one getting.
//
// To save round trips, the broker sends items ahead to a process whose Gets
// keep taking them, up to a few thousand; while no Get runs there, another
// process that waits for an item takes them back.
//
// # Lifetime
//
// Close in the creator closes the queue for every process: Puts, waiting
// or later, fail with [ErrClosed], and Gets return the items that are left
// and then ErrClosed. The broker's goroutines end once the queue is closed
// and drained (for a [JoinableQueue], also every task done), or when
// [Queue.Shutdown] says so. Close in another process releases only its
// connection. A process that exits releases its connection with it. The
// items live in the creator and die with it: if the creator exits, the
// other processes' Puts and Gets fail with an error that matches ErrClosed,
// and the guarantees above hold only while the creator lives.
//
// A Queue is safe for concurrent use. It must not be copied, and its zero
// value is not usable: make one with [NewQueue].
type Queue[T any] struct {
	core queue.Queue // the engine, which moves encoded items
}

// A SimpleQueue is an unbounded [Queue] without the rest of its API,
// Python's multiprocessing.SimpleQueue. It has the same guarantees.
type SimpleQueue[T any] struct {
	q Queue[T]
}

// A JoinableQueue is a [Queue] that counts unfinished tasks, Python's
// multiprocessing.JoinableQueue: each item put adds one, each TaskDone
// takes one away, and Join waits until none is left. The count is kept by
// the broker, so TaskDone and Join work from any process.
type JoinableQueue[T any] struct {
	Queue[T]
}

// NewQueue makes a queue in this process that holds at most capacity items;
// capacity <= 0 means no bound (Python's maxsize=0). It starts nothing until
// the queue is first passed to another process.
func NewQueue[T any](capacity int) (*Queue[T], error) {
	q := new(Queue[T])
	q.core.Init(newHandleID(), capacity, false)
	return q, nil
}

// NewSimpleQueue makes an unbounded queue in this process.
func NewSimpleQueue[T any]() (*SimpleQueue[T], error) {
	q := new(SimpleQueue[T])
	q.q.core.Init(newHandleID(), 0, false)
	return q, nil
}

// NewJoinableQueue makes a joinable queue in this process that holds at
// most capacity items; capacity <= 0 means no bound.
func NewJoinableQueue[T any](capacity int) (*JoinableQueue[T], error) {
	q := new(JoinableQueue[T])
	q.core.Init(newHandleID(), capacity, true)
	return q, nil
}

// Put adds v at the back of the queue. It blocks while a bounded queue is
// full, until a Get makes room, ctx ends or the queue is closed.
//
// v is encoded first: a value the codec cannot encode is an error at once,
// and nothing is enqueued. When ctx ends, Put returns ctx.Err() and has
// enqueued nothing. With a ctx that has already ended Put does not wait
// (Python's put_nowait): it enqueues if there is room now, which in a
// process other than the creator means room the broker has already granted
// to this process (it grants a bounded queue's room in small batches, on
// demand). Once the queue is closed, Put returns [ErrClosed]. A Put that
// returns nil has enqueued v (see the guarantees on [Queue]).
//
// Cost: in a process other than the creator, a Put copies the encoded item
// into memory shared with the broker, and makes a system call only when the
// broker has gone idle; bench/queue_test.go measured one producer process
// streaming to one consumer process at 2.4–2.6M ints/s, and 1.3–2.0M
// 100-byte structs/s, on a shared 2-core machine.
//
// An item of 128 KiB or more, once there is room for it, goes over the
// connection's socket, written from v's memory without a copy, and ctx no
// longer cuts it off: Put returns when the operating system holds all of
// it. An item that encodes to more than [MaxValue] bytes fails at once
// with [ErrTooLarge].
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	kind, b, err := encodeMsg(v)
	if err != nil {
		return fmt.Errorf("mp: Put: %w", err)
	}
	if len(b) > MaxValue {
		return fmt.Errorf("mp: Put: %w: %d bytes encoded, at most %d cross in one message", ErrTooLarge, len(b), MaxValue)
	}
	return q.core.Put(ctx, kind, b)
}

// Get removes the item at the front of the queue and returns it. It blocks
// while the queue is empty, until an item comes, ctx ends or the queue is
// closed and drained.
//
// When ctx ends, Get returns ctx.Err() and has taken nothing: an item on
// its way to this process stays here for the next Get, or goes back to the
// queue (see [Queue]). With a ctx that has already ended Get does not wait
// (Python's get_nowait): it returns an item if one is at hand now, which in
// a process other than the creator means one the broker already sent ahead
// to this process. Once the queue is closed and no item is left, Get returns
// [ErrClosed]. An item that cannot be decoded as a T (which needs a program
// that put something else) is taken and Get returns the error.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	var v T
	kind, b, err := q.core.Get(ctx)
	if err != nil {
		return v, err
	}
	v, err = decodeMsg[T](kind, b, true) // b is a copy made for this Get
	if err != nil {
		return v, fmt.Errorf("mp: Get: %w", err)
	}
	return v, nil
}

// Empty reports whether the queue looked empty a moment ago: like Python's
// empty, the answer may be stale as soon as it is given, since other
// processes put and get meanwhile. A process sees its own Puts: after a Put
// has returned, Empty reports false until a Get takes the item, or the
// queue sends it ahead to another process that gets from it. It does not
// block.
func (q *Queue[T]) Empty() bool { return q.core.Empty() }

// Close, in the process that made the queue, closes the queue for every
// process (see [Queue]): Puts, waiting or later, return [ErrClosed], and Gets
// here and elsewhere return the items left, then ErrClosed. In any other
// process it releases only this process's handle: its Puts and Gets,
// waiting or later, return ErrClosed, and the items the broker had sent
// ahead to it go back to the queue. Close does not wait; it is idempotent,
// and later calls return nil.
func (q *Queue[T]) Close() error { return q.core.Close() }

// Shutdown closes the queue like Close and, in the process that made it,
// waits until the queue is drained and the broker's goroutines have ended.
// When ctx ends first, it stops the broker at once, dropping the items left,
// and returns ctx.Err(). In another process it is Close.
func (q *Queue[T]) Shutdown(ctx context.Context) error { return q.core.Shutdown(ctx) }

// TryPut adds v at the back of the queue if there is room now, without
// waiting: Python's put_nowait. It returns [ErrFull] when there is none, which
// in a process other than the creator means no room the broker has already
// granted to this process (it grants a bounded queue's room in small
// batches, on demand), so TryPut may report full a moment before room
// arrives. It returns [ErrClosed] once the queue is closed.
func (q *Queue[T]) TryPut(v T) error {
	err := q.Put(ended, v)
	if errors.Is(err, context.Canceled) {
		return ErrFull
	}
	return err
}

// TryGet removes and returns the item at the front of the queue if one is at
// hand now, without waiting: Python's get_nowait. It returns [ErrEmpty] when
// none is, which in a process other than the creator means none that the
// broker has already sent ahead to this process, so TryGet may report empty
// a moment before an item arrives. It returns [ErrClosed] once the queue is
// closed and drained.
func (q *Queue[T]) TryGet() (T, error) {
	v, err := q.Get(ended)
	if errors.Is(err, context.Canceled) {
		return v, ErrEmpty
	}
	return v, err
}

// ended is a context that has already ended: a Put or Get given it does not
// wait.
var ended = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// TaskDone tells that the work on an item got from the queue is finished.
// It returns [ErrTaskDone] when called more times than items were put, and
// [ErrClosed] after Close. From a process other than the creator it waits
// for the broker's answer (one round trip).
func (q *JoinableQueue[T]) TaskDone() error { return q.core.TaskDone() }

// Join waits until every item put to the queue has been marked done with
// TaskDone, by any process. When ctx ends first it returns ctx.Err(); it
// returns [ErrClosed] after Close, or when the queue's process has gone.
func (q *JoinableQueue[T]) Join(ctx context.Context) error { return q.core.Join(ctx) }

// Put adds v at the back of the queue; see [Queue.Put]. A SimpleQueue has
// no bound: Put waits only while the broker lags a full shared ring (1 MiB)
// behind this process.
func (q *SimpleQueue[T]) Put(ctx context.Context, v T) error { return q.q.Put(ctx, v) }

// Get removes the item at the front of the queue and returns it; see
// [Queue.Get].
func (q *SimpleQueue[T]) Get(ctx context.Context) (T, error) { return q.q.Get(ctx) }

// Empty reports whether the queue looked empty a moment ago; see
// [Queue.Empty].
func (q *SimpleQueue[T]) Empty() bool { return q.q.Empty() }

// Close releases this process's handle; see [Queue.Close].
func (q *SimpleQueue[T]) Close() error { return q.q.Close() }

// Shutdown closes the queue and waits for its broker; see [Queue.Shutdown].
func (q *SimpleQueue[T]) Shutdown(ctx context.Context) error { return q.q.Shutdown(ctx) }

// MarshalBinary encodes the queue as a handle, for the codec: the broker's
// address and the token that admits a process to it. It starts the broker
// in the creator on first use. It fails for a queue closed in this process.
func (q *Queue[T]) MarshalBinary() ([]byte, error) { return q.core.MarshalBinary() }

// UnmarshalBinary decodes a handle written by MarshalBinary; the process
// connects to the broker at its first use of the queue.
func (q *Queue[T]) UnmarshalBinary(b []byte) error { return q.core.UnmarshalBinary(b) }

// MarshalBinary encodes the queue as a handle; see [Queue.MarshalBinary].
func (q *SimpleQueue[T]) MarshalBinary() ([]byte, error) { return q.q.core.MarshalBinary() }

// UnmarshalBinary decodes a handle; see [Queue.UnmarshalBinary].
func (q *SimpleQueue[T]) UnmarshalBinary(b []byte) error { return q.q.core.UnmarshalBinary(b) }

func (q *Queue[T]) handleID() uint64                 { return q.core.ID() }
func (q *Queue[T]) handleFiles() ([]*os.File, error) { return nil, q.core.Passable() }
func (q *Queue[T]) bindFiles(files []*os.File) error { return bindNone(files) }

func (q *SimpleQueue[T]) handleID() uint64                 { return q.q.core.ID() }
func (q *SimpleQueue[T]) handleFiles() ([]*os.File, error) { return nil, q.q.core.Passable() }
func (q *SimpleQueue[T]) bindFiles(files []*os.File) error { return bindNone(files) }

// bindNone checks that no descriptor came for a queue: a queue is reached
// by its address.
func bindNone(files []*os.File) error {
	if len(files) != 0 {
		for _, f := range files {
			f.Close()
		}
		return fmt.Errorf("mp: a queue takes no descriptors, got %d", len(files))
	}
	return nil
}

// encodeMsg encodes a value to send or put: a []byte as it is, anything
// else with the codec.
func encodeMsg[T any](v T) (wire.Kind, []byte, error) {
	if raw, ok := any(&v).(*[]byte); ok {
		return kindBytes, *raw, nil
	}
	b, err := codec.Encode(codec.Default(), v)
	if err != nil {
		return 0, nil, err
	}
	return kindMessage, b, nil
}

// decodeMsg decodes a message or queue item of the given kind as a T: a
// []byte (or any) item sent as bytes is those bytes, anything else goes
// through the codec. With owned, b is the caller's to give up, and the value
// may point into it.
func decodeMsg[T any](kind wire.Kind, b []byte, owned bool) (v T, err error) {
	if kind == kindBytes {
		switch p := any(&v).(type) {
		case *[]byte:
			*p = b
			return v, nil
		case *any:
			*p = b
			return v, nil
		}
	}
	if owned {
		return codec.DecodeOwned[T](codec.Default(), b)
	}
	return codec.Decode[T](codec.Default(), b)
}
