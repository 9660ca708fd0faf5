// Package engine runs the multitask command's jobs: it starts each in a
// process group of its own as a slot frees up, captures its output,
// prints it grouped (in input order with KeepOrder), retries it, kills it
// on a timeout, a memory limit or a halt, and computes GNU parallel's exit
// status for the run.
//
// The engine knows nothing of where jobs come from or how their command
// lines are made: Run takes a stream of Jobs and a Config whose Command
// function expands each job's command for the slot it runs in. Output of a
// job is held in memory up to a limit and then in an unlinked temporary
// file, so that jobs printing a lot under KeepOrder cost disk, not memory.
//
// Each try of a job runs through package jobexec, here, or through
// Config.Exec, which may run it on another machine: output, order, tags,
// retries, halts and the Ended hook stay here either way.
//
// A job counts as failed when it exits non-zero or is killed by a signal;
// a timeout is logged as Exitval -1 and Signal 15, as GNU parallel logs it.
package engine
