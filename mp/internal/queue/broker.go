package queue

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/shm"
)

// Version is the version of the queue protocol: the frames below, the
// layout of the shared memory and the meaning of its fields. A client
// sends it first in its hello's token; a broker that speaks another
// version answers with qRefused and its own, and the client fails with
// [ErrVersion]. Change it with any of them.
const Version = 1

// The frames of a queue connection's socket. The items themselves move
// through the shared rings, except big ones.
const (
	qRing    wire.Kind = 1 + iota // client → broker: look at my shared memory
	qBig                          // client → broker: id, kind, bytes of an item whose marker is (or will be) in the up ring
	qReq                          // client → broker: id, op
	qWelcome                      // broker → client: admitted
	qBell                         // broker → client: look at the shared memory
	qBigDown                      // broker → client: id, kind, bytes of an item whose marker is (or will be) in the down ring
	qForget                       // broker → client: ids of big items taken back
	qReply                        // broker → client: id, status
	qRefused                      // broker → client: the version it speaks, which is not the client's; then it closes
)

// Requests and the statuses of their replies.
const (
	opTaskDone byte = 1 + iota
	opJoin
)

const (
	stOK byte = iota
	stTaskDone
	stClosedReply
)

const (
	// pollInterval is how often a broker busy with a connection looks at
	// its up ring without being rung; idlePolls empty looks in a row send
	// it to sleep until the client rings. While a producer is busy, its
	// Puts thus need no system call at all.
	pollInterval = 50 * time.Microsecond
	idlePolls    = 40
	// prefetch is the most items sent ahead to one process: enough for a
	// few milliseconds of small items, so that a consumer that shares its
	// cores with the producer and the broker does not run dry while the
	// broker waits for a core (512 left it idle a tenth of the time).
	prefetch = 4096
	// handshakeTimeout bounds a client's connect and handshake.
	handshakeTimeout = 10 * time.Second
	// admitTimeout bounds the broker's side of a handshake, from accept:
	// a client sends its hello as soon as it has connected.
	admitTimeout = 2 * time.Second
	// maxAdmitting is the most connections in their handshake at once.
	// More wait in the listener's backlog, where they hold none of this
	// process's descriptors, so that a flood of idle connections cannot
	// take them all.
	maxAdmitting = 64
	// minAcceptPause and maxAcceptPause bound the pause after a failed
	// accept; it doubles from the one to the other while accept fails.
	minAcceptPause = 5 * time.Millisecond
	maxAcceptPause = time.Second
)

// An item is an encoded value: its kind and its bytes.
type item struct {
	kind wire.Kind
	data []byte
}

// A broker is a queue in the process that made it: the items, and the
// server through which other processes reach them.
type broker struct {
	capacity int
	joinable bool
	token    []byte

	mu         sync.Mutex // guards the fields below, the fields of every bconn marked so, and the broker's side of their shared memory
	items      itemLog
	closed     bool
	exhausted  bool // closed and nothing left for a Get
	unfinished int  // items put and not yet marked done
	reserved   int  // credits granted to clients and not yet back as items
	inflight   int  // items in the down rings, not yet taken
	conns      []*bconn
	joins      []joinWait
	waiters    int           // local goroutines waiting on changed
	getters    int           // of them, Gets
	changed    chan struct{} // closed and replaced on a change while waiters > 0
	nextBig    uint64
	addr       string
	ln         *os.File          // the listening socket
	raw        map[*os.File]bool // every accepted connection, to close at stop
	stopped    bool

	stop     chan struct{} // closed, once, to end the server
	stopOnce sync.Once
	done     chan struct{} // closed when the server's goroutines have ended
	wg       sync.WaitGroup
}

// A joinWait is a Join of another process, answered when no task is left.
type joinWait struct {
	c  *bconn
	id uint64
}

