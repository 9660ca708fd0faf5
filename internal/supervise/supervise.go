// Package supervise starts child processes that cannot outlive their
// parent and reaps each with exactly one goroutine.
//
// A child started here gets a parent-death signal (SIGKILL) on Linux. The
// kernel ties that signal to the thread that forked the child, not to the
// process, and the Go runtime ends a thread when a goroutine locked to it
// exits; a child forked from such a thread would be killed at a random
// moment. So every child is forked from one goroutine locked to its thread
// for as long as any child it forked is alive; it exits, taking its thread
// with it, only once none is, and no child was asked for in a short while:
// a program that starts children one after another keeps one thread.
//
// Handing each start to that thread and back costs two thread switches. A
// program that knows no goroutine of its own ever exits locked to its
// thread can fork on whichever thread it runs (Options.AnyThread).
package supervise

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ErrUnsupported is returned by Start on platforms where a child's death
// cannot be tied to its parent's.
var ErrUnsupported = errors.New("supervise: process supervision is not supported on this platform")

// A Child is a started process and its one reaper.
type Child struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{} // closed once the child has been reaped

	// Written by the reaper before done is closed.
	code    int // Python's convention: exit status, or -N for signal N
	waitErr error
}

// Options say how to start a child.
type Options struct {
	// Detached children survive their parent: no parent-death signal, and a
	// session of their own so a terminal's signals pass them by.
	Detached bool

	// AnyThread forks a linked child on the calling goroutine's thread
	// rather than on the package's forking thread, which spares two thread
	// switches per child. Only for a program in which no goroutine ever
	// exits locked to its thread (runtime.LockOSThread without
	// UnlockOSThread): the runtime would end that thread, and the kernel
	// kill every child forked on it. The package's own forking thread
	// does not end while such a child lives.
	AnyThread bool
	// Nice, when not 0, is the niceness a linked child starts with, as
	// setpriority(2) sets it, in place of this process's: the child is
	// forked on a thread of that niceness, which it inherits. Without the
	// privilege to lower a niceness, a lower one is left as it is, as GNU
	// parallel's --nice leaves it.
	Nice int
}

// Start starts cmd, which must not have been started, and its reaper. The
// caller must not call cmd.Wait; Child.Done tells when the child has ended.
func Start(cmd *exec.Cmd, opts Options) (*Child, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if opts.Detached && opts.Nice != 0 {
		return nil, errors.New("supervise: Nice is for linked children, not Detached ones")
	}
	if err := configure(cmd.SysProcAttr, opts); err != nil {
		return nil, err
	}
	var err error
	var f *lockedForker // the linked child's
	switch {
	case opts.Detached:
		err = cmd.Start()
	case opts.Nice != 0:
		f = niceForker(opts.Nice)
		err = f.start(cmd)
	case opts.AnyThread:
		f = forker
		err = f.startHere(cmd)
	default:
		f = forker
		err = f.start(cmd)
	}
	if err != nil {
		return nil, err
	}
	c := &Child{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go c.reap(f)
	return c, nil
}

// reap waits for the child, then releases it from f, the forker of a
// linked child (nil for a detached one).
func (c *Child) reap(f *lockedForker) {
	err := c.cmd.Wait()
	c.code = exitCode(c.cmd.ProcessState)
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		c.waitErr = err // copying output failed, or Wait itself did
	}
	close(c.done)
	if f != nil {
		f.release()
	}
}

// exitCode renders a process state in Python's convention: the exit status,
// or -N when signal N killed the process.
func exitCode(ps interface {
	Sys() any
	ExitCode() int
}) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return ps.ExitCode()
}

// Pid returns the child's process id.
func (c *Child) Pid() int { return c.pid }

// Done returns a channel closed once the child has exited and been reaped.
func (c *Child) Done() <-chan struct{} { return c.done }

// ExitCode returns the exit status, -N when signal N killed the child, or
// -1 while it runs. Read it after Done is closed to tell the two -1 apart.
func (c *Child) ExitCode() int {
	select {
	case <-c.done:
		return c.code
	default:
		return -1
	}
}

