// Package futures runs functions on executors and hands back typed futures
// for their results: Python's concurrent.futures, in Go.
//
// [Submit] hands a function to an [Executor] and returns a [*Future] at
// once; [Future.Result] waits for what the function returned. [Wait] waits
// for the first, the first failing, or all of a set of futures;
// [AsCompleted] yields them as they finish; [Map] runs a function over a
// sequence of inputs and yields the results in input order (or as they
// finish, with [Unordered]), and [MapFutures] does the same for callers
// that submit each input themselves, such as mp's chunks. [ThreadPool] is
// the executor that runs tasks on a bounded set of goroutines; the mp
// package provides one that runs them in worker processes.
//
// The package uses only the standard library.
//
// # Futures
//
// A future is [Pending] until an executor starts its task, then [Running],
// then [Finished] with the task's result or error. A pending future can be
// cancelled with [Future.Cancel]; it is then [Cancelled] and its task never
// runs. Every future ends: in a result, in an error, or cancelled. The
// methods of a future never panic and are safe for concurrent use.
//
// # Contexts
//
// The context given to [Submit] governs the task. If it ends before the task
// starts, the future is cancelled at once and the task never runs; if it
// ends while the task runs, the task sees it through the context it was
// given, since a goroutine cannot be stopped from outside. The context given
// to a waiting call ([Future.Result], [Wait], [ThreadPool.Shutdown]) bounds
// only the wait: when it ends, the call returns ctx.Err() and the futures
// are left as they were.
//
// # Errors
//
// A task that panics fails its future with a [*PanicError] that holds the
// panic value and stack; the panic never crashes the program and is never
// re-raised where the result is read. A cancelled future's error matches
// [ErrCancelled], and also the context's error when a context ended.
// Submitting to an executor that has shut down fails the future with
// [ErrShutdown]. Submitting a nil function or to a nil executor fails the
// future at once with an error that says so.
//
// # Python names
//
//	concurrent.futures                   futures
//	ThreadPoolExecutor(n)                NewThreadPool(n)
//	executor.submit(fn)                  Submit(ctx, ex, fn)
//	executor.map(fn, xs)                 Map(ctx, ex, fn, xs)
//	executor.shutdown(wait=True)         ex.Shutdown(ctx)
//	shutdown(wait=True,                  p.ShutdownCancel(ctx), on ThreadPool
//	         cancel_futures=True)        and on mp.Pool alike
//	future.result(timeout)               f.Result(ctx)
//	future.exception(timeout)            f.Err(ctx)
//	future.cancel()                      f.Cancel()
//	future.done() / running()            f.State()
//	future.add_done_callback(fn)         f.OnDone(fn)
//	wait(fs, timeout, return_when)       Wait(ctx, fs, when)
//	as_completed(fs, timeout)            AsCompleted(ctx, fs)
//	CancelledError                       ErrCancelled
//	BrokenExecutor, BrokenThreadPool     ErrBroken
package futures