func newBroker(capacity int, joinable bool, token []byte) *broker {
	return &broker{
		capacity: capacity,
		joinable: joinable,
		token:    token,
		changed:  make(chan struct{}),
		raw:      make(map[*os.File]bool),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// serve starts the server, once, and returns its address.
func (b *broker) serve() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return "", fmt.Errorf("mp: a closed queue cannot be passed to a process: %w", ErrClosed)
	case b.ln != nil:
		return b.addr, nil
	}
	ln, addr, err := queueListen()
	if err != nil {
		return "", fmt.Errorf("mp: queue: listen: %w", err)
	}
	b.ln, b.addr = ln, addr
	b.wg.Add(1)
	go b.accept(ln)
	go b.supervise(ln)
	return addr, nil
}

// supervise ends the server when stop is closed: it closes the listener,
// has every connection send what it still has to say (the answer to a last
// TaskDone, the bell that tells a Get the queue is drained) and close, waits
// for their goroutines, and closes done.
func (b *broker) supervise(ln *os.File) {
	<-b.stop
	ln.Close()
	b.mu.Lock()
	admitted := make(map[*os.File]bool)
	for _, c := range b.conns {
		admitted[c.nc] = true
		close(c.stopping)
	}
	for nc := range b.raw {
		if !admitted[nc] {
			nc.Close() // still in its handshake
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
	close(b.done)
}

// stopServer ends the server (at once; the caller has settled the items).
// The caller holds b.mu.
func (b *broker) stopServer() {
	b.stopped = true
	b.stopOnce.Do(func() {
		close(b.stop)
		if b.ln == nil {
			close(b.done) // never served: no goroutine to wait for
		}
	})
}

// accept accepts connections until the server stops, with at most
// maxAdmitting of them in their handshake at once. Only the server's stop
// ends it: accept fails for a moment when this process runs out of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) or a connection
// is reset in the backlog (ECONNABORTED), and a broker that took such a
// failure for its end would leave its queue unreachable for good. So it
// pauses, a little longer after each failure in a row, and tries again.
func (b *broker) accept(ln *os.File) {
	defer b.wg.Done()
	admitting := make(chan struct{}, maxAdmitting)
	var pause time.Duration
	for {
		select {
		case admitting <- struct{}{}:
		case <-b.stop:
			return
		}
		nc, err := queueAccept(ln)
		if errors.Is(err, os.ErrClosed) {
			return // closed by supervise
		}
		if err != nil {
			<-admitting
			pause = min(max(2*pause, minAcceptPause), maxAcceptPause)
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-b.stop:
				t.Stop()
				return
			}
			continue
		}
		pause = 0
		b.mu.Lock()
		if b.stopped {
			b.mu.Unlock()
			nc.Close()
			<-admitting
			continue
		}
		b.raw[nc] = true
		b.wg.Add(1)
		b.mu.Unlock()
		go b.conn(nc, func() { <-admitting })
	}
}

// A bconn is the broker's side of a connection with a client process.
type bconn struct {
	nc       *os.File // the connection's socket, pollable
	mem      []byte
	ctl      *shmCtl
	up, down ring

	// Guarded by broker.mu.
	gone     bool
	bigs     map[uint64]item // big items come over the socket, waiting for their marker
	flight   []flight        // records in the down ring not yet taken, oldest first
	lastTail uint64          // the down ring's tail at the last dispatch: the client's progress

	omu      sync.Mutex // guards out
	out      []outFrame
	kick     chan struct{} // capacity 1: out has frames
	quit     chan struct{} // closed when the connection ends
	stopping chan struct{} // closed when the server stops: send what is left and close
}

// A flight is an item in a client's down ring: where its record ends, and
// for a big item its id and the item itself (to put back if the client
// does not take it; the others are read back from the ring).
type flight struct {
	end uint64
	it  item
	big uint64
}

type outFrame struct {
	kind wire.Kind
	data []byte
	tail []byte // a big item's bytes, which follow data, written from the item's memory
}

// send queues a frame for the connection's writer; it does no I/O.
func (c *bconn) send(kind wire.Kind, data []byte) { c.sendFrame(outFrame{kind: kind, data: data}) }

// sendFrame queues f for the connection's writer; it does no I/O.
func (c *bconn) sendFrame(f outFrame) {
	c.omu.Lock()
	c.out = append(c.out, f)
	c.omu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// bell wakes the client's waiting goroutines, if any waits.
func (c *bconn) bell() {
	if c.ctl.clientAsleep.Load() == 1 && c.ctl.clientAsleep.CompareAndSwap(1, 0) {
		c.send(qBell, nil)
	}
}

// conn serves one connection: the handshake, after which it calls
// admitted, then its frames and its up ring, until it ends.
func (b *broker) conn(nc *os.File, admitted func()) {
	defer b.wg.Done()
	defer func() {
		b.mu.Lock()
		delete(b.raw, nc)
		b.mu.Unlock()
		nc.Close()
	}()
	c, err := b.admit(nc)
	admitted()
	if err != nil {
		return // a stranger, or a client that went away: nothing to tell
	}
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		c.write()
	}()
	b.read(c)
	nc.Close()
	close(c.quit)
	<-wdone
	b.mu.Lock()
	b.detach(c)
	b.mu.Unlock()
}

// admit checks a new connection's peer and token, maps its shared memory
// and adds it.
func (b *broker) admit(nc *os.File) (*bconn, error) {
	nc.SetDeadline(time.Now().Add(admitTimeout))
	if uid, err := peerUID(nc); err != nil || uid != uint32(os.Getuid()) {
		return nil, errors.New("peer of another user")
	}
	hello, f, err := recvFile(nc, helloSize)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	token, err := wire.ReadHello(bytes.NewReader(hello), 1+tokenSize)
	if err != nil || len(token) != 1+tokenSize {
		return nil, errors.New("bad hello")
	}
	if token[0] != Version {
		_ = wire.NewWriter(nc).WriteFrame(qRefused, []byte{Version}) // the client's error says why; if it went away, nothing is lost
		return nil, fmt.Errorf("client of protocol version %d", token[0])
	}
	if subtle.ConstantTimeCompare(token[1:], b.token) != 1 {
		return nil, errors.New("bad token")
	}
	mem, err := shm.Map(f, shmSize)
	if err != nil {
		return nil, err
	}
	c := &bconn{
		nc:       nc,
		mem:      mem,
		bigs:     make(map[uint64]item),
		kick:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		stopping: make(chan struct{}),
	}
	c.ctl, c.up, c.down = shmLayout(mem)
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		shm.Unmap(mem)
		return nil, ErrClosed
	}
	var st uint32
	if b.closed {
		st |= stClosed
	}
	if b.exhausted {
		st |= stExhausted
	}
	c.ctl.state.Store(st)
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	if err := wire.NewWriter(nc).WriteFrame(qWelcome, nil); err != nil {
		b.mu.Lock()
		b.detach(c)
		b.mu.Unlock()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return c, nil
}

// helloSize is the length of a client's hello: its token is the
// protocol version and the secret.
const helloSize = 4 + 1 + 4 + 1 + tokenSize

// write sends the frames queued for the connection until it ends; when the
// server stops, it sends those left (for at most stopFlush) and closes the
// connection.
func (c *bconn) write() {
	w := wire.NewWriter(c.nc)
	stopping := false
	for !stopping {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		case <-c.stopping:
			stopping = true
			c.nc.SetWriteDeadline(time.Now().Add(stopFlush))
		}
		c.omu.Lock()
		out := c.out
		c.out = nil
		c.omu.Unlock()
		for _, f := range out {
			var err error
			if f.tail != nil {
				err = w.WriteFrameParts(f.kind, f.data, f.tail)
			} else {
				err = w.WriteFrame(f.kind, f.data)
			}
			if err != nil {
				c.nc.Close() // ends read, which ends the connection
				return
			}
		}
	}
	c.nc.Close()
}

