package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
)

// maxBlock is the largest block --pipe reads, as in GNU parallel (2 GiB
// cause it problems).
const maxBlock = 1<<31 - 1

// pipeSplit says how --pipe cuts stdin into the jobs' blocks. It cuts
// where GNU parallel cuts, so that the same input gives the same jobs.
type pipeSplit struct {
	size     int    // --block
	recEnd   string // unescaped; "" when only --recstart was given
	recStart string
	pool     *blockPool     // where the blocks' buffers come from
	records  int            // -n or -N: records per block; 0 for as many as fit
	lines    int            // -L or -l: lines per record; 0 for records of --recend
	header   *regexp.Regexp // --header: what starts stdin and every block
	noEmpty  bool           // -r: drop blank lines
	csv      bool           // --csv: blocks end at a line end outside quotes
	rrs      bool           // --remove-rec-sep: blocks lose their record separators
	// re, with --regexp, finds record ends and starts as regular
	// expressions rather than as recEnd and recStart.
	re *recordRegexps
	// timeout (--block-timeout), when positive, cuts a block from what
	// has come when a whole one has not come in that time.
	timeout time.Duration
	warn    func(string)
}

// blankLines are what -r drops in --pipe mode, as GNU parallel's
// s/^\s*\n//gm does.
var blankLines = regexp.MustCompile(`(?m)^[ \t\n\v\f\r]*\n`)

// blocks cuts r into jobs as GNU parallel does: after the header, it
// reads up to the next multiple of the block size, and cuts after the last
// record end (recEnd followed by recStart) in what it holds, or, with
// records, after every that many records (of lines records each, with
// lines), or, with lines alone, after the last newline that ends a whole
// record of that many lines. When nothing was cut, the block
// size grows by 30% for the rest of the run; -r drops blank lines from what
// it read. Once r has ended, what is left is one last block, however many
// records it holds. Each job gets the header, then its block.
func (p pipeSplit) blocks(r io.Reader) iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		in := &sysReader{r: r}
		if p.timeout > 0 {
			t := newTimedReader(r)
			defer t.stop()
			in.timed = t
		}
		sep := []byte(p.recEnd + p.recStart)
		size := p.size
		var buf []byte
		header, err := p.readHeader(in, &buf)
		if err != nil {
			yield(engine.Job{}, err)
			return
		}
		seq := 0
		// emit makes a job of the header and the first n bytes of buf;
		// false when the consumer stopped. It copies the smaller part: a
		// block longer than what follows it is handed over whole, and what
		// follows moves to a buffer of its own. A block that --rrs leaves
		// empty makes no job, and takes no sequence number, as in GNU
		// parallel.
		emit := func(n int) bool {
			var job engine.Job
			if rest := buf[n:]; len(header) == 0 && len(rest) < n {
				job.Input = buf[:n]
				buf = append(p.pool.get(len(rest) + size)[:0], rest...)
			} else {
				job.Input = append(append(p.pool.get(len(header) + n)[:0], header...), buf[:n]...)
				buf = append(buf[:0], rest...)
			}
			if p.rrs {
				block := job.Input[len(header):]
				if p.re != nil {
					block = p.re.removeSep(block)
				} else {
					block = removeRecSep(block, p.recEnd, p.recStart)
				}
				if len(block) == 0 {
					p.pool.put(job.Input)
					return true
				}
				job.Input = append(job.Input[:len(header)], block...)
			}
			seq++
			job.Seq = seq
			return yield(job, nil)
		}
		garbageRead := false // --regexp -N: what comes before the first record
		for {
			in.deadline = time.Now().Add(p.timeout)
			eof, err := in.fill(&buf, size-len(buf)%size)
			timedOut := errors.Is(err, errBlockTimeout)
			if timedOut {
				err = nil
			}
			if err != nil {
				yield(engine.Job{}, err)
				return
			}
			if p.noEmpty {
				if buf = blankLines.ReplaceAll(buf, nil); len(buf) == 0 {
					if eof {
						break
					}
					continue
				}
			}
			cut := 0
			switch {
			case p.lines > 0 && p.records == 0:
				// Records of that many lines, whatever --recend says,
				// cut also at the end of input, as GNU parallel cuts
				// them.
				if cut = lineRecordsEnd(buf, p.lines); cut > 0 && !emit(cut) {
					return
				}
			case p.csv:
				// GNU parallel ends a block of CSV at the last newline
				// with an even number of quotes before it, -N or not.
				if cut = csvRecordsEnd(buf); !eof && cut > 0 && !emit(cut) {
					return
				}
				if eof {
					cut = 0 // what is left is the last block
				}
			case p.re != nil && p.records > 0:
				if !garbageRead {
					// GNU parallel makes what comes before the first
					// record start a block of its own.
					garbageRead = true
					if cut = p.re.garbage(buf); cut > 0 && !emit(cut) {
						return
					}
				}
				for len(buf) > 0 {
					i := p.re.nthCut(buf, p.records*max(p.lines, 1))
					if i <= 0 {
						break
					}
					if cut = i; !emit(cut) {
						return
					}
				}
			case p.re != nil && !eof:
				if cut = p.re.lastCut(buf); cut > 0 && !emit(cut) {
					return
				}
			case p.records > 0:
				// As many blocks of that many records as buf holds;
				// with -L, a record is that many of them.
				for len(buf) > 0 {
					i := nthIndex(buf, sep, p.records*max(p.lines, 1))
					if i < 0 {
						break
					}
					cut = i + len(p.recEnd)
					if !emit(cut) {
						return
					}
				}
			case !eof:
				if i := bytes.LastIndex(buf, sep); i >= 0 {
					cut = i + len(p.recEnd)
					if cut > 0 && !emit(cut) {
						return
					}
				}
			}
			if eof {
				break
			}
			if cut == 0 && !timedOut {
				size = grow(size, p.warn)
			}
		}
		if len(buf) > 0 {
			emit(len(buf))
		}
	}
}

