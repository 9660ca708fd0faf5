package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// memWatchEvery is how often the available memory is looked at while jobs
// run under --memfree.
const memWatchEvery = 100 * time.Millisecond

// A memWatch kills the youngest running job whenever less than half of
// --memfree is available, or --limit's command exits 2, as GNU parallel
// does: the job ends as a timed out job does (Exitval -1 in the joblog), a
// failure that --retries may run again. It waits for a job it killed to
// end before it looks again.
type memWatch struct {
	limit int64 // half of --memfree; 0 for none
	avail func() int64
	over  func() int // --limit's command, nil for none

	mu      sync.Mutex
	running map[int]*atomic.Int32 // by job number, why it is to be killed
}

// Why a memWatch kills a job.
const (
	killedForMem   = 1 + iota // --memfree
	killedForLimit            // --limit
)

func newMemWatch(memFree int64, avail func() int64, over func() int) *memWatch {
	return &memWatch{limit: memFree / 2, avail: avail, over: over, running: make(map[int]*atomic.Int32)}
}

// add lists a try of job seq as running; its Limit should return
// killNow once the reason is set. remove must follow when it has ended.
func (w *memWatch) add(seq int) *atomic.Int32 {
	kill := new(atomic.Int32)
	w.mu.Lock()
	w.running[seq] = kill
	w.mu.Unlock()
	return kill
}

func (w *memWatch) remove(seq int) {
	w.mu.Lock()
	delete(w.running, seq)
	w.mu.Unlock()
}

// watch looks at the available memory, and asks --limit's command,
// every memWatchEvery until ctx ends.
func (w *memWatch) watch(ctx context.Context) {
	tick := time.NewTicker(memWatchEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			w.check()
		case <-ctx.Done():
			return
		}
	}
}

// check kills the youngest running job when memory is short, unless one
// it killed is still ending.
func (w *memWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	youngest := 0
	for seq, kill := range w.running {
		if kill.Load() != 0 {
			return
		}
		youngest = max(youngest, seq)
	}
	switch {
	case youngest == 0:
	case w.limit > 0 && w.avail() < w.limit:
		w.running[youngest].Store(killedForMem)
	case w.over != nil && w.over() == 2:
		w.running[youngest].Store(killedForLimit)
	}
}

// killNow is a time limit that any running job has passed.
const killNow = time.Nanosecond
