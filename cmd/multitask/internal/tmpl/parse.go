package tmpl

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// part is a piece of a command word: literal text or a replacement string.
type part struct {
	lit   string
	r     rpl
	isRpl bool
}

// rplName is a replacement string as written in a template.
type rplName struct {
	name string
	kind kind
	user *userRpl // a string of --rpl, which kind does not describe
}

// rplNames returns GNU's replacement strings with replace standing for {},
// and those of --rpl, longest first: GNU finds them in that order, so -I x{
// leaves the x{.} of a template as x followed by {.}. An --rpl of the same
// name as another replaces it.
func rplNames(replace string, plus bool, renames []Rename, user []Rpl) ([]rplName, error) {
	names := map[string]kind{
		"{}": kValue, "{.}": kExt, "{/}": kBase, "{//}": kDir,
		"{/.}": kBaseExt, "{#}": kSeq, "{%}": kSlot,
	}
	if plus {
		for n, k := range map[string]kind{
			"{+/}": kPlusDir, "{+.}": kPlusExt, "{+..}": kPlusExt2, "{+...}": kPlusExt3,
			"{..}": kExt2, "{...}": kExt3, "{/..}": kBaseExt2, "{/...}": kBaseExt3,
			"{##}": kTotal, "{0#}": kSeqPadded, "{0%}": kSlotPadded,
		} {
			names[n] = k
		}
	}
	if replace != "" && replace != "{}" {
		// GNU renames {}: the new string replaces any built-in one of the
		// same spelling, and {} itself becomes plain text.
		delete(names, "{}")
		names[replace] = kValue
	}
	for _, r := range renames {
		if k, ok := names[r.Old]; ok && r.New != r.Old {
			delete(names, r.Old)
			names[r.New] = k
		}
	}
	users := map[string]*userRpl{}
	for _, r := range user {
		u, err := compileRpl(r)
		if err != nil {
			return nil, err
		}
		users[r.Tag] = u
		delete(names, r.Tag)
	}
	out := make([]rplName, 0, len(names)+len(users))
	for n, k := range names {
		out = append(out, rplName{name: n, kind: k})
	}
	for n, u := range users {
		out = append(out, rplName{name: n, kind: kPerl, user: u})
	}
	slices.SortFunc(out, func(a, b rplName) int {
		if c := cmp.Compare(len(b.name), len(a.name)); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// implicitPos reports the kinds GNU implements as a Perl expression that
// starts with the position 1, so that they are inserted once per job.
func implicitPos(k kind) bool {
	switch k {
	case kSeq, kSlot, kTotal, kSeqPadded, kSlotPadded:
		return true
	}
	return false
}

// matcher finds the leftmost replacement string in s: its start, its end
// and what it stands for.
type matcher func(s string) (start, end int, r rpl, ok bool)

// plainMatcher finds name itself.
func plainMatcher(n rplName) matcher {
	return func(s string) (int, int, rpl, bool) {
		i := strings.Index(s, n.name)
		if i < 0 {
			return 0, 0, rpl{}, false
		}
		r := rpl{kind: n.kind}
		if implicitPos(n.kind) {
			r = newPositional(n.kind, "1")
		}
		return i, i + len(n.name), r, true
	}
}

// positionalMatcher finds {N...}, the positional form GNU gives every
// replacement string that starts with a brace: "{", an optionally negative
// number N, optional blanks, then the rest of the name after its brace.
// {N#} and {N%} are, as in GNU, the position N1 (so {0#} is the job's
// sequence number when it has a first value, and {1#} needs 11 values).
func positionalMatcher(n rplName) matcher {
	rest := n.name[1:]
	return func(s string) (int, int, rpl, bool) {
		return findPositional(s, func(tail string) (int, bool) {
			return len(rest), strings.HasPrefix(tail, rest)
		}, func(digits, _ string) rpl {
			if implicitPos(n.kind) {
				digits += "1"
			}
			return newPositional(n.kind, digits)
		})
	}
}

// findPositional finds the leftmost "{" N blanks X in s, where tail
// reports whether (and how long) X starts its argument. Like Perl's regexp
// it gives back digits and blanks when X itself starts with one.
func findPositional(s string, tail func(string) (int, bool), mk func(digits, x string) rpl) (int, int, rpl, bool) {
	for off := 0; ; {
		i := strings.IndexByte(s[off:], '{')
		if i < 0 {
			return 0, 0, rpl{}, false
		}
		i += off
		j := i + 1
		if j < len(s) && s[j] == '-' {
			j++
		}
		d := j
		for d < len(s) && '0' <= s[d] && s[d] <= '9' {
			d++
		}
		w := d
		for w < len(s) && isPerlSpace(s[w]) {
			w++
		}
		for k := d; k > j; k-- {
			b := w
			if k < d {
				b = k // the blanks follow all the digits
			}
			for ; b >= k; b-- {
				if n, ok := tail(s[b:]); ok {
					return i, b + n, mk(s[i+1:k], s[b:b+n]), true
				}
			}
		}
		off = i + 1
	}
}

// trimSuffix reports whether t starts with ^suffix} and how long that is.
func trimSuffix(t string) (int, bool) {
	if len(t) < 3 || t[0] != '^' {
		return 0, false
	}
	e := strings.IndexByte(t[1:], '}')
	return e + 2, e > 0
}

// trimMatcher finds {^suffix}, multitask's addition.
func trimMatcher(s string) (int, int, rpl, bool) {
	for off := 0; ; {
		i := strings.Index(s[off:], "{^")
		if i < 0 {
			return 0, 0, rpl{}, false
		}
		i += off
		if n, ok := trimSuffix(s[i+1:]); ok {
			return i, i + 1 + n, rpl{kind: kTrim, suffix: s[i+2 : i+n]}, true
		}
		off = i + 1
	}
}

// trimPositionalMatcher finds {N^suffix}.
func trimPositionalMatcher(s string) (int, int, rpl, bool) {
	return findPositional(s, trimSuffix, func(digits, x string) rpl {
		r := newPositional(kTrim, digits)
		r.suffix = x[1 : len(x)-1]
		return r
	})
}

// isPerlSpace reports the bytes Perl's \s matches.
func isPerlSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// split applies m to every literal part, splitting out what it finds.
func split(parts []part, m matcher) []part {
	out := parts[:0:0]
	for _, p := range parts {
		if p.isRpl {
			out = append(out, p)
			continue
		}
		s := p.lit
		for {
			i, e, r, ok := m(s)
			if !ok {
				break
			}
			if i > 0 {
				out = append(out, part{lit: s[:i]})
			}
			out = append(out, part{r: r, isRpl: true})
			s = s[e:]
		}
		if s != "" {
			out = append(out, part{lit: s})
		}
	}
	return out
}

// segment splits a command word into literal text and replacement
// strings, finding each replacement string (and then its positional form)
// in the text the longer ones left, as GNU does.
func segment(word string, names []rplName, plus bool, perl *Parens) []part {
	parts := []part{{lit: word}}
	if perl != nil {
		// GNU finds {= =} before the others, which are not looked for
		// inside them.
		parts = split(parts, perl.matcher())
	}
	if plus {
		// GNU finds these first, as their definitions are the longest;
		// {^...} is then GNU's upper-casing, not multitask's trim.
		for _, f := range plusForms {
			parts = split(parts, plusMatcher(f))
		}
	}
	for _, n := range names {
		if n.user != nil {
			parts = split(parts, n.user.matcher(false))
			if n.user.positional != nil {
				parts = split(parts, n.user.matcher(true))
			}
			continue
		}
		parts = split(parts, plainMatcher(n))
		if n.name[0] == '{' {
			parts = split(parts, positionalMatcher(n))
		}
	}
	if plus {
		return parts
	}
	parts = split(parts, trimMatcher)
	return split(parts, trimPositionalMatcher)
}

// renameColumns turns {name}, {name/}, {name//}, {name.} and {name/.} into
// {N}, {N/}, ... for the N-th of names, one name after the other, as GNU
// does with the column names of --header. GNU matches a name as a regular
// expression; here it is plain text.
func renameColumns(word string, names []string) string {
	for i, name := range names {
		id := strconv.Itoa(i + 1)
		for _, sfx := range []string{"", "/", "//", ".", "/."} {
			word = strings.ReplaceAll(word, "{"+name+sfx+"}", "{"+id+sfx+"}")
		}
	}
	return word
}
