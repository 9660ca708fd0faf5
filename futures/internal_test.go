package futures

import (
	"context"
	"testing"
)

// Wait and AsCompleted must remove what they registered on futures that are
// still pending, or waiting in a loop would grow every future's list.
func TestWaitLeavesNoListeners(t *testing.T) {
	p := NewThreadPool(2)
	defer p.Shutdown(context.Background())
	gate := make(chan struct{})
	defer close(gate)
	slow := Submit(context.Background(), p, func(context.Context) (int, error) { <-gate; return 0, nil })
	quick := Submit(context.Background(), p, func(context.Context) (int, error) { return 1, nil })
	fs := []*Future[int]{slow, quick}
	for range 100 {
		if _, _, err := Wait(context.Background(), fs, FirstCompleted); err != nil {
			t.Fatal(err)
		}
		for range AsCompleted(context.Background(), fs) {
			break
		}
	}
	slow.mu.Lock()
	n := len(slow.listeners)
	slow.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d listeners left on a pending future", n)
	}
}
