package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
)

// partGroups is --group-by with --pipe-part: the key, and what GNU
// parallel carries from one file to the next.
type partGroups struct {
	key  input.GroupKey
	sep  *regexp.Regexp
	eval func(code, v string) (string, error)
	// header is the first line of the file before, for a key that names a
	// column: GNU takes it for the next file's header, which that file's
	// parts start after and each get first.
	header []byte
	probe  *probe // reads the first file (see groupCuts)
}

func newPartGroups(key input.GroupKey, colsep string, eval func(code, v string) (string, error)) (*partGroups, error) {
	if colsep == "" {
		colsep = "\t"
	}
	sep, err := regexp.Compile(colsep)
	if err != nil {
		return nil, fmt.Errorf("%w: --colsep %q: %v", errUsage, colsep, err)
	}
	return &partGroups{key: key, sep: sep, eval: eval}, nil
}

// cut returns where the parts of file f, of size bytes, start and end,
// from start (past --skip-first-line) on, and the length of the header
// each part gets first, which the parts start after.
func (pg *partGroups) cut(f io.ReaderAt, size, block, start int64, header []byte) ([]int64, int64, error) {
	key := pg.key
	var first int64 // where the first file's first look reads
	if key.Header {
		// GNU reads the file's first line as the names of the columns
		// (with its newline), and takes the file before's for the header.
		line, err := firstLineLen(f)
		if err != nil {
			return nil, 0, err
		}
		names := make([]byte, line)
		if _, err := f.ReadAt(names, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, err
		}
		if err := key.ResolveHeader(string(names), pg.sep); err != nil {
			return nil, 0, fmt.Errorf("%w: %v", errUsage, err)
		}
		if pg.header != nil {
			header = pg.header
		}
		pg.header, first = names, line
	}
	if pg.probe == nil {
		pg.probe = &probe{f: f, size: size, next: first, buf: make([]byte, 4096)}
	}
	g := &groupCuts{probe: pg.probe, size: size, key: func(line string) (string, error) {
		return key.PartKey(line, pg.sep, pg.eval)
	}}
	skip := start + int64(len(header))
	pos, err := g.positions(block, skip)
	return pos, int64(len(header)), err
}

// groupCuts finds where --pipe-part cuts a file for --group-by, as GNU
// parallel 20221122 does (split_positions_for_group_by): from a part's
// first line it looks a block on, and another block on, and searches
// where the key changes between them by halving the distance, each probe
// reading the first line that starts at or after it. Its quirks are
// GNU's: a search can end on a line of the same key, which then starts the
// next part; and the probes read the first file, whichever file is cut,
// since GNU's nested subroutine keeps the first file's handle.
type groupCuts struct {
	probe *probe
	size  int64                             // of the file cut
	key   func(line string) (string, error) // the key of a line
}

// A probe reads lines of the first file as GNU's file handle does: a look
// at 0 seeks nowhere, and reads on from where the last read ended.
type probe struct {
	f    io.ReaderAt
	size int64
	tell int64 // where the handle says it is
	// next is where its next read starts: past the header line at first
	// for a key that names a column, which GNU reads with sysread while
	// the handle still says 0.
	next int64
	buf  []byte
}

// lineEnd is where the line that holds offset at ends, past its newline;
// at itself at or past the end of the file.
func (p *probe) lineEnd(at int64) (int64, error) {
	for at < p.size {
		n, err := p.f.ReadAt(p.buf[:cap(p.buf)], at)
		if i := bytes.IndexByte(p.buf[:n], '\n'); i >= 0 {
			return at + int64(i) + 1, nil
		}
		at += int64(n)
		if errors.Is(err, io.EOF) || n == 0 {
			return p.size, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return at, nil
}

// valueAt returns the key of the first line that starts at or after pos,
// and where that line starts; at the end of the file, "" and the end. eof
// reports whether that line is the file's last, or there is none.
func (g *groupCuts) valueAt(pos int64) (key string, start int64, eof bool, err error) {
	p := g.probe
	from := p.next
	start = p.tell
	if pos != 0 {
		if from, err = p.lineEnd(pos - 1); err != nil {
			return "", 0, false, err
		}
		start = from
	}
	if from >= p.size {
		p.tell, p.next = from, from
		return "", start, true, nil
	}
	end, err := p.lineEnd(from)
	if err != nil {
		return "", 0, false, err
	}
	line := make([]byte, end-from)
	if _, err := p.f.ReadAt(line, from); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, false, err
	}
	p.tell, p.next = end, end
	key, err = g.key(string(line))
	return key, start, end >= p.size, err
}

// search looks, halving, for where the lines of key s end between spos,
// where they are, and epos, where they are not (when toEnd), or start
// between spos, where they are not, and epos, where they are, and returns
// the key and start of the line it looked at last.
func (g *groupCuts) search(s string, spos, epos int64, toEnd bool) (string, int64, error) {
	var v string
	var vpos int64
	for dif := epos - spos; dif != 0; dif /= 2 {
		var err error
		if v, vpos, _, err = g.valueAt(spos + dif); err != nil {
			return "", 0, err
		}
		if (v == s) == toEnd {
			spos = vpos
			dif = epos - spos
		} else {
			epos = vpos
		}
	}
	return v, vpos, nil
}

// positions returns where the parts start, from skip on, and where the
// last one ends. Where GNU's search would come back to a part's own start
// or before it, and so loop for ever, the rest of the file is one part.
func (g *groupCuts) positions(block, skip int64) ([]int64, error) {
	var pos []int64
	a, apos, _, err := g.valueAt(skip)
	for err == nil && apos < g.size {
		pos = append(pos, apos)
		var b, c string
		var bpos, cpos int64
		var eof bool
		if b, bpos, eof, err = g.valueAt(apos + block); err != nil || eof {
			break
		}
		if c, cpos, _, err = g.valueAt(bpos + block); err != nil {
			break
		}
		switch {
		case a == b:
			for b == c {
				bpos = cpos
				if c, cpos, _, err = g.valueAt(cpos + block); err != nil {
					return nil, err
				}
				if cpos >= g.size {
					cpos = g.size
					break
				}
			}
			b, bpos, err = g.search(b, bpos, cpos, true)
		case b == c:
			b, bpos, err = g.search(b, apos, bpos, false)
		default:
			b, bpos, err = g.search(b, bpos, cpos, true)
		}
		if bpos <= apos {
			break
		}
		a, apos = b, bpos
	}
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 || pos[len(pos)-1] != g.size {
		pos = append(pos, g.size)
	}
	return pos, nil
}
