package mp_test

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"runtime"
	"testing"

	"github.com/multitask-go/multitask/mp"
)

// bigRecord is a flat struct whose long fields are written from their own
// memory when it crosses between processes.
type bigRecord struct {
	Name string
	Data []byte
	N    int
}

// bigWithConn carries a big []byte together with a handle, whose
// descriptors go with the task on the control socket.
type bigWithConn struct {
	Data  []byte
	Reply *mp.Conn[uint32]
}

// bigQueueRun is the argument of a child that puts or gets a big item.
type bigQueueRun struct {
	Q    *mp.Queue[[]byte]
	R    *mp.Queue[bigRecord]
	N    int
	Seed byte
}

var (
	bigSum = mp.Register("big/sum", func(ctx context.Context, b []byte) (uint32, error) {
		return crc32.ChecksumIEEE(b), nil
	})
	bigRecordSum = mp.Register("big/record-sum", func(ctx context.Context, r bigRecord) (uint32, error) {
		return crc32.ChecksumIEEE(append([]byte(r.Name), r.Data...)) + uint32(r.N), nil
	})
	bigSumReply = mp.Register("big/sum-reply", func(ctx context.Context, a bigWithConn) (int, error) {
		return len(a.Data), a.Reply.Send(ctx, crc32.ChecksumIEEE(a.Data))
	})
	bigMake = mp.Register("big/make", func(ctx context.Context, n int) ([]byte, error) {
		return bigBytes(n, 1), nil
	})
	bigMakeRecord = mp.Register("big/make-record", func(ctx context.Context, n int) (bigRecord, error) {
		return bigRecord{Name: string(bigBytes(n, 2)), Data: bigBytes(n, 3), N: n}, nil
	})
	bigTooLarge = mp.Register("big/too-large", func(ctx context.Context, _ int) ([]byte, error) {
		return make([]byte, mp.MaxValue+1), nil // never touched: it costs no resident memory
	})
	// bigAllocated returns the bytes the worker has allocated so far.
	bigAllocated = mp.Register("big/allocated", func(ctx context.Context, _ int) (uint64, error) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.TotalAlloc, nil
	})
	bigPut = mp.Register("big/put", func(ctx context.Context, r bigQueueRun) (int, error) {
		defer r.Q.Close()
		defer r.R.Close()
		if err := r.Q.Put(ctx, bigBytes(r.N, r.Seed)); err != nil {
			return 0, err
		}
		return r.N, r.R.Put(ctx, bigRecord{Name: string(bigBytes(r.N, r.Seed+1)), Data: bigBytes(r.N, r.Seed+2), N: r.N})
	})
	bigGet = mp.Register("big/get", func(ctx context.Context, r bigQueueRun) (uint32, error) {
		defer r.Q.Close()
		defer r.R.Close()
		b, err := r.Q.Get(ctx)
		if err != nil {
			return 0, err
		}
		rec, err := r.R.Get(ctx)
		if err != nil {
			return 0, err
		}
		return crc32.ChecksumIEEE(b) + crc32.ChecksumIEEE(append([]byte(rec.Name), rec.Data...)), nil
	})
)

// bigBytes returns n bytes of a pattern that seed varies.
func bigBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i>>12) ^ seed
	}
	return b
}

// Sizes around the length from which the pool writes a string from the
// value's memory, and well past it.
var bigSizes = []int{64<<10 - 1, 64 << 10, 3<<20 + 5}

