package mptest

import "github.com/multitask-go/multitask/mp/internal/forkserver"

// StopForkServer stops the fork server, if one runs, with its warm spares
// and every child it made that is still running, and waits until it has
// exited. The next start with the [mp.ForkServer] method starts a new
// server. Programs need not call it: the server ends with the program.
// Tests that check for leftover processes or goroutines call it at the end.
func StopForkServer() { forkserver.Stop() }
