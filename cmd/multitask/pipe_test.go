package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"

	"github.com/multitask-go/multitask/cmd/multitask/internal/input"
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

// TestPipeSectionsCutAsBlocks cuts random inputs both ways, read through
// a reader and as sections of a regular file, from an offset: the jobs,
// the warnings and where the file's offset is left must be the same.
func TestPipeSectionsCutAsBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seps := []struct{ end, start string }{{"\n", ""}, {";", ""}, {"\r\n", ""}, {"", "START"}, {";", "Y"}, {"ab", "ba"}}
	path := filepath.Join(t.TempDir(), "in")
	for i := range 400 {
		sep := seps[i%len(seps)]
		var b strings.Builder
		for range rng.IntN(60) {
			b.WriteString(strings.Repeat("x", rng.IntN(12)))
			if rng.IntN(6) > 0 {
				b.WriteString([]string{"\n", ";", "\r\n", "START", "Y", "ab", "ba", "a"}[rng.IntN(8)])
			}
		}
		skip := rng.IntN(4)
		data := strings.Repeat("#", skip) + b.String()
		size := 1 + rng.IntN(40)
		name := fmt.Sprintf("case %d: size %d, recend %q, recstart %q, input %q", i, size, sep.end, sep.start, data)

		var wantWarn, gotWarn []string
		split := pipeSplit{size: size, recEnd: sep.end, recStart: sep.start, pool: newBlockPool(4)}
		split.warn = func(w string) { wantWarn = append(wantWarn, w) }
		var want []string
		for j, err := range split.blocks(strings.NewReader(data[skip:])) {
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, string(j.Input))
		}

		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(int64(skip), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		split.warn = func(w string) { gotWarn = append(gotWarn, w) }
		jobs, ok := split.sections(f)
		if !ok {
			t.Fatalf("%s: sections declined a regular file", name)
		}
		var got []string
		for j, err := range jobs {
			if err != nil {
				t.Fatal(err)
			}
			if j.Input != nil || j.InputFile == nil {
				t.Fatalf("%s: job %d is not a section", name, j.Seq)
			}
			block, err := j.InputFile.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(block))
		}
		off, _ := f.Seek(0, io.SeekCurrent)
		f.Close()
		if !slices.Equal(got, want) || !slices.Equal(gotWarn, wantWarn) {
			t.Fatalf("%s:\n sections %q, warnings %q\n   blocks %q, warnings %q", name, got, gotWarn, want, wantWarn)
		}
		if off != int64(len(data)) {
			t.Fatalf("%s: offset %d after the run, want %d", name, off, len(data))
		}
	}
}

// TestPipeSectionsDecline: the header, -n and -r need the bytes
// themselves, and a pipe cannot be read at an offset.
func TestPipeSectionsDecline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(path, []byte(lines(10)), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	plain := pipeSplit{size: 4, recEnd: "\n"}
	for name, c := range map[string]struct {
		split pipeSplit
		f     *os.File
	}{
		"header":  {pipeSplit{size: 4, recEnd: "\n", header: blankLines}, f},
		"records": {pipeSplit{size: 4, recEnd: "\n", records: 2}, f},
		"-r":      {pipeSplit{size: 4, recEnd: "\n", noEmpty: true}, f},
		"no sep":  {pipeSplit{size: 4}, f},
		"a pipe":  {plain, pr},
	} {
		if _, ok := c.split.sections(c.f); ok {
			t.Errorf("%s: sections did not decline", name)
		}
	}
	if _, ok := plain.sections(f); !ok {
		t.Error("sections declined a plain split of a regular file")
	}
}

// TestLastIndexAt finds the last separator with look buffers from the
// smallest to larger than the range, so that separators straddle them.
func TestLastIndexAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	path := filepath.Join(t.TempDir(), "in")
	for i := range 2000 {
		sep := []string{"a", "ab", "aba", "xyz"}[i%4]
		data := make([]byte, rng.IntN(50))
		for k := range data {
			data[k] = "abxyz"[rng.IntN(5)]
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		from := rng.IntN(len(data) + 1)
		to := from + rng.IntN(len(data)-from+1)
		buf := make([]byte, 2*len(sep)+rng.IntN(8))
		got, err := lastIndexAt(f, int64(from), int64(to), []byte(sep), buf)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := int64(strings.LastIndex(string(data[from:to]), sep))
		if want >= 0 {
			want += int64(from)
		}
		if got != want {
			t.Fatalf("%q in %q[%d:%d] with a buffer of %d: %d, want %d", sep, data, from, to, len(buf), got, want)
		}
	}
}

