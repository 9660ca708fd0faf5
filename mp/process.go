package mp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/forkserver"
	"github.com/multitask-go/multitask/mp/internal/launch"
	"github.com/multitask-go/multitask/threads"
)

// A Process runs one registered function in a child process, as Python's
// multiprocessing.Process: make it with [NewProcess], then Start, Join, and
// read what the function returned with [Func.Result].
//
// Its methods are safe for concurrent use. A Process must not be copied.
type Process struct {
	fn    string
	arg   []byte
	hs    []handle
	cfg   processConfig
	setup error // what NewProcess found wrong, returned by Start

	mu      sync.Mutex // guards started and child
	started bool
	child   child
	ctl     *wire.Writer // the parent's end of the control channel, set by Start

	done chan struct{} // closed once the child has exited and its report is read

	// Set before done is closed.
	value []byte
	err   error
}

// NewProcess prepares a process that will run fn with in. It encodes in at
// once, so an argument that cannot cross a process boundary makes Start
// fail with a clear error; nothing runs until Start.
func NewProcess[In, Out any](fn *Func[In, Out], in In, opts ...ProcessOption) *Process {
	p := &Process{done: make(chan struct{}), cfg: processConfig{grace: DefaultGrace}}
	if fn == nil {
		p.setup = errors.New("mp: NewProcess with a nil *Func")
		return p
	}
	p.fn = fn.name
	p.cfg.name = fn.name
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyProcess(&p.cfg); err != nil {
			p.setup = err
			return p
		}
	}
	arg, hs, err := encodeArg(in)
	if err != nil {
		p.setup = fmt.Errorf("mp: encode the argument of %q: %w", fn.name, err)
		return p
	}
	p.arg, p.hs = arg, hs
	return p
}

// Name returns the process's name (see [Name]).
func (p *Process) Name() string { return p.cfg.name }

// Start starts the child process and returns once it runs; it does not wait
// for the function. Start fails when the process was already started (even
// if that start failed), when NewProcess found a problem, when [Main] was
// not called in this program, or when the child cannot be started.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return ErrStarted
	}
	p.started = true
	err := p.start()
	if err != nil {
		p.err = err
		close(p.done)
	}
	return err
}

// start does the work of Start; the caller holds p.mu.
func (p *Process) start() error {
	if p.setup != nil {
		return p.setup
	}
	if !mainCalled.Load() {
		return fmt.Errorf("mp: start %q: mp.Main was not called; call it first in main (and in TestMain)", p.cfg.name)
	}
	freezeRegistry()
	daemon := p.daemon()
	msg := startMsg{Func: p.fn, Arg: p.arg, Name: p.cfg.name, Daemon: daemon, Detached: p.cfg.detached}
	var files []*os.File
	for _, h := range p.hs {
		fs, err := h.handleFiles()
		if err != nil {
			return fmt.Errorf("mp: start %q: %w", p.cfg.name, err)
		}
		msg.Handles = append(msg.Handles, handleRef{ID: h.handleID(), Files: len(fs)})
		files = append(files, fs...)
	}
	switch {
	case p.cfg.method == Fork:
		inherit, err := snapshotInherited()
		if err != nil {
			return fmt.Errorf("mp: start %q: %w", p.cfg.name, err)
		}
		msg.Inherit = inherit
		msg.Files = len(p.cfg.files)
		files = append(files, p.cfg.files...)
	case len(p.cfg.files) > 0:
		return fmt.Errorf("mp: start %q: PassFiles is part of the Fork method's snapshot; "+
			"with %v, only the argument crosses", p.cfg.name, p.cfg.method)
	}
	start, err := marshalMsg(msg)
	if err != nil {
		return fmt.Errorf("mp: start %q: %w", p.cfg.name, err)
	}

	if p.cfg.method == ForkServer && (p.cfg.stdout != nil || p.cfg.detached) {
		return fmt.Errorf("mp: start %q: Output and Detached need Spawn or Fork: "+
			"a ForkServer child's output and lifetime are the fork server's", p.cfg.name)
	}
	out := launch.Options{Stdout: p.cfg.stdout, Stderr: p.cfg.stderr, Detached: p.cfg.detached}
	c, ctl, token, err := startChild(p.cfg.method, out, start, files)
	if err != nil {
		return fmt.Errorf("mp: start %q: %w", p.cfg.name, err)
	}
	p.child = c
	p.ctl = wire.NewWriter(ctl)
	go p.converse(ctl, token)
	if p.cfg.ctx != nil {
		go p.follow(p.cfg.ctx)
	}
	if !p.cfg.detached {
		threads.Adopt(cmp.Or(p.cfg.ctx, context.Background()), atExit{p},
			threads.Daemon(daemon), threads.Name(p.cfg.name))
	}
	return nil
}

