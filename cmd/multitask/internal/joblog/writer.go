package joblog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// A Writer appends entries to a joblog. It is safe for concurrent use; it
// must not be copied.
type Writer struct {
	name string // the file's path, or "stdout", for messages

	mu sync.Mutex // guards the fields below
	w  io.Writer  // where lines go
	// f is the file opened by Create, closed by Close; nil when w is the
	// run's standard output.
	f *os.File
	// regular is true when f is a regular file, synced after each line;
	// a terminal or pipe (--joblog /dev/stderr) cannot be.
	regular  bool
	closed   bool
	closeErr error
}

// Create opens the joblog that --joblog names, as GNU parallel does. arg is
// the option's value: "+file" appends to file, "-" writes to stdout. resume
// is true under --resume, --resume-failed and --retry-failed, which keep the
// lines already in the file.
//
// The header is written when the file is started anew: always, unless
// resume is set or arg starts with "+"; with resume, when the file is
// missing or empty, except that "+file" still gets no header when file is
// missing. Otherwise entries are appended after the existing lines, first
// cutting off a torn last line (one without its newline). "-" means stdout
// only when the log is started anew; with resume it names a file called
// "-", as in GNU parallel. Run with --dry-run, GNU parallel writes no
// joblog at all, so a caller then does not call Create.
func Create(arg string, resume bool, stdout io.Writer) (*Writer, error) {
	path, plus := strings.CutPrefix(arg, "+")
	fi, statErr := os.Stat(path)
	existed := statErr == nil
	// GNU parallel appends when the file has a first line and starts it anew
	// otherwise; a missing file leaves the "+" choice alone.
	appending := plus
	if resume && existed {
		appending = fi.Size() > 0
	}
	if !appending && path == "-" {
		w := &Writer{name: "stdout", w: stdout}
		if err := w.writeHeader(); err != nil {
			return nil, err
		}
		return w, nil
	}
	flag := os.O_RDWR | os.O_CREATE | os.O_APPEND
	if !appending {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o666)
	if err != nil {
		return nil, fmt.Errorf("joblog: %w", err)
	}
	ofi, err := f.Stat()
	var size int64
	if err == nil {
		size, err = cutTornLine(f, ofi)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("joblog: %w", err)
	}
	w := &Writer{name: path, w: f, f: f, regular: ofi.Mode().IsRegular()}
	// A file emptied by cutting its torn line counts as the empty file it
	// now is.
	if !appending || (resume && existed && size == 0) {
		if err := w.writeHeader(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return w, nil
}

// cutTornLine truncates f, of which fi is the Stat, after its last newline
// and returns its new size. A file that ends in a newline, is empty or is
// not a regular file is left alone.
func cutTornLine(f *os.File, fi os.FileInfo) (int64, error) {
	end := fi.Size()
	if end == 0 || !fi.Mode().IsRegular() {
		return end, nil
	}
	// Read backwards a block at a time: commands can be long.
	buf := make([]byte, 64<<10)
	for off := end; off > 0; {
		n := min(int64(len(buf)), off)
		off -= n
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			if keep := off + int64(i) + 1; keep < end {
				return keep, f.Truncate(keep)
			}
			return end, nil
		}
	}
	return 0, f.Truncate(0)
}

// Write appends e to the log as one line, and syncs the file if it is a
// regular one. A failed write may leave a torn line, which Read and Create
// then drop.
func (w *Writer) Write(e Entry) error {
	if strings.ContainsAny(e.Host, "\t\n") {
		return fmt.Errorf("joblog: host %q holds a tab or newline", e.Host)
	}
	line := []byte(e.String() + "\n")
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(line)
}

// writeHeader writes the header line.
func (w *Writer) writeHeader() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked([]byte(Header + "\n"))
}

// writeLocked writes line, newline included, in one call and syncs the
// file. w.mu must be held.
func (w *Writer) writeLocked(line []byte) error {
	if w.closed {
		return fmt.Errorf("joblog: write %s: %w", w.name, os.ErrClosed)
	}
	if _, err := w.w.Write(line); err != nil {
		if w.f == nil {
			return fmt.Errorf("joblog: write %s: %w", w.name, err)
		}
		return fmt.Errorf("joblog: %w", err) // names the file already
	}
	if w.regular {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("joblog: %w", err)
		}
	}
	return nil
}

// Close closes the file Create opened; a log on stdout leaves stdout open.
// Later Writes fail. Close is idempotent: a repeat call returns the first
// result.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		if w.f != nil {
			if err := w.f.Close(); err != nil {
				w.closeErr = fmt.Errorf("joblog: %w", err)
			}
		}
	}
	return w.closeErr
}
