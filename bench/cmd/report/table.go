package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// A table is one benchmark group's figures, formatted but not yet laid out,
// so that tests can check the cells without parsing the text. The first
// columns name the row and are aligned left, the others right.
type table struct {
	title string     // the group's name
	about string     // what the group measures, after the title
	left  int        // how many columns name the row; 0 means 1
	head  []string   // column headings
	rows  [][]string // cells, one slice per row, as long as head
	notes []string   // lines printed under the rows
}

// row returns the cells of the first row that starts with the cells in
// names, and false when there is none.
func (t table) row(names ...string) ([]string, bool) {
	for _, r := range t.rows {
		if len(r) >= len(names) && slices.Equal(r[:len(names)], names) {
			return r, true
		}
	}
	return nil, false
}

// write prints the table in the layout of the thread-pool tables: a blank
// line, the title, then the heading and rows indented by two spaces.
func (t table) write(w io.Writer) {
	fmt.Fprintf(w, "\n%s", t.title)
	if t.about != "" {
		fmt.Fprintf(w, "  (%s)", t.about)
	}
	fmt.Fprintln(w)
	width := make([]int, len(t.head))
	width[0] = 10
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range append([][]string{t.head}, t.rows...) {
		var b strings.Builder
		for i, c := range r {
			// Two spaces indent the row and separate the columns.
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < max(t.left, 1) {
				b.WriteString("  " + c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for _, n := range t.notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
}
