// Package queue is the engine of mp's queues: a queue of encoded items
// that processes share, served by the process that made it.
//
// Package mp wraps it: mp.Queue[T] encodes values with the codec and hands
// this package records of a kind and bytes ([KindMessage], [KindBytes]);
// [Queue] moves them, keeps the guarantees that mp.Queue documents, and
// returns [ErrClosed] and [ErrTaskDone], which are mp's own sentinels.
//
// # Model
//
// The process that made a queue ([Queue.Init]) holds its items, in a log of
// records (log.go), and serves the others from goroutines of its own, the
// broker (broker.go). Another process decodes a handle
// ([Queue.UnmarshalBinary]) and, at its first use, connects to the broker
// over a unix socket with an abstract address (client.go). The connection
// maps one memory object into both processes: a control block and two
// rings of records (ring.go). The client writes the items it puts to the up
// ring and takes the items the broker sent ahead from the down ring, with
// atomic loads and stores, so that a busy producer or consumer makes no
// system call per item. The socket carries the rest: wake-ups, items too
// big for the rings, TaskDone and Join.
//
// # Protocol
//
// A client opens with a hello (package wire's, whose token is the queue
// protocol's [Version] byte and the queue's secret) and the descriptor of
// its shared memory. The broker checks the peer's user id, the version and
// the secret; a client of another version is told the broker's and fails
// with [ErrVersion], a stranger is dropped. Every frame kind, the layout of
// the control block and the meaning of its flags belong to Version.
//
// # Platforms
//
// The sockets and the shared memory are Linux's. Elsewhere a queue works
// within its process, and marshalling it fails with errors.ErrUnsupported.
package queue
