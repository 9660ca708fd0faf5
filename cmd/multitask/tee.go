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
	src   io.Reader
	pipes jobPipes

	mu      sync.Mutex
	writers []*io.PipeWriter
}

// reader is the stdin of one more job.
func (t *teeStdin) reader() io.Reader {
	r, w := t.pipes.open()
	t.mu.Lock()
	defer t.mu.Unlock()
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
func (t *teeStdin) close() { t.pipes.close() }

// jobPipes are the stdin pipes of the jobs that --tee and --round-robin
// feed, which end with the run.
type jobPipes struct {
	mu      sync.Mutex
	readers []*io.PipeReader
}

// open makes the pipe of one more job.
func (p *jobPipes) open() (*io.PipeReader, *io.PipeWriter) {
	r, w := io.Pipe()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readers = append(p.readers, r)
	return r, w
}

// close ends every pipe: a writer to a job that was killed, or never
// started, stops.
func (p *jobPipes) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.readers {
		r.Close()
	}
}
