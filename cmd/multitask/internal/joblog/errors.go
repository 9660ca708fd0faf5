package joblog

import (
	"errors"
	"fmt"
)

// ErrFormat is the errors.Is target of a joblog that [Read] cannot parse.
var ErrFormat = errors.New("joblog: wrong format")

// A FormatError reports a line of a joblog that is not an entry. GNU
// parallel reports the same as "Format of 'Path' is wrong: Text" and exits
// with status 255.
type FormatError struct {
	Path string // the file read
	Line int    // the line's number, counted from 1
	Text string // the line, without its newline
	Err  error  // what is wrong with it
}

// Error describes the line and what is wrong with it.
func (e *FormatError) Error() string {
	return fmt.Sprintf("joblog: format of %q is wrong at line %d: %q: %v", e.Path, e.Line, e.Text, e.Err)
}

// Unwrap returns ErrFormat and the cause, so errors.Is finds both.
func (e *FormatError) Unwrap() []error { return []error{ErrFormat, e.Err} }
