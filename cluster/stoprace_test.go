package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
)

var (
	// begun is told when waitCtx begins; New's workers run it in this
	// process.
	begun   = make(chan struct{}, 1)
	waitCtx = mp.Register("cluster-test-wait-ctx", func(ctx context.Context, _ int) (int, error) {
		select {
		case begun <- struct{}{}:
		case <-ctx.Done():
		}
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
)

// TestStopRunningRepeatedly cancels the context of a running task many
// times over: each future must end with the context's error, whichever of
// the executor's watcher and the future's own cancellation comes first.
func TestStopRunningRepeatedly(t *testing.T) {
	ex := newExecutor(t)
	for i := range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		f := waitCtx.Submit(ctx, ex, i)
		select {
		case <-begun:
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatalf("task %d did not begin", i)
		}
		cancel()
		select {
		case <-f.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("task %d: the future did not end after its context did", i)
		}
		if _, err := f.Result(context.Background()); !errors.Is(err, context.Canceled) {
			t.Fatalf("task %d: %v, want context.Canceled", i, err)
		}
	}
}
