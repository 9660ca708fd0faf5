package forkserver

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/supervise"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// When the fork server sends what this process cannot read (a corrupt
// frame, a hello of another version of the protocol, or a spare's
// descriptor that the kernel dropped because this process had no free
// descriptor), the server is ended, so that what waits on it fails instead
// of waiting for a server that has no reason to exit.
func TestForkServerUnreadableIsEnded(t *testing.T) {
	hello := func(version int) []byte {
		b, err := codec.CBOR.Marshal(helloMsg{Version: version})
		if err != nil {
			t.Fatal(err)
		}
		return wire.AppendFrame(nil, kindHello, b)
	}
	tests := []struct {
		name string
		sent []byte
		want error // matched by the error of the waiting start, if not nil
	}{
		{"garbage instead of the hello", wire.AppendFrame(nil, kindExited+40, nil), wire.ErrCorrupt},
		{"garbage after the hello", append(hello(Version), wire.AppendFrame(nil, kindExited+40, nil)...), wire.ErrCorrupt},
		{"another version", hello(Version + 1), ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := startOnServerThatSends(t, tt.sent)
			if !errors.Is(err, tt.want) {
				t.Fatalf("a start waiting on the server: %v, want an error matching %v", err, tt.want)
			}
		})
	}
}

// startOnServerThatSends stands a process in for a fork server that sends
// sent, waits for the start pending on it to fail, checks that the server
// was killed, and returns the start's error.
func startOnServerThatSends(t *testing.T, sent []byte) error {
	t.Helper()
	mine, theirs, err := launch.SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { theirs.Close() })
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
		pending: make(map[uint64]chan spawned), children: make(map[int]*Child)}
	reply := make(chan spawned, 1)
	fs.pending[1] = reply
	go fs.read()

	if _, err := theirs.Write(sent); err != nil {
		t.Fatal(err)
	}
	var r spawned
	select {
	case r = <-reply:
	case <-time.After(30 * time.Second): // guards against a hang only
		t.Fatal("a start waiting on a server that sent what it cannot read still waits")
	}
	<-fs.done
	if code := proc.ExitCode(); code != -int(syscall.SIGKILL) {
		t.Fatalf("the server's exit code: %d, want killed", code)
	}
	if r.err == nil {
		t.Fatal("a start waiting on the server got no error")
	}
	return r.err
}