// stopFlush bounds the time a stopping server spends sending a client the
// frames left for it.
const stopFlush = time.Second

// read reads the connection's frames and watches its up ring: every
// pollInterval while the client is busy, on its ring once it is idle.
func (b *broker) read(c *bconn) {
	rd := wire.NewReader(c.nc, 0)
	polling, idle := true, 0
	for {
		if polling {
			c.nc.SetReadDeadline(time.Now().Add(pollInterval))
		}
		kind, p, err := rd.ReadFrame()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if b.pump(c) {
				idle = 0
				continue
			}
			if idle++; idle >= idlePolls {
				c.ctl.brokerAsleep.Store(1)
				if b.pump(c) {
					c.ctl.brokerAsleep.Store(0)
					idle = 0
					continue
				}
				polling = false
				c.nc.SetReadDeadline(time.Time{})
			}
			continue
		}
		if err != nil {
			return
		}
		switch kind {
		case qRing:
			polling, idle = true, 0
			c.ctl.brokerAsleep.Store(0)
			b.pump(c)
		case qBig:
			if len(p) < 9 {
				return
			}
			b.mu.Lock()
			c.bigs[binary.LittleEndian.Uint64(p)] = item{kind: wire.Kind(p[8]), data: p[9:]}
			b.settle()
			b.mu.Unlock()
		case qReq:
			if len(p) != 9 {
				return
			}
			b.request(c, binary.LittleEndian.Uint64(p), p[8])
		default:
			return // not a client of this build: drop it
		}
	}
}

