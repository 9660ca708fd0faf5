package forkserver

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/supervise"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
)

// Env marks the fork server's process.
const Env = "MULTITASK_FORKSERVER"

// EnvSpare marks a child that the fork server starts ahead of need, as a
// warm spare: it has time to warm up while it waits for its start message.
const EnvSpare = "MULTITASK_SPARE"

// Version is the version of the protocol between the parent and the fork
// server: the frames and messages below. The server's hello carries it, and
// a parent refuses a server of another version with [ErrVersion]. Change it
// with any of them.
const Version = 2

// Spares is how many started children the server keeps waiting.
const Spares = 2

// Frames between the parent and the fork server.
const (
	kindSpawn   wire.Kind = 1 + iota // parent → server: spawnMsg, when it holds no spare
	kindSpawned                      // server → parent: spawnedMsg, with [control socket, pidfd]
	kindExited                       // server → parent: exitedMsg
	kindTook                         // parent → server: tookMsg, it took the last spare it held
	kindHello                        // server → parent, first: helloMsg
)

// helloMsg is the server's first frame, which it sends once it has read
// the parent's hello: the parent refuses a server of another version.
type helloMsg struct{ Version int }

type spawnMsg struct{ ID uint64 }

// spawnedMsg hands a spare to the parent: in answer to the spawnMsg with
// the same ID, or, with ID 0, ahead of any request.
type spawnedMsg struct {
	ID    uint64
	Pid   int
	Token []byte
	Err   string // why no child could be made, instead of the rest
}

type tookMsg struct{ Pid int }

type exitedMsg struct{ Pid, Code int }

// origin is the environment, working directory and standard output and
// error at Main, from which the fork server starts.
var origin struct {
	env            []string
	dir            string
	stdout, stderr *os.File
}

// SetOrigin records the state from which the fork server starts: the
// environment, working directory and standard output and error of the
// program at Main. It is called once, before any [Start].
func SetOrigin(env []string, dir string, stdout, stderr *os.File) {
	origin.env, origin.dir, origin.stdout, origin.stderr = env, dir, stdout, stderr
}

// The parent's side: one fork server per process, started by the first
// ForkServer start, as a process-wide resource like the thread that forks
// children.
var forkServerState struct {
	mu sync.Mutex // guards fs
	fs *forkServer
}

// A forkServer is the parent's handle on the running server.
type forkServer struct {
	proc *supervise.Child
	w    *wire.Writer
	ctl  *os.File
	done chan struct{} // closed when the reading goroutine has ended

	mu       sync.Mutex // guards the fields below
	nextID   uint64
	pending  map[uint64]chan spawned
	ready    []spawned // spares handed over ahead of time, oldest first
	children map[int]*Child
	err      error // set once the server is gone
}

type spawned struct {
	msg   spawnedMsg
	child *Child
	ctl   *os.File // the parent's end of the child's control socket
	err   error
}

// Start starts a child through the fork server, starting the server first
// if need be, and returns it, the parent's end of its control
// socket, and the token its hello must carry. When the parent took its
// last spare, the server must hear of it to start another at once: the
// caller calls took, if not nil, once it has sent the child its start
// frame. Telling the server first would delay the child by a write that
// wakes another process.
func Start() (c *Child, ctl *os.File, token []byte, took func(), err error) {
	fs, err := runningForkServer()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	reply := make(chan spawned, 1)
	fs.mu.Lock()
	if fs.err != nil {
		fs.mu.Unlock()
		return nil, nil, nil, nil, fs.err
	}
	if len(fs.ready) > 0 {
		r := fs.ready[0]
		fs.ready = fs.ready[1:]
		dry := len(fs.ready) == 0
		fs.mu.Unlock()
		if dry {
			took = func() {
				if b, err := codec.CBOR.Marshal(tookMsg{Pid: r.msg.Pid}); err == nil {
					_ = fs.w.WriteFrame(kindTook, b) // if the server is gone, so is the child: Join says so
				}
			}
		}
		return r.child, r.ctl, r.msg.Token, took, nil
	}
	fs.nextID++
	id := fs.nextID
	fs.pending[id] = reply
	fs.mu.Unlock()
	b, err := codec.CBOR.Marshal(spawnMsg{ID: id})
	if err == nil {
		err = fs.w.WriteFrame(kindSpawn, b)
	}
	if err != nil {
		fs.mu.Lock()
		delete(fs.pending, id)
		fs.mu.Unlock()
		return nil, nil, nil, nil, fmt.Errorf("fork server: %w", err)
	}
	r := <-reply
	if r.err != nil {
		return nil, nil, nil, nil, r.err
	}
	return r.child, r.ctl, r.msg.Token, nil, nil
}

