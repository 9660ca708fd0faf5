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
// # Process pools
//
// A [Pool] is Python's ProcessPoolExecutor: worker processes that run
// registered functions, submitted with [Func.Submit] (a future each) or
// [Func.Map] (in chunks, results in order or as they finish). It is a
// futures.Executor, so futures.Wait and futures.AsCompleted work on its
// futures. Where Python's pool fails, this one holds:
//
//   - A worker that dies (os.Exit, a fatal runtime error, a signal, the
//     kernel's OOM killer, a corrupt message) fails only the task it was
//     running, with [ErrWorkerDied] (a [*WorkerDiedError] with its pid,
//     exit status and the end of its stderr). The tasks it held but had not
//     begun run on other workers; a replacement starts; the pool goes on.
//     [Retries] runs a task again instead, for idempotent functions.
//   - A task's context reaches its worker. A task whose context has ended
//     is never handed to a worker; one that a worker already holds in its
//     prefetch queue is cancelled there as soon as the pool sees the end,
//     which races with the worker beginning it (see [Prefetch]). When the
//     context of a running task ends, the function's context is cancelled; a function that does not return within the
//     [Grace] period is killed with its worker, and its future fails with
//     the context's error. [Timeout] sets a limit for every task.
//   - Cancel returns true for every task that has not begun, even one a
//     worker already holds in its prefetch queue, and false once it has:
//     each task the parent sends occupies a word in memory it shares with
//     the worker, and the cancellation and the start are one
//     compare-and-swap on it.
//   - [MaxTasksPerChild] and [MaxMemoryPerChild] recycle workers after the
//     task that crossed the limit; [MemoryLimit] kills a runaway worker
//     before it takes the machine.
//   - A closure cannot cross a process boundary: futures.Submit of one to
//     a Pool fails at once with [ErrNotRegistered] and says what to do.
//
// A task's argument may hold pipe ends, queues, locks and shared values,
// as a Process's may: their descriptors travel with the task, copied when
// the pool takes it (so the caller may close its own at once), and the
// worker closes its copies when the task returns.
//
// A big value costs each process it crosses at most one copy of it: a
// []byte or string of 64 KiB or more in a task's argument or result (the
// value itself, or a field of a struct of plain fields) is written from
// its own memory, so the caller leaves such a []byte alone until the
// future is done, and what is read is decoded into the memory it was read
// into. A value that encodes to more than [MaxValue] bytes fails at once
// with [ErrTooLarge], at Submit or, for a result, as the task's error.
//
// Workers prefetch small tasks to spare them a round trip each ([Prefetch]
// sets the depth, which otherwise adapts to how long tasks run), but a task
// never waits while a worker is idle: a worker that holds no task takes
// back, through the same shared word, a task that waits behind another on
// a busy worker, and
// [Func.Map] sends small tasks in chunks that grow until a chunk runs for
// about a millisecond. Errors keep their identity across the boundary when
// registered with [RegisterError].
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
//	            spares, children already waiting (and warmed up) for their
//	            task, so a start costs a message instead of an exec
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
// program; a test may stop it sooner with mptest.StopForkServer. Its
// children are its own: their output goes where the parent's went at Main,
// and they end if the server does, so [Output] and [Detached] need Spawn or
// Fork.
//
// # Lifetimes
//
// No child outlives its parent, unless started [Detached]: each child gets
// a parent-death signal (SIGKILL) from the kernel, and, should that fail,
// sees its control socket close and exits. Children of children follow the
// same rule, so killing a parent, even with SIGKILL, ends its whole tree.
//
// Daemon rules, as Python defines them, hold for every [Process] started
// while a threads.Run is in progress, whatever context it was given with
// [Context], or none: the process belongs to the run of that context or,
// when the context belongs to no run, to every run in progress (see
// threads.Adopt). Once main and the run's non-daemon threads have returned,
// Run waits for the run's non-daemon children to exit by themselves, as
// Python joins them at exit, and terminates its daemon children as Python
// does: SIGTERM first, which ends a Go child with exit code -15 unless it
// handles the signal, then SIGKILL if the child is still alive after its
// grace period (see [Grace]). Run returns as soon as they have exited. A
// process started from a daemon (thread or process) is a daemon unless told
// otherwise, and daemons may start children, which Python forbids. A
// [Detached] process belongs to no run.
//
// A program that does not run its main function in threads.Run gets no
// such wait. When main returns, Go exits at once, and every child that is
// not Detached, daemon or not, ends with it: the parent-death signal kills
// it (SIGKILL, exit code -9 to anyone who asks), and a child that the
// signal misses sees its control socket close and exits with status 3. Its
// work is lost, where Python would have joined a non-daemon child: join the
// processes before main returns, or use threads.Run.
//
// Signals reach a Go child as the Go runtime handles them (see os/signal),
// not as they reach a Python one. SIGTERM, SIGINT and SIGHUP end it with
// exit code -N unless it has asked for them with signal.Notify; but SIGUSR1,
// SIGUSR2, SIGALRM and the other signals Go catches without acting on are
// ignored unless the child installs a handler, where a Python child dies of
// them. [Process.Terminate] and [Process.Kill] send SIGTERM and SIGKILL,
// which behave as in Python.
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
// # Synchronisation and shared memory
//
// Python's synchronisation primitives and shared values are here for
// processes of one program tree, each in memory of its own that the
// processes share: an anonymous memory file (memfd_create), mapped by each
// process that gets the object as (part of) the argument of a registered
// function, with futexes to sleep and wake and atomic instructions for
// everything else. The memory has no name in any file system, so nothing is
// left in /dev/shm or elsewhere, even after a crash: the kernel frees it once
// the last process that had it has closed it or exited. Close releases one
// process's copy; the others keep theirs. Every blocking call takes a ctx
// and sleeps in the kernel (holding an OS thread while it waits).
//
// Unlike Python's, the primitives survive the death of a process that holds
// or awaits them. What each costs, measured against CPython's, is in the
// Performance section of the repository's README, made by bench/run.sh
// (BenchmarkSync, with python/mp_sync.py in the same run):
//
//	mp             Python                 cost                            a holder or waiter dies
//	Lock           Lock                   Lock+Unlock: two atomic         the next Lock takes it over, within
//	                                      compare-and-swaps               about 50 ms, and returns ErrOwnerDead
//	RLock          RLock                  as Lock, plus a local mutex     as Lock; owned by a process, not a
//	                                                                      goroutine (see RLock)
//	Event          Event                  Set wakes every waiter, in      nothing is held: nothing to recover;
//	                                      every process, through a futex  a dead setter: ctx ends the wait
//	Semaphore      Semaphore,             Acquire+Release: atomic         the units it held come back to the
//	               BoundedSemaphore       operations when uncontended     count within about 50 ms; a dead
//	                                                                      waiter took none
//	Barrier        Barrier                one futex wake per round        a party's death, waiting or before it
//	                                                                      arrives, breaks it within about 20 ms:
//	                                                                      ErrBrokenBarrier, with its pid
//	Condition      Condition              a futex wake per waiter woken   a dead lock holder: ErrOwnerDead from
//	                                                                      Wait; a dead waiter: Notify passes it
//	                                                                      over; a dead notifier: ctx ends the wait
//	Value[T]       Value (numeric)        each method one atomic          nothing is held
//	                                      operation on the shared word
//	Array[T]       Array                  Load, Store, Add: one atomic    nothing is held
//	                                      operation; CopyTo, CopyFrom: memcpy
//	SharedMemory   shared_memory          none: raw bytes                 nothing is held; no unlink, no leak
//
// A lock records its holder as the holder's pid and start time in its
// lock word; a waiter that has slept a whole slice (1 ms at first, up to
// 50 ms) checks in /proc that the holder still runs, and takes the lock
// from a dead one (the start time tells a holder from a later process that
// reused its pid). Processes must see each other in /proc, as processes of
// one user do; without /proc, dead holders are not detected. What each
// primitive guarantees exactly is in its documentation: see [Lock],
// [Semaphore], [Barrier] and [Condition] in particular. A waiter that dies
// takes nothing with it: the others wait and wake as before. Errors: [ErrOwnerDead] (an
// [*OwnerDeadError]), [ErrBrokenBarrier], [ErrNotHeld],
// [ErrTooManyReleases], and [ErrClosed] after Close. Methods that return no
// error (Value's, Array's, Event.IsSet) panic after Close, with an error
// that matches ErrClosed.
//
// # Inside
//
// This package holds the public API; its engines live under mp/internal,
// one job each, and never import it: queue (the broker that serves a
// queue from its creator, and the clients' shared rings), shm (shared
// memory, futexes and the primitives' state machines), worker (the frames
// and shared page between a [Pool] and its workers), forkserver (the fork
// server and its warm spares) and launch (starting children of this program
// and passing descriptors to them). Each protocol between processes is
// defined in one of them, with a version that a peer of another build of
// the program is refused by. [CallExecutor] is the seam for executors that
// run registered functions somewhere else: Pool implements it.
//
// # Platforms
//
// Linux comes first: the parent-death link, the control sockets and the
// queues' shared memory are Linux facilities. Elsewhere, starting a process,
// making a pipe or passing a queue to a child returns an error matching
// [ErrUnsupported]; a queue still works within one process.
package mp
