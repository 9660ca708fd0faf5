package threads

import (
	"context"
	"errors"
	"sync"
)

// An External is something that runs outside this process's goroutines, in
// practice a child process, and that the daemon rules cover as if it were a
// thread: see [Adopt]. Its methods must be safe for concurrent use.
type External interface {
	// Done returns a channel that is closed once the external has ended.
	Done() <-chan struct{}
	// Stop ends a daemon external at once, as Python's interpreter ends a
	// daemon child process at exit (a process: SIGTERM, then SIGKILL after
	// a grace period). It may block until the external has ended. Run
	// calls it at most once per run, from a goroutine of its own.
	Stop()
}

// Adopt puts e, which has already started, under the daemon rules of the
// [Run] that ctx belongs to or, when ctx belongs to none, of every Run in
// progress, since a process has one life however its goroutines are
// arranged. A Run then treats e as one of its threads: one that is not a
// daemon keeps the Run going until e.Done is closed; a daemon is stopped
// with e.Stop when the Run stops its daemons, and the Run waits for it for
// its grace period as for a daemon thread. [Daemon] and [Name] work as for
// [Start]: without Daemon, e is a daemon exactly when [Current](ctx) is, and
// the name ("External" by default) is what a [*GraceError] reports should
// e outlive the grace.
//
// ctx only tells where e belongs: Adopt never stops e because ctx ends.
// A non-daemon e adopted after its Run has begun to stop its daemons is
// stopped with them, as a non-daemon thread started then would be refused;
// a Run that has returned adopts nothing, and Adopt does nothing when no Run
// is in progress. Adopt returns at once; each adopting Run watches e with a
// goroutine that ends when e has ended.
func Adopt(ctx context.Context, e External, opts ...Option) {
	var cfg threadConfig
	var groups []*group
	if parent := Current(ctx); parent != nil && parent.group != nil {
		cfg.daemon = parent.daemon
		groups = []*group{parent.group}
	} else {
		groups = inProgress.list()
	}
	for _, o := range opts {
		if o != nil {
			o.applyThread(&cfg)
		}
	}
	for _, g := range groups {
		g.adopt(e, cfg)
	}
}

// adopt admits a thread that stands for e in g: it waits for e to end, and
// stops e when g cancels it as a daemon.
func (g *group) adopt(e External, cfg threadConfig) {
	if cfg.name == "" {
		cfg.name = "External"
	}
	t := &Thread{name: cfg.name, daemon: cfg.daemon, done: make(chan struct{})}
	ctx, cancel := context.Background(), context.CancelFunc(nil)
	if t.daemon {
		ctx, cancel = context.WithCancel(ctx)
	}
	err := g.admit(t, true, cancel)
	if !t.daemon && errors.Is(err, ErrStopped) {
		// The run is stopping, or has stopped: as a daemon, e is stopped
		// with the others in the first case and refused in the second.
		t.daemon = true
		ctx, cancel = context.WithCancel(ctx)
		err = g.admit(t, true, cancel)
	}
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return
	}
	go t.run(ctx, func(ctx context.Context) error {
		select {
		case <-e.Done():
		case <-ctx.Done():
			e.Stop()
			<-e.Done()
		}
		if cancel != nil {
			cancel()
		}
		return nil
	})
}

// inProgress is the set of Runs in progress, for [Adopt]. It is process-wide
// state because what it stands for, the program's life, is.
var inProgress runSet

// A runSet is a set of Runs in progress.
type runSet struct {
	mu     sync.Mutex // guards groups
	groups map[*group]struct{}
}

func (s *runSet) add(g *group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = make(map[*group]struct{})
	}
	s.groups[g] = struct{}{}
}

func (s *runSet) remove(g *group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, g)
}

func (s *runSet) list() []*group {
	s.mu.Lock()
	defer s.mu.Unlock()
	gs := make([]*group, 0, len(s.groups))
	for g := range s.groups {
		gs = append(gs, g)
	}
	return gs
}
