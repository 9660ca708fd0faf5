package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// collect ranges over seq and fails the test on an error.
func collect(t *testing.T, seq func(func([]string, error) bool)) [][]string {
	t.Helper()
	var out [][]string
	for vals, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

func open(t *testing.T, opt Options) *Reader {
	t.Helper()
	r, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestStreaming feeds stdin through a pipe and writes the rest of the input
// only once the first job has been yielded: a reader that waited for more
// input first would never yield it.
func TestStreaming(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opt   Options
		first string // written before the first job is due
		want  []string
	}{
		{name: "lines", first: "a\n", want: []string{"a"}},
		{name: "stdin first in a cross product", first: "a\n",
			opt:  Options{Sources: []Source{{File: "-"}, {Values: []string{"x", "y"}}}},
			want: []string{"a", "x"}},
		{name: "stdin last in a cross product", first: "a\n",
			opt:  Options{Sources: []Source{{Values: []string{"x", "y"}}, {File: "-"}}},
			want: []string{"x", "a"}},
		{name: "--link", first: "a\n", opt: Options{Link: true, Sources: []Source{{File: "-"}, {Values: []string{"x"}}}},
			want: []string{"a", "x"}},
		{name: "-n 2", first: "a\nb\n", opt: Options{MaxArgs: 2}, want: []string{"a", "b"}},
		{name: "--colsep and --header", first: "h1,h2\na,b\n", opt: Options{Colsep: ",", Header: ":"}, want: []string{"a", "b"}},
		{name: "-0", first: "a\x00", opt: Options{Null: true}, want: []string{"a"}},
		{name: "-d \\r\\n", first: "a\r\n", opt: Options{Delim: "\r\n"}, want: []string{"a"}},
		{name: "paragraphs", first: "a\nb\n\n", opt: Options{Paragraph: true}, want: []string{"a\nb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pr, pw := io.Pipe()
			firstSeen := make(chan struct{})
			writerDone := make(chan struct{})
			go func() {
				defer close(writerDone)
				if _, err := io.WriteString(pw, tt.first); err != nil {
					return
				}
				select {
				case <-firstSeen:
				case <-time.After(time.Minute): // a guard against a hang, not a measure
					pw.CloseWithError(errors.New("the first job was not yielded before the rest of the input"))
					return
				}
				for i := range 1000 {
					if _, err := fmt.Fprintf(pw, "line%d\n", i); err != nil {
						return
					}
				}
				pw.Close()
			}()
			opt := tt.opt
			opt.Stdin = pr
			r := open(t, opt)
			n := 0
			for vals, err := range r.Jobs() {
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					if !slices.Equal(vals, tt.want) {
						t.Errorf("first job %q, want %q", vals, tt.want)
					}
					close(firstSeen)
				}
				n++
			}
			<-writerDone
			if n < 2 {
				t.Errorf("%d jobs, want more than the first", n)
			}
		})
	}
}

func TestShuf(t *testing.T) {
	t.Parallel()
	var letters, digits []string
	for i := range 10 {
		letters = append(letters, string(rune('a'+i)))
		digits = append(digits, strconv.Itoa(i))
	}
	src := []Source{{Values: letters}, {Values: digits}}
	ordered := collect(t, open(t, Options{Sources: src}).Jobs())
	for _, maxArgs := range []int{0, 3} {
		t.Run(fmt.Sprintf("-n %d", maxArgs), func(t *testing.T) {
			t.Parallel()
			jobs := collect(t, open(t, Options{Sources: src, Shuf: true, MaxArgs: maxArgs}).Jobs())
			// -n groups the shuffled records: cut the jobs back into records.
			var records [][]string
			for _, job := range jobs {
				for rec := range slices.Chunk(job, 2) {
					records = append(records, rec)
				}
			}
			if len(records) != len(ordered) {
				t.Fatalf("%d records, want %d", len(records), len(ordered))
			}
			if fmt.Sprint(records) == fmt.Sprint(ordered) {
				t.Errorf("100 records came in their order (a chance of 1 in 100!)")
			}
			key := func(rec []string) string { return strings.Join(rec, "\x00") }
			got := make([]string, len(records))
			want := make([]string, len(ordered))
			for i := range records {
				got[i], want[i] = key(records[i]), key(ordered[i])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("shuffled records are not a permutation:\n got %q\nwant %q", got, want)
			}
			if maxArgs > 0 {
				for i, job := range jobs {
					if i < len(jobs)-1 && len(job) != 2*maxArgs {
						t.Errorf("job %d has %d values, want %d", i, len(job), 2*maxArgs)
					}
				}
			}
		})
	}
}

