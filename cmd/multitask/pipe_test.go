package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// TestPipeBlocksDoNotDependOnReads cuts the same input read whole, a byte
// at a time, and with the end reported along with the last bytes: the
// blocks are the same, since the end is seen only by a read that returns
// nothing, as with GNU parallel's sysread.
func TestPipeBlocksDoNotDependOnReads(t *testing.T) {
	const in = "r1;r2;r3;r4;r5;abcdefghijkl;x;"
	split := pipeSplit{size: 5, recEnd: ";", pool: newBlockPool(4), warn: func(string) {}}
	cut := func(r io.Reader) []string {
		var got []string
		for j, err := range split.blocks(r) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(j.Input))
		}
		return got
	}
	want := cut(strings.NewReader(in))
	if strings.Join(want, "") != in || len(want) < 5 {
		t.Fatalf("blocks %q do not make up the input", want)
	}
	for name, r := range map[string]io.Reader{
		"a byte at a time":       iotest.OneByteReader(strings.NewReader(in)),
		"end with the last data": iotest.DataErrReader(strings.NewReader(in)),
		"half at a time":         iotest.HalfReader(strings.NewReader(in)),
	} {
		if got := cut(r); !slices.Equal(got, want) {
			t.Errorf("%s: blocks %q, want %q", name, got, want)
		}
	}
}

func TestPipeBlocksStopWhenTheConsumerDoes(t *testing.T) {
	split := pipeSplit{size: 2, recEnd: "\n", pool: newBlockPool(4), warn: func(string) {}}
	n := 0
	for range split.blocks(strings.NewReader(lines(100))) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("%d blocks", n)
	}
}