// startChild starts a child by method m (with o, unless the fork server
// makes it) and sends it the start frame start with files. It returns the
// child, this process's end of its control socket and the token the child
// will answer with.
func startChild(m StartMethod, o launch.Options, start []byte, files []*os.File) (child, *os.File, []byte, error) {
	var c child
	var ctl *os.File
	var token []byte
	var took func()
	var err error
	if m == ForkServer {
		var fc *forkserver.Child
		fc, ctl, token, took, err = forkserver.Start()
		c = fc
	} else {
		c, ctl, token, err = launch.Start(launch.EnvChild, o)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	// The start frame goes now, with the handles' descriptors, so that the
	// caller may close its copies as soon as Start returns; the socket holds
	// it until the child reads it.
	err = launch.SendWithFiles(ctl, wire.AppendFrame(nil, kindStart, start), files)
	if took != nil {
		took()
	}
	if err != nil {
		_ = c.Signal(syscall.SIGKILL)
		<-c.Done()
		ctl.Close()
		return nil, nil, nil, fmt.Errorf("send the start message: %w", err)
	}
	return c, ctl, token, nil
}

// A child is a started process as its parent sees it: a child of this
// process (a *supervise.Child), or one the fork server made.
type child interface {
	Pid() int
	Done() <-chan struct{}
	ExitCode() int
	Signal(syscall.Signal) error
	WaitErr() error
}

// daemon decides whether the process is a daemon: the option, else the
// daemon flag of the thread of its context, else this process's own.
func (p *Process) daemon() bool {
	switch {
	case p.cfg.daemon != nil:
		return *p.cfg.daemon
	case p.cfg.ctx != nil && threads.Current(p.cfg.ctx) != nil:
		return threads.Current(p.cfg.ctx).IsDaemon()
	}
	return self.Daemon
}

// converse runs the parent's side of the control channel: it checks the
// child's hello, sends the start frame, and reads the child's report until
// the channel ends; then it waits for the child to be reaped and settles
// the process.
func (p *Process) converse(conn *os.File, token []byte) {
	defer close(p.done)
	rep, err := p.exchange(conn, token)
	if err != nil {
		// A child that breaks the protocol cannot be trusted to finish.
		_ = p.child.Signal(syscall.SIGKILL)
	}
	<-p.child.Done()
	conn.Close()
	code := p.child.ExitCode()
	switch {
	case err != nil:
		p.err = fmt.Errorf("mp: process %q (pid %d): %w: %w", p.cfg.name, p.child.Pid(), ErrProtocol, err)
	case rep != nil && rep.Err != nil:
		p.err = rep.Err.rebuild()
	case rep != nil && code == 0:
		p.value = rep.Value
	case code == exitNoMain:
		p.err = fmt.Errorf("mp: process %q (pid %d): %w", p.cfg.name, p.child.Pid(), ErrNoMain)
	case code != 0 || rep == nil:
		p.err = &ExitError{Pid: p.child.Pid(), Code: code}
	}
	if p.err == nil {
		p.err = p.child.WaitErr()
	}
}

// exchange checks the child's hello and returns its report, or nil when the
// channel ended first (the child died, or exited without reporting). An
// error means the child broke the protocol.
func (p *Process) exchange(conn *os.File, token []byte) (*resultMsg, error) {
	got, err := wire.ReadHello(conn, launch.MaxToken)
	if launch.ChannelEnded(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if string(got) != string(token) {
		return nil, fmt.Errorf("mp: the child answered with the wrong token")
	}
	r := wire.NewReader(conn, 0)
	var rep *resultMsg
	for {
		kind, payload, err := r.ReadFrame()
		if launch.ChannelEnded(err) {
			return rep, nil // the child is gone; its exit status tells why
		}
		if err != nil {
			return nil, err
		}
		if kind != kindResult || rep != nil {
			return rep, fmt.Errorf("mp: unexpected frame of kind %d from the child", kind)
		}
		rep = new(resultMsg)
		if err := unmarshalMsg(payload, rep); err != nil {
			return nil, fmt.Errorf("mp: corrupt report from the child: %w", err)
		}
	}
}

// follow asks the child's function to return when ctx ends, and kills the
// child if it has not exited after the grace period, as
// exec.CommandContext does. It returns once the child has exited.
func (p *Process) follow(ctx context.Context) {
	select {
	case <-p.done:
	case <-ctx.Done():
		// Fails only if the child is gone.
		p.stop(func() { _ = p.ctl.WriteFrame(kindCancel, nil) })
	}
}

// stop asks the child to end with ask and kills it if it has not exited
// after the grace period. It returns once the child has exited.
func (p *Process) stop(ask func()) {
	ask()
	if p.cfg.grace > 0 {
		t := time.NewTimer(p.cfg.grace)
		defer t.Stop()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
	_ = p.child.Signal(syscall.SIGKILL)
	<-p.done
}

// atExit is a started process as threads.Run sees it (see threads.Adopt):
// the run waits for it, or, for a daemon, ends it as Python ends daemon
// children at exit: SIGTERM, then SIGKILL if it is still alive after the
// grace period.
type atExit struct{ p *Process }

// Done is closed once the process has exited and its report is read.
func (a atExit) Done() <-chan struct{} { return a.p.done }

// Stop terminates the process and returns once it has exited.
func (a atExit) Stop() { a.p.stop(func() { _ = a.p.child.Signal(syscall.SIGTERM) }) }

// Join waits until the process has exited and returns its outcome: nil when
// the function returned nil and the child exited with status 0; the
// function's error (rebuilt, see the package documentation); or an
// [*ExitError] when the child died without a report. When ctx ends first,
// Join returns ctx.Err() and the process goes on. Join before Start returns
// [ErrNotStarted].
func (p *Process) Join(ctx context.Context) error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	select {
	case <-p.done:
		return p.err
	default:
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel that is closed when the process has exited (or its
// start failed). It is nil before Start.
func (p *Process) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return nil
	}
	return p.done
}

// Terminate sends SIGTERM to the child, which by default ends it as Python's
// terminate does (exit code -15), unless the child has asked for the
// signal with signal.Notify. It does nothing to a process that has exited.
func (p *Process) Terminate() error { return p.signal(syscall.SIGTERM) }

// Kill sends SIGKILL to the child. It does nothing to a process that has
// exited.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL) }

func (p *Process) signal(sig syscall.Signal) error {
	c := p.supervised()
	if c == nil {
		return ErrNotStarted
	}
	return c.Signal(sig)
}

func (p *Process) supervised() child {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.child
}

// Pid returns the child's process id, or 0 before it started.
func (p *Process) Pid() int {
	if c := p.supervised(); c != nil {
		return c.Pid()
	}
	return 0
}

// ExitCode returns the child's exit status, -N when signal N killed it, or
// -1 while it runs or before it started (use [Process.Alive] to tell).
func (p *Process) ExitCode() int {
	if c := p.supervised(); c != nil {
		return c.ExitCode()
	}
	return -1
}

// Alive reports whether the child has started and not yet exited.
func (p *Process) Alive() bool {
	c := p.supervised()
	if c == nil {
		return false
	}
	select {
	case <-c.Done():
		return false
	default:
		return true
	}
}

// Result waits for p, which must run f, and returns what the function
// returned: its decoded result, or the error [Process.Join] returns. When
// ctx ends first, it returns ctx.Err().
func (f *Func[In, Out]) Result(ctx context.Context, p *Process) (Out, error) {
	var out Out
	if p.fn != f.name {
		return out, fmt.Errorf("mp: Result of %q asked of a process that runs %q", f.name, p.fn)
	}
	if err := p.Join(ctx); err != nil {
		return out, err
	}
	if err := codec.Default().Unmarshal(p.value, &out); err != nil {
		return out, fmt.Errorf("mp: decode the result of %q: %w", f.name, err)
	}
	return out, nil
}

// exit statuses of a child that did not run its function.
const (
	exitFailed    = 1                    // the function returned an error or panicked
	exitBootstrap = launch.ExitBootstrap // not started by a parent of this binary, or the parent vanished
	exitNoMain    = 4                    // Main was never called
)