// pump takes what c's up ring holds and settles; it reports whether the
// ring held anything.
func (b *broker) pump(c *bconn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.gone {
		return false
	}
	before := c.ctl.upTail.Load()
	b.settle()
	return c.ctl.upTail.Load() != before
}

// request answers a TaskDone or Join of another process.
func (b *broker) request(c *bconn, id uint64, op byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	reply := func(st byte) {
		p := binary.LittleEndian.AppendUint64(nil, id)
		c.send(qReply, append(p, st))
	}
	switch op {
	case opTaskDone:
		if b.unfinished == 0 {
			reply(stTaskDone)
			return
		}
		b.unfinished--
		reply(stOK)
	case opJoin:
		b.joins = append(b.joins, joinWait{c, id})
	default:
		c.nc.Close()
		return
	}
	b.settle()
}

// drainUp moves the items published in c's up ring to the queue, and
// returns how many. A marker whose item has not yet come over the socket
// stops it. The caller holds b.mu.
func (b *broker) drainUp(c *bconn) int {
	if c.gone {
		return 0
	}
	n := 0
	t := c.ctl.upTail.Load()
	defer func() {
		if n > 0 {
			// c learns that its items left its ring only once its size
			// counts them: a process sees its own Puts (Empty).
			c.ctl.size.Store(int64(b.items.len()))
			c.ctl.upTail.Store(t)
		}
	}()
	for {
		h := c.ctl.upHead.Load()
		if t == h {
			return n
		}
		kind, size, ok := c.up.header(t, h)
		if !ok || h-t > ringSize {
			c.nc.Close() // a client that writes garbage loses its connection
			return n
		}
		switch kind {
		case KindMessage, KindBytes:
			c.up.copyOut(t+recHeader, b.items.reserveBack(kind, size))
		case recBig:
			var id [8]byte
			if size != len(id) {
				c.nc.Close()
				return n
			}
			c.up.copyOut(t+recHeader, id[:])
			big, ok := c.bigs[binary.LittleEndian.Uint64(id[:])]
			if !ok {
				return n // its bytes are on the way
			}
			delete(c.bigs, binary.LittleEndian.Uint64(id[:]))
			b.items.pushBack(big)
		default:
			c.nc.Close()
			return n
		}
		t += recHeader + uint64(size)
		b.unfinished++
		if b.capacity > 0 && b.reserved > 0 {
			b.reserved--
		}
		n++
	}
}

// acks forgets the items c took from its down ring. The caller holds b.mu.
func (b *broker) acks(c *bconn) { b.acksUpTo(c, c.ctl.downTail.Load()) }