func TestRecordsIgnoreMaxArgs(t *testing.T) {
	t.Parallel()
	r := open(t, Options{MaxArgs: 2, Sources: []Source{{Values: []string{"a", "b", "c"}}}})
	assertJobs(t, collect(t, r.Records()), j("a", "b", "c"))
}

func TestReadOnce(t *testing.T) {
	t.Parallel()
	r := open(t, Options{Sources: []Source{{Values: []string{"a"}}}})
	collect(t, r.Jobs())
	for _, err := range r.Records() {
		if err == nil {
			t.Fatal("a second read yielded a record")
		}
		return
	}
	t.Fatal("a second read yielded nothing, not an error")
}

func TestLongRecords(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200<<10) // beyond the read buffer
	tests := []struct {
		name  string
		opt   Options
		input string
	}{
		{name: "newline", input: long + "\n" + long + "\nz\n"},
		{name: "no final newline", input: long + "\n" + long + "\nz"},
		{name: "-d \\r\\n", opt: Options{Delim: "\r\n"}, input: long + "\r\n" + long + "\r\nz"},
		{name: "paragraphs", opt: Options{Paragraph: true}, input: long + "\n\n\n" + long + "\n\nz\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt := tt.opt
			opt.Stdin = strings.NewReader(tt.input)
			got := collect(t, open(t, opt).Jobs())
			if want := j(long, long, "z"); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got %d jobs of lengths %v, want three of lengths %d, %d, 1", len(got), lengths(got), len(long), len(long))
			}
		})
	}
}

