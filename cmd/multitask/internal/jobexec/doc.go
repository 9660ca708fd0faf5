// Package jobexec runs one try of one job of the multitask command: its
// command line through the shell, or its argument vector directly, in a
// process group of its own, with its stdin block, its output copied to the
// writers given, a time limit and a memory limit that kill the whole group
// with a term sequence, and the exit status, signal, runtime and peak
// memory the way GNU parallel reports them.
//
// The command's engine runs local jobs with it, and the workers of a
// cluster run the jobs sent to them with it, so that a job behaves the
// same wherever it runs. A [Job] is the plain data of a try, which can
// cross to another machine; a [Spec] adds what only the machine that runs
// it has: writers, a cache of command paths and a reaper.
//
// A job's first process dies with the goroutine's thread that started it
// (a parent-death signal), and the reaper, when one is given, kills the
// whole group should the process running the job die.
package jobexec