// acksUpTo forgets the items whose records end by t. The caller holds b.mu.
func (b *broker) acksUpTo(c *bconn, t uint64) {
	i := 0
	for i < len(c.flight) && c.flight[i].end <= t {
		i++
	}
	if i > 0 {
		clear(c.flight[:i])
		c.flight = c.flight[i:]
		b.inflight -= i
	}
}

// takeBack steals back the items in c's down ring that c has not taken,
// and puts them back at the front of the queue in order. The caller holds
// b.mu.
func (b *broker) takeBack(c *bconn) {
	var t uint64
	for {
		h := c.ctl.downHead.Load()
		t = c.ctl.downTail.Load()
		if t == h || c.ctl.downTail.CompareAndSwap(t, h) {
			break
		}
	}
	b.acksUpTo(c, t) // what c took before the steal
	// The records from t on are intact: only the broker writes the ring,
	// and it has not since the steal.
	var forget []byte
	back := make([]item, len(c.flight))
	start := t
	for i, f := range c.flight {
		if f.big != 0 {
			back[i] = f.it
			forget = binary.LittleEndian.AppendUint64(forget, f.big)
		} else {
			kind, p, next, ok := c.down.record(start, f.end)
			if !ok || next != f.end {
				panic("mp: queue: a down ring does not hold the records sent")
			}
			back[i] = item{kind: kind, data: p}
		}
		start = f.end
	}
	for i := len(back) - 1; i >= 0; i-- {
		b.items.pushFront(back[i])
	}
	b.inflight -= len(c.flight)
	c.flight = nil
	c.ctl.want.Store(0)
	if len(forget) > 0 && !c.gone {
		c.send(qForget, forget)
	}
}

// detach removes an ended connection: what it published is kept, what was
// sent ahead to it goes back, its credits return. The caller holds b.mu.
func (b *broker) detach(c *bconn) {
	if c.gone {
		return
	}
	b.drainUp(c)
	b.takeBack(c)
	b.reserved -= int(max(c.ctl.credits.Swap(0), 0))
	b.reserved = max(b.reserved, 0)
	c.gone = true
	for i, x := range b.conns {
		if x == c {
			b.conns = append(b.conns[:i], b.conns[i+1:]...)
			break
		}
	}
	joins := b.joins[:0]
	for _, j := range b.joins {
		if j.c != c {
			joins = append(joins, j)
		}
	}
	b.joins = joins
	shm.Unmap(c.mem)
	c.mem, c.ctl = nil, nil
	b.settle()
}

// count is how many items the queue holds against its capacity: queued,
// sent ahead and not taken, and promised to Puts of other processes. The
// caller holds b.mu and has called acks.
func (b *broker) count() int { return b.items.len() + b.inflight + b.reserved }

// reclaim takes back the credits of connections that are not putting. The
// caller holds b.mu.
func (b *broker) reclaim() {
	for _, c := range b.conns {
		if c.ctl.putting.Load() == 0 && c.ctl.wantCredits.Load() == 0 && c.ctl.credits.Load() > 0 {
			b.reserved -= int(max(c.ctl.credits.Swap(0), 0))
		}
	}
	b.reserved = max(b.reserved, 0)
}

// roomWanted asks the clients holding items sent ahead to ring when they
// take one: a Put waits for room. The caller holds b.mu.
func (b *broker) roomWanted() {
	for _, c := range b.conns {
		if len(c.flight) > 0 {
			c.ctl.tellTakes.Store(1)
		}
	}
}

