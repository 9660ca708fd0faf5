// Package worker is the protocol between mp's process pool and its worker
// processes: the frames on a worker's pipes and the page of memory the two
// share.
//
// Package mp runs both sides. The pool (mp.Pool) starts a worker as a
// child whose start message carries a [Config]; the worker answers on its
// result pipe with a ready frame ([AppendReady], [ParseReady]) once its
// initializer has run, then runs the tasks it is sent ([Task]), one at a
// time, in the order they came, until its task pipe ends. For each task it
// reports that the task began (a began frame) and its outcome ([Done]),
// gathered and written in batches by its [Out].
// What a task's function is, how its argument and result are encoded and
// how the pool keeps its jobs stay in mp: this package moves names, bytes
// and sequence numbers.
//
// # The shared page
//
// Every task the parent sends occupies a slot of a page of memory shared
// with the worker ([Slots]): a word that holds the task's sequence number
// and where it stands. The worker moves a slot from queued to running just
// before it calls the function ([Slots.Begin]); the parent moves it from
// queued to cancelled to cancel the task or to take it back
// ([Slots.Cancel]). Both are compare-and-swaps on the same word, so exactly
// one side wins: a task is cancelled only if it never began, and when a
// worker dies the page says which of its tasks began. A word after the
// slots lets a waiter in the parent ask for a task's frames on the assist
// pipe instead ([Slots.WantAssist]).
//
// # Version
//
// The ready frame opens with the protocol's [Version]. A pool that reads
// another version fails the worker's start with [ErrVersion]: the worker
// runs another build of the program. Every frame kind, every encoding and
// the layout of the page belong to Version.
package worker