// sections cuts a regular file f, from its offset on, where blocks cuts
// what it reads from f, and yields each block as a section of f: the jobs
// read their blocks from the file, and this process reads only what finds
// the cuts, the end of each block. It declines (false) when more than the
// block size and the separator decide the cuts, or f is not a regular
// file. When it ends, f's offset is where blocks would have left it.
func (p pipeSplit) sections(f *os.File) (iter.Seq2[engine.Job, error], bool) {
	sep := []byte(p.recEnd + p.recStart)
	if p.re != nil || p.header != nil || p.records > 0 || p.lines > 0 || p.noEmpty || p.csv || p.rrs || len(sep) == 0 {
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	start, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, false
	}
	return func(yield func(engine.Job, error) bool) {
		end := start // what blocks would hold in its buffer: [start, end)
		defer func() { _, _ = f.Seek(end, io.SeekStart) }()
		size, fileEnd := int64(p.size), fi.Size()
		look := make([]byte, max(64<<10, 2*len(sep)))
		seq := 0
		emit := func(n int64) bool {
			seq++
			job := engine.Job{Seq: seq, InputFile: &jobexec.Section{File: f, Off: start, Len: n}}
			start += n
			return yield(job, nil)
		}
		for {
			// A fill stops short only at the end of the file.
			want := size - (end-start)%size
			if fileEnd-end < want {
				if fi, err := f.Stat(); err == nil {
					fileEnd = fi.Size() // it may have grown
				}
			}
			eof := fileEnd-end < want
			if eof {
				end = max(end, fileEnd)
				break
			}
			end += want
			cut := int64(0)
			i, err := lastIndexAt(f, start, end, sep, look)
			if err != nil {
				yield(engine.Job{}, err)
				return
			}
			if i >= 0 {
				if cut = i - start + int64(len(p.recEnd)); cut > 0 && !emit(cut) {
					return
				}
			}
			if cut == 0 {
				size = grow(size, p.warn)
			}
		}
		if end > start {
			emit(end - start)
		}
	}, true
}

// lastIndexAt is the offset in f of the last sep that lies wholly in
// [from, to), or -1; it reads backwards from to, len(buf) bytes at a time.
func lastIndexAt(f *os.File, from, to int64, sep, buf []byte) (int64, error) {
	for hi := to; hi > from; {
		lo := max(from, hi-int64(len(buf)))
		chunk := buf[:hi-lo]
		if _, err := f.ReadAt(chunk, lo); err != nil {
			return -1, fmt.Errorf("reading stdin: %w", err)
		}
		if i := bytes.LastIndex(chunk, sep); i >= 0 {
			return lo + int64(i), nil
		}
		// The next chunk overlaps this one by all of a separator but a
		// byte, so that one that straddles them is found.
		hi = lo + int64(len(sep)) - 1
		if lo == from {
			break
		}
	}
	return -1, nil
}

// grow is the block size after a block in which no record ended: 30%
// more, up to maxBlock, with GNU parallel's warning.
func grow[N int | int64](size N, warn func(string)) N {
	if size >= maxBlock {
		return size
	}
	grown := N(min(math.Ceil(float64(size)*1.3+1), maxBlock))
	warn(fmt.Sprintf("A record was longer than %d. Increasing to --blocksize %d.", size, grown))
	return grown
}

