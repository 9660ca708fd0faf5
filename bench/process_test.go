package bench_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multitask-go/multitask/mp"
	"golang.org/x/sys/unix"
)

// Functions the benchmarks run in child processes.
var (
	noop = mp.Register("bench-noop", func(ctx context.Context, _ struct{}) (struct{}, error) {
		return struct{}{}, nil
	})
	// drain receives messages into one buffer until EOF and returns how
	// many bytes came.
	drain = mp.Register("bench-drain", func(ctx context.Context, c *mp.Conn[[]byte]) (int, error) {
		n := 0
		var buf []byte
		for {
			b, err := c.RecvBytes(ctx, buf)
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			n += len(b)
			buf = b
		}
	})
	// echo sends back every message until EOF.
	echo = mp.Register("bench-echo", func(ctx context.Context, c *mp.Conn[int]) (int, error) {
		for n := 0; ; n++ {
			v, err := c.Recv(ctx)
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if err := c.Send(ctx, v); err != nil {
				return n, err
			}
		}
	})
	// stamp returns the moment it began, on the system-wide monotonic
	// clock, so that the parent can tell how long a start took to reach it.
	stamp = mp.Register("bench-stamp", func(ctx context.Context, _ struct{}) (int64, error) {
		return monotonic(), nil
	})
	idle = mp.Register("bench-idle", func(ctx context.Context, _ struct{}) (struct{}, error) {
		<-ctx.Done()
		return struct{}{}, nil
	})
)