// WaitErr returns the error of waiting for the child other than its exit
// status: a failure copying its captured output. Valid after Done.
func (c *Child) WaitErr() error {
	<-c.done
	return c.waitErr
}

// Signal sends sig to the child unless it has already been reaped, in which
// case it does nothing: the pid may belong to another process by then.
func (c *Child) Signal(sig syscall.Signal) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	err := c.cmd.Process.Signal(sig)
	if errors.Is(err, errProcessDone) {
		return nil
	}
	return err
}

// forker forks linked children from one locked thread; see the package doc.
var forker = &lockedForker{}

// niceForkers fork the linked children of Options.Nice, one forker per
// niceness: a thread's niceness, once raised, cannot be lowered again
// without privilege, so each keeps a thread of its own.
var niceForkers = struct {
	sync.Mutex
	m map[int]*lockedForker
}{m: map[int]*lockedForker{}}

func niceForker(nice int) *lockedForker {
	niceForkers.Lock()
	defer niceForkers.Unlock()
	f := niceForkers.m[nice]
	if f == nil {
		f = &lockedForker{nice: nice}
		niceForkers.m[nice] = f
	}
	return f
}

// lockedForker serves start requests on a goroutine locked to its thread.
// Package state, as the thread it guards is a property of the process.
type lockedForker struct {
	nice   int        // the niceness of its thread; 0 leaves the process's
	mu     sync.Mutex // guards the fields below
	live   int        // linked children started and not yet reaped
	reqs   chan forkReq
	serves int // forking goroutines started, each with a thread
}

type forkReq struct {
	cmd  *exec.Cmd
	done chan error
}

func (f *lockedForker) start(cmd *exec.Cmd) error {
	f.mu.Lock()
	f.live++
	if f.reqs == nil {
		f.reqs = make(chan forkReq)
		f.serves++
		go f.serve(f.reqs)
	}
	reqs := f.reqs
	f.mu.Unlock()
	req := forkReq{cmd: cmd, done: make(chan error, 1)}
	reqs <- req
	err := <-req.done
	if err != nil {
		f.release()
	}
	return err
}

// startHere forks cmd on the calling goroutine's thread (Options.AnyThread).
// The child counts as live: the forking goroutine, locked to a thread that
// may have forked it before, must not end that thread while it lives.
func (f *lockedForker) startHere(cmd *exec.Cmd) error {
	f.mu.Lock()
	f.live++
	f.mu.Unlock()
	err := cmd.Start()
	if err != nil {
		f.release()
	}
	return err
}

// release accounts for a linked child that was reaped or never started.
func (f *lockedForker) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live--
}

// forkerIdle is how long the forking goroutine waits for the next request
// once no child it forked is alive, before it ends with its thread (up to
// twice that in all). A new thread for each child costs more than the
// child's fork when children are started one after another.
const forkerIdle = 50 * time.Millisecond

func (f *lockedForker) serve(reqs <-chan forkReq) {
	// Never unlocked: when this goroutine returns, the runtime ends the
	// thread, which is safe then because no child it forked is alive.
	lockThread()
	if f.nice != 0 {
		setThreadNice(f.nice)
	}
	idle := time.NewTimer(forkerIdle)
	defer idle.Stop()
	wasIdle := false // no child alive at the last tick, and none asked for since
	for {
		select {
		case req := <-reqs:
			req.done <- req.cmd.Start()
			wasIdle = false
		case <-idle.C:
			// start counts a child before it sends its request: with
			// none counted, none is on its way. Two ticks in a row
			// without a child mean a whole period without one.
			f.mu.Lock()
			if f.live == 0 && wasIdle {
				f.reqs = nil
				f.mu.Unlock()
				return
			}
			wasIdle = f.live == 0
			f.mu.Unlock()
		}
		idle.Reset(forkerIdle)
	}
}
