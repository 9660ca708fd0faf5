package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/mp"
)

// putObject stores data under name in the object store of big payloads.
func (l *layout) putObject(ctx context.Context, name string, data []byte) (string, error) {
	os, err := l.objects(ctx)
	if err != nil {
		return "", err
	}
	if _, err := os.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("cluster: store the payload %s: %w", name, err)
	}
	return name, nil
}

// errLink refuses a stored payload that is a link: no executor or worker
// makes one, and the object store follows links without a bound.
var errLink = errors.New("cluster: the payload is a link to another object")

// getObject reads the payload stored under name.
func (l *layout) getObject(ctx context.Context, name string) ([]byte, error) {
	os, err := l.objects(ctx)
	if err != nil {
		return nil, err
	}
	info, err := os.GetInfo(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("cluster: read the payload %s: %w", name, err)
	}
	if info.Opts != nil && info.Opts.Link != nil {
		return nil, fmt.Errorf("%w: %s", errLink, name)
	}
	b, err := os.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("cluster: read the payload %s: %w", name, err)
	}
	return b, nil
}

// deleteObject removes a payload that has been read; expiry removes those
// whose reader never came.
func (l *layout) deleteObject(ctx context.Context, name string) {
	if os, err := l.objects(ctx); err == nil {
		_ = os.Delete(ctx, name)
	}
}

// A DeadTask is a task that ended without a result: it failed on its last
// allowed attempt after at least one retry or redelivery, or its
// deliveries ran out ([ErrDead]). [Executor.DeadTasks] lists them.
type DeadTask struct {
	ID       string    `json:"id"`
	Func     string    `json:"func"`
	Queue    string    `json:"queue"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
	// ErrData is the error as [mp.MarshalError] encoded it; Err rebuilds it.
	ErrData []byte `json:"err_data"`
}

// Err returns the error the task ended with, matching the sentinels it
// matched on the worker.
func (d DeadTask) Err() error { return mp.UnmarshalError(d.ErrData) }

// recordDead appends t to the dead tasks of its queue.
func (w *worker) recordDead(ctx context.Context, t *task, err error) {
	d := DeadTask{ID: t.id, Func: t.fn, Queue: w.cfg.task.queue, Attempts: t.attempt,
		Error: err.Error(), At: time.Now().UTC(), ErrData: mp.MarshalError(err)}
	b, merr := json.Marshal(d)
	if merr != nil {
		return
	}
	m := nats.NewMsg(deadPrefix + w.cfg.task.queue)
	m.Data = b
	w.publish(ctx, m, "d."+t.id)
}
