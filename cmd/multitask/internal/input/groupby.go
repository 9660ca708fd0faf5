package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// GroupKey is what --group-by groups the lines of stdin by: a column's
// value, or the whole line's, changed by Perl code if there is some.
type GroupKey struct {
	// Column is the column, counted from 1 (0 is the first too, and a
	// negative one none at all, as in GNU), unless Name is set.
	Column int
	HasCol bool   // a column is named: by Column, or by Name
	Name   string // a column named in the header, the first line of stdin
	// Header is set when GNU parallel reads the first line of stdin as
	// a header: whenever the key starts with a letter or an underscore
	// (which a piece of Perl code such as chop does too).
	Header bool
	Code   string // Perl code run with $_ set to the value; the key is $_
}

// groupColumn and groupHeader are GNU parallel's tests of a --group-by
// value.
var (
	groupColumn = regexp.MustCompile(`(?i)^[-a-z0-9_]+(\s|$)`)
	groupNumber = regexp.MustCompile(`^(-?\d+)(\s|$)`)
	groupName   = regexp.MustCompile(`(?i)^([a-z0-9_]+)(\s+|$)`)
	groupHeader = regexp.MustCompile(`(?i)^[a-z_][a-z_0-9]*(\s|$)`)
)

// ParseGroupKey reads the value of --group-by as GNU parallel reads it: a
// column number or name, then Perl code, either of which may be missing.
func ParseGroupKey(s string) GroupKey {
	k := GroupKey{Header: groupHeader.MatchString(s)}
	if groupColumn.MatchString(s) {
		if m := groupNumber.FindStringSubmatch(s); m != nil {
			k.Column, _ = strconv.Atoi(m[1])
			k.HasCol = true
			s = s[len(m[0]):]
		} else if m := groupName.FindStringSubmatch(s); m != nil {
			k.Name, k.HasCol = m[1], true
			s = s[len(m[0]):]
		}
	}
	k.Code = s
	return k
}

// NeedsPerl reports whether the key runs Perl code.
func (k GroupKey) NeedsPerl() bool { return k.Code != "" }

// ErrNoColumn fails GroupBy and Binner when the header names no such
// column.
var ErrNoColumn = errors.New("input: no such column in the header")

// GroupBy returns r with marker written before each line whose key is
// not the key of the line before it, the first line included, as GNU
// parallel's --group-by marks stdin before cutting it into blocks at the
// marks. Lines end at newlines, which they keep, so the last column's
// value ends in one; colsep (default a tab) splits them into columns as
// Perl's split does. eval runs the key's Perl code on a value. When the
// key reads a header, the first line is passed on unmarked.
func GroupBy(r io.Reader, k GroupKey, colsep string, eval func(code, v string) (string, error), marker string) (io.Reader, error) {
	if colsep == "" {
		colsep = "\t"
	}
	sep, err := regexp.Compile(colsep)
	if err != nil {
		return nil, fmt.Errorf("input: --colsep %q: %w", colsep, err)
	}
	if k.Name != "" && !k.Header {
		// GNU reads no header for a name that starts with a digit.
		return nil, fmt.Errorf("%w: %q", ErrNoColumn, k.Name)
	}
	return &groupReader{br: bufio.NewReaderSize(r, 64<<10), key: k, sep: sep, eval: eval, marker: marker, last: marker}, nil
}

type groupReader struct {
	br     *bufio.Reader
	key    GroupKey
	sep    *regexp.Regexp
	eval   func(code, v string) (string, error)
	marker string
	last   string // the key of the line before, at first the marker itself
	begun  bool   // the header, if any, is read
	out    bytes.Buffer
	err    error
}

func (g *groupReader) Read(p []byte) (int, error) {
	for g.out.Len() == 0 && g.err == nil {
		g.err = g.next()
	}
	if g.out.Len() > 0 {
		return g.out.Read(p)
	}
	return 0, g.err
}

// next reads a line into out, after a marker if its key is new.
func (g *groupReader) next() error {
	line, err := g.br.ReadString('\n')
	if line == "" {
		if err == nil {
			err = io.EOF
		}
		return err
	}
	if !g.begun {
		g.begun = true
		if g.key.Header {
			if err := g.key.resolve(perlSplit(g.sep, line, 0)); err != nil {
				return err
			}
			g.out.WriteString(line)
			return nil
		}
	}
	key := line
	if g.key.HasCol {
		// GNU's $F[N-1] ($F[0] for 0); a negative N gets no columns
		// split (its perl runs without -a), so every key is empty.
		key = ""
		fields := perlSplit(g.sep, line, 0)
		if i := max(g.key.Column-1, 0); g.key.Column >= 0 && i < len(fields) {
			key = fields[i]
		}
	}
	if g.key.Code != "" {
		if key, err = g.eval(g.key.Code, key); err != nil {
			return err
		}
	}
	if key != g.last {
		g.out.WriteString(g.marker)
		g.last = key
	}
	g.out.WriteString(line)
	return nil
}

// resolve finds the column of k's name among the names of a header,
// split as GNU splits it: with its newline, so that the last name holds
// one. A name given twice names its last column, as GNU's hash of them
// does. Without a name there is nothing to find.
func (k *GroupKey) resolve(names []string) error {
	if k.Name == "" {
		return nil
	}
	k.Column = 0
	for i, name := range names {
		if name == k.Name {
			k.Column = i + 1
		}
	}
	if k.Column == 0 {
		return fmt.Errorf("%w: %q", ErrNoColumn, k.Name)
	}
	return nil
}

// ResolveHeader finds the column of k's name, if it has one, in a header
// line split at sep, as GNU parallel's --pipe-part does with each file's
// first line: names are split with the line's newline, so the last holds
// one.
func (k *GroupKey) ResolveHeader(line string, sep *regexp.Regexp) error {
	return k.resolve(perlSplit(sep, line, 0))
}

// PartKey is the key of a line as GNU parallel's --pipe-part finds it for
// --group-by: the line's column, split at sep, with a negative column
// counted from the end (-1 the next to last, as GNU's index is one less),
// or "" past the last, then the key's Perl code, which eval runs.
func (k GroupKey) PartKey(line string, sep *regexp.Regexp, eval func(code, v string) (string, error)) (string, error) {
	v := line
	if k.HasCol {
		fields := perlSplit(sep, line, 0)
		i := k.Column
		if i != 0 {
			i--
		}
		if i < 0 {
			i += len(fields)
		}
		v = ""
		if i >= 0 && i < len(fields) {
			v = fields[i]
		}
	}
	if k.Code == "" {
		return v, nil
	}
	return eval(k.Code, v)
}