// Big arguments and results cross a pool whole: []byte, and structs whose
// string and []byte fields are long, also with a handle beside them.
func TestPoolBigPayloads(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(2))
	for _, n := range bigSizes {
		t.Run("argument bytes", func(t *testing.T) {
			b := bigBytes(n, 9)
			want := crc32.ChecksumIEEE(b)
			if got, err := bigSum.Submit(ctx, pool, b).Result(ctx); err != nil || got != want {
				t.Fatalf("%d bytes: checksum %x, %v; want %x", n, got, err, want)
			}
			if !bytes.Equal(b, bigBytes(n, 9)) {
				t.Fatal("the caller's slice changed")
			}
		})
		t.Run("argument record", func(t *testing.T) {
			r := bigRecord{Name: string(bigBytes(n, 4)), Data: bigBytes(n, 5), N: 7}
			want := crc32.ChecksumIEEE(append([]byte(r.Name), r.Data...)) + 7
			if got, err := bigRecordSum.Submit(ctx, pool, r).Result(ctx); err != nil || got != want {
				t.Fatalf("%d bytes: checksum %x, %v; want %x", n, got, err, want)
			}
		})
		t.Run("argument with a handle", func(t *testing.T) {
			mine, theirs := pipe[uint32](t)
			b := bigBytes(n, 6)
			if got, err := bigSumReply.Submit(ctx, pool, bigWithConn{Data: b, Reply: theirs}).Result(ctx); err != nil || got != n {
				t.Fatalf("%d bytes: the task saw %d, %v", n, got, err)
			}
			if sum, err := mine.Recv(ctx); err != nil || sum != crc32.ChecksumIEEE(b) {
				t.Fatalf("%d bytes: checksum %x, %v", n, sum, err)
			}
		})
		t.Run("result bytes", func(t *testing.T) {
			if got, err := bigMake.Submit(ctx, pool, n).Result(ctx); err != nil || !bytes.Equal(got, bigBytes(n, 1)) {
				t.Fatalf("%d bytes: got %d bytes, %v", n, len(got), err)
			}
		})
		t.Run("result record", func(t *testing.T) {
			got, err := bigMakeRecord.Submit(ctx, pool, n).Result(ctx)
			if err != nil || got.Name != string(bigBytes(n, 2)) || !bytes.Equal(got.Data, bigBytes(n, 3)) || got.N != n {
				t.Fatalf("%d bytes: got %d and %d bytes, %d, %v", n, len(got.Name), len(got.Data), got.N, err)
			}
		})
	}
}

