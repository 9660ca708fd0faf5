package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// pattern returns n bytes that depend on seed and on their position.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	return b
}

// frame builds the bytes of one frame by hand, independently of Writer.
func frame(kind Kind, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	b = append(b, byte(kind))
	return append(b, payload...)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 5, 100, directWrite - 1, directWrite, directWrite + 1, readChunk, readChunk + 1, 5 << 20}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf)
			want := pattern(n, n)
			// The same frame twice, so the second starts where the first ends.
			for i := range 2 {
				if err := w.WriteFrame(Kind(i+1), want); err != nil {
					t.Fatal(err)
				}
			}
			if got, wantLen := buf.Len(), 2*(headerSize+n); got != wantLen {
				t.Fatalf("wrote %d bytes, want %d", got, wantLen)
			}
			if !bytes.Equal(buf.Bytes()[:headerSize+n], frame(1, want)) {
				t.Fatal("the bytes written are not the frame format")
			}
			r := NewReader(&buf, 0)
			for i := range 2 {
				kind, got, err := r.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				if kind != Kind(i+1) || !bytes.Equal(got, want) {
					t.Fatalf("frame %d: kind %d, %d bytes; want kind %d, %d bytes", i, kind, len(got), i+1, n)
				}
				if got == nil {
					t.Fatal("payload is nil")
				}
			}
			if _, _, err := r.ReadFrame(); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
		})
	}
}

func TestRoundTripLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB frame")
	}
	// Through a pipe, so the reader grows its buffer while the writer writes.
	pr, pw := io.Pipe()
	want := pattern(64, 64<<20)
	errc := make(chan error, 1)
	go func() {
		err := NewWriter(pw).WriteFrame(9, want)
		pw.CloseWithError(err)
		errc <- err
	}()
	kind, got, err := NewReader(pr, 0).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if kind != 9 || !bytes.Equal(got, want) {
		t.Fatalf("kind %d, %d bytes: frame damaged", kind, len(got))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Concurrent writers: every frame arrives whole, and each writer's frames in
// the order it wrote them.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, frames = 8, 300
	sizes := []int{0, 3, 100, 1000, directWrite + 17, 200}
	pr, pw := io.Pipe()
	w := NewWriter(pw)
	var wg sync.WaitGroup
	for id := range writers {
		wg.Go(func() {
			for seq := range frames {
				n := 8 + sizes[(id+seq)%len(sizes)]
				p := pattern(id*frames+seq, n)
				binary.LittleEndian.PutUint32(p, uint32(id))
				binary.LittleEndian.PutUint32(p[4:], uint32(seq))
				if err := w.WriteFrame(Kind(id+1), p); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		pw.Close()
	}()

	r := NewReader(pr, 0)
	next := make([]int, writers)
	for {
		kind, p, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		id, seq := int(binary.LittleEndian.Uint32(p)), int(binary.LittleEndian.Uint32(p[4:]))
		if id >= writers || kind != Kind(id+1) {
			t.Fatalf("frame of kind %d from writer %d", kind, id)
		}
		if seq != next[id] {
			t.Fatalf("writer %d: frame %d arrived, want %d", id, seq, next[id])
		}
		next[id]++
		want := pattern(id*frames+seq, 8+sizes[(id+seq)%len(sizes)])
		if !bytes.Equal(p[8:], want[8:]) {
			t.Fatalf("writer %d frame %d damaged", id, seq)
		}
	}
	for id, n := range next {
		if n != frames {
			t.Errorf("writer %d: %d frames arrived, want %d", id, n, frames)
		}
	}
}

// gateWriter records its writes; the first one blocks until released.
type gateWriter struct {
	entered chan struct{} // closed when the first Write starts
	release chan struct{} // closed to let the first Write finish

	mu     sync.Mutex
	writes int
	buf    bytes.Buffer
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	g.writes++
	first := g.writes == 1
	g.buf.Write(p)
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
	return len(p), nil
}

// While one frame is being written, the frames of other callers gather, and
// the next of them to write sends them all in one Write.
func TestCoalescing(t *testing.T) {
	t.Parallel()
	const waiting = 10
	g := &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
	w := NewWriter(g)
	queued := make(chan struct{}, waiting)
	w.testHookQueued = func() { queued <- struct{}{} }

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.WriteFrame(1, []byte("first")); err != nil {
			t.Error(err)
		}
	})
	<-g.entered
	for i := range waiting {
		wg.Go(func() {
			if err := w.WriteFrame(2, pattern(i, 10+i)); err != nil {
				t.Error(err)
			}
		})
	}
	for range waiting {
		<-queued
	}
	close(g.release)
	wg.Wait()

	if g.writes != 2 {
		t.Errorf("%d frames took %d writes, want 2", waiting+1, g.writes)
	}
	r := NewReader(&g.buf, 0)
	n := 0
	for {
		_, _, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != waiting+1 {
		t.Errorf("read %d frames, want %d", n, waiting+1)
	}
}

// countingWriter counts its writes, and lets a reader drain a pipe.
type countingWriter struct {
	mu     sync.Mutex
	writes int
	w      io.Writer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.w.Write(p)
}

// Under concurrent load there are fewer writes than frames.
func TestCoalescingUnderLoad(t *testing.T) {
	t.Parallel()
	const writers, frames = 8, 500
	pr, pw := io.Pipe()
	cw := &countingWriter{w: pw}
	w := NewWriter(cw)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range frames {
				if err := w.WriteFrame(1, pattern(i, 64)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		pw.Close()
	}()
	n, err := io.Copy(io.Discard, pr)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(writers * frames * (headerSize + 64)); n != want {
		t.Fatalf("%d bytes arrived, want %d", n, want)
	}
	// How much was coalesced depends on scheduling, so it is only logged;
	// TestCoalescing shows batching deterministically.
	t.Logf("%d frames in %d writes", writers*frames, cw.writes)
}

// failingWriter fails every write from the n-th on.
type failingWriter struct {
	n, writes int
	err       error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes >= f.n {
		return 1, f.err
	}
	return len(p), nil
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestStickyError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		payload []byte
		failAt  int // the write that fails
		want    error
	}{
		{name: "small frame", payload: []byte("x"), failAt: 2, want: boom},
		{name: "large frame header", payload: make([]byte, directWrite), failAt: 3, want: boom},
		{name: "large frame payload", payload: make([]byte, directWrite), failAt: 4, want: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &failingWriter{n: tt.failAt, err: tt.want}
			w := NewWriter(f)
			var first error
			for i := range 4 {
				err := w.WriteFrame(1, tt.payload)
				if first == nil && err != nil {
					first = err
					continue
				}
				if first != nil && err != first {
					t.Fatalf("call %d after the failure: %v, want the first error %v", i, err, first)
				}
			}
			if !errors.Is(first, tt.want) {
				t.Fatalf("error %v, want %v", first, tt.want)
			}
			if !strings.HasPrefix(first.Error(), "wire: write") {
				t.Errorf("error %q lacks the package prefix", first)
			}
			if f.writes != tt.failAt {
				t.Errorf("%d writes; the Writer kept writing after the failure", f.writes)
			}
		})
	}

	t.Run("short write", func(t *testing.T) {
		t.Parallel()
		if err := NewWriter(shortWriter{}).WriteFrame(1, []byte("abc")); !errors.Is(err, io.ErrShortWrite) {
			t.Fatalf("error %v, want io.ErrShortWrite", err)
		}
	})
}

func TestWriteFrameRefuses(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteFrame(0, []byte("x")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("kind 0: %v, want ErrCorrupt", err)
	}
	if buf.Len() != 0 {
		t.Fatal("kind 0 was written")
	}
	if err := w.WriteFrame(1, []byte("x")); err != nil {
		t.Fatalf("after refusing kind 0: %v", err)
	}
}

// A stream of three frames, cut at every offset: the whole frames before the
// cut are read, then io.EOF at a frame boundary or io.ErrUnexpectedEOF inside
// a frame, and that error again.
func TestTruncated(t *testing.T) {
	t.Parallel()
	frames := [][]byte{frame(1, []byte("abc")), frame(2, nil), frame(3, pattern(3, 64))}
	stream := bytes.Join(frames, nil)
	for cut := range len(stream) + 1 {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			t.Parallel()
			whole, boundary := 0, cut == 0
			for end := 0; whole < len(frames); whole++ {
				end += len(frames[whole])
				if end > cut {
					break
				}
				boundary = end == cut
			}
			r := NewReader(bytes.NewReader(stream[:cut]), 0)
			for i := range whole {
				if _, _, err := r.ReadFrame(); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
			}
			for range 2 {
				_, p, err := r.ReadFrame()
				switch {
				case p != nil:
					t.Fatal("a payload with the error")
				case boundary && err != io.EOF:
					t.Fatalf("at a boundary: %v, want io.EOF", err)
				case !boundary && !errors.Is(err, io.ErrUnexpectedEOF):
					t.Fatalf("inside a frame: %v, want io.ErrUnexpectedEOF", err)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	header := func(n uint32, kind byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, n), kind)
	}
	tests := []struct {
		name     string
		data     []byte
		maxFrame int
		want     error // nil: the frame reads
	}{
		{name: "at the limit", data: frame(1, make([]byte, 16)), maxFrame: 16},
		{name: "over the limit", data: frame(1, make([]byte, 17)), maxFrame: 16, want: ErrFrameTooLarge},
		{name: "default limit", data: header(MaxFrameDefault+1, 1), want: ErrFrameTooLarge},
		{name: "largest length", data: header(1<<32-1, 1), want: ErrFrameTooLarge},
		{name: "kind 0", data: frame(0, []byte("x")), want: ErrCorrupt},
		{name: "zeros", data: make([]byte, 32), want: ErrCorrupt},
		{name: "kind 255", data: frame(255, []byte("x"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(bytes.NewReader(tt.data), tt.maxFrame)
			_, _, err := r.ReadFrame()
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if _, _, again := r.ReadFrame(); again != err {
				t.Fatalf("second read: %v, want the same error", again)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, _, err := NewReader(errReader{boom}, 0).ReadFrame()
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "wire: ") {
		t.Fatalf("error %v, want boom with the package prefix", err)
	}
}

// A header that announces a huge frame, followed by a few bytes, must not
// make the Reader allocate the announced size.
func TestHostileLength(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	tests := []struct {
		name     string
		length   uint32
		maxFrame int
		want     error
	}{
		{name: "1 GiB announced", length: MaxFrameDefault, want: io.ErrUnexpectedEOF},
		{name: "4 GiB announced, 1 GiB limit", length: 1<<32 - 1, want: ErrFrameTooLarge},
		{name: "4 GiB announced, no limit", length: 1<<32 - 1, maxFrame: math.MaxInt, want: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := append(binary.LittleEndian.AppendUint32(nil, tt.length), 1)
			data = append(data, "only a few bytes"...)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := NewReader(bytes.NewReader(data), tt.maxFrame).ReadFrame()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			const bound = readChunk + readBuffer + 64<<10
			if n := after.TotalAlloc - before.TotalAlloc; n > bound {
				t.Errorf("allocated %d bytes for a truncated frame, want at most %d", n, bound)
			}
		})
	}
}

// A long frame delivered slowly grows its buffer in steps: the allocation
// stays within a small multiple of what arrived.
func TestGrowthBounded(t *testing.T) {
	const announced, sent = 512 << 20, 3 << 20
	data := append(binary.LittleEndian.AppendUint32(nil, announced), 1)
	data = append(data, make([]byte, sent)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := NewReader(bytes.NewReader(data), 0).ReadFrame()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
	}
	if n, bound := after.TotalAlloc-before.TotalAlloc, uint64(4*sent+readChunk+readBuffer); n > bound {
		t.Errorf("allocated %d bytes after receiving %d, want at most %d", n, sent, bound)
	}
}

func TestWriteFramesBatchesPrebuiltFrames(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var frames []byte
	for i := range 3 {
		frames = AppendFrame(frames, Kind(i+1), []byte{byte(i)})
	}
	if err := w.WriteFrames(frames); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(4, []byte("x")); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, 0)
	for i := range 4 {
		kind, p, err := r.ReadFrame()
		if err != nil || kind != Kind(i+1) || len(p) != 1 {
			t.Fatalf("frame %d: kind %d, %q, %v", i, kind, p, err)
		}
	}
}

func TestStartEndFrame(t *testing.T) {
	b := AppendFrame(nil, 1, []byte("first"))
	start := len(b)
	b = StartFrame(b, 2)
	b = append(b, "in "...)
	b = append(b, "place"...)
	b = EndFrame(b, start)
	r := NewReader(bytes.NewReader(b), 0)
	for _, want := range []struct {
		kind    Kind
		payload string
	}{{1, "first"}, {2, "in place"}} {
		kind, p, err := r.ReadFrame()
		if err != nil || kind != want.kind || string(p) != want.payload {
			t.Fatalf("frame: %d %q %v, want %d %q", kind, p, err, want.kind, want.payload)
		}
	}
}

func TestWriteFunc(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteFrame(1, []byte("before")); err != nil {
		t.Fatal(err)
	}
	err := w.WriteFunc(func(u io.Writer) error {
		_, err := u.Write(AppendFrame(nil, 2, []byte("mine")))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(3, []byte("after")); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, 0)
	for _, want := range []string{"before", "mine", "after"} {
		if _, p, err := r.ReadFrame(); err != nil || string(p) != want {
			t.Fatalf("frame %q, %v; want %q", p, err, want)
		}
	}
	boom := errors.New("boom")
	if err := w.WriteFunc(func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed send: %v", err)
	}
	if err := w.WriteFrame(4, nil); !errors.Is(err, boom) {
		t.Fatalf("after a failed send: %v, want the Writer broken", err)
	}
}

// A frame written in parts reads back as one payload, the parts joined,
// whatever their sizes, and between the frames of other callers.
func TestWriteFrameParts(t *testing.T) {
	t.Parallel()
	small, big := pattern(1, 10), pattern(2, directWrite+3)
	tests := []struct {
		name  string
		parts [][]byte
	}{
		{"none", nil},
		{"one small", [][]byte{small}},
		{"one big", [][]byte{big}},
		{"head and big", [][]byte{small, big}},
		{"big, small, big, small", [][]byte{big, small, pattern(3, readChunk+1), small}},
		{"empty parts", [][]byte{nil, small, {}, big, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := w.WriteFrame(1, []byte("before")); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrameParts(2, tt.parts...); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrame(3, []byte("after")); err != nil {
				t.Fatal(err)
			}
			r := NewReader(&buf, 0)
			for _, want := range []struct {
				kind    Kind
				payload []byte
			}{{1, []byte("before")}, {2, bytes.Join(tt.parts, nil)}, {3, []byte("after")}} {
				kind, p, err := r.ReadFrame()
				if err != nil || kind != want.kind || !bytes.Equal(p, want.payload) {
					t.Fatalf("frame of kind %d, %d bytes, %v; want kind %d, %d bytes", kind, len(p), err, want.kind, len(want.payload))
				}
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.WriteFrameParts(0, small); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("kind 0: %v, want ErrCorrupt", err)
		}
		if err := WriteFrameTo(&buf, 0, small); !errors.Is(err, ErrCorrupt) || buf.Len() != 0 {
			t.Fatalf("WriteFrameTo kind 0: %v, %d bytes written", err, buf.Len())
		}
		if err := w.WriteFrame(1, small); err != nil {
			t.Fatalf("after refusing kind 0: %v", err)
		}
	})
}

// WriteFrameParts writes a long part from the caller's slice: the frame
// costs no copy of it.
func TestWriteFramePartsDoesNotCopy(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	big := pattern(4, 8<<20)
	w := NewWriter(io.Discard)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := w.WriteFrameParts(1, []byte("head"), big, []byte("tail")); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<10 {
		t.Errorf("allocated %d bytes to write a frame of %d", n, len(big))
	}
}

// A long frame read in full allocates little more than its length: its
// buffer does not double all the way, leaving a trail of copies.
func TestLongFrameAllocation(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	for _, n := range []int{readChunk + 1, 3 * readChunk, 40 << 20, 100<<20 + 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := frame(1, pattern(5, n))
			r := NewReader(bytes.NewReader(data), 0)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, p, err := r.ReadFrame()
			runtime.ReadMemStats(&after)
			if err != nil || len(p) != n {
				t.Fatalf("read %d bytes, %v", len(p), err)
			}
			bound := uint64(n) + max(uint64(n)/16, readChunk) + readBuffer + 16<<10
			if got := after.TotalAlloc - before.TotalAlloc; got > bound {
				t.Errorf("allocated %d bytes to read a frame of %d, want at most %d", got, n, bound)
			}
		})
	}
}
