package cluster

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Leases spare a remote worker the question it would otherwise ask before
// each task: may I begin it? An executor's answer to any question grants
// the worker a lease, under which it begins that executor's tasks without
// asking, for leaseTerm from when it asked. A cancellation then asks the
// other way round: the executor recalls the task from every worker that
// holds a lease, and each answers whether it began the task; one that had
// not will ask before it begins it, as a worker without a lease does. A
// worker renews its lease while it holds tasks begun under it whose
// results the executor has not read, and gives it back when it stops.
//
// The cancellation wins only when every holder answered that it had not
// begun the task; one that does not answer may have begun it, and Cancel
// then returns false. A grant carries the tasks being cancelled at that
// moment, and those cancelled whose messages are still in the stream, so
// that a worker that takes a lease after a recall was sent asks about
// them too. A redelivered task is always asked about.

// leaseTerm is how long a worker may begin an executor's tasks without
// asking it again, from when it last asked.
const leaseTerm = 2 * time.Second

// recallTimeout bounds the wait for a worker's answer to a recall, after
// which the cancellation gives up: the worker may have begun the task.
const recallTimeout = time.Second

// recallKeep is how long a worker remembers a recalled task it did not
// get: the executor deletes the task's message from the stream once the
// cancellation has won, so only a message the worker had fetched before
// then can come.
const recallKeep = time.Minute

const (
	grantMark     = 'L' // in an answer to a question, after a byte per task: a lease follows
	releaseMark   = '-' // first in a question that gives leases back
	leaselessMark = '!' // first in a question that wants no lease
	recallBegun   = 'b' // a worker's answer to a recall: it began the task
	recallBack    = 'r' // a worker's answer to a recall: it asks before it begins the task
)

// A lease is a worker's leave to begin an executor's tasks without asking.
// The worker renews it while it holds tasks begun under it whose results
// the executor has not read: until then, a cancellation must be able to
// recall them.
type lease struct {
	until    time.Time            // when it ends: zero before the first grant
	renewing bool                 // a question that renews it is on its way
	recalled map[string]time.Time // tasks to ask about all the same, with when they were recalled
	begun    map[string]uint64    // tasks begun under it: their result's stream sequence once it is stored, 0 before
}

// leases are a worker's, by the id of the executor that granted them.
type leases struct {
	mu        sync.Mutex
	m         map[string]*lease
	givenBack bool // the worker stops: it takes no lease any more
}

// get returns the lease of executor exec, which it makes when there is
// none. The caller holds mu.
func (ls *leases) get(exec string) *lease {
	l := ls.m[exec]
	if l == nil {
		l = &lease{recalled: make(map[string]time.Time), begun: make(map[string]uint64)}
		ls.m[exec] = l
	}
	return l
}

// executorOf is the id of the executor whose results go to reply.
func executorOf(reply string) string { return strings.TrimPrefix(reply, resultsPrefix) }

// beginLeased begins task t under the lease of its executor, and reports
// whether it did: not when the worker holds no lease, when the executor
// recalled the task, or when the task was delivered before. The worker
// then asks.
func (w *worker) beginLeased(t *task) bool {
	if t.attempt > 1 {
		return false
	}
	w.leases.mu.Lock()
	defer w.leases.mu.Unlock()
	l := w.leases.m[executorOf(t.reply)]
	if l == nil || !time.Now().Before(l.until) {
		return false
	}
	if _, recalled := l.recalled[t.id]; recalled {
		return false
	}
	l.begun[t.id] = 0
	t.leased = true
	return true
}