// settle brings everything up to date after a change: takes in what the up
// rings hold, notes what clients took, sends items ahead to the clients
// that want them, grants credits, answers Joins, closes the queue for good
// when it is drained and wakes the local waiters. The caller holds b.mu.
func (b *broker) settle() {
	for _, c := range b.conns {
		b.acks(c)
	}
	for _, c := range b.conns {
		b.drainUp(c)
	}
	if b.items.len() == 0 && b.hungry() {
		for _, c := range b.conns {
			if len(c.flight) == 0 {
				continue
			}
			if c.ctl.inGet.Load() == 0 {
				b.takeBack(c)
			} else {
				c.ctl.tellIdle.Store(1)
			}
		}
	}
	b.dispatch()
	b.grant()
	if b.closed && !b.exhausted && b.drained() {
		b.exhausted = true
		for _, c := range b.conns {
			c.ctl.state.Store(stClosed | stExhausted)
			c.bell()
		}
	}
	if len(b.joins) > 0 && b.tasksDone() {
		for _, j := range b.joins {
			j.c.send(qReply, append(binary.LittleEndian.AppendUint64(nil, j.id), stOK))
		}
		b.joins = nil
	}
	if b.exhausted && !b.stopped && (!b.joinable || b.unfinished == 0) {
		b.stopServer()
	}
	size := int64(b.items.len())
	for _, c := range b.conns {
		c.ctl.size.Store(size)
	}
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// hungry reports whether a Get waits: here, or in a client with nothing
// in its down ring. The caller holds b.mu.
func (b *broker) hungry() bool {
	if b.getters > 0 {
		return true
	}
	for _, c := range b.conns {
		if c.ctl.want.Load() == 1 && len(c.flight) == 0 {
			return true
		}
	}
	return false
}

// drained reports whether no item is left anywhere and none can come: the
// caller has checked that the queue is closed, and holds b.mu.
func (b *broker) drained() bool {
	if b.items.len() > 0 || b.inflight > 0 {
		return false
	}
	for _, c := range b.conns {
		if c.ctl.putting.Load() != 0 || c.ctl.upHead.Load() != c.ctl.upTail.Load() {
			return false
		}
	}
	return true
}

// tasksDone reports whether every item put has been marked done. The
// caller holds b.mu and has drained the up rings.
func (b *broker) tasksDone() bool {
	if b.unfinished > 0 {
		return false
	}
	for _, c := range b.conns {
		if c.ctl.upHead.Load() != c.ctl.upTail.Load() {
			return false
		}
	}
	return true
}

// dispatch sends items ahead to the clients that keep taking them, sharing
// what is queued among them. A client that has not got for a while, and
// holds items, is no longer sent any. The caller holds b.mu.
func (b *broker) dispatch() {
	var wanting []*bconn
	for _, c := range b.conns {
		tail := c.ctl.downTail.Load()
		if c.ctl.want.Load() == 1 && tail == c.lastTail && c.ctl.inGet.Load() == 0 && len(c.flight) > 0 {
			c.ctl.want.Store(0) // idle with items: send no more
		}
		c.lastTail = tail
		if c.ctl.want.Load() == 1 && len(c.flight) < prefetch {
			wanting = append(wanting, c)
		}
	}
	if b.getters > 0 {
		// Gets of this process take straight from the queue; keep a
		// share for them.
		wanting = append(wanting, nil)
	}
	for i, c := range wanting {
		if b.items.len() == 0 {
			return
		}
		if c == nil {
			continue
		}
		share := (b.items.len() + len(wanting) - i - 1) / (len(wanting) - i)
		n := min(share, prefetch-len(c.flight))
		sent := 0
		for sent < n && b.items.len() > 0 {
			it := b.items.front()
			var big uint64
			if len(it.data) >= bigItem {
				if !c.down.fits(8) || c.bigsInFlight() {
					break
				}
				b.nextBig++
				big = b.nextBig
				head := append(binary.LittleEndian.AppendUint64(make([]byte, 0, 9), big), byte(it.kind))
				c.sendFrame(outFrame{kind: qBigDown, data: head, tail: it.data})
				c.down.put(recBig, head[:8])
			} else if !c.down.put(it.kind, it.data) {
				break
			}
			b.items.dropFront()
			f := flight{end: c.ctl.downHead.Load(), big: big}
			if big != 0 {
				f.it = it
			}
			c.flight = append(c.flight, f)
			b.inflight++
			sent++
		}
		if sent > 0 {
			c.bell()
		}
	}
}

// bigsInFlight reports whether a big item is in c's down ring: one at a
// time is enough to keep a consumer busy, and bounds the memory.
func (c *bconn) bigsInFlight() bool {
	for _, f := range c.flight {
		if f.big != 0 {
			return true
		}
	}
	return false
}

// grant gives credits to the clients whose Puts wait for them, and tells
// those that waited for room in their up ring that there is some. The
// caller holds b.mu.
func (b *broker) grant() {
	for _, c := range b.conns {
		if c.ctl.wantCredits.Load() == 0 {
			continue
		}
		if b.capacity <= 0 {
			c.ctl.wantCredits.Store(0)
			c.bell()
			continue
		}
		free := b.capacity - b.count()
		if free <= 0 {
			b.reclaim()
			free = b.capacity - b.count()
		}
		if free <= 0 {
			b.roomWanted()
			return
		}
		n := min(free, max(1, min(256, b.capacity/4)))
		c.ctl.credits.Add(int64(n))
		b.reserved += n
		c.ctl.wantCredits.Store(0)
		c.bell()
	}
}

// The operations of this process on the queue.

func (b *broker) put(ctx context.Context, it item) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.closed {
			return ErrClosed
		}
		if b.capacity <= 0 {
			break
		}
		for _, c := range b.conns {
			b.acks(c)
		}
		if b.count() >= b.capacity {
			b.reclaim()
		}
		if b.count() < b.capacity {
			break
		}
		b.roomWanted()
		if err := b.wait(ctx, false); err != nil {
			return err
		}
	}
	b.items.pushBack(it)
	b.unfinished++
	b.settle()
	return nil
}

