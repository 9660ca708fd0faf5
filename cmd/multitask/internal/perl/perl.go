// Package perl evaluates GNU parallel's {= perl expression =} replacement
// strings with perl itself, in a process of its own that lives as long as
// the run, as GNU parallel (a Perl program) evaluates them in its own.
//
// An expression is compiled once, as the body of a sub in package Arg,
// with $_ set to the value and the job's values in @arg ($arg[1] is the
// first). It changes $_, which is the result. GNU's helpers are defined:
// Q and pQ quote for the shell and for Perl, uq inserts the result
// unquoted, skip skips the job, seq, slot and total_jobs give the job's
// numbers ($job->seq and $job->slot too), hash is B::hash, and
// yyyy_mm_dd_hh_mm_ss and its kin give the time. Variables persist from
// one evaluation to the next, as in GNU, so {= $_ = ++$::n =} counts.
package perl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/multitask-go/multitask/cmd/multitask/internal/tmpl"
)

// ErrNoPerl fails [Start] when no perl can be run.
var ErrNoPerl = errors.New("{= perl expression =} needs perl, which was not found on PATH")

// An ExprError is a Perl expression that does not compile or that dies.
type ExprError struct {
	Expr string
	Msg  string // Perl's message, without its last newline
}

func (e *ExprError) Error() string { return "Cannot use " + e.Expr + ": " + e.Msg }

// Interp is a running perl that evaluates expressions, one at a time. Its
// first error sticks: every later call returns it.
type Interp struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	w    *bufio.Writer
	in   io.WriteCloser
	r    *bufio.Reader
	err  error
	subs map[string]bool // the expressions compiled
	// held keeps what perl prints when stderr is no file, for Close to
	// write: the run writes to such a writer, and perl must not at the
	// same time.
	held   lockedBuffer
	stderr io.Writer
}

// lockedBuffer is a buffer that perl's output is copied into while others
// read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Start starts perl, found on PATH. What perl and the expressions print
// goes to stderr: at once when it is a file, else when Close is called.
func Start(stderr io.Writer) (*Interp, error) {
	path, err := exec.LookPath("perl")
	if err != nil {
		return nil, ErrNoPerl
	}
	p := &Interp{subs: map[string]bool{}}
	cmd := exec.Command(path, "-e", prelude)
	// A group of its own: Ctrl-C at the terminal stops multitask
	// starting jobs, and must not end the perl that the running jobs'
	// tags still need. It ends with its input, when multitask does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if f, ok := stderr.(*os.File); ok {
		cmd.Stderr = f
	} else {
		cmd.Stderr, p.stderr = &p.held, stderr
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPerl, err)
	}
	p.cmd, p.in, p.w, p.r = cmd, in, bufio.NewWriter(in), bufio.NewReader(out)
	return p, nil
}

// compile compiles expr, once: GNU parallel compiles an expression at
// its first use.
func (p *Interp) compile(expr string) error {
	if p.err != nil || p.subs[expr] {
		return p.err
	}
	p.field("C")
	p.field(expr)
	if _, err := p.answer(expr); err != nil {
		return err
	}
	p.subs[expr] = true
	return nil
}

// Eval evaluates expr with $_ set to v, for the job j, and returns $_.
// After an error it returns the zero result; Err reports the error.
func (p *Interp) Eval(expr, v string, j tmpl.PerlJob) tmpl.PerlResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.compile(expr) != nil {
		return tmpl.PerlResult{}
	}
	p.field("E")
	p.field(expr)
	p.field(v)
	p.field(strconv.Itoa(j.Seq))
	p.field(strconv.Itoa(j.Slot))
	p.field(strconv.Itoa(j.Total))
	p.field(strconv.Itoa(len(j.Args)))
	for _, a := range j.Args {
		p.field(a)
	}
	flags, err := p.answer(expr)
	if err != nil {
		return tmpl.PerlResult{}
	}
	return tmpl.PerlResult{Value: flags.value, Unquoted: flags.uq, Skip: flags.skip}
}

// Filter evaluates the code of --filter, its replacement strings
// replaced, as GNU parallel does: Perl code under strict, in package Job.
// It reports whether the value is true; code that fails is false.
func (p *Interp) Filter(code string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return false
	}
	p.field("F")
	p.field(code)
	a, err := p.answer(code)
	return err == nil && a.value == "1"
}

// Err returns the first error of an evaluation, nil if there was none.
func (p *Interp) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Close ends perl and waits for it.
func (p *Interp) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.in.Close() // perl ends at the end of its input
	err := p.cmd.Wait()
	if p.stderr != nil {
		_, _ = p.held.b.WriteTo(p.stderr)
	}
	return err
}

// field writes one length-prefixed field of a request.
func (p *Interp) field(s string) {
	p.w.WriteString(strconv.Itoa(len(s)))
	p.w.WriteByte('\n')
	p.w.WriteString(s)
}

type answer struct {
	value    string
	uq, skip bool
}

// answer sends the request written and reads perl's answer: a line of
// flags and a length, then that many bytes.
func (p *Interp) answer(expr string) (answer, error) {
	if err := p.w.Flush(); err != nil {
		return answer{}, p.fail(fmt.Errorf("perl: %w", err))
	}
	head, err := p.r.ReadString('\n')
	var flags string
	var n int
	if err == nil {
		_, err = fmt.Sscanf(head, "%s %d\n", &flags, &n)
	}
	var body []byte
	if err == nil {
		body = make([]byte, n)
		_, err = io.ReadFull(p.r, body)
	}
	if err != nil {
		return answer{}, p.fail(fmt.Errorf("perl: %w", err))
	}
	if flags == "error" {
		return answer{}, p.fail(&ExprError{Expr: expr, Msg: trimNewline(string(body))})
	}
	a := answer{value: string(body)}
	for _, f := range flags {
		switch f {
		case 'u':
			a.uq = true
		case 's':
			a.skip = true
		}
	}
	return a, nil
}

func (p *Interp) fail(err error) error {
	if p.err == nil {
		p.err = err
	}
	return p.err
}

func trimNewline(s string) string {
	if n := len(s); n > 0 && s[n-1] == '\n' {
		return s[:n-1]
	}
	return s
}
