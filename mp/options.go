package mp

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// StartMethod says how a child process is made; see the package
// documentation for what each gives the child.
type StartMethod int

const (
	// Spawn starts a fresh process of the same binary (an exec of
	// os.Executable); the child gets only its argument and the handles in it.
	Spawn StartMethod = iota
	// ForkServer has children made by a server process started from a clean
	// state, which keeps warm spares so that a start is fast. While a spare
	// waits, it encodes and decodes a zero value of the argument and result
	// types of every registered function, so that the codec is ready for
	// whichever the parent sends; a type's own marshalling methods, if it
	// has them, run then too.
	ForkServer
	// Fork starts a fresh process of the same binary and recreates in it a
	// snapshot of the parent: the variables registered with Inherit, the
	// environment and the working directory at Start.
	Fork
)

// String returns the method's name as Python spells it.
func (m StartMethod) String() string {
	switch m {
	case Spawn:
		return "spawn"
	case ForkServer:
		return "forkserver"
	case Fork:
		return "fork"
	}
	return fmt.Sprintf("StartMethod(%d)", int(m))
}

// A ProcessOption configures a [Process].
type ProcessOption interface {
	applyProcess(*processConfig) error
}

// An Option configures a [Process] and a [Pool] alike.
type Option interface {
	ProcessOption
	PoolOption
}

type processConfig struct {
	method         StartMethod
	daemon         *bool
	name           string
	stdout, stderr io.Writer
	ctx            context.Context
	grace          time.Duration
	detached       bool
	files          []*os.File
}

// DefaultGrace is how long a child is given to return after its context is
// cancelled before it is killed, unless [Grace] says otherwise.
const DefaultGrace = time.Second

type processOptionFunc func(*processConfig) error

func (f processOptionFunc) applyProcess(c *processConfig) error { return f(c) }

type methodOpt StartMethod

func (m methodOpt) applyProcess(c *processConfig) error {
	switch StartMethod(m) {
	case Spawn, Fork, ForkServer:
		c.method = StartMethod(m)
		return nil
	}
	return fmt.Errorf("mp: Method(%d): no such start method", int(m))
}

// Method sets how the child is made: [Spawn] (the default), [ForkServer] or
// [Fork].
func Method(m StartMethod) Option { return methodOpt(m) }

// Daemon sets whether the process is a daemon. Without it, a process is a
// daemon when it is started from a daemon: a daemon thread (see [Context]),
// or a process that is itself a daemon child. A threads.Run in progress
// terminates its daemon children (SIGTERM, then SIGKILL after the grace
// period) when it stops its daemons, and waits for the others; see the
// package documentation, "Lifetimes". Daemons may start children of their
// own.
func Daemon(daemon bool) ProcessOption {
	return processOptionFunc(func(c *processConfig) error { c.daemon = &daemon; return nil })
}

// Name sets the process's name, for errors and [Process.Name]. The default
// is the name of the function the process runs.
func Name(name string) ProcessOption {
	return processOptionFunc(func(c *processConfig) error { c.name = name; return nil })
}

// Output sends the child's standard output and error to stdout and stderr
// instead of the parent's own. A nil writer discards that stream.
func Output(stdout, stderr io.Writer) ProcessOption {
	return processOptionFunc(func(c *processConfig) error {
		c.stdout, c.stderr = orDiscard(stdout), orDiscard(stderr)
		return nil
	})
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Context ties the process to ctx, as exec.CommandContext does: when ctx
// ends, the function's context in the child is cancelled, and the child is
// killed if it has not exited after the grace period (see [Grace]). When
// ctx belongs to a threads.Run, the process belongs to that run, which
// waits for it, or, for a daemon, terminates it when it stops its daemons;
// its daemon flag defaults to that of the thread ctx belongs to. A process
// started without Context belongs to every run in progress.
func Context(ctx context.Context) ProcessOption {
	return processOptionFunc(func(c *processConfig) error {
		if ctx == nil {
			return fmt.Errorf("mp: Context(nil): use context.Background() for no context")
		}
		c.ctx = ctx
		return nil
	})
}

// Grace sets how long a child whose context was cancelled may take to
// return before it is killed, and how long a daemon child that a
// threads.Run terminated may take to die of SIGTERM before it gets SIGKILL;
// the default is [DefaultGrace]. Zero kills at once. In a [Pool], it is the time a task whose context ended, or that
// overran [Timeout], has to return before its worker is killed.
func Grace(d time.Duration) Option { return graceOpt(d) }

type graceOpt time.Duration

func (g graceOpt) invalid() error {
	return fmt.Errorf("mp: Grace(%v): the grace period must not be negative", time.Duration(g))
}

func (g graceOpt) applyProcess(c *processConfig) error {
	if g < 0 {
		return g.invalid()
	}
	c.grace = time.Duration(g)
	return nil
}

// Detached lets the child outlive its parent: it gets no parent-death
// signal and a session of its own. A detached child is the one exception to
// the rule that no child outlives its parent; the parent still reaps it, if
// it is still alive when the child exits.
func Detached(detached bool) ProcessOption {
	return processOptionFunc(func(c *processConfig) error { c.detached = detached; return nil })
}

// PassFiles adds open files, such as listening sockets, to the snapshot a
// [Fork] child receives: the child finds them, in this order, with
// [InheritedFiles] (a listener comes back with net.FileListener). The
// descriptors are sent at Start; the parent may close its files after that.
// Spawn and ForkServer children get only their argument, so Start refuses
// PassFiles with them.
func PassFiles(files ...*os.File) ProcessOption {
	return processOptionFunc(func(c *processConfig) error {
		for i, f := range files {
			if f == nil {
				return fmt.Errorf("mp: PassFiles: file %d is nil", i)
			}
		}
		c.files = append(c.files, files...)
		return nil
	})
}
