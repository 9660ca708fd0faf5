package input

import (
	"errors"
	"fmt"
	"strings"
)

// ErrCSV fails the input at a record that is not well-formed CSV, which
// GNU parallel dies of.
var ErrCSV = errors.New("input: CSV has unexpected format")

// csvFields splits a CSV record at sep as Perl's Text::CSV, with binary
// set and nothing else, parses it: a field in double quotes may hold
// anything, its quotes doubled; an unquoted field may hold neither a quote
// nor a carriage return, and a newline in one ends the record.
func csvFields(rec string, sep byte) ([]string, error) {
	bad := func() ([]string, error) { return nil, fmt.Errorf("%w: ^%s^", ErrCSV, rec) }
	var out []string
	for i := 0; ; {
		if i < len(rec) && rec[i] == '"' {
			var b strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(rec[j:], '"')
				if k < 0 {
					return bad()
				}
				b.WriteString(rec[j : j+k])
				j += k + 1
				if j < len(rec) && rec[j] == '"' {
					b.WriteByte('"')
					j++
					continue
				}
				break
			}
			out = append(out, b.String())
			switch {
			case j == len(rec) || rec[j] == '\n':
				return out, nil
			case rec[j] != sep:
				return bad()
			}
			i = j + 1
			continue
		}
		end := i
		for end < len(rec) && rec[end] != sep && rec[end] != '\n' {
			end++
		}
		field := rec[i:end]
		if strings.ContainsAny(field, "\"\r") {
			return bad()
		}
		out = append(out, field)
		if end == len(rec) || rec[end] == '\n' {
			return out, nil
		}
		i = end + 1
	}
}

// oddQuotes reports whether s holds an odd number of double quotes: a line
// of CSV that leaves a quoted field open, which GNU parallel continues
// with the next line.
func oddQuotes(s string) bool { return strings.Count(s, `"`)%2 == 1 }