// TestSplitPositions checks --pipe-part's cuts on inputs GNU parallel's
// rule decides plainly, and a record end that spans two reads.
func TestSplitPositions(t *testing.T) {
	nl := pipeSplit{recEnd: "\n"}
	long := strings.Repeat("a", scanChunk-1) + "\n\nb"       // "\n\n" across the first read's end
	far := "a" + strings.Repeat("b", 3*scanChunk-2) + "\n>c" // found in the third window
	for _, tc := range []struct {
		name        string
		data        string
		block, skip int64
		split       pipeSplit
		want        []int64
	}{
		{"empty", "", 4, 0, nl, []int64{0}},
		{"smaller than a block", "ab\n", 10, 0, nl, []int64{0, 3}},
		{"cut after the record end past each block", "aaa\nbb\ncc\n", 2, 0, nl, []int64{0, 4, 7, 10}},
		{"no record end after a block", "a\nbbbbbb", 3, 0, nl, []int64{0, 8}},
		{"after a header", "h\naa\nbb\n", 2, 2, nl, []int64{2, 5, 8}},
		{"no record end at all: every block", "abcdefg", 3, 0, pipeSplit{}, []int64{0, 3, 6, 7}},
		{"record end and start", "a1xb1yc1x", 1, 0, pipeSplit{recEnd: "1", recStart: "x"}, []int64{0, 2, 8, 9}},
		{"a record end across reads", long, scanChunk - 2, 0, pipeSplit{recEnd: "\n", recStart: "\n"}, []int64{0, scanChunk, int64(len(long))}},
		{"regexp: the last cut read", "a1x1xa1x", 1, 0, regexpSplit(t, "1", "x"), []int64{0, 7, 8}},
		{"regexp: anchored, no cut", "a\nx\nx", 1, 0, regexpSplit(t, "\n", "^x"), []int64{0, 5}},
		{"regexp: a cut windows away", far, 1, 0, regexpSplit(t, "\n", ">"), []int64{0, 3 * scanChunk, int64(len(far))}},
	} {
		got, err := splitPositions(strings.NewReader(tc.data), int64(len(tc.data)), tc.block, tc.skip, tc.split)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestPipeBlocksReuseBuffers cuts lines of random lengths with each block
// handed back once used, as a job's end does: the blocks differ by the
// length of a partial line, and still come from a few buffers, not one
// new buffer for every other block.
func TestPipeBlocksReuseBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var in strings.Builder
	for in.Len() < 1<<20 {
		in.WriteString(strings.Repeat("y", rng.IntN(100)) + "\n")
	}
	split := pipeSplit{size: 4 << 10, recEnd: "\n", pool: newBlockPool(4), warn: func(string) {}}
	buffers := map[*byte][]byte{} // holds each, so that no address is reused
	blocks := 0
	for j, err := range split.blocks(strings.NewReader(in.String())) {
		if err != nil {
			t.Fatal(err)
		}
		blocks++
		buffers[unsafe.SliceData(j.Input)] = j.Input
		split.pool.put(j.Input)
	}
	if blocks < 200 || len(buffers) > 3 {
		t.Errorf("%d blocks came from %d buffers, want at most 3", blocks, len(buffers))
	}
}

func TestLineRecordsEnd(t *testing.T) {
	for _, c := range []struct {
		buf  string
		n    int
		want int
	}{
		{"a\nb\nc\n", 2, 4},
		{"a\nb\nc\nd\n", 2, 8},
		{"a\nb\nc", 2, 4},
		{"a\nb\n", 3, 0},
		{"abc", 1, 0},
		{"\n\n\n", 3, 3},
		{"a\n\nb\n", 1, 5},
	} {
		if got := lineRecordsEnd([]byte(c.buf), c.n); got != c.want {
			t.Errorf("lineRecordsEnd(%q, %d) = %d, want %d", c.buf, c.n, got, c.want)
		}
	}
}

// TestShardKeepsKeysTogether: --shard gives all lines of a key to one
// job, in their order, and every line to some job. Which job gets a key
// varies from run to run in GNU parallel, so only this is compared.
func TestShardKeepsKeysTogether(t *testing.T) {
	var in strings.Builder
	for i := range 300 {
		fmt.Fprintf(&in, "%d,key%d\n", i, i%17)
	}
	o := runIn(t, in.String(), "-k", "--pipe", "--shard", "2", "--colsep", ",", "-j4", "cat; echo --")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	jobs := strings.Split(strings.TrimSuffix(o.stdout, "--\n"), "--\n")
	if len(jobs) != 4 {
		t.Fatalf("%d jobs, want 4: %q", len(jobs), o.stdout)
	}
	owner := map[string]int{}
	seen := 0
	for j, out := range jobs {
		last := -1
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line == "" {
				continue
			}
			n, key, _ := strings.Cut(line, ",")
			if o, ok := owner[key]; ok && o != j {
				t.Errorf("%s went to jobs %d and %d", key, o+1, j+1)
			}
			owner[key] = j
			i, _ := strconv.Atoi(n)
			if i <= last {
				t.Errorf("job %d: line %d after %d", j+1, i, last)
			}
			last = i
			seen++
		}
	}
	if seen != 300 || len(owner) != 17 {
		t.Errorf("%d lines and %d keys reached the jobs, want 300 and 17", seen, len(owner))
	}
}

