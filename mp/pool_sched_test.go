package mp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

// TestPoolCancelledBeforeStartNeverRuns queues many tasks behind a busy
// worker, cancels their contexts right after Submit, then frees the
// worker. The watcher that cancels a task runs in a goroutine of its own,
// so the pool may come to hand a task to the worker first, and must then
// see that its context has ended. With one context for all, cancel starts
// every watcher at once and the worker is freed before they run.
func TestPoolCancelledBeforeStartNeverRuns(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "a context each", true: "one context for all"}[shared]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			pool := newPool(t, mp.Workers(1))
			busyCtx, free := context.WithCancel(ctx)
			busy := waits.Submit(busyCtx, pool, struct{}{})
			const n = 10_000
			fs := make([]*futures.Future[int], n)
			all, cancelAll := context.WithCancel(ctx)
			for i := range fs {
				if shared {
					fs[i] = inc.Submit(all, pool, i)
					continue
				}
				tctx, cancel := context.WithCancel(ctx)
				fs[i] = inc.Submit(tctx, pool, i)
				cancel()
			}
			cancelAll()
			free()
			if err := busy.Err(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("the busy task: %v, want context.Canceled", err)
			}
			notCancelled := 0
			for _, f := range fs {
				if err := f.Err(ctx); !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
					notCancelled++
				}
			}
			st := pool.Stats()
			if notCancelled != 0 || st.Done != 0 || st.Cancelled != n {
				t.Fatalf("of %d tasks cancelled before they started, %d futures did not end with ErrCancelled and context.Canceled; Stats = %+v",
					n, notCancelled, st)
			}
			runsTasks(t, ctx, pool)
		})
	}
}
