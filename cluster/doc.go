// Package cluster runs registered functions on many machines through NATS
// JetStream, behind the same executor interface as a process pool: code
// that submits to an [mp.Pool] submits to a cluster unchanged.
//
//	ex, err := cluster.New(ctx) // an embedded server and local workers
//	if err != nil { ... }
//	defer ex.Shutdown(context.Background())
//	v, err := Square.Submit(ctx, ex, 3).Result(ctx)
//
// # Where things run
//
// [New] starts everything in the calling process: an embedded nats-server
// that listens on no port, JetStream on a file store in a temporary
// directory (or [StoreDir]; or in memory with [InMemory], for tasks that
// need not outlive the process), and workers that run tasks in goroutines
// (or, with [Processes], in an mp pool of worker processes). Nothing needs
// to be installed. With [Listen] the embedded server accepts workers of
// other processes or machines, which [Serve] starts. [Connect] submits to
// an existing NATS cluster instead, whose workers are [Serve]s.
//
// Only functions registered with [mp.Register] run, by name, in processes
// of the same binary; an argument or result crosses as mp's codec encodes
// it, and decoding never executes code. A closure submitted with
// futures.Submit fails at once with [mp.ErrNotRegistered].
//
// # Delivery
//
// A task is a message in a JetStream work-queue stream, one subject per
// [Queue]. Tasks reach the stream in the order they were submitted from
// one executor, and workers take them in that order, except for tasks
// retried or delivered again, which come back when they are due. A worker
// pulls only as many tasks as it has free slots, renews the
// acknowledgement deadline ([AckWait]) while a task runs, publishes the
// result to a JetStream stream the submitting executor reads, and
// acknowledges the task only once the server has stored the result.
// Results never travel over core NATS, so a restarted server loses none.
// The results a worker has for one executor while it publishes others go
// together in its next message, and so do its questions before tasks
// begin, when it asks (see Cancellation): a busy worker sends a message
// for many tasks, an idle one waits for none. [mp.Func.Map] sends its
// inputs in chunks, one task each, which grow as on a pool: a worker tells
// how long each chunk ran, and tiny functions go up to 1024 inputs a
// message.
//
// Delivery is at least once: a task whose worker dies or stalls before it
// acknowledges is delivered again after AckWait, and may then run a
// second time. The future keeps the first result of a task and drops any
// later one, so user code sees one outcome per task; the function itself
// must tolerate running twice. A task delivered more often than its
// [Retries] and [Redeliveries] allow ends with [ErrDead] and is listed by
// [Executor.DeadTasks]. Publishing is idempotent: a task's id is its
// message id, so a publish retried after a lost acknowledgement stores
// one task.
//
// # Cancellation
//
// [futures.Future]'s Cancel returns true only when no worker has begun the
// task, which then never runs, and its message is removed from the
// stream. The executor settles the race between a worker's start and a
// cancellation:
//
//   - A worker in the executor's own process asks it, by a call, before
//     it begins each task.
//   - A worker elsewhere asks over NATS before it begins a task, and the
//     executor's answer grants it a lease of two seconds, renewed while
//     tasks come, under which it begins that executor's tasks without
//     asking. A cancellation then recalls the task from every worker that
//     holds a lease: Cancel returns true only when each answered that it
//     had not begun it. A lease holder that does not answer within a
//     second (it died, or is out of reach) may have begun the task, and
//     Cancel returns false; the task then runs, or is cancelled by a later
//     Cancel. A worker that stops gives its leases back.
//   - A worker that gets no answer (its executor is gone, or out of reach
//     for a while) claims the task in a JetStream key-value bucket
//     instead, where a cancellation writes first: the first writer wins.
//
// A task begun under a lease shows [futures.Running] once it has run for
// about 50 ms, or when a cancellation finds it begun; one that ends sooner
// goes from pending to done. When a task's context ends while it runs, the
// worker running it is told to cancel the function's context (and, with
// [Processes], kills its process after the grace), and the future ends at
// once with the context's error. Cancel of a task not yet begun takes a
// round trip to each worker that holds a lease, and one to the server.
//
// # Security
//
// An embedded server that listens ([Listen]) is refused without TLS
// ([ServerTLS]) and authentication ([ServerAuth]), unless [Insecure] is
// given, which is accepted only on a loopback address. [Connect] and
// [Serve] take user and password, nkey, credentials file and TLS options.
package cluster
