package worker

import (
	"os"
	"sync"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
)

// flushAt is how many bytes of frames a worker gathers before it writes
// them even though more tasks wait.
const flushAt = 64 << 10

// flushEvery bounds how long a gathered frame waits: a long task is
// reported running within about this time. The flusher stops
// after flushIdle ticks without frames, so an idle worker sleeps.
const (
	flushEvery = time.Millisecond
	flushIdle  = 100
)

// Out is the worker's end of its result pipe and of its assist pipe. It
// gathers the worker's began and done frames and writes them in batches:
// when the worker flushes, when they fill a buffer, or after a tick
// ([Out.Loop]). The frames of a task whose waiter asked for them
// ([Slots.CommitAssist]) go on the assist pipe. When a write fails the
// parent is gone, and the worker exits at once.
type Out struct {
	out    *wire.Writer // the result pipe
	assist *wire.Writer // the assist pipe, for a task whose waiter reads it

	mu     sync.Mutex // guards buf, abuf and active
	buf    []byte     // frames gathered for the result pipe
	abuf   []byte     // frames gathered for the assist pipe
	active bool       // frames were gathered since the flusher last looked
	wake   chan struct{}
}

// NewOut returns the worker's Out on its result pipe and its assist pipe.
func NewOut(out, assist *wire.Writer) *Out {
	return &Out{out: out, assist: assist, wake: make(chan struct{}, 1)}
}

// to returns the buffer of the pipe the frames go to.
func (o *Out) to(assisted bool) *[]byte {
	if assisted {
		return &o.abuf
	}
	return &o.buf
}

// Began gathers a began frame for task seq in slot, to be written with
// the next flush.
func (o *Out) Began(assisted bool, slot int, seq uint64) {
	to := o.to(assisted)
	o.mu.Lock()
	*to = AppendSlotSeq(*to, KindBegan, slot, seq)
	o.gathered(to)
}

// Done gathers d's frame, to be written with the next flush. A result with
// pieces is written at once instead, after the frames gathered for its
// pipe, from the result's memory rather than copied.
func (o *Out) Done(assisted bool, d *Done) {
	if len(d.Pieces) > 0 {
		o.writeDone(assisted, d)
		return
	}
	to := o.to(assisted)
	o.mu.Lock()
	*to = AppendDone(*to, d)
	o.gathered(to)
}

func (o *Out) writeDone(assisted bool, d *Done) {
	o.Flush()
	w := o.out
	if assisted {
		w = o.assist
	}
	s := codec.Spliced{Data: d.Rest, Pieces: d.Pieces}
	if err := w.WriteFrameParts(KindDone, s.AppendParts([][]byte{AppendDoneHead(nil, d)})...); err != nil {
		os.Exit(0) // the parent is gone
	}
}

// gathered ends a frame's gathering into to: it wakes the flusher if it
// sleeps, and writes the frames if they fill the buffer. mu is held, and
// released.
func (o *Out) gathered(to *[]byte) {
	full := len(*to) >= flushAt
	wasActive := o.active
	o.active = true
	o.mu.Unlock()
	if !wasActive {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	if full {
		o.Flush()
	}
}

// Flush writes the gathered frames, those a waiter reads for first.
func (o *Out) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range []struct {
		w   *wire.Writer
		buf *[]byte
	}{{o.assist, &o.abuf}, {o.out, &o.buf}} {
		if len(*x.buf) == 0 {
			continue
		}
		if err := x.w.WriteFrames(*x.buf); err != nil {
			os.Exit(0) // the parent is gone
		}
		*x.buf = (*x.buf)[:0]
	}
}

// Loop writes frames that have waited a tick, for the worker's life. It
// ticks while frames come, and sleeps once none has for flushIdle ticks.
func (o *Out) Loop() {
	for range o.wake {
		tick := time.NewTicker(flushEvery)
		for quiet := 0; quiet < flushIdle; {
			<-tick.C
			o.mu.Lock()
			if o.active {
				quiet = 0
			} else {
				quiet++
			}
			o.active = false
			stale := len(o.buf) > 0 || len(o.abuf) > 0
			o.mu.Unlock()
			if stale {
				o.Flush()
			}
		}
		tick.Stop()
	}
}
