package main

import (
	"bufio"
	"errors"
	"io"
	"iter"
	"sync"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
)

// binStdin spreads the lines of stdin over the jobs of --shard and --bin,
// one job per slot, all running at once for the whole input, as GNU
// parallel's sharder does: each line goes to the job its key picks, and
// every job reads its lines in their order in stdin.
type binStdin struct {
	src     io.Reader
	binner  *input.Binner
	header  bool // the first line names the columns, and goes to no job
	pipes   jobPipes
	readers []io.Reader // the jobs' stdin
	writers []*io.PipeWriter

	mu  sync.Mutex
	err error // what stopped the spreading: a key that could not be read
}

func newBinStdin(src io.Reader, binner *input.Binner, header bool, jobs int) *binStdin {
	b := &binStdin{src: src, binner: binner, header: header}
	for range jobs {
		r, w := b.pipes.open()
		b.readers, b.writers = append(b.readers, r), append(b.writers, w)
	}
	return b
}

// jobs yields the jobs, each reading its lines once run spreads them.
func (b *binStdin) jobs() iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		for i, r := range b.readers {
			if !yield(engine.Job{Seq: i + 1, InputStream: r}, nil) {
				return
			}
		}
	}
}

// run writes each line of stdin to the pipe of its job until stdin ends,
// or no job reads any more, then closes the pipes. A job that stops
// reading gets no more lines; the others still do. It returns once close
// has been called, except while stdin blocks a read that never ends,
// which only the end of the process ends.
func (b *binStdin) run() {
	writers := b.writers
	defer func() {
		for _, w := range writers {
			if w != nil {
				w.Close()
			}
		}
	}()
	live := len(writers)
	br := bufio.NewReaderSize(b.src, 128<<10)
	for first := true; ; first = false {
		line, err := br.ReadString('\n')
		if line != "" {
			gone, ferr := b.put(line, first, writers)
			if ferr != nil {
				b.fail(ferr)
				return
			}
			if gone {
				if live--; live == 0 {
					return
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				b.fail(err)
			}
			return
		}
	}
}

// put writes line to its job, and reports whether that job has just
// stopped reading: its writer is then dropped.
func (b *binStdin) put(line string, first bool, writers []*io.PipeWriter) (gone bool, err error) {
	if first && b.header {
		return false, b.binner.Header(line)
	}
	i, err := b.binner.Job(line)
	if err != nil || writers[i] == nil {
		return false, err
	}
	if _, werr := io.WriteString(writers[i], line); werr != nil {
		writers[i].Close()
		writers[i] = nil
		return true, nil
	}
	return false, nil
}

func (b *binStdin) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

// Err is what stopped the spreading of stdin, if anything did.
func (b *binStdin) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// close ends every job's pipe, so that run stops writing to jobs that
// never started or were killed.
func (b *binStdin) close() { b.pipes.close() }
