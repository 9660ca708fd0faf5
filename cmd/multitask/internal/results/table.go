package results

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/multitask-go/multitask/cmd/multitask/internal/joblog"
)

// A Format is the layout --results writes, which GNU parallel picks by the
// option value's suffix.
type Format int

const (
	// Files is the directory layout of [Open] and [OpenPath].
	Files Format = iota
	// CSV is one comma-separated table: --results ending in ".csv".
	CSV
	// TSV is the same table separated by tabs: ".tsv".
	TSV
	// JSON is one JSON object per line: ".json".
	JSON
)

// FormatOf returns the format of --results arg: by its suffix, in any
// case. GNU parallel writes a table to stdout, and nothing else there,
// when arg is "-.csv", "-.tsv" or "-.json", and to the file arg otherwise,
// truncated when the run starts.
func FormatOf(arg string) Format {
	lower := strings.ToLower(arg)
	switch {
	case strings.HasSuffix(lower, ".csv"):
		return CSV
	case strings.HasSuffix(lower, ".tsv"):
		return TSV
	case strings.HasSuffix(lower, ".json"):
		return JSON
	}
	return Files
}

// A Row is one finished job of a table: its joblog entry, arguments and
// whole output.
type Row struct {
	joblog.Entry
	// Args are the job's arguments, all records one after another.
	Args []string
	// Stdout and Stderr are the job's output.
	Stdout, Stderr []byte
}

// A Table writes the rows of --results in the CSV, TSV or JSON format. It is
// safe for concurrent use; it must not be copied.
type Table struct {
	format Format
	header []string

	mu      sync.Mutex // guards the fields below
	w       io.Writer
	started bool // the CSV or TSV header line is written
}

// NewTable returns a Table writing rows to w in format f, which must be CSV,
// TSV or JSON. header holds the --header names of the arguments' columns,
// or is nil without --header, when the columns are named V1, V2, ... as Perl
// counts (V9 is followed by W0). A CSV or TSV header line is written with
// the first row, naming as many columns as that row has arguments, so a run
// with no jobs writes nothing.
func NewTable(w io.Writer, f Format, header []string) *Table {
	if f != CSV && f != TSV && f != JSON {
		panic(fmt.Sprintf("results: NewTable given format %d", f))
	}
	return &Table{format: f, header: header, w: w}
}

// Write writes r as one row, in a single write call.
func (t *Table) Write(r Row) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	if t.format == JSON {
		t.appendJSON(&b, r)
	} else {
		if !t.started {
			t.appendHeader(&b, len(r.Args))
		}
		t.appendCSV(&b, r)
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return fmt.Errorf("results: write table: %w", err)
	}
	t.started = true
	return nil
}

// appendHeader appends the CSV or TSV header line for rows of n arguments.
func (t *Table) appendHeader(b *strings.Builder, n int) {
	cols := strings.Split(joblog.Header, "\t")
	v := "V1"
	for i := range n {
		switch {
		case t.header == nil:
			cols = append(cols, v)
			v = perlIncrement(v)
		case i < len(t.header):
			cols = append(cols, t.header[i])
		default:
			cols = append(cols, "") // GNU parallel has no name for it
		}
	}
	t.appendFields(b, append(cols, "Stdout", "Stderr"))
}

// appendCSV appends r as a CSV or TSV line.
func (t *Table) appendCSV(b *strings.Builder, r Row) {
	f := r.Fields()
	cols := append(f[:], r.Args...)
	t.appendFields(b, append(cols, string(r.Stdout), string(r.Stderr)))
}

// appendFields appends cols as one line, each quoted when it holds the
// separator, white space (tab, newline, vertical tab, form feed, carriage
// return, space), a quote or a NUL, with quotes doubled, as GNU parallel
// does.
func (t *Table) appendFields(b *strings.Builder, cols []string) {
	sep := ","
	if t.format == TSV {
		sep = "\t"
	}
	for i, c := range cols {
		if i > 0 {
			b.WriteString(sep)
		}
		if strings.ContainsAny(c, sep+"\t\n\v\f\r \"\x00") {
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		} else {
			b.WriteString(c)
		}
	}
	b.WriteString("\n")
}

// appendJSON appends r as a line holding one JSON object, laid out as GNU
// parallel lays it out.
func (t *Table) appendJSON(b *strings.Builder, r Row) {
	f := r.Fields()
	args := make([]string, len(r.Args))
	for i, a := range r.Args {
		args[i] = `"` + jsonQuote(a) + `"`
	}
	fmt.Fprintf(b, `{ "Seq": %s, "Host": "%s", "Starttime": %s, "JobRuntime": %s, `+
		`"Send": %s, "Receive": %s, "Exitval": %s, "Signal": %s, `+
		`"Command": "%s", "V": [ %s ], "Stdout": "%s", "Stderr": "%s" }`+"\n",
		f[0], jsonQuote(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], jsonQuote(f[8]),
		strings.Join(args, ","), jsonQuote(string(r.Stdout)), jsonQuote(string(r.Stderr)))
}

// jsonQuote escapes s for a JSON string as GNU parallel does: backslash,
// quote and the control bytes below space (as \u00XX); every other byte,
// DEL and invalid UTF-8 included, passes as is.
func jsonQuote(s string) string {
	var b strings.Builder
	for i := range len(s) {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ':
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// perlIncrement returns s after Perl's ++ on a string of letters followed by
// digits: the last character counts up, 9 to 0 and z to a carrying into the
// one before, and a carry out of the first adds a character ("V9" to "W0",
// "Z9" to "AA0").
func perlIncrement(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		switch c := b[i]; c {
		case '9':
			b[i] = '0'
		case 'z':
			b[i] = 'a'
		case 'Z':
			b[i] = 'A'
		default:
			b[i]++
			return string(b)
		}
	}
	first := map[byte]string{'0': "1", 'a': "a", 'A': "A"}[b[0]]
	return first + string(b)
}
