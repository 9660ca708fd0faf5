package mp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// held returns the job in slot i if it is still this worker's: a job taken
// back has moved on, though the worker has yet to answer for the slot.
func (w *worker) held(i int) *job {
	if j := w.jobs[i]; j != nil && j.w == w && j.seq == w.seqs[i] && j.state != jobEnded {
		return j
	}
	return nil
}

// serve reads the worker's frames until its channel ends. It hands the
// worker new tasks once per batch of frames read together, not once per
// result, so that a stream of small tasks costs one write for many. An
// error means the worker broke the protocol.
func (w *worker) serve() error {
	owed := false  // results settled since the worker was last given tasks
	var buf []byte // a frame is done with before the next is read
	for {
		kind, payload, err := w.r.ReadFrameInto(buf)
		if err != nil {
			if channelEnded(err) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		switch kind {
		case kindBegan:
			slot, seq, err := parseSlotSeq(payload)
			if err != nil {
				return err
			}
			w.p.mu.Lock()
			if j := w.held(slot); j != nil && j.seq == seq {
				w.p.beganLocked(j)
			}
			w.p.mu.Unlock()
		case kindDone:
			d, err := parseDone(payload)
			if err != nil {
				return err
			}
			if err := w.done(&d); err != nil {
				return err
			}
			owed = true
		default:
			return fmt.Errorf("unexpected frame of kind %d from a pool worker", kind)
		}
		if cap(payload) <= maxKeptFrame {
			buf = payload[:0]
		}
		if owed && w.r.Buffered() == 0 {
			owed = false
			w.p.mu.Lock()
			sends := w.p.dispatchLocked()
			w.p.mu.Unlock()
			sends.flush()
		}
	}
}

// maxKeptFrame is the largest frame buffer serve keeps for the next frame.
const maxKeptFrame = 64 << 10

// done settles the task a done frame answers for. The frame's memory is
// reused once done returns: the future decodes the value before.
func (w *worker) done(d *doneFrame) error {
	p := w.p
	var outcome error
	if d.flags&doneErr != 0 {
		var em errorMsg
		if err := unmarshalMsg(d.rest, &em); err != nil {
			return fmt.Errorf("corrupt error from a pool worker: %w", err)
		}
		outcome = em.rebuild()
	}
	p.mu.Lock()
	if w.seqs[d.slot] != d.seq || w.jobs[d.slot] == nil {
		p.mu.Unlock()
		return fmt.Errorf("a pool worker answered for task %d, which it does not hold", d.seq)
	}
	j := w.held(d.slot)
	w.jobs[d.slot], w.seqs[d.slot] = nil, 0
	w.free = append(w.free, d.slot)
	w.inflight--
	if d.flags&doneRecycle != 0 && !w.retiring {
		w.retiring = true
		p.takeBackLocked(w)
	}
	var stop func() bool
	deliver := j != nil && d.flags&doneSkipped == 0
	if deliver {
		p.beganLocked(j) // if its began frame never came
		p.endLocked(j)
		stop = j.stop
		if outcome != nil {
			p.st.Failed++
		} else {
			p.st.Done++
		}
		if p.measured {
			p.avgNanos = 0.9*p.avgNanos + 0.1*float64(d.nanos)
		} else {
			p.avgNanos, p.measured = float64(d.nanos), true
		}
	}
	if w.retiring && w.inflight == 0 {
		w.closeOnce()
	}
	p.mu.Unlock()
	if deliver {
		if stop != nil {
			stop()
		}
		j.value, j.err, j.nanos = d.rest, outcome, d.nanos
		j.t.Run()
	}
	return nil
}

// takeBackLocked moves the tasks w holds but has not begun back to the
// pool, for a worker that will take no more.
func (p *Pool) takeBackLocked(w *worker) {
	for i := range w.jobs {
		if j := w.held(i); j != nil && j.state == jobSent && w.slots.cancel(i, j.seq) {
			p.requeueLocked(j)
		}
	}
}

func (p *Pool) requeueLocked(j *job) {
	j.state, j.w = jobQueued, nil
	p.retry = append(p.retry, j)
	p.queued++
}

// exited settles what the worker held once its process has exited: tasks
// it had not begun go to other workers; those it was running fail (or run
// again, with Retries). A replacement starts unless the pool is done.
func (w *worker) exited(readErr error) {
	p := w.p
	code := w.child.ExitCode()
	died := func() error {
		e := &WorkerDiedError{Pid: w.pid(), ExitCode: code, Stderr: w.stderr.String()}
		switch {
		case readErr != nil:
			e.Reason, e.Err = "the pool killed it", fmt.Errorf("%w: %w", ErrProtocol, readErr)
		case code == exitMemory:
			e.Reason = fmt.Sprintf("its resident memory crossed the pool's hard limit of %d bytes", p.cfg.hardMemory)
		}
		return e
	}
	type failure struct {
		j    *job
		err  error
		stop func() bool
	}
	var failed []failure
	p.mu.Lock()
	p.removeLocked(w)
	for i := range w.jobs {
		j := w.held(i)
		switch {
		case j == nil:
		case j.state == jobRunning || w.slots.began(i, j.seq):
			switch {
			case j.killErr != nil:
				failed = append(failed, failure{j: j, err: j.killErr})
			case j.retries > 0:
				j.retries--
				p.requeueLocked(j)
			default:
				failed = append(failed, failure{j: j, err: died()})
			}
		case w.slots.cancel(i, j.seq):
			p.requeueLocked(j) // it never began
		}
	}
	for i, f := range failed {
		p.endLocked(f.j)
		p.st.Failed++
		failed[i].stop = f.j.stop
	}
	var cancel []*job
	switch {
	case p.aborted != nil:
		cancel = p.takeQueuedLocked()
	case !p.retired && p.broken == nil:
		p.startWorkerLocked(true)
	}
	sends := p.dispatchLocked()
	p.mu.Unlock()
	w.release()
	p.cancel(cancel)
	sends.flush()
	for _, f := range failed {
		if f.stop != nil {
			f.stop()
		}
		f.j.err = f.err
		f.j.t.Run()
	}
}

// removeLocked drops w from the live workers.
func (p *Pool) removeLocked(w *worker) {
	for i, c := range p.workers {
		if c == w {
			p.workers = append(p.workers[:i], p.workers[i+1:]...)
			return
		}
	}
}

// A tailWriter passes what a worker writes to standard error on, and keeps
// the end of it for the error of a task the worker dies running.
type tailWriter struct {
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

const tailSize = 2 << 10

func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 2*tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	t.mu.Unlock()
	return t.w.Write(b)
}

// String returns the last lines written, at most about 2 KiB.
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > tailSize {
		b = b[len(b)-tailSize:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