// BenchmarkProcessStart times Start → the function runs → Join for one
// child, p50 over b.N starts (p50-ns), and for mp's start methods also
// Start → the function begins in the child (run-p50-ns), read on the
// system-wide monotonic clock on both sides. The floors: rawexec, an exec
// of a small static Go program that writes one byte to a pipe, waited for;
// and rawwake, the same kind of program started ahead and given the time a
// spare gets, then woken by a byte on its standard input, read and waited
// for: the floor of a warm start, made of one wake-up, a Go program's exit
// and its reaping. Between two ForkServer starts, untimed, the server gets
// the time to make its next spare ready: a warm start is what the method is
// for, and back-to-back starts would time the making of spares, which is a
// Spawn.
func BenchmarkProcessStart(b *testing.B) {
	ctx := context.Background()
	for _, m := range []mp.StartMethod{mp.Spawn, mp.ForkServer, mp.Fork} {
		b.Run(m.String(), func(b *testing.B) {
			joins := make([]time.Duration, 0, b.N)
			runs := make([]time.Duration, 0, b.N)
			for b.Loop() {
				if m == mp.ForkServer {
					time.Sleep(spareReady)
				}
				t0, start := monotonic(), time.Now()
				p := mp.NewProcess(stamp, struct{}{}, mp.Method(m))
				if err := p.Start(); err != nil {
					b.Fatal(err)
				}
				began, err := stamp.Result(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				joins = append(joins, time.Since(start))
				runs = append(runs, time.Duration(began-t0))
			}
			reportP50(b, joins)
			slices.Sort(runs)
			b.ReportMetric(float64(runs[len(runs)/2].Nanoseconds()), "run-p50-ns")
		})
	}
	b.Run("rawexec", func(b *testing.B) {
		bin := buildProgram(b, oneByteSrc)
		p50(b, nil, func() {
			r, w, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(bin)
			cmd.Stdout = w
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			w.Close()
			var one [1]byte
			if _, err := io.ReadFull(r, one[:]); err != nil {
				b.Fatal(err)
			}
			r.Close()
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("rawwake", func(b *testing.B) {
		bin := buildProgram(b, wakeByteSrc)
		var cmd *exec.Cmd
		var in io.WriteCloser
		var out io.ReadCloser
		start := func() {
			cmd, in, out = startPiped(b, bin)
			time.Sleep(spareReady)
		}
		p50(b, start, func() {
			if _, err := in.Write([]byte{1}); err != nil {
				b.Fatal(err)
			}
			var one [1]byte
			if _, err := io.ReadFull(out, one[:]); err != nil {
				b.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// monotonic reads CLOCK_MONOTONIC, which every process of the machine
// shares, unlike the monotonic reading inside a time.Time.
func monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err) // cannot fail on Linux with a valid clock id
	}
	return ts.Nano()
}

// spareReady is more than a spare needs to start and wait at mp.Main.
const spareReady = 20 * time.Millisecond

// p50 runs op b.N times and reports the median as p50-ns. A non-nil
// settle runs before each op, outside the timing (ns/op includes it).
func p50(b *testing.B, settle, op func()) {
	b.Helper()
	times := make([]time.Duration, 0, b.N)
	for b.Loop() {
		if settle != nil {
			settle()
		}
		t0 := time.Now()
		op()
		times = append(times, time.Since(t0))
	}
	reportP50(b, times)
}

// reportP50 reports the median of times as p50-ns.
func reportP50(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
}

// Static Go programs for the raw baselines: one writes one byte and exits,
// one waits for a byte on stdin and writes it back, and one echoes 8-byte
// messages from stdin to stdout until EOF.
const (
	oneByteSrc  = "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.Write([]byte{1}) }\n"
	wakeByteSrc = "package main\n\nimport \"os\"\n\nfunc main() { b := make([]byte, 1); os.Stdin.Read(b); os.Stdout.Write(b) }\n"
	// drainSrc reads its standard input in 1 MiB reads into one buffer
	// and prints how many bytes it read.
	drainSrc = `package main

import (
	"io"
	"os"
	"strconv"
)

func main() {
	buf := make([]byte, 1<<20)
	n := 0
	for {
		m, err := io.ReadFull(os.Stdin, buf)
		n += m
		if err != nil {
			os.Stdout.WriteString(strconv.Itoa(n))
			return
		}
	}
}
`
	echo8Src = `package main

import (
	"io"
	"os"
)

func main() {
	var b [8]byte
	for {
		if _, err := io.ReadFull(os.Stdin, b[:]); err != nil {
			return
		}
		os.Stdout.Write(b[:])
	}
}
`
)

// startPiped starts the program bin with pipes to its standard input and
// from its standard output. The caller waits for it.
func startPiped(b *testing.B, bin string) (cmd *exec.Cmd, in io.WriteCloser, out io.ReadCloser) {
	b.Helper()
	cmd = exec.Command(bin)
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if out, err = cmd.StdoutPipe(); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return cmd, in, out
}

// buildProgram builds src as a static Go program, in a directory removed
// after the benchmark.
func buildProgram(b *testing.B, src string) string {
	b.Helper()
	dir := b.TempDir()
	err := errors.Join(
		os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644),
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module raw\n\ngo 1.26\n"), 0o644))
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "raw")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build a baseline program: %v\n%s", err, msg)
	}
	return out
}

// BenchmarkPipe1MiB streams 1 MiB messages to a child that drains them,
// against two floors whose reader takes whole messages into one reused
// buffer: rawchild, a pipe into the standard input of a static Go program
// (the floor of two processes, which share the cores and each wake the
// other), and rawpipe, an os.Pipe between two goroutines of this process;
// each reports MB/s. Each message a Conn delivers is a new []byte that Recv
// hands to its caller, which costs the allocation and page faults a reused
// buffer does not.
func BenchmarkPipe1MiB(b *testing.B) {
	const size = 1 << 20
	msg := make([]byte, size)
	b.Run("multitask", func(b *testing.B) {
		ctx := context.Background()
		mine, theirs, err := mp.Pipe[[]byte]()
		if err != nil {
			b.Fatal(err)
		}
		p := mp.NewProcess(drain, theirs)
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		theirs.Close()
		b.SetBytes(size)
		for b.Loop() {
			if err := mine.Send(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
		mine.Close()
		if n, err := drain.Result(ctx, p); err != nil || n != b.N*size {
			b.Fatalf("child drained %d bytes, %v; want %d", n, err, b.N*size)
		}
	})
	b.Run("rawchild", func(b *testing.B) {
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		// As large as an unprivileged pipe gets, so that the floor is the
		// best a pipe does, not its default 64 KiB.
		if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, size); err != nil {
			b.Fatal(err)
		}
		var got bytes.Buffer
		cmd := exec.Command(buildProgram(b, drainSrc))
		cmd.Stdin, cmd.Stdout = r, &got
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		r.Close()
		b.SetBytes(size)
		for b.Loop() {
			if _, err := w.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		if want := strconv.Itoa(b.N * size); got.String() != want {
			b.Fatalf("the program drained %s bytes, want %s", got.String(), want)
		}
	})
	b.Run("rawpipe", func(b *testing.B) {
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		// The reader takes whole messages into one reused buffer: the
		// kernel's copy and nothing else.
		done := make(chan int64)
		go func() {
			buf := make([]byte, size)
			var n int64
			for {
				m, err := io.ReadFull(r, buf)
				n += int64(m)
				if err != nil {
					done <- n
					return
				}
			}
		}()
		b.SetBytes(size)
		for b.Loop() {
			if _, err := w.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		w.Close()
		if n := <-done; n != int64(b.N)*size {
			b.Fatalf("read %d bytes", n)
		}
		r.Close()
	})
}

// BenchmarkPipeRoundTrip sends a small message to a child that echoes it,
// one at a time, against a raw ping-pong with a static Go program that
// echoes over its standard input and output.
func BenchmarkPipeRoundTrip(b *testing.B) {
	b.Run("multitask", func(b *testing.B) {
		ctx := context.Background()
		mine, theirs, err := mp.Pipe[int]()
		if err != nil {
			b.Fatal(err)
		}
		p := mp.NewProcess(echo, theirs)
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		theirs.Close()
		for i := 0; b.Loop(); i++ {
			if err := mine.Send(ctx, i); err != nil {
				b.Fatal(err)
			}
			if v, err := mine.Recv(ctx); v != i || err != nil {
				b.Fatalf("echo %d: %d, %v", i, v, err)
			}
		}
		mine.Close()
		if _, err := echo.Result(ctx, p); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("rawpipe", func(b *testing.B) {
		cmd, in, out := startPiped(b, buildProgram(b, echo8Src))
		var buf [8]byte
		for b.Loop() {
			if _, err := in.Write(buf[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(out, buf[:]); err != nil {
				b.Fatal(err)
			}
		}
		in.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkIdleChildRSS reports the resident memory of a child that waits
// for its context, as rss-KiB.
func BenchmarkIdleChildRSS(b *testing.B) {
	b.Run("spawn", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		p := mp.NewProcess(idle, struct{}{}, mp.Context(ctx))
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		var rss int
		for b.Loop() {
			// Wait until the child is idle in its function: its RSS settles.
			time.Sleep(20 * time.Millisecond)
			rss = vmRSS(b, p.Pid())
		}
		cancel()
		if err := p.Join(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss), "rss-KiB")
	})
}

func vmRSS(b *testing.B, pid int) int {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