// leaseLoop renews, every quarter of a lease, the leases under which the
// worker began tasks whose results the executor has not read, once half
// run out, until ctx ends: the executor recalls tasks from the holders of
// leases only. It forgets the leases that ended long ago.
func (w *worker) leaseLoop(ctx context.Context) {
	defer w.loops.Done()
	t := time.NewTicker(leaseTerm / 4)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		var renew []string
		now := time.Now()
		w.leases.mu.Lock()
		for exec, l := range w.leases.m {
			if now.Sub(l.until) > recallKeep {
				delete(w.leases.m, exec) // no executor recalls from it
				continue
			}
			if len(l.begun) > 0 && !l.renewing && l.until.Sub(now) < leaseTerm/2 {
				l.renewing = true
				renew = append(renew, exec)
			}
			for id, at := range l.recalled {
				if now.Sub(at) > recallKeep {
					delete(l.recalled, id)
				}
			}
		}
		w.leases.mu.Unlock()
		for _, exec := range renew {
			w.asks.add(beginPrefix+exec, &ask{}) // a question about no task
		}
	}
}

// granted takes the lease that an executor's answer to a question asked
// at asked holds after its answers, if it holds one: the last result the
// executor has surely read, so that the worker forgets the tasks it began
// up to it, and the tasks the executor recalls.
func (w *worker) granted(exec string, asked time.Time, grant []byte) {
	w.leases.mu.Lock()
	defer w.leases.mu.Unlock()
	l := w.leases.get(exec)
	l.renewing = false
	if len(grant) == 0 || grant[0] != grantMark || w.leases.givenBack {
		return
	}
	read, n := binary.Uvarint(grant[1:])
	if n <= 0 {
		return
	}
	if end := asked.Add(leaseTerm); end.After(l.until) {
		l.until = end
	}
	now := time.Now()
	for _, id := range strings.Fields(string(grant[1+n:])) {
		l.recalled[id] = now
	}
	for id, seq := range l.begun {
		if seq != 0 && seq <= read {
			delete(l.begun, id)
		}
	}
}

// stored records the stream sequence of the message that holds the
// results of outs for executor exec: their tasks, if begun under its
// lease, are forgotten once the executor has read that far.
func (w *worker) stored(exec string, outs []*outcome, seq uint64) {
	w.leases.mu.Lock()
	defer w.leases.mu.Unlock()
	l := w.leases.m[exec]
	if l == nil {
		return
	}
	for _, o := range outs {
		if _, ok := l.begun[o.id]; ok {
			l.begun[o.id] = seq
		}
	}
}

// tellAfter is how long a task begun under a lease runs before the worker
// tells its executor, by asking about it, that it has begun: its future
// then shows it running, and a stop finds its worker without a recall.
// Tasks that end sooner, as most tiny ones do, are never told.
const tellAfter = 50 * time.Millisecond

// tellBegun tells t's executor that t has begun, if t was begun under a
// lease and still runs after tellAfter, until stop is called.
func (w *worker) tellBegun(t *task) (stop func()) {
	if !t.leased {
		return func() {}
	}
	return every(func() time.Duration { return tellAfter }, func() bool {
		w.asks.add(beginPrefix+executorOf(t.reply), &ask{id: t.id, answer: make(chan byte, 1)})
		return false
	})
}

// unlease hands task t, begun under its executor's lease and going back
// to the queue without a result, over to the executor's memory: the
// worker asks about it, which tells the executor that the task has begun,
// and forgets it. A cancellation before it comes again then finds it
// begun, as it would have had the worker asked first.
func (w *worker) unlease(t *task) {
	if !t.leased {
		return
	}
	exec := executorOf(t.reply)
	a := &ask{id: t.id, answer: make(chan byte, 1)}
	w.asks.add(beginPrefix+exec, a)
	<-a.answer
	w.leases.mu.Lock()
	delete(w.leases.get(exec).begun, t.id)
	w.leases.mu.Unlock()
}

// answerRecall answers an executor's recall, "<executor> <id>...": a byte
// per task, recallBegun when the worker began it under the executor's
// lease, else recallBack, and the worker then asks before it begins it.
func (w *worker) answerRecall(m *nats.Msg) {
	exec, ids, _ := strings.Cut(string(m.Data), " ")
	list := strings.Fields(ids)
	answer := make([]byte, len(list))
	now := time.Now()
	w.leases.mu.Lock()
	l := w.leases.get(exec)
	for i, id := range list {
		if _, begun := l.begun[id]; begun {
			answer[i] = recallBegun
			continue
		}
		l.recalled[id] = now
		answer[i] = recallBack
	}
	w.leases.mu.Unlock()
	_ = m.Respond(answer)
}

