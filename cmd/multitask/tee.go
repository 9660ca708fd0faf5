package main

import (
	"io"
	"slices"
	"sync"
)

// teeStdin gives all of stdin to every job of --pipe --tee, as tee(1)
// does: each job reads its own pipe, and stdin is read at the pace of the
// slowest job that still reads.
type teeStdin struct {
	src io.Reader

	mu      sync.Mutex
	readers []*io.PipeReader
	writers []*io.PipeWriter
}

// reader is the stdin of one more job.
func (t *teeStdin) reader() io.Reader {
	r, w := io.Pipe()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.readers = append(t.readers, r)
	t.writers = append(t.writers, w)
	return r
}

// run copies stdin to every job's pipe until stdin ends or no job reads
// any more; a job that stops reading closes its pipe, and is dropped. It
// returns once close has been called, except while stdin blocks a read
// that never ends, which only the end of the process ends.
func (t *teeStdin) run() {
	t.mu.Lock()
	live := slices.Clone(t.writers)
	t.mu.Unlock()
	defer func() {
		for _, w := range live {
			w.Close()
		}
	}()
	buf := make([]byte, 128<<10)
	for len(live) > 0 {
		n, err := t.src.Read(buf)
		if n > 0 {
			live = slices.DeleteFunc(live, func(w *io.PipeWriter) bool {
				_, werr := w.Write(buf[:n])
				return werr != nil
			})
		}
		if err != nil {
			return
		}
	}
}

// close ends every job's pipe, so that run stops writing to jobs that
// never started or were killed.
func (t *teeStdin) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.readers {
		r.Close()
	}
}
