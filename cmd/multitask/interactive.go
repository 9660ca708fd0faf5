package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
)

// ttyPath is the terminal --interactive asks on.
const ttyPath = "/dev/tty"

// confirmOnTTY returns --interactive's question before each job, as GNU
// parallel asks it: the command and " ?..." on stderr, then a line read
// from the terminal; an answer that starts with y or Y (after blanks)
// runs the job, any other skips it. It fails at once when this process has
// no terminal, rather than at the first job.
func confirmOnTTY(stderr io.Writer) (func(engine.Command) bool, error) {
	tty, err := os.Open(ttyPath)
	if err != nil {
		return nil, fmt.Errorf("%w: --interactive asks on the terminal: %v", errUsage, err)
	}
	tty.Close()
	return func(cmd engine.Command) bool {
		for {
			fmt.Fprintf(stderr, "%s ?...", cmd.Line)
			answer, err := readTTYLine()
			if err != nil {
				return false // the terminal is gone: run nothing more
			}
			// GNU asks again on an empty read, which is not an empty line.
			if answer != "" {
				return strings.HasPrefix(strings.ToLower(strings.TrimLeftFunc(answer, unicode.IsSpace)), "y")
			}
		}
	}, nil
}

// readTTYLine reads a line from the terminal, opened for this read only,
// as GNU parallel opens it; a byte at a time, so that the answers typed
// ahead stay for the next questions.
func readTTYLine() (string, error) {
	tty, err := os.Open(ttyPath)
	if err != nil {
		return "", err
	}
	defer tty.Close()
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := tty.Read(b)
		if n == 1 {
			line = append(line, b[0])
			if b[0] == '\n' {
				return string(line), nil
			}
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return string(line), nil
			}
			return string(line), err
		}
	}
}
