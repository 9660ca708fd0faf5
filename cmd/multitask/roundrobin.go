package main

import (
	"io"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
)

// roundRobin spreads the blocks of --pipe over at most slots jobs that run
// for the whole input, as GNU parallel's --round-robin does: each of the
// first blocks starts a job, and the later ones go to whichever job takes
// one first. A job's stdin is a stream, fed by a goroutine of its own.
type roundRobin struct {
	slots int
	pool  *blockPool
	later chan engine.Job // the blocks after the first ones

	pipes   jobPipes
	feeders sync.WaitGroup
	gone    chan struct{} // closed once every feeder has stopped
}

func newRoundRobin(slots int, pool *blockPool) *roundRobin {
	return &roundRobin{slots: slots, pool: pool, later: make(chan engine.Job), gone: make(chan struct{})}
}

// jobs yields a job for each of the first blocks, up to slots of them, and
// hands the later blocks to the running jobs. A block no job takes, once
// every job has stopped reading, is left unread, with the rest of the
// input.
func (rr *roundRobin) jobs(blocks iter.Seq2[engine.Job, error]) iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		defer close(rr.later)
		started := 0
		for b, err := range blocks {
			if err != nil {
				yield(engine.Job{}, err)
				return
			}
			if started < rr.slots {
				started++
				if !yield(rr.start(b), nil) {
					return
				}
				if started == rr.slots {
					go func() { rr.feeders.Wait(); close(rr.gone) }()
				}
				continue
			}
			select {
			case rr.later <- b:
			case <-rr.gone:
				return
			}
		}
	}
}

// start makes the job that block first starts: its stdin gets first, then
// later blocks, until there are no more or the job stops reading.
func (rr *roundRobin) start(first engine.Job) engine.Job {
	r, w := rr.pipes.open()
	sent := new(atomic.Int64)
	rr.feeders.Add(1)
	go func() {
		defer rr.feeders.Done()
		defer w.Close()
		if !rr.write(w, first, sent) {
			return
		}
		for b := range rr.later {
			if !rr.write(w, b, sent) {
				return
			}
		}
	}()
	return engine.Job{Seq: first.Seq, Args: first.Args, InputStream: r, InputSent: sent.Load}
}

// write writes block b to a job's stdin, counting the bytes, and reports
// whether the job still reads.
func (rr *roundRobin) write(w io.Writer, b engine.Job, sent *atomic.Int64) bool {
	var n int64
	var err error
	if b.InputFile != nil {
		n, err = io.Copy(w, io.NewSectionReader(b.InputFile.File, b.InputFile.Off, b.InputFile.Len))
	} else {
		var m int
		m, err = w.Write(b.Input)
		n = int64(m)
		rr.pool.put(b.Input)
	}
	sent.Add(n)
	return err == nil
}

// close ends every job's stdin, so that the feeders of jobs that were
// killed, or never started, stop.
func (rr *roundRobin) close() { rr.pipes.close() }