// Held returns how many warm spares this process holds: [Spares] when the
// server has replaced every spare taken, fewer while replacements start.
func Held() int {
	forkServerState.mu.Lock()
	fs := forkServerState.fs
	forkServerState.mu.Unlock()
	if fs == nil {
		return 0
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.ready)
}

// runningForkServer returns the fork server, starting it if there is none
// or the last one died.
func runningForkServer() (*forkServer, error) {
	forkServerState.mu.Lock()
	defer forkServerState.mu.Unlock()
	if fs := forkServerState.fs; fs != nil {
		select {
		case <-fs.done:
		default:
			return fs, nil
		}
	}
	proc, ctl, token, err := launch.Start(Env, launch.Options{
		Env: origin.env, Dir: origin.dir, Stdout: origin.stdout, Stderr: origin.stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("start the fork server: %w", err)
	}
	if err := wire.WriteHello(ctl, token); err != nil {
		ctl.Close()
		return nil, fmt.Errorf("start the fork server: %w", err)
	}
	fs := &forkServer{
		proc: proc, ctl: ctl, w: wire.NewWriter(ctl), done: make(chan struct{}),
		pending: make(map[uint64]chan spawned), children: make(map[int]*Child),
	}
	go fs.read()
	forkServerState.fs = fs
	return fs, nil
}

// read handles the server's frames until it is gone, then fails what waits
// on it: its children died with it (parent-death signal).
func (fs *forkServer) read() {
	defer close(fs.done)
	rights, err := launch.NewRightsReader(fs.ctl)
	if err == nil {
		err = fs.serve(rights)
	}
	if err != nil && !launch.ChannelEnded(err) {
		// The server sent what this process cannot read: a corrupt frame,
		// or a descriptor the kernel dropped because this process had
		// none free. The stream is lost, and the server has no reason to
		// exit: end it, and its children with it, so that nothing waits
		// on it for ever and the next start makes a new one.
		_ = fs.proc.Signal(syscall.SIGKILL)
	}
	<-fs.proc.Done()
	fs.ctl.Close()
	gone := fmt.Errorf("the fork server exited (status %d): %w", fs.proc.ExitCode(), err)
	fs.mu.Lock()
	fs.err = gone
	pending, children, ready := fs.pending, fs.children, fs.ready
	fs.pending, fs.children, fs.ready = nil, nil, nil
	fs.mu.Unlock()
	for _, reply := range pending {
		reply <- spawned{err: gone}
	}
	for _, r := range ready {
		r.ctl.Close()
	}
	for _, c := range children {
		c.exit(-int(syscall.SIGKILL))
	}
}

func (fs *forkServer) serve(rights *launch.RightsReader) error {
	r := wire.NewReader(rights, 0)
	if err := readHello(r); err != nil {
		return err
	}
	for {
		kind, b, err := r.ReadFrame()
		if err != nil {
			return err
		}
		switch kind {
		case kindSpawned:
			var m spawnedMsg
			if err := codec.CBOR.Unmarshal(b, &m); err != nil {
				return err
			}
			fs.spawned(m, rights)
		case kindExited:
			var m exitedMsg
			if err := codec.CBOR.Unmarshal(b, &m); err != nil {
				return err
			}
			fs.mu.Lock()
			c := fs.children[m.Pid]
			delete(fs.children, m.Pid)
			// A spare that died before it was taken leaves the ready list.
			if i := slices.IndexFunc(fs.ready, func(r spawned) bool { return r.msg.Pid == m.Pid }); i >= 0 {
				fs.ready[i].ctl.Close()
				fs.ready = slices.Delete(fs.ready, i, i+1)
			}
			fs.mu.Unlock()
			if c != nil {
				c.exit(m.Code)
			}
		default:
			return fmt.Errorf("unexpected frame of kind %d: %w", kind, wire.ErrCorrupt)
		}
	}
}

// readHello reads the server's first frame, its hello, and checks that
// the server speaks this version of the protocol.
func readHello(r *wire.Reader) error {
	kind, b, err := r.ReadFrame()
	if err != nil {
		return err
	}
	var m helloMsg
	if kind != kindHello || codec.CBOR.Unmarshal(b, &m) != nil {
		return fmt.Errorf("the fork server's first frame (kind %d) is not its hello: %w", kind, wire.ErrCorrupt)
	}
	if m.Version != Version {
		return fmt.Errorf("the fork server speaks protocol version %d, this process %d: %w", m.Version, Version, ErrVersion)
	}
	return nil
}

// spawned delivers a spawn reply to the Start waiting for it.
func (fs *forkServer) spawned(m spawnedMsg, rights *launch.RightsReader) {
	r := spawned{msg: m}
	if m.Err != "" {
		r.err = fmt.Errorf("fork server: %s", m.Err)
	} else if files, err := rights.Take(2, "multitask-forkserver-child"); err != nil {
		r.err = fmt.Errorf("fork server: %w", err)
	} else {
		r.ctl = files[0]
		r.child = &Child{pid: m.Pid, pidfd: files[1], done: make(chan struct{})}
		fs.mu.Lock()
		fs.children[m.Pid] = r.child
		fs.mu.Unlock()
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if m.ID == 0 {
		if r.err == nil {
			fs.ready = append(fs.ready, r)
		}
		return
	}
	if reply := fs.pending[m.ID]; reply != nil {
		delete(fs.pending, m.ID)
		reply <- r // buffered: never blocks
	}
}

// Stop stops the fork server, if one runs, with its warm spares and every
// child it made that is still running, and waits until it has exited. The
// next [Start] starts a new server.
func Stop() {
	forkServerState.mu.Lock()
	fs := forkServerState.fs
	forkServerState.fs = nil
	forkServerState.mu.Unlock()
	if fs == nil {
		return
	}
	_ = fs.proc.Signal(syscall.SIGKILL)
	<-fs.done
}

// A Child is a child that the fork server made: the parent signals it
// through a pidfd, which cannot reach another process that reused its pid,
// and learns its exit status from the server.
type Child struct {
	pid   int
	pidfd *os.File
	done  chan struct{}
	code  int // set before done is closed
	once  sync.Once
}

func (c *Child) exit(code int) {
	c.once.Do(func() {
		c.code = code
		c.pidfd.Close()
		close(c.done)
	})
}

// Pid returns the child's process id.
func (c *Child) Pid() int { return c.pid }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// ExitCode returns the child's exit status, as the fork server reported
// it, or -1 while it runs.
func (c *Child) ExitCode() int {
	select {
	case <-c.done:
		return c.code
	default:
		return -1
	}
}

// WaitErr returns nil: the fork server, not this process, waits for the
// child.
func (c *Child) WaitErr() error { return nil }

// Signal sends sig to the child, unless it has exited.
func (c *Child) Signal(sig syscall.Signal) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	err := launch.PidfdSignal(c.pidfd, sig)
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, os.ErrClosed) {
		return nil // it has exited; the server's report is on its way
	}
	return err
}