// TestBlockTimeoutMatchesGNU feeds stdin with a pause longer than
// --block-timeout: the records that came before it make a block of their
// own, as in GNU parallel.
func TestBlockTimeoutMatchesGNU(t *testing.T) {
	gnu := gnutest.Path(t)
	ours := binary(t)
	for _, tc := range []struct{ feed, args string }{
		{`echo a; sleep 2.5; echo b`, `--pipe --bt 1 -k 'cat; echo -'`},
		{`printf 'a\nb'; sleep 2.5; echo c`, `--pipe --bt 1 -k 'cat; echo -'`},
		{`echo a; echo b; sleep 2.5; echo c`, `--pipe -N1 --bt 1 -k 'cat; echo -'`},
	} {
		outs := make([]string, 2)
		var wg sync.WaitGroup
		for i, tool := range []string{gnu, ours} {
			wg.Go(func() {
				out, err := exec.Command("/bin/sh", "-c", "("+tc.feed+") | "+tool+" "+tc.args).CombinedOutput()
				outs[i] = fmt.Sprintf("%s(%v)", out, err)
			})
		}
		wg.Wait()
		if outs[1] != outs[0] {
			t.Errorf("(%s) | multitask %s\n got %q\nwant %q (GNU parallel)", tc.feed, tc.args, outs[1], outs[0])
		}
	}
}

// regexpSplit is the split of --regexp with --recend end and --recstart
// start.
func regexpSplit(t *testing.T, end, start string) pipeSplit {
	t.Helper()
	re, err := newRecordRegexps(end, start, true, true)
	if err != nil {
		t.Fatal(err)
	}
	return pipeSplit{re: re}
}

// TestGroupCutsEnd cuts files of random keys and lengths with --group-by,
// each after another as --pipe-part's files are, so that the later ones
// are cut by reading the first, as GNU parallel cuts them: where GNU would
// search for ever, multitask ends, with parts in order up to each file's
// end.
func TestGroupCutsEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 300 {
		pg, err := newPartGroups(input.ParseGroupKey("1"), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 1 + rng.IntN(3) {
			var text strings.Builder
			for i, lines := 0, rng.IntN(60); i < lines; i++ {
				fmt.Fprintf(&text, "k%d\tv\n", rng.IntN(4))
			}
			size := int64(text.Len())
			pos, _, err := pg.cut(strings.NewReader(text.String()), size, 1+rng.Int64N(40), 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if pos[len(pos)-1] != size || !slices.IsSorted(pos) || len(slices.Compact(slices.Clone(pos))) != len(pos) {
				t.Fatalf("round %d: positions %v of a file of %d bytes", round, pos, size)
			}
		}
	}
}
