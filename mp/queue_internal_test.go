package mp

import (
	"context"
	"testing"
	"time"

	"github.com/multitask-go/multitask/internal/wire"
)

// A process without the token is refused before it can touch the queue.
func TestQueueRefusesWrongToken(t *testing.T) {
	q, err := NewQueue[int](0)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(context.Background())
	if _, err := q.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	bad := make([]byte, tokenSize)
	c, err := dialBroker(q.core.b.addr, bad, 0)
	if err == nil {
		c.close()
		t.Fatal("a client with the wrong token was admitted")
	}
	var good Queue[int]
	b, _ := q.MarshalBinary()
	if err := good.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := good.Put(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if v, err := q.Get(ctx); v != 5 || err != nil {
		t.Fatalf("Get = %v, %v", v, err)
	}
	good.Close()
}

// FuzzQueueHandle decodes arbitrary handles: an error or a handle, never a
// panic.
func FuzzQueueHandle(f *testing.F) {
	q, _ := NewQueue[int](3)
	f.Add([]byte{handleVersion, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, '@', 'x'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Queue[int]
		if h.UnmarshalBinary(b) == nil && (h.core.addr == "" || len(h.core.token) != tokenSize) {
			t.Fatalf("accepted a handle without address or token: %q %x", h.core.addr, h.core.token)
		}
	})
	_ = q
}

// FuzzQueueRing reads records from a ring of arbitrary bytes: each is
// inside the published bytes, or refused; never a panic.
func FuzzQueueRing(f *testing.F) {
	f.Add([]byte{3, 0, 0, 0, 1, 'a', 'b', 'c'}, uint16(0), uint16(8))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, uint16(0), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, tail, n uint16) {
		mem := make([]byte, shmSize)
		_, r, _ := shmLayout(mem)
		r.copyIn(uint64(tail), data)
		t0, h := uint64(tail), uint64(tail)+uint64(min(int(n), len(data)))
		for t0 < h {
			_, p, next, ok := r.record(t0, h)
			if !ok {
				return
			}
			if next > h || next != t0+recHeader+uint64(len(p)) {
				t.Fatalf("record from %d to %d beyond head %d", t0, next, h)
			}
			t0 = next
		}
	})
}

// The ring keeps records whole across its end.
func TestQueueRingWraps(t *testing.T) {
	mem := make([]byte, shmSize)
	_, r, _ := shmLayout(mem)
	payload := make([]byte, ringSize/3)
	for i := range payload {
		payload[i] = byte(i)
	}
	for round := range 10 {
		if !r.put(kindBytes, payload) {
			t.Fatalf("round %d: no room", round)
		}
		t0, h := r.tail.Load(), r.head.Load()
		kind, p, next, ok := r.record(t0, h)
		if !ok || kind != kindBytes || next != h || string(p) != string(payload) {
			t.Fatalf("round %d: record damaged", round)
		}
		r.tail.Store(next)
	}
	var k wire.Kind = kindMessage
	for r.put(k, payload) {
	}
	if r.fits(len(payload)) {
		t.Fatal("fits after put refused")
	}
}
