package queue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/shm"
)

// A client is a process's connection to a queue's broker in another
// process. Its reader goroutine ends when the connection does; close ends
// it and waits for it.
type client struct {
	nc       *os.File     // the connection's socket, pollable
	w        *wire.Writer // on nc; safe for concurrent use
	capacity int

	// memMu keeps the shared memory mapped while an operation touches it:
	// operations hold it for reading (never while they wait), close for
	// writing, to unmap it.
	memMu    sync.RWMutex
	mem      []byte
	ctl      *shmCtl
	up, down ring
	putMu    sync.Mutex // serialises writers of the up ring
	getMu    sync.Mutex // serialises takers of the down ring, and guards downHead
	downHead uint64     // the down ring's head when take last loaded it

	mu      sync.Mutex // guards the fields below
	changed chan struct{}
	err     error           // why the connection ended; set once
	bigs    map[uint64]item // big items come over the socket, by id
	pending map[uint64]chan byte
	nextReq uint64

	done chan struct{} // closed when the reader goroutine has ended
}

// dial connects to the broker at addr, admitted by token, speaking the
// given version of the protocol (Version but in tests), and starts the
// connection's reader.
func dial(addr string, token []byte, capacity int, version byte) (*client, error) {
	nc, err := queueDial(addr)
	if err != nil {
		// The broker stops listening once the queue is closed and drained.
		return nil, fmt.Errorf("mp: connect to the queue: %w: %w", ErrClosed, err)
	}
	f, mem, err := shm.Create("multitask-queue", shmSize)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("mp: queue: %w", err)
	}
	var hello bytesBuffer
	wire.WriteHello(&hello, append([]byte{version}, token...))
	err = sendFile(nc, hello, f)
	f.Close()
	if err != nil {
		nc.Close()
		shm.Unmap(mem)
		return nil, fmt.Errorf("mp: connect to the queue: %w", err)
	}
	nc.SetReadDeadline(time.Now().Add(handshakeTimeout))
	rd := wire.NewReader(nc, 0)
	kind, p, err := rd.ReadFrame()
	if err == nil && kind == qRefused && len(p) == 1 {
		nc.Close()
		shm.Unmap(mem)
		return nil, fmt.Errorf("mp: connect to the queue: its process speaks protocol version %d, this one %d: %w", p[0], version, ErrVersion)
	}
	if err == nil && kind != qWelcome {
		err = fmt.Errorf("unexpected frame of kind %d", kind)
	}
	if err != nil {
		nc.Close()
		shm.Unmap(mem)
		// The broker closes a connection it does not admit: it is
		// stopping (the queue is closed and drained), or the handle is
		// not one of its own.
		return nil, fmt.Errorf("mp: connect to the queue: not admitted: %w: %w", ErrClosed, err)
	}
	nc.SetReadDeadline(time.Time{})
	c := &client{
		nc:       nc,
		w:        wire.NewWriter(nc),
		capacity: capacity,
		mem:      mem,
		changed:  make(chan struct{}),
		bigs:     make(map[uint64]item),
		pending:  make(map[uint64]chan byte),
		done:     make(chan struct{}),
	}
	c.ctl, c.up, c.down = shmLayout(mem)
	go c.read(rd)
	return c, nil
}

// bytesBuffer is an io.Writer into a byte slice.
type bytesBuffer []byte

func (b *bytesBuffer) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// read handles the broker's frames until the connection ends.
func (c *client) read(rd *wire.Reader) {
	defer close(c.done)
	for {
		kind, p, err := rd.ReadFrame()
		if err != nil {
			c.fail(errGone)
			return
		}
		c.mu.Lock()
		switch kind {
		case qBell:
		case qBigDown:
			if len(p) >= 9 {
				c.bigs[binary.LittleEndian.Uint64(p)] = item{kind: wire.Kind(p[8]), data: p[9:]}
			}
		case qForget:
			for ; len(p) >= 8; p = p[8:] {
				delete(c.bigs, binary.LittleEndian.Uint64(p))
			}
		case qReply:
			if len(p) == 9 {
				id := binary.LittleEndian.Uint64(p)
				if ch, ok := c.pending[id]; ok {
					ch <- p[8]
					delete(c.pending, id)
				}
			}
		}
		c.notifyLocked()
		c.mu.Unlock()
	}
}

// fail records why the connection ended, once, and wakes every waiter.
func (c *client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for id, ch := range c.pending {
		ch <- stClosedReply
		delete(c.pending, id)
	}
	c.notifyLocked()
}