// wait waits, with b.mu held on entry and on return, for a change or the
// end of ctx.
func (b *broker) wait(ctx context.Context, get bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ch := b.changed
	b.waiters++
	if get {
		b.getters++
	}
	b.mu.Unlock()
	var err error
	select {
	case <-ch:
	case <-ctx.Done():
		err = ctx.Err()
	}
	b.mu.Lock()
	b.waiters--
	if get {
		b.getters--
	}
	return err
}

func (b *broker) get(ctx context.Context) (item, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.items.len() == 0 {
		b.getters++ // so that settle takes items back for us
		b.settle()
		b.getters--
	}
	for {
		if b.stopped {
			return item{}, ErrClosed
		}
		if b.items.len() > 0 {
			it := b.items.takeFront()
			b.settle()
			return it, nil
		}
		if b.exhausted {
			return item{}, ErrClosed
		}
		if err := b.wait(ctx, true); err != nil {
			return item{}, err
		}
		if b.items.len() == 0 {
			b.getters++
			b.settle()
			b.getters--
		}
	}
}

func (b *broker) empty() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		b.drainUp(c)
	}
	return b.items.len() == 0
}

func (b *broker) taskDone() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrClosed
	}
	for _, c := range b.conns {
		b.drainUp(c)
	}
	if b.unfinished == 0 {
		return ErrTaskDone
	}
	b.unfinished--
	b.settle()
	return nil
}

func (b *broker) join(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for _, c := range b.conns {
			b.drainUp(c)
		}
		if b.tasksDone() {
			return nil
		}
		if b.stopped {
			return ErrClosed
		}
		if err := b.wait(ctx, false); err != nil {
			return err
		}
	}
}

func (b *broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// closeQueue closes the queue for every process.
func (b *broker) closeQueue() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for _, c := range b.conns {
		c.ctl.state.Store(stClosed)
		c.bell()
	}
	b.settle()
	b.notify()
}

// notify wakes the local waiters. The caller holds b.mu.
func (b *broker) notify() {
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

func (b *broker) shutdown(ctx context.Context) error {
	b.closeQueue()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	b.exhausted = true
	b.stopServer()
	b.items = itemLog{}
	b.notify()
	b.mu.Unlock()
	<-b.done
	return ctx.Err()
}
