package mp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/queue"
)

// The kinds of a Conn's frames: a value encoded by the codec, or a []byte
// sent as it is. A queue's items have the same kinds, so that encodeMsg
// and decodeMsg serve both.
const (
	kindMessage = queue.KindMessage
	kindBytes   = queue.KindBytes
)

// A Conn is one end of a [Pipe]: it sends values of type T to the other end
// and receives values from it. Either end may be passed to a child process
// as an argument of a registered function, also inside a struct field; once
// [Process.Start] has returned, the parent may close its own copy.
//
// Send and Recv are each safe for concurrent use; messages are never
// interleaved. A Conn must not be copied.
type Conn[T any] struct {
	id uint64

	mu     sync.Mutex   // guards the fields below
	r, f   *os.File     // the pipe this end reads, and the one it writes
	w      *wire.Writer // on f
	rd     *wire.Reader // on r, made by the first Recv
	closed bool
	broken bool

	sendMu sync.Mutex // serialises Send, so a deadline set for one never cuts another
	recvMu sync.Mutex // serialises Recv and Poll
}

// A message is a frame as Recv decodes it.
type message struct {
	kind wire.Kind
	data []byte
}

// pipeSize is the buffer of a Conn's pipes: large messages cross in fewer
// wake-ups than with the default 64 KiB. Unprivileged programs may ask for
// up to fs.pipe-max-size (1 MiB by default); a refusal leaves the default.
const pipeSize = 1 << 20

// Pipe returns the two ends of a duplex connection that carries values of
// type T, Python's multiprocessing.Pipe. It is two OS pipes, one each way,
// which carry small messages faster than a socket pair does: a message of
// any size up to the codec's limits crosses, and a small one costs one write
// and one read. A []byte goes as it is, without encoding.
func Pipe[T any]() (*Conn[T], *Conn[T], error) {
	ar, bw, err := bigPipe(pipeSize)
	if err != nil {
		return nil, nil, fmt.Errorf("mp: Pipe: %w", err)
	}
	br, aw, err := bigPipe(pipeSize)
	if err != nil {
		ar.Close()
		bw.Close()
		return nil, nil, fmt.Errorf("mp: Pipe: %w", err)
	}
	a := &Conn[T]{id: newHandleID(), r: ar, f: aw, w: wire.NewWriter(aw)}
	b := &Conn[T]{id: newHandleID(), r: br, f: bw, w: wire.NewWriter(bw)}
	return a, b, nil
}

// Send encodes v and sends it to the other end. It blocks while the pipe's
// buffer is full, until the other end receives or ctx ends.
// A value the codec cannot encode is an error before anything is sent. If
// ctx has ended, Send returns ctx.Err() and sends nothing. If ctx ends while
// Send is blocked, the message may be cut off part-way, so Send returns
// ctx.Err() and the connection is broken: later Sends return [ErrConnBroken].
func (c *Conn[T]) Send(ctx context.Context, v T) error {
	kind, b, err := encodeMsg(v)
	if err != nil {
		return fmt.Errorf("mp: Send: %w", err)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.mu.Lock()
	f, w, err := c.f, c.w, c.usable()
	if err == nil && c.broken {
		err = ErrConnBroken
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = bounded(ctx, f.SetWriteDeadline, func() error { return w.WriteFrame(kind, b) })
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		c.mu.Lock()
		c.broken = true
		c.mu.Unlock()
		return ctx.Err()
	}
	return c.ioError("Send", err)
}

// usable says why the Conn cannot be used, if it cannot; the caller holds
// c.mu.
func (c *Conn[T]) usable() error {
	switch {
	case c.closed:
		return ErrClosed
	case c.r == nil:
		return errNotConnected
	}
	return nil
}

var errNotConnected = errors.New("mp: Conn is not connected: make Conns with Pipe")

// bounded runs op, cutting it off through setDeadline when ctx ends, and
// leaves no deadline behind.
func bounded(ctx context.Context, setDeadline func(time.Time) error, op func() error) error {
	if ctx.Done() == nil {
		return op()
	}
	var mu sync.Mutex // orders the deadline against the end of op
	finished := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			setDeadline(time.Unix(1, 0))
		}
	})
	err := op()
	mu.Lock()
	finished = true
	mu.Unlock()
	if !stop() {
		setDeadline(time.Time{})
	}
	return err
}

// Recv waits for the next value from the other end and returns it. After
// the other end has been closed (in every process that held it) and every
// value it sent has been received, Recv returns io.EOF. When ctx ends first,
// Recv returns ctx.Err() and no message is lost: a message it had begun to
// read is finished by the next Recv. A Recv waiting when this end is closed
// returns [ErrClosed].
func (c *Conn[T]) Recv(ctx context.Context) (T, error) {
	var v T
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	m, err := c.next(ctx, nil)
	if err != nil {
		return v, err
	}
	// Not owned: a frame a RecvBytes began may have gone into its buffer.
	v, err = decodeMsg[T](m.kind, m.data, false)
	if err != nil {
		return v, fmt.Errorf("mp: Recv: %w", err)
	}
	return v, nil
}

