package mp

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/forkserver"
	"github.com/multitask-go/multitask/mp/internal/launch"
)

// mainCalled records that Main ran in this process: Start refuses to start
// children before it, since they would not know to run their task.
var mainCalled atomic.Bool

// self is what this process knows of itself as a child, set once by Main
// before the child's function runs.
var self Info

// inheritedFiles holds the files a Fork child was passed, set once by Main
// before the child's function runs.
var inheritedFiles []*os.File

// InheritedFiles returns the files passed to this process with [PassFiles],
// in the order given; nil in a process that was passed none. They belong
// to the caller, who closes them.
func InheritedFiles() []*os.File { return slices.Clone(inheritedFiles) }

// Info describes a process of the program, as Python's current_process.
type Info struct {
	Name   string // the name given at Start; "MainProcess" for a process not started by mp
	Pid    int
	Daemon bool // whether it was started as a daemon
	Child  bool // whether it was started by this package
}

// Current describes the calling process.
func Current() Info {
	info := self
	if !info.Child {
		info.Name = "MainProcess"
	}
	info.Pid = os.Getpid()
	return info
}

// noMainDelay is how long a child waits for its main function to call Main
// before it says that Main was never called and exits.
const noMainDelay = 2 * time.Second

func init() {
	if _, child := os.LookupEnv(launch.EnvChild); !child {
		return
	}
	// A child that never calls Main would run the whole program again:
	// stop it and say why.
	time.AfterFunc(noMainDelay, func() {
		if !mainCalled.Load() {
			fmt.Fprintf(os.Stderr, "mp: this is a child process of a multitask program, and its main "+
				"function did not call mp.Main within %v: call mp.Main() first in main() and in TestMain\n", noMainDelay)
			os.Exit(exitNoMain)
		}
	})
}

// Main must be the first statement of main, and of TestMain in tests that
// start processes. In a child process started by this package, it runs the
// child's task and exits, never returning. In any other process it returns
// at once, after closing the function registry (see [Register]).
//
// A child process started by hand (with the environment of a child but no
// parent) says so on standard error and exits with status 3.
//
// A child keeps standard input, output and error, and closes at once every
// other descriptor it inherited without close-on-exec: it gets only the
// handles in its argument, as Python's spawn and forkserver children do. A
// descriptor that a cgo library opens without close-on-exec before Main
// runs in a child is closed too.
func Main() {
	mainCalled.Store(true)
	freezeRegistry()
	if v, ok := os.LookupEnv(launch.EnvChild); ok {
		closeStrays()
		os.Exit(runChild(v))
	}
	if v, ok := os.LookupEnv(forkserver.Env); ok {
		closeStrays()
		os.Exit(forkserver.Serve(v))
	}
	// The fork server, when one is started, starts from this state.
	dir, _ := os.Getwd()
	forkserver.SetOrigin(os.Environ(), dir, os.Stdout, os.Stderr)
}

// runChild is the child's side of the control channel; it returns the exit
// status.
func runChild(env string) int {
	_, spare := os.LookupEnv(forkserver.EnvSpare)
	os.Unsetenv(launch.EnvChild) // for the programs the task may run
	os.Unsetenv(forkserver.EnvSpare)
	token, err := launch.ParseMarker(launch.EnvChild, env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: cannot run as a child process: %v\n", err)
		return exitBootstrap
	}
	ctl, err := launch.ControlFile()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: %s is set, but this process was not started by a multitask parent (%v); "+
			"unset %s to run the program normally\n", launch.EnvChild, err, launch.EnvChild)
		return exitBootstrap
	}
	if err := wire.WriteHello(ctl, token); err != nil {
		return exitBootstrap // the parent is gone
	}
	if spare {
		warmUp()
	}
	rights, err := launch.NewRightsReader(ctl)
	if err != nil {
		return exitBootstrap
	}
	r := wire.NewReader(rights, 0)
	kind, payload, err := r.ReadFrame()
	if err != nil {
		return exitBootstrap
	}
	var msg startMsg
	if kind != kindStart || unmarshalMsg(payload, &msg) != nil {
		fmt.Fprintf(os.Stderr, "mp: child process: corrupt start message from the parent\n")
		return exitBootstrap
	}
	self = Info{Name: msg.Name, Daemon: msg.Daemon, Child: true}
	if msg.Worker != nil {
		if err := restoreInherited(msg.Inherit); err != nil {
			fmt.Fprintf(os.Stderr, "mp: pool worker: %v\n", err)
			return exitBootstrap
		}
		return runWorker(rights, &msg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go listen(r, cancel, msg.Detached)

	rep := run(ctx, &msg, rights)
	b, err := marshalMsg(rep)
	if err == nil {
		err = wire.NewWriter(ctl).WriteFrame(kindResult, b)
	}
	if err != nil && !msg.Detached {
		return exitBootstrap
	}
	if rep.Err != nil {
		return exitFailed
	}
	return 0
}

// listen reads the parent's frames while the function runs: a cancel
// cancels the function's context; the end of the channel means the parent
// died, and a child that is not detached follows it at once.
func listen(r *wire.Reader, cancel context.CancelFunc, detached bool) {
	for {
		kind, _, err := r.ReadFrame()
		if err != nil {
			if !detached {
				os.Exit(exitBootstrap)
			}
			cancel()
			return
		}
		if kind == kindCancel {
			cancel()
		}
	}
}

// run binds what the start message brought and runs the function.
func run(ctx context.Context, msg *startMsg, rights *launch.RightsReader) resultMsg {
	fail := func(err error) resultMsg { return resultMsg{Err: toErrorMsg(err)} }
	files, err := handleFiles(msg.Handles, rights)
	if err != nil {
		return fail(err)
	}
	if err := restoreInherited(msg.Inherit); err != nil {
		return fail(err)
	}
	if passed, err := rights.Take(msg.Files, "multitask-passed-file"); err != nil {
		return fail(fmt.Errorf("mp: the files passed with PassFiles: %w", err))
	} else if msg.Files > 0 {
		inheritedFiles = passed
	}
	e, ok := lookup(msg.Func)
	if !ok {
		return fail(fmt.Errorf("%w: %q is not registered in this build of the program", ErrNotRegistered, msg.Func))
	}
	// The argument's handles are closed when the function returns, as in
	// a pool worker: a process that no longer holds a barrier, say, can no
	// longer break it by exiting.
	v, err := e.call(ctx, msg.Arg, files, true)
	if err != nil {
		return fail(err)
	}
	return resultMsg{Value: v.Bytes()}
}

// handleFiles takes the descriptors that came with the start message, in
// the order the handles list them.
func handleFiles(refs []handleRef, rights *launch.RightsReader) (map[uint64][]*os.File, error) {
	files := make(map[uint64][]*os.File, len(refs))
	for _, ref := range refs {
		fs, err := rights.Take(ref.Files, fmt.Sprintf("multitask-handle-%x", ref.ID))
		if err != nil {
			return nil, fmt.Errorf("mp: the descriptors of handle %x: %w", ref.ID, err)
		}
		files[ref.ID] = fs
	}
	return files, nil
}