// giveBack gives the worker's leases back as it stops, each with the
// tasks the worker began under it: the executor no longer recalls tasks
// from this worker, and counts those as begun. A task the worker begins
// from then on, it asks about.
func (w *worker) giveBack() {
	held := make(map[string][]string)
	w.leases.mu.Lock()
	w.leases.givenBack = true
	now := time.Now()
	for exec, l := range w.leases.m {
		if len(l.begun) == 0 && !now.Before(l.until) {
			continue
		}
		l.until = time.Time{}
		ids := make([]string, 0, len(l.begun))
		for id := range l.begun {
			ids = append(ids, id)
		}
		held[exec] = ids
	}
	w.leases.mu.Unlock()
	for exec, ids := range held {
		for first := true; first || len(ids) > 0; first = false {
			part := ids[:min(len(ids), maxAsk)]
			ids = ids[len(part):]
			q := string(releaseMark) + w.id
			if len(part) > 0 {
				q += " " + strings.Join(part, " ")
			}
			ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
			_, _ = w.nc.RequestWithContext(ctx, beginPrefix+exec, []byte(q))
			cancel()
		}
	}
}

// maxWithheld is the most tasks withheld from leases for which the
// executor still grants leases: beyond, as while many cancellations
// settle at once, workers ask about every task.
const maxWithheld = 2048

// grant appends to the answer to worker's question the lease it grants:
// the last result read for sure, and the tasks withheld from leases.
func (c *client) grant(worker string, answer []byte) []byte {
	read := c.read.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.withheld) > maxWithheld {
		return answer
	}
	b := append(answer, grantMark)
	b = binary.AppendUvarint(b, read)
	// Measured from now, later than the worker's own measure, which runs
	// from before it asked.
	c.leases[worker] = time.Now().Add(leaseTerm)
	for id := range c.withheld {
		b = append(b, ' ')
		b = append(b, id...)
	}
	return b
}

// onRelease takes back the leases of a worker that stops: "-<worker>
// <id>...", with the tasks it began under them, which count as begun.
func (c *client) onRelease(m *nats.Msg, q string) {
	worker, ids, _ := strings.Cut(q, " ")
	var begun []*entry
	c.mu.Lock()
	delete(c.leases, worker)
	for _, id := range strings.Fields(ids) {
		if en := c.pending[id]; en != nil && en.worker == "" {
			en.worker = worker
			begun = append(begun, en)
		}
	}
	c.mu.Unlock()
	for _, en := range begun {
		en.t.Begin()
	}
	_ = m.Respond(nil)
}

// holdersLocked returns the workers whose leases have not ended, and
// forgets those whose have. The caller holds mu.
func (c *client) holdersLocked() []string {
	now := time.Now()
	var holders []string
	for worker, end := range c.leases {
		if end.After(now) {
			holders = append(holders, worker)
		} else {
			delete(c.leases, worker)
		}
	}
	return holders
}

// recall asks holders, the workers with leases, whether one of them began
// task id under its lease; the others ask before they begin it from then
// on. It returns the worker that began it, if one answered so, and
// whether every holder answered.
func (c *client) recall(id string, holders []string) (worker string, sure bool) {
	answers := make(chan [2]string, len(holders))
	q := []byte(c.id + " " + id)
	for _, h := range holders {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), recallTimeout)
			defer cancel()
			m, err := c.nc.RequestWithContext(ctx, recallPrefix+h, q)
			if err != nil {
				answers <- [2]string{h, ""}
				return
			}
			answers <- [2]string{h, string(m.Data)}
		}()
	}
	sure = true
	for range holders {
		switch a := <-answers; a[1] {
		case string(recallBegun):
			worker = a[0]
		case string(recallBack):
		default:
			sure = false
		}
	}
	return worker, sure
}