// Big items cross a queue whole, from a child to the queue's process and
// from there to a child.
func TestQueueBigItems(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	for _, n := range bigSizes[1:] {
		q, r := newQueue[[]byte](t, 0), newQueue[bigRecord](t, 0)
		put := start(t, mp.NewProcess(bigPut, bigQueueRun{Q: q, R: r, N: n, Seed: 3}))
		if b, err := q.Get(ctx); err != nil || !bytes.Equal(b, bigBytes(n, 3)) {
			t.Fatalf("%d bytes from a child: got %d bytes, %v", n, len(b), err)
		}
		if rec, err := r.Get(ctx); err != nil || rec.Name != string(bigBytes(n, 4)) || !bytes.Equal(rec.Data, bigBytes(n, 5)) {
			t.Fatalf("a record of %d bytes from a child: got %d and %d bytes, %v", n, len(rec.Name), len(rec.Data), err)
		}
		if err := put.Join(ctx); err != nil {
			t.Fatal(err)
		}

		b := bigBytes(n, 8)
		rec := bigRecord{Name: string(bigBytes(n, 9)), Data: bigBytes(n, 10), N: n}
		want := crc32.ChecksumIEEE(b) + crc32.ChecksumIEEE(append([]byte(rec.Name), rec.Data...))
		get := start(t, mp.NewProcess(bigGet, bigQueueRun{Q: q, R: r}))
		if err := q.Put(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := r.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if sum, err := bigGet.Result(ctx, get); err != nil || sum != want {
			t.Fatalf("%d bytes to a child: checksum %x, %v; want %x", n, sum, err, want)
		}
	}
}

// A value larger than one message carries fails at once with ErrTooLarge,
// and the pool and the queue go on.
func TestTooLarge(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	pool := newPool(t, mp.Workers(1))
	huge := make([]byte, mp.MaxValue+1) // never touched: it costs no resident memory

	f := bigSum.Submit(ctx, pool, huge)
	select {
	case <-f.Done():
	default:
		t.Fatal("Submit of a value too large did not fail at once")
	}
	if _, err := f.Result(ctx); !errors.Is(err, mp.ErrTooLarge) {
		t.Fatalf("argument too large: %v, want ErrTooLarge", err)
	}
	if _, err := bigTooLarge.Submit(ctx, pool, 0).Result(ctx); !errors.Is(err, mp.ErrTooLarge) {
		t.Fatalf("result too large: %v, want ErrTooLarge", err)
	}
	if got, err := bigSum.Submit(ctx, pool, []byte("x")).Result(ctx); err != nil || got != crc32.ChecksumIEEE([]byte("x")) {
		t.Fatalf("after: %x, %v", got, err)
	}

	q := newQueue[[]byte](t, 0)
	if err := q.Put(ctx, huge); !errors.Is(err, mp.ErrTooLarge) {
		t.Fatalf("queue item too large: %v, want ErrTooLarge", err)
	}
	if err := q.Put(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := q.Get(ctx); err != nil || string(b) != "x" {
		t.Fatalf("after: %q, %v", b, err)
	}
	runtime.KeepAlive(huge)
}

// A big payload costs each process it crosses about one copy: the caller's
// argument is written from its own slice, and what is read is decoded into
// the frame it came in. Counted in bytes allocated, in the parent and in
// the worker.
func TestBigPayloadAllocations(t *testing.T) {
	// Not parallel: it counts the allocations of the whole process.
	ctx := guard(t)
	const n = 32 << 20
	pool := newPool(t, mp.Workers(1))
	payload := bigBytes(n, 7)
	want := crc32.ChecksumIEEE(payload)
	// allocated runs step and returns the bytes this process and the
	// worker allocated meanwhile.
	allocated := func(step func()) (parent, worker uint64) {
		t.Helper()
		w0, err := bigAllocated.Submit(ctx, pool, 0).Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		step()
		runtime.ReadMemStats(&after)
		w1, err := bigAllocated.Submit(ctx, pool, 0).Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc, w1 - w0
	}
	allocated(func() {}) // the worker is up and the functions warm
	const slack = 1 << 20
	once := uint64(n + n/10 + slack)

	parent, worker := allocated(func() {
		if got, err := bigSum.Submit(ctx, pool, payload).Result(ctx); err != nil || got != want {
			t.Fatalf("checksum %x, %v", got, err)
		}
	})
	if parent > slack {
		t.Errorf("argument: the parent allocated %d bytes for %d", parent, n)
	}
	if worker > once {
		t.Errorf("argument: the worker allocated %d bytes for %d", worker, n)
	}

	parent, worker = allocated(func() {
		if got, err := bigMake.Submit(ctx, pool, n).Result(ctx); err != nil || len(got) != n {
			t.Fatalf("%d bytes, %v", len(got), err)
		}
	})
	if parent > once {
		t.Errorf("result: the parent allocated %d bytes for %d", parent, n)
	}
	if worker > once { // the result itself, and hardly more to send it
		t.Errorf("result: the worker allocated %d bytes for %d", worker, n)
	}

	q, r := newQueue[[]byte](t, 0), newQueue[bigRecord](t, 0)
	put := start(t, mp.NewProcess(bigPut, bigQueueRun{Q: q, R: r, N: n, Seed: 3}))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := q.Get(ctx)
	runtime.ReadMemStats(&after)
	if err != nil || len(b) != n {
		t.Fatalf("queue: %d bytes, %v", len(b), err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > once {
		t.Errorf("queue: the parent allocated %d bytes to get %d", got, n)
	}
	if _, err := r.Get(ctx); err != nil {
		t.Fatal(err)
	}
	if err := put.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
