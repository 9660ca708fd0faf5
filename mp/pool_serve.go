package mp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
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
			if launch.ChannelEnded(err) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		if _, err := w.frame(kind, payload, false); err != nil {
			return err
		}
		owed = owed || kind == pw.KindDone
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

// frame settles one frame from the worker, read from the assist pipe if
// assisted, and returns the sequence number of the task a done frame
// settled. An error means the worker broke the protocol.
func (w *worker) frame(kind wire.Kind, payload []byte, assisted bool) (uint64, error) {
	switch kind {
	case pw.KindBegan:
		slot, seq, err := pw.ParseSlotSeq(payload)
		if err != nil {
			return 0, err
		}
		w.p.mu.Lock()
		if j := w.held(slot); j != nil && j.seq == seq {
			w.p.beganLocked(j)
		}
		w.p.mu.Unlock()
		return 0, nil
	case pw.KindDone:
		d, err := pw.ParseDone(payload)
		if err != nil {
			return 0, err
		}
		return d.Seq, w.done(&d, assisted)
	}
	return 0, fmt.Errorf("unexpected frame of kind %d from a pool worker", kind)
}

// assist reads j's frames for a waiter of j from the worker's assist pipe,
// where the worker sends them when asked before it begins j, so that the
// waiter is woken by the poller itself rather than by serve. A waiter of
// a task that has begun, or of a worker another waiter reads for, waits
// as usual.
func (j *job) assist(ctx context.Context) {
	p := j.p
	p.mu.Lock()
	w := j.w
	if j.state != jobSent || w.assisting != nil || w.exiting {
		p.mu.Unlock()
		return
	}
	w.assisting = j
	w.assistReads.Add(1)
	w.assistGen++
	gen := w.assistGen
	// The job may move to another worker meanwhile, with a new sequence
	// number: the reader asks for, and reads, the task it was here.
	seq := j.seq
	w.slots.WantAssist(seq)
	p.mu.Unlock()
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			p.mu.Lock()
			if w.assisting == j && w.assistGen == gen {
				w.pauseAssistLocked()
			}
			p.mu.Unlock()
		})
		defer stop()
	}
	if w.readAssist(ctx, seq) {
		return
	}
	// The worker took the request, and the waiter's ctx has ended: the
	// frames still come, and someone must read them.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		w.readAssist(context.Background(), seq)
	}()
}

// readAssist reads the assist pipe until the outcome of task seq came, the
// request was withdrawn, or the pipe ended. It returns false, still reading
// for the task, when ctx ended while the worker had taken the request.
func (w *worker) readAssist(ctx context.Context, seq uint64) bool {
	p := w.p
	for {
		kind, payload, err := w.ar.ReadFrameInto(w.abuf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			p.mu.Lock()
			if w.slots.WithdrawAssist(seq) {
				w.releaseAssistLocked() // nothing will come
				p.mu.Unlock()
				return true
			}
			if ctx.Err() != nil {
				p.mu.Unlock()
				return false
			}
			w.assistPaused = false
			_ = w.assistR.SetReadDeadline(time.Time{})
			p.mu.Unlock()
			continue
		case err != nil:
			// The worker died or broke: serve settles it, once this
			// reader is done.
			p.mu.Lock()
			w.releaseAssistLocked()
			p.mu.Unlock()
			return true
		}
		settled, err := w.frame(kind, payload, true)
		if err != nil {
			// A broken worker; its reader on the result pipe cannot see
			// this frame, so the kill is this reader's to make.
			_ = w.child.Signal(syscall.SIGKILL)
		}
		if settled == seq {
			p.mu.Lock()
			w.releaseAssistLocked()
			sends := p.dispatchLocked()
			p.mu.Unlock()
			sends.flush()
			return true
		}
		if cap(payload) <= maxKeptFrame {
			w.abuf = payload[:0]
		}
	}
}

// unassistLocked stops the waiter that reads the assist pipe for j, if
// any, when j's outcome will not come there: j ended or moved otherwise.
func (w *worker) unassistLocked(j *job) {
	if j != nil && w.assisting == j {
		w.pauseAssistLocked()
	}
}

// pauseAssistLocked makes the assist pipe's reader stop and look again.
func (w *worker) pauseAssistLocked() {
	w.assistPaused = true
	_ = w.assistR.SetReadDeadline(time.Unix(1, 0))
}

