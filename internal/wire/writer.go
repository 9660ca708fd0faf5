package wire

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

const (
	// directWrite is the payload length from which WriteFrame writes the
	// payload from the caller's slice instead of copying it into the batch.
	directWrite = 64 << 10

	// maxKeep is the largest batch buffer kept for reuse; a burst that grew
	// the buffer beyond it gives the memory back.
	maxKeep = 1 << 20
)

// A Writer writes frames to an io.Writer. It is safe for concurrent use: a
// frame is never interleaved with another, and the frames of concurrent
// callers are batched into one Write of the underlying writer (see the
// package documentation). A Writer must not be copied after first use.
type Writer struct {
	w io.Writer

	mu   sync.Mutex
	cond sync.Cond // on mu; broadcast when a write of w ends

	// Guarded by mu. Batches are numbered; buf gathers batch next.
	buf     []byte // frames of batch next, waiting for a writer
	spare   []byte // a used buffer, kept for the batch after next
	writing bool   // a caller is writing to w; only that caller touches w
	next    uint64 // the batch being gathered in buf
	done    uint64 // batches up to this one have been written, or have failed
	err     error  // the first write error, returned by every later call
	failed  uint64 // with err: the first batch that was not written whole

	// testHookQueued, when set by a test, is called with mu held when a frame
	// joins a batch because another caller is writing.
	testHookQueued func()
}

// NewWriter returns a Writer that writes frames to w. The Writer calls w.Write
// from one goroutine at a time, and never holds a lock while it does.
func NewWriter(w io.Writer) *Writer {
	fw := &Writer{w: w, next: 1}
	fw.cond.L = &fw.mu
	return fw
}

// WriteFrame writes one frame. It returns once the frame has been handed to
// the underlying writer in full, or has failed; while another caller is
// writing, it waits and then writes its frame together with those that queued
// meanwhile. The payload is not retained after WriteFrame returns.
//
// Kind 0 is refused with [ErrCorrupt], and a payload longer than 4 GiB - 1
// with [ErrFrameTooLarge]; neither is written, nor breaks the Writer. A
// failed write is sticky: the error, prefixed "wire: write", is returned by
// this and every later call, because a frame may have been cut.
func (w *Writer) WriteFrame(kind Kind, payload []byte) error {
	if err := checkFrame(kind, uint64(len(payload))); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if len(payload) >= directWrite {
		return w.writeDirect(kind, payload)
	}

	w.buf = appendHeader(w.buf, kind, len(payload))
	w.buf = append(w.buf, payload...)
	return w.commit()
}

// WriteFrameParts writes one frame whose payload is parts joined, as
// WriteFrame does, without joining them first: the parts of 64 KiB or more
// are written straight from the caller's slices, and the smaller ones
// between them gathered. It lets a caller send a large value together with
// a head it built without copying the value. It refuses what WriteFrame
// refuses; a failed write breaks the Writer as there.
func (w *Writer) WriteFrameParts(kind Kind, parts ...[]byte) error {
	if err := checkFrame(kind, partsLen(parts)); err != nil {
		return err
	}
	return w.WriteFunc(func(u io.Writer) error { return WriteFrameTo(u, kind, parts...) })
}

// WriteFrameTo writes to u one frame whose payload is parts joined, in as
// few writes as the parts allow: the header and the parts shorter than 64
// KiB are gathered, the longer ones written from the caller's slices. It
// is for the send function of [Writer.WriteFunc], which must write whole
// frames. It refuses what WriteFrame refuses, before writing anything.
func WriteFrameTo(u io.Writer, kind Kind, parts ...[]byte) error {
	n := partsLen(parts)
	if err := checkFrame(kind, n); err != nil {
		return err
	}
	gathered := headerSize
	for _, p := range parts {
		if len(p) < directWrite {
			gathered += len(p)
		}
	}
	buf := appendHeader(make([]byte, 0, gathered), kind, int(n))
	for _, p := range parts {
		if len(p) < directWrite {
			buf = append(buf, p...)
			continue
		}
		if err := write(u, buf); err != nil {
			return err
		}
		buf = buf[:0]
		if err := write(u, p); err != nil {
			return err
		}
	}
	if len(buf) == 0 {
		return nil
	}
	return write(u, buf)
}

func partsLen(parts [][]byte) uint64 {
	var n uint64
	for _, p := range parts {
		n += uint64(len(p))
	}
	return n
}