// Serve is the fork server's main loop, run by a process marked with [Env]
// whose value is env; it returns the exit status.
func Serve(env string) int {
	os.Unsetenv(Env)
	token, err := launch.ParseMarker(Env, env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: cannot run as the fork server: %v\n", err)
		return launch.ExitBootstrap
	}
	ctl, err := launch.ControlFile()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: %s is set, but this process was not started by a multitask parent (%v)\n", Env, err)
		return launch.ExitBootstrap
	}
	if got, err := wire.ReadHello(ctl, launch.MaxToken); err != nil || string(got) != string(token) {
		return launch.ExitBootstrap
	}
	s := &server{ctl: ctl, env: os.Environ(), spares: make(map[int]*spare)}
	s.send(kindHello, helloMsg{Version: Version}, nil)
	for range Spares {
		s.push(0)
	}
	r := wire.NewReader(ctl, 0)
	for {
		kind, b, err := r.ReadFrame()
		if err != nil {
			return 0 // the parent is gone: the children follow us
		}
		switch kind {
		case kindSpawn:
			var m spawnMsg
			if codec.CBOR.Unmarshal(b, &m) == nil {
				// The parent holds no spare, and the server owes none: its
				// spares are on their way, or replaced when they exit.
				s.push(m.ID)
				continue
			}
		case kindTook:
			var m tookMsg
			if codec.CBOR.Unmarshal(b, &m) == nil {
				s.took(m.Pid)
				continue
			}
		}
		fmt.Fprintf(os.Stderr, "mp: fork server: corrupt request from the parent\n")
		return launch.ExitBootstrap
	}
}