// readHeader reads stdin's first block until the header matches at its
// start and returns the header, leaving the rest in buf; no header when
// none is asked for or stdin ends first.
func (p pipeSplit) readHeader(in *sysReader, buf *[]byte) ([]byte, error) {
	if p.header == nil {
		return nil, nil
	}
	for {
		n, err := in.read(buf, p.size)
		if err != nil || n == 0 {
			return nil, err
		}
		if loc := p.header.FindIndex(*buf); loc != nil {
			h := slices.Clone((*buf)[:loc[1]])
			*buf = append((*buf)[:0], (*buf)[loc[1]:]...)
			return h, nil
		}
	}
}

// lineRecordsEnd is where the last record of n lines in buf ends, just
// after its newline; 0 when buf holds no whole record.
func lineRecordsEnd(buf []byte, n int) int {
	end := len(buf)
	for drop := bytes.Count(buf, []byte{'\n'}) % n; ; drop-- {
		i := bytes.LastIndexByte(buf[:end], '\n')
		if i < 0 {
			return 0
		}
		if drop == 0 {
			return i + 1
		}
		end = i
	}
}

// removeRecSep removes from block, in place, the record separators, as
// GNU parallel's --remove-rec-sep does: every recEnd followed by
// recStart, then recStart at the start and recEnd at the end (or before a
// last newline, where Perl's $ matches too).
func removeRecSep(block []byte, recEnd, recStart string) []byte {
	if sep := recEnd + recStart; sep != "" {
		out := block[:0]
		for {
			i := bytes.Index(block, []byte(sep))
			if i < 0 {
				break
			}
			out = append(out, block[:i]...)
			block = block[i+len(sep):]
		}
		block = append(out, block...)
	}
	if recStart != "" {
		if rest, ok := bytes.CutPrefix(block, []byte(recStart)); ok {
			block = append(block[:0], rest...)
		}
	}
	if recEnd != "" {
		if rest, ok := bytes.CutSuffix(block, []byte(recEnd)); ok {
			block = rest
		} else if rest, ok := bytes.CutSuffix(block, []byte(recEnd+"\n")); ok {
			block = append(rest, '\n')
		}
	}
	return block
}

// csvRecordsEnd is where the last whole CSV record in buf ends: after the
// last newline with an even number of double quotes before it; 0 for none.
func csvRecordsEnd(buf []byte) int {
	quotes := bytes.Count(buf, []byte{'"'})
	for end := len(buf); ; {
		i := bytes.LastIndexByte(buf[:end], '\n')
		if i < 0 {
			return 0
		}
		quotes -= bytes.Count(buf[i:end], []byte{'"'})
		if quotes%2 == 0 {
			return i + 1
		}
		end = i
	}
}

// nthIndex is where the nth sep is in buf, -1 if buf holds fewer, counted
// as GNU parallel counts them: each search starts a byte after the last
// find, so that a sep at the very start does not count.
func nthIndex(buf, sep []byte, n int) int {
	i := 0
	for range n {
		from := min(i+1, len(buf))
		j := bytes.Index(buf[from:], sep)
		if j < 0 {
			return -1
		}
		i = from + j
	}
	return i
}

// A blockPool recycles the buffers of --pipe blocks whose jobs have ended:
// fresh buffers of megabytes cost the kernel a page fault per page, which
// made up most of --pipe's cost.
type blockPool struct{ free chan []byte }

func newBlockPool(n int) *blockPool { return &blockPool{free: make(chan []byte, n)} }

// get returns a buffer of n bytes, recycled when one is at hand. A new one
// has room for an eighth more: the blocks asked for differ by the length of
// a partial record, and a buffer too small for the next one would be
// garbage, which let the heap grow to twice the blocks in use.
func (p *blockPool) get(n int) []byte {
	select {
	case b := <-p.free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n, n+n/8)
}

// put keeps b for a later block, unless enough are kept already.
func (p *blockPool) put(b []byte) {
	if b == nil {
		return
	}
	select {
	case p.free <- b[:0]:
	default:
	}
}

// sysReader reads as GNU parallel's loop of sysread calls does: the end of
// the input is seen only by a read that returns nothing, so a read that
// fills a request exactly does not see it yet.
type sysReader struct {
	r   io.Reader
	eof bool // r returned io.EOF; later reads return nothing
	// timed, when set, reads r in its stead, until deadline (none when
	// zero): a read then fails with errBlockTimeout.
	timed    *timedReader
	deadline time.Time
}

// fill appends up to n bytes to buf, reading until it has them or the
// input has ended; eof reports that the last read returned nothing.
func (s *sysReader) fill(buf *[]byte, n int) (eof bool, err error) {
	for n > 0 {
		m, err := s.read(buf, n)
		if err != nil {
			return false, err
		}
		if m == 0 {
			return true, nil
		}
		n -= m
	}
	return false, nil
}

