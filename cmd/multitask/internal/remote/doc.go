// Package remote registers the function that runs a job of the multitask
// command on a cluster worker: [Job], registered with mp.Register under
// [Name], takes a jobexec.Job and runs it with jobexec.Run, as the command
// runs its local jobs, capturing the job's output for the report it
// returns.
//
// Every process that may run jobs for the command imports this package, so
// that the function is registered there: the multitask-cluster program's
// worker, server and bridge. The command itself does not import it, nor
// package mp: it sends jobs through the bridge.
//
// A job is killed, with its term sequence, when the context of the call
// ends: its submitter cancelled it, or the worker is stopping. The call
// then fails, and the cluster runs the job elsewhere or reports it
// cancelled. Should the worker process die instead, a reaper given to
// [UseReaper] kills the job's process group.
package remote