func (c *client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// snapshot returns the channel that the next change closes, and the error
// that ended the connection, if it has ended.
func (c *client) snapshot() (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed, c.err
}

// ring tells the broker to look at the shared memory.
func (c *client) ring() {
	_ = c.w.WriteFrame(qRing, nil) // fails only when the connection has ended, which the reader reports
}

// ringIfAsleep rings the broker if it has stopped looking by itself.
func (c *client) ringIfAsleep() {
	if c.ctl.brokerAsleep.Load() == 1 && c.ctl.brokerAsleep.CompareAndSwap(1, 0) {
		c.ring()
	}
}

// lockMem holds the shared memory mapped; it fails once close has unmapped it.
func (c *client) lockMem() error {
	c.memMu.RLock()
	if c.mem == nil {
		c.memMu.RUnlock()
		return ErrClosed
	}
	return nil
}

// ended turns the end of the connection into the error to return: ErrClosed
// when the queue was closed and drained, errGone otherwise.
func (c *client) ended(err error) error {
	if err == ErrClosed {
		return err
	}
	if errors.Is(err, errGone) && c.lockMem() == nil {
		st := c.ctl.state.Load()
		c.memMu.RUnlock()
		if st&stExhausted != 0 {
			return ErrClosed
		}
	}
	return err
}

// wait waits for a change or the end of ctx; with flags set first so that
// the broker bells.
func (c *client) wait(ctx context.Context, ch <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *client) put(ctx context.Context, kind wire.Kind, b []byte) error {
	big := len(b) >= bigItem
	for {
		ch, err := c.snapshot()
		if err != nil {
			return c.ended(err)
		}
		if err := c.lockMem(); err != nil {
			return err
		}
		written, closed, id := c.tryPut(kind, b, big)
		retry := false
		if !written && !closed {
			// Ask for credits or room, then look again before waiting:
			// the broker bells only those that set clientAsleep, and only
			// for changes after that.
			c.ctl.clientAsleep.Store(1)
			c.ctl.wantCredits.Store(1)
			retry = c.ctl.state.Load()&stClosed != 0 || (c.capacity > 0 && c.ctl.credits.Load() > 0)
		}
		c.memMu.RUnlock()
		switch {
		case closed:
			return ErrClosed
		case written && big:
			head := append(binary.LittleEndian.AppendUint64(make([]byte, 0, 9), id), byte(kind))
			if err := c.w.WriteFrameParts(qBig, head, b); err != nil {
				return fmt.Errorf("mp: Put: %w", err)
			}
			return nil
		case written:
			return nil
		}
		c.ring()
		if retry {
			continue
		}
		if err := c.wait(ctx, ch); err != nil {
			return err
		}
	}
}

// tryPut publishes an item, or the marker of a big one, if the queue is
// open, a credit is at hand (bounded queue) and the up ring has room. For
// a big item it returns the marker's id. The caller holds memMu for
// reading.
func (c *client) tryPut(kind wire.Kind, b []byte, big bool) (written, closed bool, id uint64) {
	ctl := c.ctl
	ctl.putting.Add(1)
	defer func() {
		ctl.putting.Add(-1)
		c.ringIfAsleep() // also after a refusal: the broker may wait for putting to fall
	}()
	if ctl.state.Load()&stClosed != 0 {
		return false, true, 0
	}
	if c.capacity > 0 && !c.takeCredit() {
		return false, false, 0
	}
	rk, rec := kind, b
	if big {
		rk = recBig
		id = rand.Uint64() | 1
		rec = binary.LittleEndian.AppendUint64(nil, id)
	}
	c.putMu.Lock()
	written = c.up.put(rk, rec)
	c.putMu.Unlock()
	if !written && c.capacity > 0 {
		ctl.credits.Add(1)
	}
	return written, false, id
}

// takeCredit takes one of the credits the broker granted, if there is one.
func (c *client) takeCredit() bool {
	for {
		n := c.ctl.credits.Load()
		if n <= 0 {
			return false
		}
		if c.ctl.credits.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (c *client) get(ctx context.Context) (wire.Kind, []byte, error) {
	if err := c.lockMem(); err != nil {
		return 0, nil, err
	}
	ctl := c.ctl
	// The common case, an item at hand while the broker keeps sending, needs
	// no write to memory the broker reads but the take itself.
	if ctl.want.Load() == 1 {
		if it, took, _ := c.take(); took {
			c.tookFromRing()
			return it.kind, it.data, nil
		}
	}
	ctl.inGet.Add(1)
	wanted := ctl.want.Load() == 0
	if wanted {
		ctl.want.Store(1)
	}
	c.memMu.RUnlock()
	defer c.leaveGet()
	if wanted {
		c.ring() // the broker may have stopped sending ahead: this process gets again
	}
	for {
		ch, err := c.snapshot()
		if err != nil {
			return 0, nil, c.ended(err)
		}
		if err := c.lockMem(); err != nil {
			return 0, nil, err
		}
		it, took, waitBig := c.take()
		if took {
			c.tookFromRing()
			return it.kind, it.data, nil
		}
		if !waitBig {
			if ctl.state.Load()&stExhausted != 0 {
				c.memMu.RUnlock()
				return 0, nil, ErrClosed
			}
			ctl.clientAsleep.Store(1)
			ctl.want.Store(1)
			if ctl.downHead.Load() != ctl.downTail.Load() || ctl.state.Load()&stExhausted != 0 {
				c.memMu.RUnlock()
				continue // something changed before the broker could see the flag
			}
		}
		c.memMu.RUnlock()
		if !waitBig {
			c.ring()
		}
		if err := c.wait(ctx, ch); err != nil {
			return 0, nil, err
		}
	}
}

// tookFromRing ends a Get that took an item: it rings the broker if a Put
// waits for the room the take made. The caller holds memMu for reading,
// which it releases.
func (c *client) tookFromRing() {
	tell := c.ctl.tellTakes.Load() == 1 && c.ctl.tellTakes.CompareAndSwap(1, 0)
	c.memMu.RUnlock()
	if tell {
		c.ring()
	}
}

// leaveGet ends a Get: if the broker asked, it hears that this process
// holds items and no Get runs, so that it may take them back.
func (c *client) leaveGet() {
	if c.lockMem() != nil {
		return
	}
	ctl := c.ctl
	ctl.inGet.Add(-1)
	ring := ctl.tellIdle.Load() == 1 && ctl.downHead.Load() != ctl.downTail.Load() && ctl.tellIdle.CompareAndSwap(1, 0)
	c.memMu.RUnlock()
	if ring {
		c.ring()
	}
}

// take takes the item at the front of the down ring, if there is one. It
// reports waitBig when that item is a big one whose bytes have not yet
// come. The caller holds memMu for reading.
func (c *client) take() (it item, took, waitBig bool) {
	c.getMu.Lock()
	defer c.getMu.Unlock()
	for {
		t, h := c.ctl.downTail.Load(), c.downHead
		if t >= h {
			// Load the head only when the records seen are used up: it
			// sits on a cache line the broker writes.
			h = c.ctl.downHead.Load()
			c.downHead = h
			if t == h {
				return item{}, false, false
			}
		}
		kind, p, next, ok := c.down.record(t, h)
		if !ok || c.ctl.downTail.Load() != t {
			continue // the broker took the items back meanwhile
		}
		var id uint64
		if kind == recBig {
			if len(p) != 8 {
				continue
			}
			id = binary.LittleEndian.Uint64(p)
			c.mu.Lock()
			big, ok := c.bigs[id]
			c.mu.Unlock()
			if !ok {
				return item{}, false, true
			}
			kind, p = big.kind, big.data
		}
		if !c.ctl.downTail.CompareAndSwap(t, next) {
			continue
		}
		if id != 0 {
			c.mu.Lock()
			delete(c.bigs, id)
			c.mu.Unlock()
		}
		return item{kind: kind, data: p}, true, false
	}
}

// empty reports whether the queue looks empty from this process: nothing
// in its up ring (its own Puts, not yet moved to the queue), in the queue,
// or in its down ring. It loads in the order opposite to the broker's
// stores, so that an item this process put is seen in one of the three
// while it moves from the up ring to the queue and on to the down ring:
// the broker counts the items it takes from the up ring in size before it
// moves upTail, and moves items to the down ring before it counts them out
// of size.
func (c *client) empty() bool {
	if c.lockMem() != nil {
		return true
	}
	defer c.memMu.RUnlock()
	ctl := c.ctl
	return ctl.upTail.Load() == ctl.upHead.Load() && ctl.size.Load() == 0 && ctl.downHead.Load() == ctl.downTail.Load()
}

// request sends a TaskDone or a Join and waits for the broker's answer.
func (c *client) request(ctx context.Context, op byte) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return c.ended(err)
	}
	c.nextReq++
	id := c.nextReq
	reply := make(chan byte, 1)
	c.pending[id] = reply
	c.mu.Unlock()
	p := binary.LittleEndian.AppendUint64(nil, id)
	if err := c.w.WriteFrame(qReq, append(p, op)); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return c.ended(errGone)
	}
	select {
	case st := <-reply:
		switch st {
		case stOK:
			return nil
		case stTaskDone:
			return ErrTaskDone
		}
		_, err := c.snapshot()
		return c.ended(err)
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// close ends the connection: the broker keeps what this process put and
// takes back what it sent ahead. It waits for the reader goroutine.
func (c *client) close() {
	c.fail(ErrClosed)
	c.nc.Close()
	<-c.done
	c.memMu.Lock()
	if c.mem != nil {
		shm.Unmap(c.mem)
		c.mem, c.ctl = nil, nil
	}
	c.memMu.Unlock()
}
