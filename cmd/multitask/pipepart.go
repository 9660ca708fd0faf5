package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
)

// A partFile is a file --pipe-part cuts: its header, which every part
// gets first, and where its parts start, then where the last one ends.
type partFile struct {
	f      *os.File
	size   int64
	header []byte
	pos    []int64
}

// partsPerSlot is GNU parallel's --block for --pipe-part when none is
// given: -10, ten parts for each job slot.
const partsPerSlot = 10

// pipeParts opens the files --pipe-part cuts (-a and ::::) and finds their
// parts as GNU parallel finds them. A --block below zero, -N, means N parts
// for each of slots job slots over all the files together.
func (o *options) pipeParts(split pipeSplit, group *partGroups, block int64, slots int, warn func(string)) (parts []partFile, err error) {
	names := append([]string(nil), o.argFiles...)
	for _, s := range o.sources {
		if s.files {
			names = append(names, s.values...)
		} else {
			warn("--pipe-part cuts files: the values of ::: are ignored, as GNU parallel ignores them.")
		}
	}
	defer func() {
		if err != nil {
			closeParts(parts)
		}
	}()
	var total int64
	for _, name := range names {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			return parts, fmt.Errorf("file not found: %s", name)
		} else if err != nil {
			return parts, err
		}
		parts = append(parts, partFile{f: f})
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("--pipe-part only works on seekable files, not streams/pipes: %s is not a seekable file", name)
		}
		if err != nil {
			return parts, err
		}
		parts[len(parts)-1].size = fi.Size()
		total += fi.Size()
	}
	if block < 0 {
		block = 1 + total/int64(slots)/-block
	}
	if group != nil && len(parts) > 1 {
		warn("--group-by cuts every file of --pipe-part where the first file's keys change, as GNU parallel 20221122 does: give each file a run of its own to cut it at its own.")
	}
	for i := range parts {
		p := &parts[i]
		var start int64 // --skip-first-line skips each file's first line
		if o.skipFirstLine {
			start, err = firstLineLen(p.f)
		}
		if err == nil {
			p.header, err = readHeader(p.f, split, block, start)
		}
		switch {
		case err != nil:
		case group != nil:
			// Each part gets the header's length of this file's bytes.
			var n int64
			if p.pos, n, err = group.cut(p.f, p.size, block, start, p.header); err == nil && n != int64(len(p.header)) {
				p.header = make([]byte, n)
				var got int
				got, err = p.f.ReadAt(p.header, start)
				if p.header = p.header[:got]; errors.Is(err, io.EOF) {
					err = nil
				}
			}
		default:
			p.pos, err = splitPositions(p.f, p.size, block, start+int64(len(p.header)), split)
		}
		if err != nil {
			return parts, fmt.Errorf("--pipe-part: %s: %w", p.f.Name(), err)
		}
	}
	return parts, nil
}

// firstLineLen is the length of f's first line, with its newline: all of
// f when it has none.
func firstLineLen(f io.ReaderAt) (int64, error) {
	buf := make([]byte, 4096)
	var off int64
	for {
		n, err := f.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1, nil
		}
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// readHeader reads what --header matches at start in f, reading more
// until it matches or f ends, as GNU parallel does (which reads a block at
// a time, where this reads no more than scanChunk: a header is short, and
// a part may be a gigabyte); nothing when no header is asked for or none
// matches.
func readHeader(f *os.File, split pipeSplit, block, start int64) ([]byte, error) {
	if split.header == nil {
		return nil, nil
	}
	var buf []byte
	chunk := int(min(block, scanChunk))
	for {
		buf = slices.Grow(buf, chunk)
		n, err := f.ReadAt(buf[len(buf):len(buf)+chunk], start+int64(len(buf)))
		buf = buf[:len(buf)+n]
		if loc := split.header.FindIndex(buf); loc != nil {
			return buf[:loc[1]], nil
		}
		if n == 0 || errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// scanChunk is how much splitPositions reads at a time when it looks for a
// record's end: GNU parallel's dd block size.
const scanChunk = 128 << 10

// splitPositions returns where the parts of a file of size bytes start,
// from skip on, then where the last one ends, as GNU parallel's --pipe-part
// finds them: from skip plus block, and block past each cut, the first
// record end followed by a record start; a part ends after its record
// end. Without a record end or start, parts are cut every block bytes.
//
// With --regexp, GNU parallel cuts after the last record end followed by
// a record start in what it has read from the look's start, a window at
// a time, once that holds one: Perl's greedy /^(.*end)start/s finds that
// last one, and so does Go's leftmost-first match of the same expression.
func splitPositions(f io.ReaderAt, size, block, skip int64, split pipeSplit) ([]int64, error) {
	var cut func(buf []byte, grown int) int // where in buf the part ends, or -1
	if re := split.re; re != nil {
		// Only a match that ends in the new window or the 64 KiB before
		// it is new: a long stretch without cuts is not scanned again and
		// again.
		const overlap = 64 << 10
		cut = func(buf []byte, grown int) int {
			if !re.anyCut.Match(buf[max(0, grown-overlap):]) {
				return -1
			}
			if m := re.partCut.FindSubmatchIndex(buf); m != nil {
				return m[3]
			}
			return -1
		}
	} else if sep := []byte(split.recEnd + split.recStart); len(sep) > 0 {
		cut = func(buf []byte, grown int) int {
			from := max(0, grown-len(sep)+1)
			if i := bytes.Index(buf[from:], sep); i >= 0 {
				return from + i + len(split.recEnd)
			}
			return -1
		}
	}
	pos := []int64{skip}
	var buf []byte
	for at := skip + block; at < size; at += block {
		if cut == nil {
			pos = append(pos, at)
			continue
		}
		buf = buf[:0]
		for {
			grown := len(buf)
			buf = slices.Grow(buf, scanChunk)
			n, err := f.ReadAt(buf[grown:grown+scanChunk], at+int64(grown))
			buf = buf[:grown+n]
			if n > 0 {
				if i := cut(buf, grown); i >= 0 {
					at += int64(i)
					pos = append(pos, at)
					break
				}
			}
			if n == 0 || errors.Is(err, io.EOF) {
				break // no record end after at: the next look is a block on
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if pos[len(pos)-1] != size {
		pos = append(pos, size)
	}
	return pos, nil
}

// partJobs makes a job of each part of each file, in order: a part is
// spliced from its file into the job's stdin, or, behind a header, read.
func partJobs(parts []partFile) iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		seq := 0
		for _, p := range parts {
			for i := 0; i+1 < len(p.pos); i++ {
				seq++
				job := engine.Job{Seq: seq}
				sec := &jobexec.Section{File: p.f, Off: p.pos[i], Len: p.pos[i+1] - p.pos[i]}
				if p.header == nil {
					job.InputFile = sec
				} else {
					b, err := sec.Bytes()
					if err != nil {
						yield(engine.Job{}, err)
						return
					}
					job.Input = append(append(make([]byte, 0, len(p.header)+len(b)), p.header...), b...)
				}
				if !yield(job, nil) {
					return
				}
			}
		}
	}
}

// closeParts closes the files of parts.
func closeParts(parts []partFile) {
	for _, p := range parts {
		p.f.Close()
	}
}

// signedSize reads --block for --pipe-part, where -N means N parts for
// each job slot.
func signedSize(s string) (int64, error) {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		n, err := parseSize(rest)
		return -n, err
	}
	return parseSize(s)
}
