package futures

import (
	"context"
	"errors"
	"iter"
	"reflect"
	"strconv"
	"sync"
)

// An Awaitable is anything [Wait] and [AsCompleted] can wait for. Every
// *[Future] is one, whatever its result type, so futures of different types
// can be waited for together in a []Awaitable.
//
// Other implementations are welcome: Wait and AsCompleted watch their Done
// channels with one goroutine each, while futures of this package are
// watched without any.
type Awaitable interface {
	// Done returns a channel that is closed once the work is done.
	Done() <-chan struct{}
	// Err waits for the work and returns its error: nil on success, an
	// error matching ErrCancelled when it was cancelled.
	Err(ctx context.Context) error
}

// ReturnWhen says when [Wait] returns, as Python's return_when.
type ReturnWhen int

const (
	// FirstCompleted: as soon as any future is done.
	FirstCompleted ReturnWhen = iota
	// FirstException: as soon as any future fails, or when all are done.
	// A cancelled future counts as done, never as failed.
	FirstException
	// AllCompleted: when every future is done.
	AllCompleted
)

// String returns the name Python gives the condition.
func (w ReturnWhen) String() string {
	switch w {
	case FirstCompleted:
		return "FIRST_COMPLETED"
	case FirstException:
		return "FIRST_EXCEPTION"
	case AllCompleted:
		return "ALL_COMPLETED"
	}
	return "ReturnWhen(" + strconv.Itoa(int(w)) + ")"
}

// Wait blocks until the condition when is met for fs, or until ctx ends,
// and splits fs into the futures that are done and those still pending, each
// in the order of fs. Futures listed more than once appear once, and nil
// entries are left out. When ctx ends first, Wait returns ctx.Err() with the
// split as it stands: futures that were already done are reported as done
// even if ctx had ended before the call. An empty fs returns at once.
//
// Wait never cancels or otherwise changes the futures, and starts no
// goroutine for futures of this package. An unknown when is treated as
// AllCompleted.
func Wait[F Awaitable](ctx context.Context, fs []F, when ReturnWhen) (done, pending []F, err error) {
	ws := watch(fs)
	defer ws.stop()
	for !ws.met(when) {
		if err = ws.next(ctx); err != nil {
			break
		}
	}
	for i, f := range ws.items {
		if ws.isDone(i) {
			done = append(done, f)
		} else {
			pending = append(pending, f)
		}
	}
	return done, pending, err
}

// AsCompleted returns the futures of fs one by one as they finish, in the
// order they finish; those already done come first, in the order of fs.
// Futures listed more than once are yielded once, and nil entries are
// skipped. The sequence ends when every future has been yielded, when the
// loop breaks, or when ctx ends, whichever is first; after ctx ends it yields
// no more, so check ctx.Err() after the loop to tell a timeout from the end.
// The futures already done are yielded even if ctx had ended before.
//
// Iterating waits; nothing is started before. Each iteration watches the
// futures afresh, so the sequence may be iterated more than once.
func AsCompleted[F Awaitable](ctx context.Context, fs []F) iter.Seq[F] {
	return func(yield func(F) bool) {
		ws := watch(fs)
		defer ws.stop()
		for range ws.items {
			i, ok := ws.take(ctx)
			if !ok || !yield(ws.items[i]) {
				return
			}
		}
	}
}

// A watchSet follows a set of distinct awaitables. Each one reports its
// index on ch once when it is done: a listener for futures of this package,
// a goroutine for any other Awaitable.
type watchSet[F Awaitable] struct {
	items []F
	cores []*core // nil for foreign awaitables
	ch    chan int
	quit  chan struct{} // ends the goroutines of foreign awaitables
	wg    sync.WaitGroup
	done  []bool // done[i]: i has been received from ch
	nDone int
	fail  bool // a received future failed (not cancelled)
}

func watch[F Awaitable](fs []F) *watchSet[F] {
	ws := &watchSet[F]{}
	seen := make(map[any]bool, len(fs))
	for _, f := range fs {
		var c *core
		if fc, ok := any(f).(interface{ futureCore() *core }); ok {
			if c = fc.futureCore(); c == nil {
				continue
			}
		} else if any(f) == nil {
			continue
		}
		var key any = c
		if c == nil {
			key = any(f)
			if !reflect.TypeOf(key).Comparable() {
				key = len(ws.items) // cannot tell duplicates apart: keep them
			}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		ws.items = append(ws.items, f)
		ws.cores = append(ws.cores, c)
	}
	ws.ch = make(chan int, len(ws.items))
	ws.done = make([]bool, len(ws.items))
	for i, c := range ws.cores {
		if c != nil {
			c.listen(listener{ch: ws.ch, idx: i})
			continue
		}
		if ws.quit == nil {
			ws.quit = make(chan struct{})
		}
		ws.wg.Add(1)
		go ws.follow(i, ws.items[i].Done())
	}
	return ws
}

func (ws *watchSet[F]) follow(i int, done <-chan struct{}) {
	defer ws.wg.Done()
	select {
	case <-done:
		ws.ch <- i
	case <-ws.quit:
	}
}

// stop removes the listeners that have not fired and ends the goroutines.
func (ws *watchSet[F]) stop() {
	for i, c := range ws.cores {
		if c != nil && !ws.done[i] {
			c.unlisten(ws.ch)
		}
	}
	if ws.quit != nil {
		close(ws.quit)
		ws.wg.Wait()
	}
}

// take returns the index of the next awaitable to be done, preferring one
// already reported to the end of ctx.
func (ws *watchSet[F]) take(ctx context.Context) (int, bool) {
	var i int
	select {
	case i = <-ws.ch:
	default:
		select {
		case i = <-ws.ch:
		case <-ctx.Done():
			return 0, false
		}
	}
	ws.done[i] = true
	ws.nDone++
	if ws.failed(i) {
		ws.fail = true
	}
	return i, true
}

func (ws *watchSet[F]) next(ctx context.Context) error {
	if _, ok := ws.take(ctx); !ok {
		return ctx.Err()
	}
	return nil
}

// failed reports whether awaitable i, which is done, failed rather than
// succeeded or was cancelled.
func (ws *watchSet[F]) failed(i int) bool {
	if c := ws.cores[i]; c != nil {
		return c.failed()
	}
	err := ws.items[i].Err(context.Background())
	return err != nil && !errors.Is(err, ErrCancelled)
}

// isDone reports whether awaitable i is done now, reported or not.
func (ws *watchSet[F]) isDone(i int) bool {
	if ws.done[i] {
		return true
	}
	if c := ws.cores[i]; c != nil {
		return c.isSettled()
	}
	select {
	case <-ws.items[i].Done():
		return true
	default:
		return false
	}
}

func (ws *watchSet[F]) met(when ReturnWhen) bool {
	switch {
	case ws.nDone == len(ws.items):
		return true
	case when == FirstCompleted:
		return ws.nDone > 0
	case when == FirstException:
		return ws.fail
	}
	return false
}
