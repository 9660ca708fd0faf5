package mp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/mp"
)

func pipe[T any](t *testing.T) (*mp.Conn[T], *mp.Conn[T]) {
	t.Helper()
	a, b, err := mp.Pipe[T]()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestPipeInProcess(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a, b := pipe[string](t)
	if err := a.Send(ctx, "ping"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Recv(ctx); v != "ping" || err != nil {
		t.Fatalf("Recv = %q, %v", v, err)
	}
	if err := b.Send(ctx, "pong"); err != nil {
		t.Fatal(err)
	}
	if v, err := a.Recv(ctx); v != "pong" || err != nil {
		t.Fatalf("Recv = %q, %v", v, err)
	}
	for _, s := range []string{"one", "two"} {
		if err := a.Send(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for _, want := range []string{"one", "two"} {
		if v, err := b.Recv(ctx); v != want || err != nil {
			t.Fatalf("Recv = %q, %v; want %q before EOF", v, err, want)
		}
	}
	if _, err := b.Recv(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv after the other end closed = %v, want io.EOF", err)
	}
	if err := a.Send(ctx, "late"); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Send on a closed end = %v, want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestPipeRecvContextLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a, b := pipe[int](t)
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	if _, err := b.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv = %v, want DeadlineExceeded", err)
	}
	expired, cancel2 := context.WithCancel(ctx)
	cancel2()
	if b.Poll(expired) {
		t.Fatal("Poll with nothing sent = true")
	}
	if err := a.Send(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if !b.Poll(ctx) {
		t.Fatal("Poll after a Send = false")
	}
	if !b.Poll(expired) {
		t.Fatal("second Poll lost the message it saw")
	}
	if v, err := b.Recv(ctx); v != 42 || err != nil {
		t.Fatalf("Recv after Poll = %v, %v", v, err)
	}
}

func TestPipeCloseWakesRecv(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	_, b := pipe[int](t)
	errc := make(chan error)
	go func() {
		_, err := b.Recv(ctx)
		errc <- err
	}()
	// Recv may not have begun waiting yet; either way it must end with
	// ErrClosed, not hang.
	b.Close()
	if err := <-errc; !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Recv on an end closed meanwhile = %v, want ErrClosed", err)
	}
}

func TestPipeBigMessages(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a, b := pipe[[]byte](t)
	for _, size := range []int{0, 1, 64<<10 - 1, 1 << 20, 64 << 20} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		errc := make(chan error, 1)
		go func() { errc <- a.Send(ctx, msg) }() // larger than the socket buffer: Recv must run meanwhile
		got, err := b.Recv(ctx)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: got %d bytes, %v", size, len(got), err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("size %d: Send: %v", size, err)
		}
	}
}

func TestPipeUnencodable(t *testing.T) {
	t.Parallel()
	a, _ := pipe[any](t)
	if err := a.Send(guard(t), func() {}); !errors.Is(err, codec.ErrUnsupported) {
		t.Fatalf("Send of a func = %v, want codec.ErrUnsupported", err)
	}
}

func TestPipeConcurrentSenders(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a, b := pipe[[2]int](t)
	const senders, each = 4, 200
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := a.Send(ctx, [2]int{s, i}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	next := make([]int, senders)
	for range senders * each {
		v, err := b.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v[1] != next[v[0]] {
			t.Fatalf("sender %d: got message %d, want %d", v[0], v[1], next[v[0]])
		}
		next[v[0]]++
	}
	wg.Wait()
}

// Functions that talk over pipes in a child.
type pair struct {
	In  *mp.Conn[string]
	Out *mp.Conn[string]
}

var (
	upper = mp.Register("upper", func(ctx context.Context, c *mp.Conn[string]) (int, error) {
		n := 0
		for {
			s, err := c.Recv(ctx)
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := c.Send(ctx, strings.ToUpper(s)); err != nil {
				return n, err
			}
			n++
		}
	})
	relay = mp.Register("relay", func(ctx context.Context, p pair) (int, error) {
		defer p.Out.Close()
		n := 0
		for {
			s, err := p.In.Recv(ctx)
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := p.Out.Send(ctx, s+"!"); err != nil {
				return n, err
			}
			n++
		}
	})
	flood = mp.Register("flood", func(ctx context.Context, c *mp.Conn[[]byte]) (int, error) {
		big := make([]byte, 1<<20)
		for {
			if err := c.Send(ctx, big); err != nil {
				return 0, err
			}
		}
	})
)

func TestPipeToChild(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[string](t)
	p := start(t, mp.NewProcess(upper, theirs))
	theirs.Close() // the child holds its own copy now
	for _, s := range []string{"a", "bc", strings.Repeat("x", 1<<20)} {
		if err := mine.Send(ctx, s); err != nil {
			t.Fatal(err)
		}
		if v, err := mine.Recv(ctx); v != strings.ToUpper(s) || err != nil {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(s), len(v), err)
		}
	}
	mine.Close()
	if n, err := upper.Result(ctx, p); n != 3 || err != nil {
		t.Fatalf("child handled %d messages, %v; want 3", n, err)
	}
}

func TestPipesInStructField(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	inMine, inTheirs := pipe[string](t)
	outTheirs, outMine := pipe[string](t)
	p := start(t, mp.NewProcess(relay, pair{In: inTheirs, Out: outTheirs}))
	inTheirs.Close()
	outTheirs.Close()
	for _, s := range []string{"hi", "there"} {
		if err := inMine.Send(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	inMine.Close()
	for _, want := range []string{"hi!", "there!"} {
		if v, err := outMine.Recv(ctx); v != want || err != nil {
			t.Fatalf("Recv = %q, %v; want %q", v, err, want)
		}
	}
	if _, err := outMine.Recv(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("after the child closed its end: %v, want io.EOF", err)
	}
	if n, err := relay.Result(ctx, p); n != 2 || err != nil {
		t.Fatalf("relay: %d, %v", n, err)
	}
}

func TestChildKilledMidSend(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	mine, theirs := pipe[[]byte](t)
	p := start(t, mp.NewProcess(flood, theirs))
	theirs.Close()
	if _, err := mine.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	p.Kill()
	var ee *mp.ExitError
	if err := p.Join(ctx); !errors.As(err, &ee) || ee.Code != -int(syscall.SIGKILL) {
		t.Fatalf("Join = %v", err)
	}
	// Whole messages, then the end: io.EOF, or an error for the message the
	// kill cut in half. Never a hang, never a torn message.
	for {
		b, err := mine.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("Recv hung after the sender died")
			}
			break
		}
		if len(b) != 1<<20 {
			t.Fatalf("a torn message of %d bytes was delivered", len(b))
		}
	}
}

func TestClosedConnCannotBePassed(t *testing.T) {
	t.Parallel()
	_, theirs := pipe[string](t)
	theirs.Close()
	if err := mp.NewProcess(upper, theirs).Start(); !errors.Is(err, mp.ErrClosed) {
		t.Fatalf("Start with a closed Conn = %v, want ErrClosed", err)
	}
}

func TestPipeRecvBytes(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	raw, rawPeer := pipe[[]byte](t)
	buf := make([]byte, 0, 1<<20)
	for _, size := range []int{10, 1 << 20, 2 << 20} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		errc := make(chan error, 1)
		go func() { errc <- raw.Send(ctx, msg) }()
		got, err := rawPeer.RecvBytes(ctx, buf)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("size %d: %d bytes, %v", size, len(got), err)
		}
		if shares := &got[:1][0] == &buf[:1][0]; shares != (size <= cap(buf)) {
			t.Fatalf("size %d: shares the buffer %v, want %v", size, shares, size <= cap(buf))
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	// On a Conn of another type, RecvBytes gives the codec's encoding.
	typed, typedPeer := pipe[string](t)
	if err := typed.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	b, err := typedPeer.RecvBytes(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := codec.Default().Unmarshal(b, &s); err != nil || s != "hi" {
		t.Fatalf("encoded message decodes to %q, %v", s, err)
	}
}

// pollArg is the argument of pollOnly.
type pollArg struct {
	C      *mp.Conn[string]
	NoWait bool // poll(0): look without waiting
}

// pollOnly polls its end, and returns what Poll said without receiving.
var pollOnly = mp.Register("pipe_test/poll-only", func(ctx context.Context, a pollArg) (bool, error) {
	if a.NoWait {
		ctx = expired()
	}
	return a.C.Poll(ctx), nil
})

// TestPipeBoundaries is CPython's test_boundaries: a child polls an end
// that this process holds too, and exits; every message sent to that end
// is still there for Recv here, whole and once.
func TestPipeBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		noWait bool // the messages are sent before the child polls without waiting; else the child waits for them
	}{
		{"poll waits", false},
		{"poll does not wait", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := guard(t)
			w, r := pipe[string](t)
			send := func() {
				for _, s := range []string{"first", "second"} {
					if err := w.Send(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
				w.Close()
			}
			if tc.noWait {
				send()
			}
			p := start(t, mp.NewProcess(pollOnly, pollArg{C: r, NoWait: tc.noWait}))
			if !tc.noWait {
				send()
			}
			if polled, err := pollOnly.Result(ctx, p); !polled || err != nil {
				t.Fatalf("the child's Poll = %v, %v; want true", polled, err)
			}
			for _, want := range []string{"first", "second"} {
				if got, err := r.Recv(ctx); got != want || err != nil {
					t.Fatalf("Recv after the child polled = %q, %v; want %q", got, err, want)
				}
			}
			if got, err := r.Recv(ctx); !errors.Is(err, io.EOF) {
				t.Fatalf("Recv after both messages = %q, %v; want io.EOF", got, err)
			}
		})
	}
}

// TestPipePollReadAhead checks that Poll counts what this process's Recv
// has read ahead from the pipe, and the other end's close.
func TestPipePollReadAhead(t *testing.T) {
	t.Parallel()
	ctx := guard(t)
	a, b := pipe[int](t)
	for i := range 2 {
		if err := a.Send(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	// One read takes both small messages from the pipe: the second waits
	// here, in this process's buffer.
	if v, err := b.Recv(ctx); v != 0 || err != nil {
		t.Fatalf("Recv = %v, %v", v, err)
	}
	if !b.Poll(expired()) {
		t.Fatal("Poll with a message read ahead = false")
	}
	if v, err := b.Recv(ctx); v != 1 || err != nil {
		t.Fatalf("Recv = %v, %v", v, err)
	}
	if b.Poll(expired()) {
		t.Fatal("Poll with nothing left = true")
	}
	a.Close()
	if !b.Poll(ctx) {
		t.Fatal("Poll after the other end closed = false")
	}
	if _, err := b.Recv(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("Recv after the other end closed = %v, want io.EOF", err)
	}
}
