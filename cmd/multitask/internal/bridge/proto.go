package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/internal/wire"
)

// TokenEnv names the environment variable that gives the bridge the token
// of its hello.
const TokenEnv = "MULTITASK_BRIDGE_TOKEN"

// The kinds of frames.
const (
	kindReady   wire.Kind = 1 + iota // bridge: connected; no payload
	kindRefused                      // bridge: cannot connect; the reason
	kindSubmit                       // command: id, job
	kindCancel                       // command: id
	kindResult                       // bridge: id, failure, report
)

// errCorrupt fails the decoding of a payload that is not one.
var errCorrupt = errors.New("bridge: corrupt message")

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (e *encoder) bytes(p []byte) {
	e.uint(uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) string(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// nilLen encodes the length n of a slice keeping nil apart from empty:
// nil is 0 and a length n is n+1.
func (e *encoder) nilLen(isNil bool, n int) {
	if isNil {
		e.uint(0)
		return
	}
	e.uint(uint64(n) + 1)
}

// nilBytes encodes p keeping nil apart from empty.
func (e *encoder) nilBytes(p []byte) {
	e.nilLen(p == nil, len(p))
	e.b = append(e.b, p...)
}

// strings encodes ss keeping nil apart from empty.
func (e *encoder) strings(ss []string) {
	e.nilLen(ss == nil, len(ss))
	for _, s := range ss {
		e.string(s)
	}
}

// A decoder reads what an encoder wrote; the first error sticks, and
// every later read returns zero values. The byte strings it returns share
// the payload's memory, which the frame reader gave away.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) uint() uint64 { return varint(d, binary.Uvarint) }
func (d *decoder) int() int64   { return varint(d, binary.Varint) }

func (d *decoder) bool() bool {
	v := d.uint()
	if v > 1 {
		d.fail()
	}
	return v == 1
}

// varint reads a number with read, binary.Uvarint or binary.Varint.
func varint[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	v, n := read(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// take returns the next n bytes, which it checks are there before any
// allocation is made for them.
func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// bytes returns a byte string that shares the payload's memory.
func (d *decoder) bytes() []byte { return d.take(d.uint()) }

func (d *decoder) string() string { return string(d.take(d.uint())) }

// nilLen reads what encoder.nilLen wrote: a slice's length, or that it
// is nil.
func (d *decoder) nilLen() (n uint64, isNil bool) {
	v := d.uint()
	if v == 0 {
		return 0, true
	}
	return v - 1, false
}

func (d *decoder) nilBytes() []byte {
	n, isNil := d.nilLen()
	if isNil {
		return nil
	}
	return d.take(n)
}

func (d *decoder) strings() []string {
	n, isNil := d.nilLen()
	if isNil {
		return nil
	}
	// Each string takes a byte at least: a count beyond the bytes left is
	// a lie, refused before the slice is made.
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	ss := make([]string, 0, n)
	for range n {
		ss = append(ss, d.string())
	}
	return ss
}

// end checks that the payload was read whole.
func (d *decoder) end(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("%w: %s", d.err, what)
	}
	return nil
}

func appendJob(e *encoder, j *jobexec.Job) {
	e.string(j.Line)
	e.strings(j.Argv)
	e.string(j.Shell)
	e.strings(j.Env)
	e.nilBytes(j.Stdin)
	e.int(int64(j.Timeout))
	e.uint(uint64(len(j.TermSeq)))
	for _, s := range j.TermSeq {
		e.uint(uint64(s.Signal))
		e.int(int64(s.Wait))
	}
	e.int(j.MemLimit)
	e.bool(j.StdinAsFile)
	e.bool(j.StdinAsFifo)
	e.string(j.Dir)
	e.int(int64(j.Nice))
}

func readJob(d *decoder) jobexec.Job {
	var j jobexec.Job
	j.Line = d.string()
	j.Argv = d.strings()
	j.Shell = d.string()
	j.Env = d.strings()
	j.Stdin = d.nilBytes()
	j.Timeout = time.Duration(d.int())
	n := d.uint()
	if n > uint64(len(d.b)/2) {
		d.fail() // each step takes two bytes at least
		return j
	}
	for range n {
		sig := d.uint()
		if sig == 0 || sig > 64 {
			d.fail()
			return j
		}
		j.TermSeq = append(j.TermSeq, jobexec.TermStep{Signal: syscall.Signal(sig), Wait: time.Duration(d.int())})
	}
	j.MemLimit = d.int()
	j.StdinAsFile = d.bool()
	j.StdinAsFifo = d.bool()
	j.Dir = d.string()
	j.Nice = int(d.int())
	return j
}

// encodeSubmit is the payload of a Submit.
func encodeSubmit(id uint64, j *jobexec.Job) []byte {
	e := &encoder{b: make([]byte, 0, 64+len(j.Line)+len(j.Stdin))}
	e.uint(id)
	appendJob(e, j)
	return e.b
}

func decodeSubmit(p []byte) (uint64, jobexec.Job, error) {
	d := &decoder{b: p}
	id := d.uint()
	j := readJob(d)
	return id, j, d.end("submit")
}

func encodeCancel(id uint64) []byte {
	e := &encoder{}
	e.uint(id)
	return e.b
}

func decodeCancel(p []byte) (uint64, error) {
	d := &decoder{b: p}
	id := d.uint()
	return id, d.end("cancel")
}

// result flags.
const (
	flagTimedOut = 1 << iota
	flagOverMem
)

// encodeResult is the payload of a Result: failure is why the cluster did
// not run the job ("" when it did, and r tells how it ended).
func encodeResult(id uint64, failure string, r *jobexec.Report) []byte {
	e := &encoder{b: make([]byte, 0, 64+len(r.Stdout)+len(r.Stderr))}
	e.uint(id)
	e.string(failure)
	var start int64
	if !r.Start.IsZero() {
		start = r.Start.UnixNano()
	}
	e.int(start)
	e.int(int64(r.Runtime))
	e.int(int64(r.Exit))
	e.int(int64(r.Signal))
	var flags uint64
	if r.TimedOut {
		flags |= flagTimedOut
	}
	if r.OverMem {
		flags |= flagOverMem
	}
	e.uint(flags)
	e.int(r.MaxRSS)
	e.string(r.Error)
	e.bytes(r.Stdout)
	e.bytes(r.Stderr)
	return e.b
}

func decodeResult(p []byte) (id uint64, failure string, r jobexec.Report, err error) {
	d := &decoder{b: p}
	id = d.uint()
	failure = d.string()
	if start := d.int(); start != 0 {
		r.Start = time.Unix(0, start)
	}
	r.Runtime = time.Duration(d.int())
	r.Exit = int(d.int())
	r.Signal = int(d.int())
	flags := d.uint()
	r.TimedOut, r.OverMem = flags&flagTimedOut != 0, flags&flagOverMem != 0
	r.MaxRSS = d.int()
	r.Error = d.string()
	r.Stdout = d.bytes()
	r.Stderr = d.bytes()
	return id, failure, r, d.end("result")
}
