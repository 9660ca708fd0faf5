package main

import (
	"fmt"
	"regexp"
)

// recordRegexps find the records of --pipe with --regexp, where --recend
// and --recstart are regular expressions, as GNU parallel finds them with
// Perl's (with /m: ^ and $ match at every line). These are Go's, which
// have no look-around or back-references.
type recordRegexps struct {
	sep   *regexp.Regexp // a record end then a record start; a cut is where its first group ends
	start *regexp.Regexp // a record start at the very start
	trail *regexp.Regexp // a record end at the end, before a last newline if any

	// For --pipe-part, which GNU parallel matches without /m: anyCut
	// finds whether a window holds a cut, partCut where its last one is.
	anyCut, partCut *regexp.Regexp
}

// newRecordRegexps compiles --recend and --recstart, given or not, as
// GNU parallel reads them with --regexp: --recstart alone leaves records
// without an end of their own, and an empty --recend is any one byte.
func newRecordRegexps(recEnd, recStart string, endSet, startSet bool) (*recordRegexps, error) {
	if startSet && !endSet {
		recEnd = ""
	} else if recEnd == "" {
		recEnd = `(?s:.)`
	}
	for _, r := range []struct{ opt, re string }{{"--recend", recEnd}, {"--recstart", recStart}} {
		if _, err := regexp.Compile(r.re); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, r.opt, err)
		}
	}
	end, start := "(?:"+recEnd+")", "(?:"+recStart+")"
	return &recordRegexps{
		sep:     regexp.MustCompile(`(?m)(` + end + `)` + start),
		start:   regexp.MustCompile(`(?m)\A` + start),
		trail:   regexp.MustCompile(`(?m)` + end + `(\n?)\z`),
		anyCut:  regexp.MustCompile(`(?s)` + end + start),
		partCut: regexp.MustCompile(`(?s)^(.*` + end + `)` + start),
	}, nil
}

// cuts yields where records divide in buf, after each record end that a
// record start follows, past its start.
func (r *recordRegexps) cuts(buf []byte, yield func(int) bool) {
	for _, m := range r.sep.FindAllSubmatchIndex(buf, -1) {
		if m[3] > 0 && !yield(m[3]) {
			return
		}
	}
}

// lastCut is where the last record that buf holds whole ends; 0 if none.
func (r *recordRegexps) lastCut(buf []byte) int {
	last := 0
	r.cuts(buf, func(i int) bool { last = i; return true })
	return last
}

// nthCut is where the nth record of buf ends, when a record start follows
// it; -1 if buf holds fewer.
func (r *recordRegexps) nthCut(buf []byte, n int) int {
	at := -1
	r.cuts(buf, func(i int) bool {
		if n--; n == 0 {
			at = i
			return false
		}
		return true
	})
	return at
}

// garbage is the length of what comes before the first record of buf,
// when buf does not start with a record start; 0 otherwise.
func (r *recordRegexps) garbage(buf []byte) int {
	if r.start.Match(buf) {
		return 0
	}
	return max(r.nthCut(buf, 1), 0)
}

// removeSep removes the record separators from a block, as GNU parallel's
// --remove-rec-sep does with --regexp: every record end followed by a
// record start, the record start that begins the block, and the record end
// that ends it (before a last newline, which stays).
func (r *recordRegexps) removeSep(block []byte) []byte {
	block = r.sep.ReplaceAll(block, nil)
	block = r.start.ReplaceAll(block, nil)
	return r.trail.ReplaceAll(block, []byte("$1"))
}
