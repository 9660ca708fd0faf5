// Package mp runs registered functions in child processes of the same
// program and connects processes with typed pipes: Python's
// multiprocessing, in Go.
//
// A child process gives what a goroutine cannot: isolation. A cgo library
// that crashes, leaks or is not thread-safe crashes only its process; a task
// past its deadline can be killed; each process has its own heap and memory
// limit.
//
// # The model
//
// Functions that may run in another process are registered by name at
// package level, so that every process of the binary knows them:
//
//	var Square = mp.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
//	func main() {
//		mp.Main() // in a child process: run its task and exit
//		p := mp.NewProcess(Square, 12)
//		if err := p.Start(); err != nil { ... }
//		v, err := Square.Result(ctx, p) // 144
//	}
//
// [Main] must be the first statement of main, and of TestMain in tests that
// start processes: a child is the same program, started again, and Main is
// where it turns to its task instead of running the program. A child that
// never calls Main says so and exits after two seconds; a parent that never
// called Main cannot start children.
//
// Only the function's name and its encoded argument cross to the child;
// nothing else is shared. The argument and the result go through the codec
// (see package codec); a value it cannot encode, such as a channel or a
// function, is an error at [NewProcess] or [Process.Start], never a late
// failure. [Pipe] ends and queues ([Queue], [SimpleQueue], [JoinableQueue])
// are passed to a child as ordinary arguments, also inside struct fields:
// they encode as handles, and what they need (a pipe's descriptors, a
// queue's address) travels beside the argument. A result cannot hold one.
//
// # Pipes and queues
//
// A [Pipe] connects two ends, one each way, for a parent and a child or two
// children. A [Queue] is for any number of producers and consumers in any
// processes of the tree: it lives in the process that created it, which
// serves the others over a unix socket and a ring of shared memory per
// process, so that a Put costs no round trip and a Get returns an item
// fetched ahead. No item is lost or delivered twice when a producer or a
// consumer is killed part-way; see [Queue] for the exact guarantee.
//
// # Start methods
//
// [Method] chooses how a child is made:
//
//	method      what the child gets
//	Spawn       a fresh process of the same binary (an exec of os.Executable),
//	            with the environment and working directory of the parent at
//	            Start, and only the argument and the handles in it
//	ForkServer  the same, made by a server process that starts from the
//	            environment and working directory the parent had at Main, so
//	            that nothing the parent did later leaks in; it keeps warm
//	            spares, children already waiting for their task, so a start
//	            costs a message instead of an exec
//	Fork        Spawn, plus a snapshot of the parent: the values, at Start,
//	            of every variable registered with Inherit, and the files
//	            (listeners, say) given with PassFiles
//
// Fork is a snapshot on purpose. Python's fork copies the whole memory of
// the parent, but a Go program is always multithreaded (the runtime's own
// threads run from the start), and after fork(2) only the calling thread
// exists in the child: locks held by the others stay locked forever. Python's
// own documentation warns that forking a multithreaded process is
// problematic, and Python 3.14 moved away from fork as its default on Linux.
// So the state a Fork child needs is named with [Inherit] and recreated
// explicitly.
//
// The fork server is started by the first ForkServer start and ends with the
// program, or with [StopForkServer]. Its children are its own: their output
// goes where the parent's went at Main, and they end if the server does, so
// [Output] and [Detached] need Spawn or Fork.
//
// # Lifetimes
//
// No child outlives its parent, unless started [Detached]: each child gets
// a parent-death signal (SIGKILL) from the kernel, and, should that fail,
// sees its control socket close and exits. Children of children follow the
// same rule, so killing a parent, even with SIGKILL, ends its whole tree.
//
// Daemon rules, as Python defines them, hold with [Context] and threads.Run:
// a non-daemon child of a run is waited for before Run returns; a daemon
// child is terminated when the run stops its daemons. A process started
// from a daemon (thread or process) is a daemon unless told otherwise, and
// daemons may start children, which Python forbids.
//
// # Errors
//
// [Process.Join] returns nil when the function returned nil and the child
// exited with status 0. An error the function returned comes back rebuilt:
// context.Canceled and context.DeadlineExceeded match with errors.Is, a
// panic is a *futures.PanicError whose Value is a [*RemoteError] and whose
// Stack is the child's, and any other error is a [*RemoteError] with the
// child's type name and message. A child that died without reporting (a
// signal, os.Exit) gives an [*ExitError] with its status, -N for signal N as
// in Python. As in Python, a child whose function failed exits with status 1.
//
// # Platforms
//
// Linux comes first: the parent-death link, the control sockets and the
// queues' shared memory are Linux facilities. Elsewhere, starting a process,
// making a pipe or passing a queue to a child returns an error matching
// [ErrUnsupported]; a queue still works within one process.
package mp
