package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// splitter cuts one byte stream into records the way Perl's readline does
// for a given input record separator, and removes the separator as chomp
// does.
type splitter struct {
	br        *bufio.Reader
	delim     []byte // the separator; empty in paragraph mode
	paragraph bool   // -d '': records end at one or more empty lines
	name      string // for errors: the file name, "-" for stdin
	done      bool   // no record will come any more: end of input or the EOF string
	buf       []byte // scratch for records longer than the bufio buffer or delimiters longer than a byte
}

func newSplitter(r io.Reader, name string, delim string, paragraph bool) *splitter {
	return &splitter{br: bufio.NewReaderSize(r, 64<<10), delim: []byte(delim), paragraph: paragraph, name: name}
}

// raw returns the next record without its separator, and whether the
// separator was there (the last record of a stream may lack it). ok is
// false at the end of the stream, and on every call after.
func (s *splitter) raw() (rec string, terminated, ok bool, err error) {
	if s.done {
		return "", false, false, nil
	}
	var b []byte
	switch {
	case s.paragraph:
		b, terminated, err = s.readParagraph()
	case len(s.delim) == 1:
		b, terminated, err = s.readByteDelim()
	default:
		b, terminated, err = s.readMultiDelim()
	}
	if err != nil {
		s.done = true
		// Perl's readline on a directory reads nothing, so GNU treats a
		// directory given as an input file as an empty one.
		if errors.Is(err, syscall.EISDIR) {
			return "", false, false, nil
		}
		return "", false, false, fmt.Errorf("input: read %s: %w", s.name, err)
	}
	if b == nil {
		s.done = true
		return "", false, false, nil
	}
	return string(b), terminated, true, nil
}

// readByteDelim reads up to a one-byte separator. The returned slice is
// valid until the next read; nil means the end of the stream.
func (s *splitter) readByteDelim() ([]byte, bool, error) {
	d := s.delim[0]
	line, err := s.br.ReadSlice(d)
	if err == nil {
		return line[:len(line)-1], true, nil
	}
	s.buf = append(s.buf[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = s.br.ReadSlice(d)
		s.buf = append(s.buf, line...)
	}
	switch {
	case err == nil:
		return s.buf[:len(s.buf)-1], true, nil
	case err != io.EOF:
		return nil, false, err
	case len(s.buf) == 0:
		return nil, false, nil
	}
	return s.buf, false, nil
}

// readMultiDelim reads up to a separator of several bytes such as "\r\n".
func (s *splitter) readMultiDelim() ([]byte, bool, error) {
	last := s.delim[len(s.delim)-1]
	s.buf = s.buf[:0]
	for {
		line, err := s.br.ReadSlice(last)
		s.buf = append(s.buf, line...)
		switch {
		case err == nil:
			if bytes.HasSuffix(s.buf, s.delim) {
				return s.buf[:len(s.buf)-len(s.delim)], true, nil
			}
		case errors.Is(err, bufio.ErrBufferFull):
		case err != io.EOF:
			return nil, false, err
		case len(s.buf) == 0:
			return nil, false, nil
		default:
			return s.buf, false, nil
		}
	}
}

// readParagraph reads as Perl does with $/ = "": empty lines before a
// record are skipped, a record ends at an empty line, and chomp removes
// every newline at its end.
func (s *splitter) readParagraph() ([]byte, bool, error) {
	for {
		c, err := s.br.ReadByte()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if c != '\n' {
			if err := s.br.UnreadByte(); err != nil {
				return nil, false, err
			}
			break
		}
	}
	s.buf = s.buf[:0]
	for {
		line, err := s.br.ReadSlice('\n')
		s.buf = append(s.buf, line...)
		switch {
		case err == nil:
			if bytes.HasSuffix(s.buf, []byte("\n\n")) {
				return bytes.TrimRight(s.buf, "\n"), true, nil
			}
		case errors.Is(err, bufio.ErrBufferFull):
		case err != io.EOF:
			return nil, false, err
		default:
			return bytes.TrimRight(s.buf, "\n"), false, nil
		}
	}
}

// source is one input source as GNU parallel reads it: a splitter (shared
// by every source that reads stdin) seen through -E and -r.
type source struct {
	sp  *splitter
	cfg *config
}

// next returns the next value of the source; ok is false once the source
// has ended. An EOF string ends the splitter itself, so every source that
// shares it (stdin given twice) ends with it, as the file handle GNU closes
// is shared.
func (s source) next() (v string, ok bool, err error) {
	var begun *string // under joinLines: what the value so far holds
	// Under csv: the lines of a record whose quoted field is still open,
	// with their separators.
	var open *string
	for {
		rec, term, ok, err := s.sp.raw()
		if err != nil {
			return "", false, err
		}
		if !ok {
			switch {
			case open != nil:
				// Without its last separator, as GNU chomps it.
				return strings.TrimSuffix(*open, string(s.sp.delim)), true, nil
			case begun != nil:
				return *begun, true, nil
			}
			return "", false, nil
		}
		s.cfg.countCRLF(rec, term, s.sp)
		if s.cfg.csv && oddQuotes(rec) != (open != nil) {
			more := rec
			if open != nil {
				more = *open + rec
			}
			if term {
				more += string(s.sp.delim)
			}
			open = &more
			continue
		}
		if s.cfg.eofStr != "" && rec == s.cfg.eofStr {
			s.sp.done = true
			if begun != nil {
				return *begun, true, nil
			}
			return "", false, nil
		}
		if open != nil {
			rec, open = *open+rec, nil
		}
		if begun != nil {
			rec, begun = *begun+rec, nil
		}
		if s.cfg.skipEmpty && strings.TrimLeft(rec, perlSpace) == "" {
			continue
		}
		if s.cfg.joinLines && rec != "" && strings.IndexByte(perlSpace, rec[len(rec)-1]) >= 0 {
			begun = &rec
			continue
		}
		return rec, true, nil
	}
}

// perlSpace is what Perl's \s matches in a byte string.
const perlSpace = " \t\n\r\f\v"

// countCRLF warns, as GNU does, when the first three values read (from any
// source) all end in CR-NL and no delimiter was given.
func (c *config) countCRLF(rec string, terminated bool, sp *splitter) {
	if c.crDecided {
		return
	}
	// Perl tests /\r$/ on the record with its separator, and $ also
	// matches before a final newline.
	full := rec
	if terminated {
		full += string(sp.delim)
	}
	if strings.HasSuffix(full, "\r") || strings.HasSuffix(full, "\r\n") {
		c.crCount++
	} else {
		c.nlCount++
	}
	if c.crCount == 3 || c.nlCount == 3 {
		c.crDecided = true
		if c.nlCount == 0 {
			c.warn(`The first three values end in CR-NL. Consider using -d "\r\n"`)
		}
	}
}