func lengths(jobs [][]string) []int {
	var n []int
	for _, job := range jobs {
		for _, v := range job {
			n = append(n, len(v))
		}
	}
	return n
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		_, err := Open(Options{Sources: []Source{{Values: []string{"a"}}, {File: missing}}})
		var oe *OpenError
		if !errors.As(err, &oe) || oe.File != missing || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error %v, want an *OpenError for %s that is fs.ErrNotExist", err, missing)
		}
	})
	for _, tt := range []struct {
		name string
		opt  Options
		want string
	}{
		{name: "bad --colsep", opt: Options{Colsep: "("}, want: `--colsep "("`},
		{name: "bad --trim", opt: Options{Trim: "x"}, want: "--trim must be one of"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	r, err := Open(Options{Sources: []Source{{File: "/dev/null"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, err := range r.Jobs() {
		if err == nil {
			t.Fatal("a closed Reader yielded a job")
		}
	}
}

func TestWarn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Options
		in   string
		want []string
	}{
		{name: "CR-NL", in: "a\r\nb\r\nc\r\nd\n", want: []string{`The first three values end in CR-NL. Consider using -d "\r\n"`}},
		{name: "CR-NL after a plain line", in: "a\nb\r\nc\r\nd\r\n"},
		{name: "CR-NL with -d", in: "a\r\nb\r\nc\r\n", opt: Options{Delim: "\n"}},
		{name: "NUL, once per record", in: "a\x00b\x00c\n", want: []string{
			`A NUL character in the input was replaced with \0.`,
			"NUL cannot be passed through in the argument list.",
			"Did you mean to use the --null option?",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			opt := tt.opt
			opt.Stdin = strings.NewReader(tt.in)
			opt.Warn = func(line string) { got = append(got, line) }
			collect(t, open(t, opt).Jobs())
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnescapeDelim(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{``, ""},
		{`,`, ","},
		{`\t`, "\t"},
		{`\n`, "\n"},
		{`\r\n`, "\r\n"},
		{`\0`, "\x00"},
		{`\000`, "\x00"},
		{`\101`, "A"},
		{`\1011`, "A1"},
		{`\018`, "\x018"},
		{`\8`, "8"},
		{`\812`, "812"},
		{`\\n`, "\\\n"},
		{`\x`, `\x`},
		{`a\`, `a\`},
		{`\377`, "\xff"},
	}
	for _, tt := range tests {
		got, err := UnescapeDelim(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("UnescapeDelim(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := UnescapeDelim(`\400`); err == nil {
		t.Errorf(`UnescapeDelim("\400") gave no error`)
	}
}

// TestPerlSplit states what Perl 5.36's split gives for these patterns.
func TestPerlSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		re, s string
		limit int
		want  []string
	}{
		{",", "a,b", -1, []string{"a", "b"}},
		{",", ",a,,", -1, []string{"", "a", "", ""}},
		{",", ",a,,", 0, []string{"", "a"}},
		{",", "", -1, nil},
		{",*", "a,b", -1, []string{"a", "b", ""}},
		{"x*", "ab", -1, []string{"a", "b", ""}},
		{"", "abc", -1, []string{"a", "b", "c", ""}},
		{"(,)|(;)", "a,b;c", -1, []string{"a", ",", "", "b", "", ";", "c"}},
		{`\s+`, "  a  b ", -1, []string{"", "a", "b", ""}},
	}
	for _, tt := range tests {
		got := perlSplit(regexp.MustCompile(tt.re), tt.s, tt.limit)
		if !slices.Equal(got, tt.want) {
			t.Errorf("split /%s/, %q, %d = %q; want %q", tt.re, tt.s, tt.limit, got, tt.want)
		}
	}
}

// BenchmarkLines reads a million short lines from stdin.
func BenchmarkLines(b *testing.B) {
	var sb strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&sb, "line%d\n", i)
	}
	input := sb.String()
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		r, err := Open(Options{Stdin: strings.NewReader(input)})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range r.Jobs() {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1_000_000 {
			b.Fatalf("%d jobs", n)
		}
	}
}

func TestSkipLine(t *testing.T) {
	for in, want := range map[string]string{
		"head\nrest\nmore": "rest\nmore",
		"\nrest":           "rest",
		"only a line":      "",
		"line\n":           "",
		"":                 "",
	} {
		for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.DataErrReader(strings.NewReader(in))} {
			got, err := io.ReadAll(SkipLine(r))
			if err != nil || string(got) != want {
				t.Errorf("SkipLine(%q) read %q, %v; want %q", in, got, err, want)
			}
		}
	}
}

func TestCSVFields(t *testing.T) {
	for _, tc := range []struct {
		rec  string
		want []string // nil: not CSV
	}{
		{"a,b", []string{"a", "b"}},
		{"a,", []string{"a", ""}},
		{",", []string{"", ""}},
		{`"a,b",c`, []string{"a,b", "c"}},
		{`"a""b",c`, []string{`a"b`, "c"}},
		{`"",""`, []string{"", ""}},
		{" a , b ", []string{" a ", " b "}},
		{"x\ty", []string{"x\ty"}},
		{"\"a\r\",b", []string{"a\r", "b"}},
		{"\"a\nb\",c", []string{"a\nb", "c"}},
		{"a\nb", []string{"a"}}, // a newline outside quotes ends the record
		{`"a" ,b`, nil},
		{`a, "b"`, nil},
		{`a"b,c`, nil},
		{`"a`, nil},
		{`"a"x`, nil},
		{"a,b\r", nil},
	} {
		got, err := csvFields(tc.rec, ',')
		if tc.want == nil {
			if !errors.Is(err, ErrCSV) {
				t.Errorf("csvFields(%q) = %q, %v; want ErrCSV", tc.rec, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("csvFields(%q) = %q, %v; want %q", tc.rec, got, err, tc.want)
		}
	}
}
