package joblog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"strings"
)

// status records what a log says about a job.
type status uint8

const (
	done      status = 1 << iota // some entry records the job
	succeeded                    // some entry records Exitval 0 and Signal 0
)

// A Log is a joblog read into memory. Its methods are safe for concurrent
// use; a Log never changes after Read returns it.
type Log struct {
	entries []Entry
	bySeq   map[int]status
	byCmd   map[string]status
}

// Read reads the joblog that --joblog names; arg is the option's value, and
// a leading "+" is dropped as GNU parallel does. A missing file is an empty
// log. The first line is skipped as the header whatever it holds, so a log
// without one loses its first entry, as in GNU parallel. A last line without
// a newline is a torn write and is ignored; any other line that is not an
// entry makes Read fail with a [*FormatError].
func Read(arg string) (*Log, error) {
	path := strings.TrimPrefix(arg, "+")
	l := &Log{bySeq: map[int]status{}, byCmd: map[string]status{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("joblog: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return l, nil // line is empty, or torn
		}
		if err != nil {
			return nil, fmt.Errorf("joblog: read %s: %w", path, err)
		}
		if n == 1 {
			continue
		}
		line = strings.TrimSuffix(line, "\n")
		e, err := parseLine(line)
		if err != nil {
			return nil, &FormatError{Path: path, Line: n, Text: line, Err: err}
		}
		l.add(e)
	}
}

// add records e.
func (l *Log) add(e Entry) {
	l.entries = append(l.entries, e)
	s := done
	if e.Exitval == 0 && e.Signal == 0 {
		s |= succeeded
	}
	l.bySeq[e.Seq] |= s
	l.byCmd[e.Command] |= s
}

// Done reports whether the log records job seq at all: --resume skips it.
func (l *Log) Done(seq int) bool { return l.bySeq[seq]&done != 0 }

// Succeeded reports whether some entry records job seq with Exitval 0 and
// Signal 0: --resume-failed skips it. One success is enough, whatever other
// entries for seq say, as in GNU parallel.
func (l *Log) Succeeded(seq int) bool { return l.bySeq[seq]&succeeded != 0 }

// DoneCommand is [Log.Done] keyed by the command line as run instead of the
// sequence number; a newline in it matches the NUL byte the file holds.
func (l *Log) DoneCommand(command string) bool { return l.byCmd[command]&done != 0 }

// SucceededCommand is [Log.Succeeded] keyed by the command line as run.
func (l *Log) SucceededCommand(command string) bool { return l.byCmd[command]&succeeded != 0 }

// Entries yields the log's entries in file order, which --retry-failed
// reads the commands of failed jobs from.
func (l *Log) Entries() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, e := range l.entries {
			if !yield(e) {
				return
			}
		}
	}
}