// RecvBytes receives the next message as the bytes that crossed: for a
// value sent as a []byte, those bytes; for any other, its encoding by the
// codec. It reads into buf when buf's capacity holds the message, so a loop
// that passes back the slice it got receives without allocating; the
// result then shares buf's memory. It waits, and heeds ctx, as Recv does.
// On a Conn[[]byte] it is Recv for programs that move large buffers: it
// spares the allocation, and the page faults, of a new slice per message.
func (c *Conn[T]) RecvBytes(ctx context.Context, buf []byte) ([]byte, error) {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	m, err := c.next(ctx, buf)
	return m.data, err
}

// Poll waits until Recv can return without waiting for data to arrive, and
// reports true; it reports false if ctx ends first. Recv can once some of
// the next message has arrived (all of it, unless it is larger than the
// pipe's buffer and still on its way), or once the other end has been
// closed, when Recv returns io.EOF; or when this end is closed, when Recv
// fails. With a ctx that has already ended, Poll does not wait: Python's
// poll(0).
//
// Poll never takes data out of the pipe: it asks the kernel whether the
// pipe holds some (and looks at what this process's Recv has already read
// ahead). So a message Poll saw is still there for the next Recv in
// whichever process holds this end, and nothing is lost when a process that
// only polled exits. With the end in several processes, another process may
// receive the message between this Poll and a Recv here.
func (c *Conn[T]) Poll(ctx context.Context) bool {
	c.recvMu.Lock()
	defer c.recvMu.Unlock()
	c.mu.Lock()
	r, rd, err := c.r, c.rd, c.usable()
	c.mu.Unlock()
	if err != nil || rd != nil && rd.Buffered() > 0 {
		return true // Recv returns at once: its error, or what it read ahead
	}
	err = waitReadable(ctx, r)
	return err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err())
}

// next reads the next message, into buf if it fits. The caller holds
// recvMu.
func (c *Conn[T]) next(ctx context.Context, buf []byte) (message, error) {
	c.mu.Lock()
	r, rd, err := c.r, c.rd, c.usable()
	if err == nil && rd == nil {
		rd = wire.NewReader(r, 0)
		c.rd = rd
	}
	c.mu.Unlock()
	if err != nil {
		return message{}, err
	}
	if err := ctx.Err(); err != nil {
		return message{}, err
	}
	var m message
	err = bounded(ctx, r.SetReadDeadline, func() (err error) {
		m.kind, m.data, err = rd.ReadFrameInto(buf)
		return err
	})
	switch {
	case err == nil && m.kind != kindMessage && m.kind != kindBytes:
		return message{}, fmt.Errorf("mp: Recv: unexpected frame kind %d: %w", m.kind, wire.ErrCorrupt)
	case err == nil:
		return m, nil
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return message{}, ctx.Err()
	case errors.Is(err, io.EOF):
		return message{}, io.EOF
	}
	return message{}, c.ioError("Recv", err)
}

// ioError reports an I/O failure, as ErrClosed when Close caused it.
func (c *Conn[T]) ioError(op string, err error) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return fmt.Errorf("mp: %s: %w", op, err)
}

// Close closes this process's copy of the end. A Send or Recv waiting on it
// returns [ErrClosed]; the other end sees io.EOF once every process holding
// this end has closed it (or exited). Close is idempotent: later calls
// return nil.
func (c *Conn[T]) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.r == nil {
		c.closed = true
		return nil
	}
	c.closed = true
	return errors.Join(c.r.Close(), c.f.Close())
}

// MarshalBinary encodes the Conn as its id, for the codec; the descriptors
// travel beside the argument that holds it.
func (c *Conn[T]) MarshalBinary() ([]byte, error) {
	return binary.LittleEndian.AppendUint64(nil, c.id), nil
}

// UnmarshalBinary decodes the id written by MarshalBinary; the child binds
// the descriptors before the function runs.
func (c *Conn[T]) UnmarshalBinary(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("mp: a Conn encodes as 8 bytes, got %d", len(b))
	}
	c.id = binary.LittleEndian.Uint64(b)
	return nil
}

func (c *Conn[T]) handleID() uint64 { return c.id }

func (c *Conn[T]) handleFiles() ([]*os.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return nil, fmt.Errorf("mp: this Conn cannot be passed to a process: %w", err)
	}
	if c.rd != nil {
		return nil, errors.New("mp: a Conn that has received in this process cannot be passed to another: what it read ahead would be lost")
	}
	return []*os.File{c.r, c.f}, nil
}

func (c *Conn[T]) bindFiles(files []*os.File) error {
	if len(files) != 2 {
		return fmt.Errorf("mp: a Conn takes 2 descriptors, got %d", len(files))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.r, c.f, c.w = files[0], files[1], wire.NewWriter(files[1])
	return nil
}
