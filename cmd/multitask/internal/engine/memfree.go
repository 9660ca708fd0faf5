package engine

import (
	"context"
	"slices"
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
// end before it looks again. Under --memsuspend it stops (SIGSTOP) the
// youngest jobs instead while memory is short, and lets them go on as it
// comes back.
type memWatch struct {
	limit   int64 // half of --memfree; 0 for none
	suspend int64 // --memsuspend; 0 for none
	avail   func() int64
	over    func() int // --limit's command, nil for none

	mu      sync.Mutex
	running map[int]*watched // by job number
}

// watched is what a memWatch has decided for a running try of a job.
type watched struct {
	kill atomic.Int32 // why it is to be killed; 0 while it is not
	stop atomic.Bool  // to be stopped, for --memsuspend
}

// Why a memWatch kills a job.
const (
	killedForMem   = 1 + iota // --memfree
	killedForLimit            // --limit
)

func newMemWatch(memFree, memSuspend int64, avail func() int64, over func() int) *memWatch {
	return &memWatch{limit: memFree / 2, suspend: memSuspend, avail: avail, over: over, running: make(map[int]*watched)}
}

// add lists a try of job seq as running; its Limit should return
// killNow once kill is set, and its Suspend return stop. remove must
// follow when it has ended.
func (w *memWatch) add(seq int) *watched {
	j := new(watched)
	w.mu.Lock()
	w.running[seq] = j
	w.mu.Unlock()
	return j
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
// it killed is still ending, and stops or lets go on jobs for
// --memsuspend.
func (w *memWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.suspend > 0 {
		w.suspendSome()
	}
	youngest := 0
	for seq, j := range w.running {
		if j.kill.Load() != 0 {
			return
		}
		youngest = max(youngest, seq)
	}
	switch {
	case youngest == 0:
	case w.limit > 0 && w.avail() < w.limit:
		w.running[youngest].kill.Store(killedForMem)
	case w.over != nil && w.over() == 2:
		w.running[youngest].kill.Store(killedForLimit)
	}
}

// suspendSome does what GNU parallel does for --memsuspend SIZE: while
// less than 2 × SIZE is available, only the oldest jobs run, one below
// SIZE and more the closer it comes to 2 × SIZE (1 / (2 - available/SIZE),
// rounded down, plus one); the others stop. Above it, one stopped job goes
// on at each look, the oldest first.
func (w *memWatch) suspendSome() {
	seqs := make([]int, 0, len(w.running))
	for seq := range w.running {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	free := float64(w.avail()) / float64(w.suspend)
	if free >= 2 {
		for _, seq := range seqs {
			if j := w.running[seq]; j.stop.Load() {
				j.stop.Store(false)
				return
			}
		}
		return
	}
	run := min(int(1/(2-free)), len(seqs)-1) + 1
	for i, seq := range seqs {
		w.running[seq].stop.Store(i >= run)
	}
}

// killNow is a time limit that any running job has passed.
const killNow = time.Nanosecond