// releaseAssistLocked ends the reading of the assist pipe.
func (w *worker) releaseAssistLocked() {
	if w.assistPaused {
		w.assistPaused = false
		_ = w.assistR.SetReadDeadline(time.Time{})
	}
	w.assisting = nil
	w.assistReads.Done()
}

// maxKeptFrame is the largest frame buffer serve keeps for the next frame.
const maxKeptFrame = 64 << 10

// done settles the task a done frame answers for, read from the assist
// pipe if assisted. The frame's memory is reused once done returns: the
// future decodes the value before.
func (w *worker) done(d *pw.Done, assisted bool) error {
	p := w.p
	var outcome error
	if d.Flags&pw.DoneErr != 0 {
		var em errorMsg
		if err := unmarshalMsg(d.Rest, &em); err != nil {
			return fmt.Errorf("corrupt error from a pool worker: %w", err)
		}
		outcome = em.rebuild()
	}
	p.mu.Lock()
	if w.seqs[d.Slot] != d.Seq || w.jobs[d.Slot] == nil {
		p.mu.Unlock()
		return fmt.Errorf("a pool worker answered for task %d, which it does not hold", d.Seq)
	}
	j := w.held(d.Slot)
	if !assisted {
		w.unassistLocked(j) // a waiter asked too late: the frames came here
	}
	w.jobs[d.Slot], w.seqs[d.Slot] = nil, 0
	w.free = append(w.free, d.Slot)
	w.inflight--
	if d.Flags&pw.DoneRecycle != 0 && !w.retiring {
		w.retiring = true
		p.takeBackLocked(w)
	}
	deliver := j != nil && d.Flags&pw.DoneSkipped == 0
	if deliver {
		p.beganLocked(j) // if its began frame never came
		p.endLocked(j)
		if outcome != nil {
			p.st.Failed++
		} else {
			p.st.Done++
		}
		if p.measured {
			p.avgNanos = 0.9*p.avgNanos + 0.1*float64(d.Nanos)
		} else {
			p.avgNanos, p.measured = float64(d.Nanos), true
		}
	}
	if w.retiring && w.inflight == 0 {
		w.closeOnce()
	}
	p.mu.Unlock()
	if deliver {
		// A frame longer than maxKeptFrame is read into memory of its own,
		// never reused (see serve and readAssist).
		j.value, j.ownValue, j.err, j.nanos = d.Rest, cap(d.Rest) > maxKeptFrame, outcome, d.Nanos
		j.t.Run()
	}
	return nil
}

// takeBackLocked moves the tasks w holds but has not begun back to the
// pool, for a worker that will take no more.
func (p *Pool) takeBackLocked(w *worker) {
	for i := range w.jobs {
		if j := w.held(i); j != nil && j.state == jobSent && w.slots.Cancel(i, j.seq) {
			p.requeueLocked(j)
		}
	}
}

func (p *Pool) requeueLocked(j *job) {
	j.w.unassistLocked(j)
	j.state, j.w = jobQueued, nil
	p.retry = append(p.retry, j)
	p.queued++
}

// exited settles what the worker held once its process has exited: tasks
// it had not begun go to other workers; those it was running fail (or run
// again, with Retries). A replacement starts unless the pool is done.
func (w *worker) exited(readErr error) {
	p := w.p
	// A waiter may still be reading an outcome the worker sent before it
	// died; the assist pipe has ended, so it is about to be done.
	p.mu.Lock()
	w.exiting = true // no reader starts now
	p.mu.Unlock()
	w.assistReads.Wait()
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
		j   *job
		err error
	}
	var failed []failure
	p.mu.Lock()
	p.removeLocked(w)
	for i := range w.jobs {
		j := w.held(i)
		switch {
		case j == nil:
		case j.state == jobRunning || w.slots.Began(i, j.seq):
			switch {
			case j.killErr != nil:
				failed = append(failed, failure{j: j, err: j.killErr})
			case j.retries > 0:
				j.retries--
				p.requeueLocked(j)
			default:
				failed = append(failed, failure{j: j, err: died()})
			}
		case w.slots.Cancel(i, j.seq):
			p.requeueLocked(j) // it never began
		}
	}
	for _, f := range failed {
		p.endLocked(f.j)
		p.st.Failed++
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