// checkFrame refuses a frame of kind 0 or a payload of n bytes that the
// header cannot express.
func checkFrame(kind Kind, n uint64) error {
	if kind == 0 {
		return fmt.Errorf("wire: write frame: %w: kind 0 is invalid", ErrCorrupt)
	}
	if n > maxPayload {
		return fmt.Errorf("wire: write frame: %w: %d bytes", ErrFrameTooLarge, n)
	}
	return nil
}

// WriteFrames writes frames that the caller built with [AppendFrame], in one
// batch with those of concurrent callers, as WriteFrame does. It lets a
// caller that has many small frames at once pay for one write.
func (w *Writer) WriteFrames(frames []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf = append(w.buf, frames...)
	return w.commit()
}

// commit waits until the batch gathering in buf has been written, writing
// it unless another caller is. It is called, and returns, with mu held.
func (w *Writer) commit() error {
	batch := w.next
	if w.writing && w.testHookQueued != nil {
		w.testHookQueued()
	}
	for {
		if w.done >= batch {
			return w.result(batch)
		}
		if w.err != nil {
			return w.err // an earlier batch failed; this one is dropped
		}
		if !w.writing {
			// buf still holds batch (nobody took it), and nobody is writing:
			// write it, with every frame that joined it.
			data := w.take()
			err := w.writeUnlocked(data)
			w.finish(batch, data, err)
			return w.result(batch)
		}
		w.cond.Wait()
	}
}

// WriteFunc lets send write frames to the underlying writer itself, in turn
// with the frames of concurrent callers, for a caller that must write by
// other means than Write: a sendmsg that carries file descriptors along,
// say. The frames batched before are written first. send must write whole
// frames; if it fails, the Writer is broken, as by a failed write.
func (w *Writer) WriteFunc(send func(io.Writer) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.writing && w.err == nil {
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	batch := w.next
	data := w.take()
	w.mu.Unlock()
	var err error
	if len(data) > 0 {
		err = write(w.w, data)
	}
	if err == nil {
		err = send(w.w)
	}
	w.mu.Lock()
	w.finish(batch, data, err)
	return w.result(batch)
}

// writeDirect writes a large payload without copying it: the frames already
// batched and the header in one write, then the payload. It is called, and
// returns, with mu held.
func (w *Writer) writeDirect(kind Kind, payload []byte) error {
	for w.writing && w.err == nil {
		w.cond.Wait()
	}
	if w.err != nil {
		return w.err
	}
	w.buf = appendHeader(w.buf, kind, len(payload))
	batch := w.next
	data := w.take()
	err := w.writeUnlocked(data)
	if err != nil {
		w.finish(batch, data, err)
		return w.result(batch)
	}
	// The batched frames are out: let their callers go while the payload is
	// written. Keep writing set, so the payload follows its header directly.
	w.done = batch
	w.keep(data)
	w.cond.Broadcast()
	err = w.writeUnlocked(payload)
	w.writing = false
	if err != nil {
		w.fail(batch+1, err)
		return w.err
	}
	w.cond.Broadcast()
	return nil
}

// writeUnlocked writes b to the underlying writer with mu released. It is
// called, and returns, with mu held, also when the writer panics.
func (w *Writer) writeUnlocked(b []byte) error {
	w.mu.Unlock()
	defer w.mu.Lock()
	return write(w.w, b)
}

// take starts a write: it marks the Writer busy and hands over buf, whose
// batch is next, gathering the following frames in a fresh batch. mu is held.
func (w *Writer) take() []byte {
	w.writing = true
	data := w.buf
	w.buf = w.spare[:0]
	w.spare = nil
	w.next++
	return data
}

// finish ends the write of batch, whose bytes were data. mu is held.
func (w *Writer) finish(batch uint64, data []byte, err error) {
	w.writing = false
	w.done = batch
	w.keep(data)
	if err != nil {
		w.fail(batch, err)
	}
	w.cond.Broadcast()
}

// keep keeps a written buffer for reuse unless it grew too large.
func (w *Writer) keep(data []byte) {
	if cap(data) <= maxKeep {
		w.spare = data[:0]
	}
}

// fail records the first write error; batch is the first batch not written
// whole. mu is held.
func (w *Writer) fail(batch uint64, err error) {
	if w.err == nil {
		w.err = fmt.Errorf("wire: write: %w", err)
		w.failed = batch
		w.buf = nil // frames waiting now will never be written
		w.spare = nil
	}
	w.cond.Broadcast()
}

// result returns the outcome of a batch that is done. mu is held.
func (w *Writer) result(batch uint64) error {
	if w.err != nil && batch >= w.failed {
		return w.err
	}
	return nil
}

func appendHeader(b []byte, kind Kind, n int) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	return append(b, byte(kind))
}

// write writes all of b to w.
func write(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}
