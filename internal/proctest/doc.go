// Package proctest checks what the tests of a package that starts processes
// leave behind: child processes still running and goroutines still running
// once the tests have ended. It also tells whether a process has ended,
// for tests that check that one does not outlive what should end it, and
// kills what a program run in a session of its own left behind
// ([KillSession]), for tests that run programs they do not control.
//
// Only tests import it. It reads /proc, so it sees processes on Linux only.
// It links neither NATS nor net, so that tests of the packages below
// cluster and of the multitask command can use it.
package proctest
