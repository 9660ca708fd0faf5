package queue

import (
	"errors"
	"fmt"

	"github.com/multitask-go/multitask/mp/internal/shm"
)

// ErrClosed is returned by the methods of a queue closed in this process,
// of one that its creator closed (once drained), and, wrapped, of one whose
// creator has gone. It is the shared-memory engine's ErrClosed, which that
// engine's primitives return too, and package mp's ErrClosed is this value,
// so that errors.Is matches it for the users of mp.
var ErrClosed = shm.ErrClosed

// ErrTaskDone is returned by [Queue.TaskDone] called more times than items
// were put. Package mp's ErrTaskDone is this value.
var ErrTaskDone = errors.New("mp: TaskDone called more times than items were put")

// ErrVersion is matched by the error of a connection to a broker that
// speaks another version of the queue protocol (see [Version]): a process
// of another build of the program.
var ErrVersion = errors.New("mp: queue protocol version mismatch")

// errGone is the error of a handle whose broker went away before the queue
// was drained: the process that made the queue exited or was killed. It
// wraps ErrClosed, since the queue will give nothing more.
var errGone = fmt.Errorf("mp: the process that made the queue has gone: %w", ErrClosed)
