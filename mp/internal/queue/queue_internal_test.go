package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newServed makes a queue in this process, serving, shut down when the
// test ends, and returns it with its handle.
func newServed(t *testing.T, capacity int) (*Queue, []byte) {
	t.Helper()
	q := new(Queue)
	q.Init(1, capacity, false)
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	h, err := q.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return q, h
}

// A client is refused before it can touch the queue when it lacks the
// token, or speaks another version of the protocol (it is told the
// broker's); the queue goes on serving the clients it admits.
func TestQueueRefusesStrangers(t *testing.T) {
	cases := []struct {
		name    string
		token   func(q *Queue) []byte
		version byte
		want    error
	}{
		{"wrong token", func(*Queue) []byte { return make([]byte, tokenSize) }, Version, ErrClosed},
		{"other version", func(q *Queue) []byte { return q.b.token }, Version + 1, ErrVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, h := newServed(t, 0)
			c, err := dial(q.b.addr, tc.token(q), 0, tc.version)
			if err == nil {
				c.close()
				t.Fatal("the client was admitted")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("refused with %v, want an error that matches %v", err, tc.want)
			}
			var good Queue
			if err := good.UnmarshalBinary(h); err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := good.Put(ctx, KindBytes, []byte{5}); err != nil {
				t.Fatal(err)
			}
			if kind, b, err := q.Get(ctx); kind != KindBytes || string(b) != "\x05" || err != nil {
				t.Fatalf("Get = %d, %q, %v", kind, b, err)
			}
		})
	}
}

// FuzzQueueHandle decodes arbitrary handles: an error or a handle, never a
// panic.
func FuzzQueueHandle(f *testing.F) {
	f.Add([]byte{handleVersion, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, '@', 'x'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Queue
		if h.UnmarshalBinary(b) == nil && (h.addr == "" || len(h.token) != tokenSize) {
			t.Fatalf("accepted a handle without address or token: %q %x", h.addr, h.token)
		}
	})
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
		if !r.put(KindBytes, payload) {
			t.Fatalf("round %d: no room", round)
		}
		t0, h := r.tail.Load(), r.head.Load()
		kind, p, next, ok := r.record(t0, h)
		if !ok || kind != KindBytes || next != h || string(p) != string(payload) {
			t.Fatalf("round %d: record damaged", round)
		}
		r.tail.Store(next)
	}
	for r.put(KindMessage, payload) {
	}
	if r.fits(len(payload)) {
		t.Fatal("fits after put refused")
	}
}
