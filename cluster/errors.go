package cluster

import (
	"errors"
	"fmt"

	"github.com/multitask-go/multitask/mp"
)

var (
	// ErrQueueFull fails a Submit made with [FailFast] while [QueueSize]
	// tasks of the executor have not ended.
	ErrQueueFull = errors.New("cluster: the executor's queue is full")

	// ErrQueueTimeout fails the future of a task that no worker started
	// within its [QueueTimeout].
	ErrQueueTimeout = errors.New("cluster: no worker started the task within its queue timeout")

	// ErrDead fails the future of a task whose deliveries ran out: the
	// workers that took it died or stalled every time (see
	// [Redeliveries]). [Executor.DeadTasks] lists it.
	ErrDead = errors.New("cluster: the task's deliveries ran out")

	// ErrInsecure refuses a listening server without TLS and
	// authentication (see [Listen]).
	ErrInsecure = errors.New("cluster: a listening server needs TLS and authentication")

	// ErrHandles fails a call whose argument holds pipe ends, queues,
	// locks or shared memory: they work only between processes of one
	// machine.
	ErrHandles = errors.New("cluster: the argument holds handles of this machine, which cannot cross to another")
)

// A PayloadError fails a Submit whose encoded argument is larger than
// [MaxPayload]. It matches [mp.ErrTooLarge], and is never retried.
type PayloadError struct {
	Func  string
	Size  int
	Limit int
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("cluster: the argument of %q is %d bytes encoded, above the payload limit of %d", e.Func, e.Size, e.Limit)
}

// Is makes a PayloadError match mp.ErrTooLarge.
func (e *PayloadError) Is(target error) bool { return target == mp.ErrTooLarge }
