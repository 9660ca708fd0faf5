// Package threads gives goroutines the identity and lifetime rules of
// Python's threading module: a thread has a name and a daemon flag, can be
// joined, and a program built on [Run] lives until its non-daemon threads
// have finished, then stops its daemon threads.
//
// [Start] starts a function as a [Thread] and returns at once;
// [Thread.Join] waits for it; [Current] tells a function which thread it is
// running in. [Run] runs a program's main function as the thread named
// "MainThread" and keeps the program alive as Python's interpreter does at
// exit. The package imports only the standard library and, for
// [futures.PanicError], the futures package.
//
// # The model
//
// A thread is a goroutine plus a [Thread] value: its name (see [Name]),
// whether it is a daemon (see [Daemon]), and its outcome. Threads belong to
// the [Run] whose context they were started with: Start finds the run
// through the thread that the context belongs to, so a thread started with
// the context its function was given, or any context derived from it,
// belongs to the same run. A thread started with a context that belongs to
// no run (context.Background(), say) is a plain named goroutine whose caller
// owns it and should join it; the daemon rules below do not apply to it and
// its default name is "Thread". In a run, default names are "Thread-1",
// "Thread-2" and so on, counted per run.
//
// Every goroutine the package starts is owned. A thread outside a run is
// owned by whoever started it, through [Thread.Join] or [Thread.Done]. The
// threads of a run are owned by [Run], which returns only once its
// non-daemon threads and its daemon threads have returned, except daemons it
// gave up on after the grace period and reported as such.
//
// # Daemon rules
//
// These are Python's rules, for the threads of one [Run]:
//
//  1. A thread's end ends nothing else. A daemon started by a non-daemon
//     thread is not stopped when that thread returns, and a thread's context
//     is not cancelled when the thread returns, so the threads it started go
//     on.
//  2. When every non-daemon thread, main included, has finished, Run cancels
//     the contexts of all daemon threads and waits for them for a grace
//     period (see [Grace]; [DefaultGrace] by default). Daemons still running
//     after it are abandoned, and Run's error matches [ErrGraceExpired] and
//     names them in a [*GraceError].
//  3. A thread started from a daemon is a daemon unless started with
//     Daemon(false): without the option a thread inherits the daemon flag of
//     [Current](ctx), and is not a daemon when there is none.
//  4. Run runs main in the calling goroutine as the non-daemon thread
//     "MainThread", then waits for every non-daemon thread, including those
//     started later by threads still running, and then stops the daemons as
//     rule 2 says.
//
// Once Run has begun to stop its daemons, no non-daemon thread is started:
// Start refuses it, its function never runs and its Join returns an error
// matching [ErrStopped]. A daemon may still be started then; its context is
// cancelled from the start and Run waits for it with the others. After Run
// has returned, every Start with one of its contexts is refused.
//
// # Child processes
//
// A child process is not a goroutine, but Python's rules cover it too: at
// exit, daemon children are terminated and the others joined. [Adopt] puts
// such an [External] under the rules of a run, as one of its threads: a
// non-daemon keeps the run going until it ends, and a daemon is stopped
// with its Stop method when the run stops its daemons, then waited for
// with them. An external whose context belongs to no run is adopted by
// every run in progress, since a process has one life however its
// goroutines are arranged; this is the one piece of process-wide state of
// the package. Package mp adopts every child process it starts, so a
// program that runs its main function in Run needs no extra call.
//
// # Contexts
//
// The context a thread's function gets carries the values of the context
// given to [Start] and the thread itself, for [Current]. It is cancelled when
// the context given to Start is; a daemon's context is also cancelled when
// Run stops the daemons. Nothing else cancels it, and in particular not the
// thread's own return. Non-daemon threads get no cancel func of their own.
// A goroutine cannot be stopped from outside, so a daemon stops only by
// watching its context. The context given to [Thread.Join] bounds only the
// wait: when it ends Join returns ctx.Err() and the thread runs on.
//
// # Panics
//
// A panic in a thread's function is recovered in that thread and ends it with
// a [*futures.PanicError] holding the panic value and the stack; it never
// crashes the program, is never re-raised in the goroutine that joins it,
// and is never dropped. [Thread.Join] returns it, and [Run] reports it
// wrapped with the thread's name. The same goes for a panic in main, a
// function that calls runtime.Goexit (for example t.FailNow in a test;
// reported as [ErrGoexit]) and a nil function.
//
// # Python names
//
//	threading                                  threads
//	Thread(target=fn, name=n, daemon=d)        Start(ctx, fn, Name(n), Daemon(d))
//	t.start()                                  (Start starts the thread at once)
//	t.join(timeout)                            t.Join(ctx)
//	t.is_alive()                               t.Alive()
//	t.name, t.daemon                           t.Name(), t.IsDaemon()
//	threading.current_thread()                 Current(ctx)
//	threading.main_thread()                    the thread Current(ctx) returns in main
//	daemon threads at interpreter exit         Run(main), with Grace(d)
//
// Python kills daemon threads abruptly at exit; Go cannot stop a goroutine
// from outside, so Run cancels their contexts and waits for a grace period
// instead. Python's current_thread looks the thread up by the running OS
// thread; Go has no goroutine identity, so the context carries it.
package threads