// read appends what one read of at most n bytes gives to buf: 0 bytes at
// the end of the input.
func (s *sysReader) read(buf *[]byte, n int) (int, error) {
	b := slices.Grow(*buf, n)
	for !s.eof {
		var m int
		var err error
		if s.timed != nil {
			m, err = s.timed.readBefore(b[len(b):len(b)+n], s.deadline)
		} else {
			m, err = s.r.Read(b[len(b) : len(b)+n])
		}
		if errors.Is(err, errBlockTimeout) {
			return 0, err
		}
		*buf = b[:len(b)+m]
		if errors.Is(err, io.EOF) {
			s.eof = true
		} else if err != nil {
			return m, fmt.Errorf("reading stdin: %w", err)
		}
		if m > 0 {
			return m, nil
		}
	}
	return 0, nil
}

// pipeSplit checks the --pipe options and returns how to cut stdin.
func (o *options) pipeSplit(warn func(string)) (pipeSplit, error) {
	n, err := parseSize(o.block)
	if err != nil {
		return pipeSplit{}, err
	}
	if n < 1 {
		return pipeSplit{}, fmt.Errorf("%w: --block %s: must be at least 1 byte", errUsage, o.block)
	}
	if n > maxBlock {
		warn("--blocksize >= 2G causes problems. Using 2G-1.")
	}
	p := pipeSplit{size: int(min(n, maxBlock)), warn: warn}
	if o.blockTimeout != "" {
		if p.timeout, err = parseDuration(o.blockTimeout); err != nil {
			return p, err
		}
		if p.timeout < time.Second {
			return p, fmt.Errorf("%w: --block-timeout must be at least 1", errUsage)
		}
	}
	return p, o.records(&p)
}

// records sets how p finds records: -n or -N, -L or -l, -r, --header,
// --recend and --recstart.
func (o *options) records(p *pipeSplit) error {
	var err error
	if o.maxSet {
		p.records = o.maxArgs
	}
	p.lines = o.lines
	p.noEmpty = o.noEmpty
	p.csv = o.csv
	p.rrs = o.rrs
	if h := o.header; h != "" {
		// ":" is one line and a number that many lines, as GNU parallel
		// reads them; anything else is a regular expression.
		if h == ":" {
			h = "1"
		}
		if n, err := strconv.Atoi(h); err == nil && n >= 0 {
			h = strings.Repeat(`.*\n`, n)
		}
		if p.header, err = regexp.Compile(`^(?:` + h + `)`); err != nil {
			return fmt.Errorf("%w: --header: %v", errUsage, err)
		}
	}
	if o.regexp {
		p.re, err = newRecordRegexps(o.recEnd, o.recStart, o.recEndSet, o.recStartSet)
		return err
	}
	if o.recEndSet || !o.recStartSet {
		// --recstart alone leaves records without an end of their own,
		// as GNU parallel does.
		if p.recEnd, err = input.UnescapeDelim(o.recEnd); err != nil {
			return fmt.Errorf("%w: --recend: %v", errUsage, err)
		}
	}
	if p.recStart, err = input.UnescapeDelim(o.recStart); err != nil {
		return fmt.Errorf("%w: --recstart: %v", errUsage, err)
	}
	return nil
}

// errBlockTimeout ends a read of --pipe's stdin at --block-timeout.
var errBlockTimeout = errors.New("--block-timeout")

// timedReader reads r in a goroutine of its own, so that a read may give
// up at a deadline while the bytes still come. The goroutine ends when r
// ends or stop is called, unless a read of r blocks for ever, which only
// the end of the process ends.
type timedReader struct {
	chunks chan chunk
	done   chan struct{}
	rest   chunk // what the last read left of a chunk
}

type chunk struct {
	b   []byte
	err error
}

func newTimedReader(r io.Reader) *timedReader {
	t := &timedReader{chunks: make(chan chunk), done: make(chan struct{})}
	go func() {
		for {
			buf := make([]byte, 64<<10)
			n, err := r.Read(buf)
			select {
			case t.chunks <- chunk{buf[:n], err}:
			case <-t.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return t
}

// readBefore reads into p what has come, waiting until deadline (for ever
// when zero) for something to come. Once r has failed or ended, every
// read returns that.
func (t *timedReader) readBefore(p []byte, deadline time.Time) (int, error) {
	if len(t.rest.b) == 0 && t.rest.err == nil {
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			timer := time.NewTimer(time.Until(deadline))
			defer timer.Stop()
			timeout = timer.C
		}
		select {
		case t.rest = <-t.chunks:
		case <-timeout:
			return 0, errBlockTimeout
		}
	}
	n := copy(p, t.rest.b)
	t.rest.b = t.rest.b[n:]
	if len(t.rest.b) > 0 {
		return n, nil
	}
	return n, t.rest.err
}

func (t *timedReader) stop() { close(t.done) }