// A server is the fork server's state.
type server struct {
	ctl *os.File
	env []string

	wmu sync.Mutex // serialises frames to the parent

	mu     sync.Mutex     // guards spares and the spares' flags
	spares map[int]*spare // the children it started, until they exit
}

type spare struct {
	proc     *supervise.Child
	replaced bool // its replacement was started: asked for, or the parent's last
}

// send writes one frame to the parent, with files attached.
func (s *server) send(kind wire.Kind, msg any, files []*os.File) {
	b, err := codec.CBOR.Marshal(msg)
	if err != nil {
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = launch.SendWithFiles(s.ctl, wire.AppendFrame(nil, kind, b), files) // fails only if the parent is gone
}

// push starts a spare and hands it to the parent: in answer to request id,
// or ahead of time when id is 0.
func (s *server) push(id uint64) {
	reply := spawnedMsg{ID: id}
	env := s.env
	if id == 0 {
		env = append(slices.Clip(env), EnvSpare+"=1") // it has time to warm up; one asked for has not
	}
	proc, ctl, token, err := launch.Start(launch.EnvChild, launch.Options{Env: env})
	if err != nil {
		reply.Err = fmt.Sprintf("start a child: %v", err)
		s.send(kindSpawned, reply, nil)
		return
	}
	defer ctl.Close()
	sp := &spare{proc: proc, replaced: id != 0}
	s.mu.Lock()
	s.spares[proc.Pid()] = sp
	s.mu.Unlock()
	go s.reap(sp)
	pidfd, err := launch.PidfdOpen(proc.Pid())
	if err != nil {
		_ = proc.Signal(syscall.SIGKILL)
		reply.Err = fmt.Sprintf("pidfd_open: %v", err)
		s.send(kindSpawned, reply, nil)
		return
	}
	defer pidfd.Close()
	reply.Pid, reply.Token = proc.Pid(), token
	s.send(kindSpawned, reply, []*os.File{ctl, pidfd})
}

// took records that the parent made spare pid a child and holds no other,
// and starts a replacement at once. The parent does not tell of the spares
// it takes while it holds others: the server replaces such a spare when it
// exits, as one that died waiting, so that the start of a program, which
// takes a core for a while, does not compete with the child just taken.
// So the server always has [Spares] spares not yet replaced: each on its
// way to the parent, held by it, or a child it took without a word.
func (s *server) took(pid int) {
	s.mu.Lock()
	if sp := s.spares[pid]; sp != nil {
		sp.replaced = true
	}
	s.mu.Unlock()
	go s.push(0)
}

// reap waits for a spare and reports its exit to the parent, which held it
// as a spare or as a child; it is replaced unless it already was (or was
// asked for).
func (s *server) reap(sp *spare) {
	<-sp.proc.Done()
	s.mu.Lock()
	delete(s.spares, sp.proc.Pid())
	replace := !sp.replaced
	s.mu.Unlock()
	s.send(kindExited, exitedMsg{Pid: sp.proc.Pid(), Code: sp.proc.ExitCode()}, nil)
	if replace {
		s.push(0)
	}
}
