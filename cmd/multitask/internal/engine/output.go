package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
)

// spoolMemory is how much of one stream of one job is kept in memory;
// beyond it the stream goes to a temporary file, so that a job printing
// gigabytes under --keep-order costs disk, not memory.
const spoolMemory = 1 << 20

// spoolSmall is how far a spool's buffer grows on its own; past it, the
// spool takes a buffer of spoolMemory bytes from spoolBuffers and gives it
// back when released. Jobs that print megabytes would otherwise each grow
// a buffer a dozen times over and leave it all to the garbage collector,
// which cost more than the jobs' output did.
const spoolSmall = 64 << 10

var spoolBuffers = sync.Pool{New: func() any { return new([spoolMemory]byte) }}

// A spool holds one stream of a job's output until it is printed.
type spool struct {
	dir  string // where a spilled stream's file goes; "" for os.TempDir
	buf  []byte
	big  *[spoolMemory]byte // buf's memory, from spoolBuffers; nil when buf is small
	file *os.File           // nil until buf would pass spoolMemory
	n    int64
	err  error // the first error spilling to file
}

func (s *spool) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if need := len(s.buf) + len(p); s.file == nil && need <= spoolMemory {
		if need > cap(s.buf) && need > spoolSmall {
			s.big = spoolBuffers.Get().(*[spoolMemory]byte)
			s.buf = append(s.big[:0], s.buf...)
		}
		s.buf = append(s.buf, p...)
		return len(p), nil
	}
	if s.err != nil {
		return len(p), nil // keep draining the pipe; the error is reported once
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "multitask-out-")
		if err != nil {
			s.err = err
			return len(p), nil
		}
		os.Remove(f.Name()) // unlinked: it goes when closed, or when we die
		s.file = f
		if _, err := f.Write(s.buf); err != nil {
			s.err = err
		}
		s.freeBuf()
	}
	if _, err := s.file.Write(p); err != nil && s.err == nil {
		s.err = err
	}
	return len(p), nil
}

// Len returns the number of bytes written, spilled or not.
func (s *spool) Len() int64 { return s.n }

// reader returns the spooled bytes from the start.
func (s *spool) reader() (io.Reader, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.file == nil {
		return bytes.NewReader(s.buf), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(s.file, 64<<10), nil
}

// WriteTo copies the spooled bytes to w.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	r, err := s.reader()
	if err != nil {
		return 0, err
	}
	return io.Copy(w, r)
}

// release frees the spool's memory and file.
func (s *spool) release() {
	s.freeBuf()
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}

func (s *spool) freeBuf() {
	if s.big != nil {
		spoolBuffers.Put(s.big)
		s.big = nil
	}
	s.buf = nil
}

// writeTagged copies r to w with tag before every line; a last line
// without a newline gets none added.
func writeTagged(w io.Writer, tag string, r io.Reader) error {
	if tag == "" {
		_, err := io.Copy(w, r)
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			bw.WriteString(tag)
			bw.Write(line)
		}
		for err == bufio.ErrBufferFull { // a line longer than the buffer
			line, err = br.ReadSlice('\n')
			bw.Write(line)
		}
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
	}
}

// writeColored copies r to w a line at a time, each line after start and
// before reset and a newline (see Config.Color).
func writeColored(w io.Writer, start, reset string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			writeColoredLine(bw, start, reset, line)
		}
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
	}
}

// writeColoredLine writes one line, with or without its newline, coloured.
func writeColoredLine(w io.Writer, start, reset string, line []byte) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	io.WriteString(w, start)
	for {
		i := bytes.IndexByte(line, '\r')
		if i < 0 {
			break
		}
		w.Write(line[:i])
		io.WriteString(w, reset+"\r"+start)
		line = line[i+1:]
	}
	w.Write(line)
	io.WriteString(w, reset+"\n")
}

// heldLines is what a job's lines under LineBuffer with KeepOrder wait in
// until it is the job's turn to print.
type heldLines struct{ out, err spool }

func (r *runner) newHeld() heldLines {
	return heldLines{out: spool{dir: r.cfg.TempDir}, err: spool{dir: r.cfg.TempDir}}
}

// lineDest is where a line of job idx goes, with outputMu held: straight
// out when it is the job's turn (or lines keep no order), else into what
// the job holds.
func (r *runner) lineDest(idx int, stderr bool) io.Writer {
	if h := r.held[idx]; h != nil && idx != r.turn {
		if stderr {
			return &h.err
		}
		return &h.out
	}
	if stderr {
		return r.cfg.Stderr
	}
	return r.cfg.Stdout
}

// passTurn ends job p's turn to print under LineBuffer with KeepOrder:
// what it held is printed, unless it was killed, and the next job prints
// what it holds so far, then its lines as they come.
func (r *runner) passTurn(p *Result) {
	r.outputMu.Lock()
	defer r.outputMu.Unlock()
	if h := r.held[p.idx]; h != nil {
		if !p.Killed {
			r.flushHeld(h)
		}
		h.out.release()
		h.err.release()
		delete(r.held, p.idx)
	}
	r.turn = p.idx + 1
	if h := r.held[r.turn]; h != nil {
		r.flushHeld(h)
		h.out.release()
		h.err.release()
		*h = r.newHeld()
	}
}

// flushHeld prints what h holds, with outputMu held.
func (r *runner) flushHeld(h *heldLines) {
	for _, p := range []struct {
		s *spool
		w io.Writer
	}{{&h.out, r.cfg.Stdout}, {&h.err, r.cfg.Stderr}} {
		if _, err := p.s.WriteTo(p.w); err != nil {
			fmt.Fprintf(r.cfg.Stderr, "multitask: held output: %v\n", err)
		}
	}
}
