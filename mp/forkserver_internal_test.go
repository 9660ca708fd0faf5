package mp

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/supervise"
	"github.com/multitask-go/multitask/internal/wire"
)

// When the fork server sends what this process cannot read (a corrupt
// frame, or a spare's descriptor that the kernel dropped because this
// process had no free descriptor), the server is ended, so that what waits
// on it fails instead of waiting for a server that has no reason to exit.
func TestForkServerUnreadableIsEnded(t *testing.T) {
	mine, theirs, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	// A process that would run for an hour stands in for the server.
	proc, err := supervise.Start(exec.Command("sleep", "3600"), supervise.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = proc.Signal(syscall.SIGKILL)
		<-proc.Done()
	})
	fs := &forkServer{proc: proc, w: wire.NewWriter(mine), ctl: mine, done: make(chan struct{}),
		pending: make(map[uint64]chan spawned), children: make(map[int]*serverChild)}
	reply := make(chan spawned, 1)
	fs.pending[1] = reply
	go fs.read()

	if _, err := theirs.Write(wire.AppendFrame(nil, kindExited+40, nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-reply:
		if r.err == nil {
			t.Fatal("a start waiting on the server got no error")
		}
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatal("a start waiting on a server that sent garbage still waits")
	}
	<-fs.done
	if code := proc.ExitCode(); code != -int(syscall.SIGKILL) {
		t.Fatalf("the server's exit code: %d, want killed", code)
	}
}
