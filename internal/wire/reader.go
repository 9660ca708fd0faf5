package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	// readChunk is the step in which the buffer of a long frame grows as its
	// bytes arrive, and the most a frame's header alone can make Read allocate.
	readChunk = 1 << 20

	// readBuffer is the size of the Reader's read-ahead buffer.
	readBuffer = 64 << 10

	// jumpShare is the share of a long frame (one in jumpShare) after whose
	// arrival its buffer grows to the whole frame at once: each growth
	// copies what arrived, and the buffer it leaves stays resident a while,
	// so a frame that doubled all the way would cost its reader about twice
	// its length at the peak instead of once.
	jumpShare = 64
)

// A Reader reads frames from an io.Reader. It is not safe for concurrent use.
// It reads ahead, so once a Reader is made the underlying reader must be read
// only through it.
type Reader struct {
	r   *bufio.Reader
	max int
	err error // the first error, returned again by every later call

	// The frame in progress, kept when a read times out so that the next
	// ReadFrame goes on where it stopped.
	hdr     [headerSize]byte
	nhdr    int    // header bytes read
	want    int    // payload length, once the header is in
	payload []byte // payload read so far
	into    []byte // a buffer offered by ReadFrameInto for the next payload
}

// NewReader returns a Reader of frames from r that refuses frames longer than
// maxFrame bytes; maxFrame <= 0 means [MaxFrameDefault].
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = MaxFrameDefault
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < readBuffer {
		br = bufio.NewReaderSize(r, readBuffer)
	}
	return &Reader{r: br, max: maxFrame}
}

// Buffered returns how many bytes the Reader has read ahead and not yet
// returned. A caller that handles frames in batches reads while it is
// nonzero, and acts on the batch when it is zero, before a read may block.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadFrame reads the next frame and returns its kind and payload, which is
// newly allocated and belongs to the caller. It blocks until a whole frame has
// arrived or the stream fails.
//
// It returns io.EOF when the stream ends cleanly between frames, and an error
// wrapping io.ErrUnexpectedEOF when it ends inside one. A frame longer than
// the limit fails with [ErrFrameTooLarge] and one of kind 0 with [ErrCorrupt];
// neither is read or allocated. After an error the stream is out of step, so
// ReadFrame returns the same error from then on; the one exception is an
// error matching os.ErrDeadlineExceeded (a deadline on the underlying file),
// after which the next ReadFrame goes on with the frame where it stopped.
//
// Memory: a payload of up to 1 MiB is allocated at once; a longer one grows
// as its bytes arrive, doubling until a 64th of it has arrived, and then to
// its whole length at once. A frame read in full allocates its length plus
// at most a 16th more (or 1 MiB), and a stream that announces a frame and
// stops costs at most 1 MiB plus 66 times what it delivered, in memory that
// is mostly not yet touched.
func (r *Reader) ReadFrame() (Kind, []byte, error) {
	return r.ReadFrameInto(nil)
}

// ReadFrameInto is ReadFrame that reads the payload into buf when buf's
// capacity holds it, so that a caller who reuses one buffer reads without
// allocating; the payload returned then shares buf's memory. A frame begun
// before a deadline stopped it goes on in the memory it began in.
func (r *Reader) ReadFrameInto(buf []byte) (Kind, []byte, error) {
	r.into = buf
	defer func() { r.into = nil }()
	if r.err != nil {
		return 0, nil, r.err
	}
	kind, payload, err := r.read()
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			r.err = err
		}
		return 0, nil, err
	}
	return kind, payload, nil
}

func (r *Reader) read() (Kind, []byte, error) {
	if r.nhdr < headerSize {
		n, err := io.ReadFull(r.r, r.hdr[r.nhdr:])
		r.nhdr += n
		switch {
		case err == io.EOF && r.nhdr == 0:
			return 0, nil, io.EOF // nothing of a new frame: a clean end
		case errors.Is(err, os.ErrDeadlineExceeded):
			return 0, nil, err
		case err != nil:
			return 0, nil, readError("frame header", err)
		}
		n32 := binary.LittleEndian.Uint32(r.hdr[:4])
		if kind := Kind(r.hdr[4]); kind == 0 {
			return 0, nil, fmt.Errorf("wire: read frame: %w: kind 0 (length %d)", ErrCorrupt, n32)
		}
		if uint64(n32) > uint64(r.max) {
			return 0, nil, fmt.Errorf("wire: read frame of kind %d: %w: %d bytes, limit %d", r.hdr[4], ErrFrameTooLarge, n32, r.max)
		}
		r.want = int(n32)
		if r.into != nil && cap(r.into) >= r.want {
			r.payload = r.into[:0]
		} else {
			r.payload = make([]byte, 0, min(r.want, readChunk))
		}
	}
	kind := Kind(r.hdr[4])
	if err := r.readPayload(); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil, err
		}
		return 0, nil, readError(fmt.Sprintf("payload of a frame of kind %d and %d bytes", kind, r.want), err)
	}
	payload := r.payload
	r.nhdr, r.want, r.payload = 0, 0, nil
	return kind, payload, nil
}

// readPayload reads the rest of the payload into r.payload, growing it as
// the bytes arrive: what is allocated stays within twice what has arrived,
// plus a chunk, until a jumpShare-th of the payload has come; then the
// buffer takes the whole payload.
func (r *Reader) readPayload() error {
	p := r.payload
	defer func() { r.payload = p }()
	for len(p) < r.want {
		if len(p) == cap(p) {
			n := min(r.want, max(2*cap(p), cap(p)+readChunk))
			if len(p) >= r.want/jumpShare {
				n = r.want
			}
			grown := make([]byte, len(p), n)
			copy(grown, p)
			p = grown
		}
		m, err := io.ReadFull(r.r, p[len(p):min(cap(p), r.want)])
		p = p[:len(p)+m]
		if err != nil {
			return err
		}
	}
	return nil
}

// readError wraps an error met while reading what; an end of stream inside a
// frame becomes io.ErrUnexpectedEOF.
func readError(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("wire: read %s: %w", what, err)
}
