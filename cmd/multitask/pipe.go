package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
)

// blocks splits r into blocks of about size bytes for --pipe: each ends at
// a record's end (recEnd, followed by recStart when that is set), so that no
// record is split between two jobs. A record longer than size makes a block
// of its own, as long as the record.
func blocks(r io.Reader, size int, recEnd, recStart string, pool *blockPool) iter.Seq2[engine.Job, error] {
	sep := []byte(recEnd + recStart)
	return func(yield func(engine.Job, error) bool) {
		var carry []byte
		seq := 0
		eof := false
		for !eof || len(carry) > 0 {
			buf := pool.get(len(carry) + size)
			n := copy(buf, carry)
			carry = nil
			for n < len(buf) && !eof {
				m, err := r.Read(buf[n:])
				n += m
				if errors.Is(err, io.EOF) {
					eof = true
				} else if err != nil {
					yield(engine.Job{}, fmt.Errorf("reading stdin: %w", err))
					return
				}
			}
			buf = buf[:n]
			if !eof {
				// Cut after the last separator; the rest starts the next block.
				cut := bytes.LastIndex(buf, sep)
				if cut < 0 {
					carry = buf // no record end yet: read on
					continue
				}
				cut += len(recEnd)
				carry = append([]byte(nil), buf[cut:]...)
				buf = buf[:cut]
			}
			if len(buf) == 0 {
				continue
			}
			seq++
			if !yield(engine.Job{Seq: seq, Input: buf}, nil) {
				return
			}
		}
	}
}

// A blockPool recycles the buffers of --pipe blocks whose jobs have ended:
// fresh buffers of megabytes cost the kernel a page fault per page, which
// made up most of --pipe's cost.
type blockPool struct{ free chan []byte }

func newBlockPool(n int) *blockPool { return &blockPool{free: make(chan []byte, n)} }

// get returns a buffer of n bytes, recycled when one is at hand.
func (p *blockPool) get(n int) []byte {
	select {
	case b := <-p.free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n)
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

// pipeOptions checks the --pipe options and returns the block size and the
// record separators, unescaped.
func (o *options) pipeOptions() (size int, recEnd, recStart string, err error) {
	n, err := parseSize(o.block)
	if err != nil {
		return 0, "", "", err
	}
	if n < 1 || n > 1<<31 {
		return 0, "", "", fmt.Errorf("%w: --block %s: must be between 1 byte and 2G", errUsage, o.block)
	}
	if recEnd, err = input.UnescapeDelim(o.recEnd); err != nil {
		return 0, "", "", fmt.Errorf("%w: --recend: %v", errUsage, err)
	}
	if recStart, err = input.UnescapeDelim(o.recStart); err != nil {
		return 0, "", "", fmt.Errorf("%w: --recstart: %v", errUsage, err)
	}
	if recEnd+recStart == "" {
		return 0, "", "", fmt.Errorf("%w: --recend and --recstart cannot both be empty", errUsage)
	}
	return int(n), recEnd, recStart, nil
}
