package tmpl

import (
	"regexp"
	"strconv"
	"strings"
)

// The --plus replacement strings that take an argument, as GNU parallel
// defines them after bash's ${a...} forms. The arguments are regular
// expressions (Go's syntax standing for Perl's), except the replacements
// and {:-string}'s default, which are text.
const (
	kDefault      kind = iota + 100 // {:-str}: str when the value is empty or "0"
	kSkip                           // {:n}: without its first n bytes
	kSubstr                         // {:n:m}: m bytes from byte n
	kPrefix                         // {#re}: without the shortest prefix re matches
	kPrefixLong                     // {##re}: without the prefix re matches
	kSuffix                         // {%re}: without the shortest suffix re matches
	kSuffixLong                     // {%%re}: without the longest suffix re matches
	kReplace                        // {/re/str}: the first match of re replaced by str
	kReplaceStart                   // {/#re/str}: a match at the start replaced
	kReplaceEnd                     // {/%re/str}: a match at the end replaced
	kReplaceAll                     // {//re/str}: every match replaced
	kUpper                          // {^re}: a match at the start upper-cased
	kUpperAll                       // {^^re}: every match upper-cased
	kLower                          // {,re}: a match at the start lower-cased
	kLowerAll                       // {,,re}: every match lower-cased
)

// plusForm is one of those strings: how it is written, as a regular
// expression over a command word, and what it stands for.
type plusForm struct {
	find *regexp.Regexp
	kind kind
}

// plusForms are the forms in the order GNU tries them, longest definition
// first, so that {%%re} is not read as {%re}.
var plusForms = func() []plusForm {
	// An optional position, then the form's own text: (-?\d+)? is group 1.
	mk := func(k kind, body string) plusForm {
		return plusForm{regexp.MustCompile(`\{(-?\d+)?` + body + `\}`), k}
	}
	return []plusForm{
		mk(kReplace, `/([^#%}/]+?)/([^}]*?)`),
		mk(kReplaceStart, `/#([^}]+?)/([^}]*?)`),
		mk(kReplaceEnd, `/%([^}]+?)/([^}]*?)`),
		mk(kReplaceAll, `//([^}]+?)/([^}]*?)`),
		mk(kPrefixLong, `##([^#}][^}]*?)`),
		mk(kPrefix, `#([^#}][^}]*?)`),
		mk(kSubstr, `:(\d+?):(\d+?)`),
		mk(kUpperAll, `\^\^([^}]+?)`),
		mk(kLowerAll, `,,([^}]+?)`),
		mk(kSuffixLong, `%%([^}]+?)`),
		mk(kDefault, `:-([^}]+?)`),
		mk(kUpper, `\^([^}]+?)`),
		mk(kLower, `,([^}]+?)`),
		mk(kSuffix, `%([^}]+?)`),
		mk(kSkip, `:(\d+?)`),
	}
}()

// plusMatcher finds the leftmost string of form f; one whose regular
// expression Go cannot compile is left as text.
func plusMatcher(f plusForm) matcher {
	return func(s string) (int, int, rpl, bool) {
		for off := 0; off < len(s); {
			m := f.find.FindStringSubmatchIndex(s[off:])
			if m == nil {
				return 0, 0, rpl{}, false
			}
			group := func(i int) string {
				if 2*i >= len(m) || m[2*i] < 0 {
					return ""
				}
				return s[off+m[2*i] : off+m[2*i+1]]
			}
			r, ok := newPlus(f.kind, group(2), group(3))
			if ok {
				if digits := group(1); digits != "" {
					p := newPositional(f.kind, digits)
					p.re, p.text, p.n, p.m = r.re, r.text, r.n, r.m
					r = p
				}
				return off + m[0], off + m[1], r, true
			}
			off += m[0] + 1
		}
		return 0, 0, rpl{}, false
	}
}

// newPlus makes the replacement string of kind k from its arguments.
func newPlus(k kind, a, b string) (rpl, bool) {
	r := rpl{kind: k}
	var pattern string
	switch k {
	case kDefault:
		r.text = a
		return r, true
	case kSkip, kSubstr:
		var err1, err2 error
		r.n, err1 = strconv.Atoi(a)
		if k == kSubstr {
			r.m, err2 = strconv.Atoi(b)
		}
		return r, err1 == nil && err2 == nil
	case kPrefix:
		pattern = `^(?:` + ungreedy(a) + `)`
	case kPrefixLong, kReplaceStart:
		pattern = `^(?:` + a + `)`
	case kSuffix:
		pattern = `^(.*)(?:` + ungreedy(a) + `)$`
	case kSuffixLong, kReplaceEnd:
		pattern = `(?:` + a + `)$`
	case kUpper, kLower:
		pattern = `^(?:` + a + `)`
	default:
		pattern = a
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return rpl{}, false
	}
	r.re, r.text = re, b
	return r, true
}

// ungreedy makes the quantifiers of a regular expression lazy, as GNU's
// make_regexp_ungreedy does: a ?, after each *, + and } outside a
// character class that is not one already.
func ungreedy(re string) string {
	var b strings.Builder
	class, escape, found := false, false, false
	for _, c := range re {
		if found {
			if c != '?' {
				b.WriteByte('?')
			}
			found = false
		}
		b.WriteRune(c)
		switch {
		case escape:
			escape = false
		case c == '\\':
			escape = true
		case c == '[':
			class = true
		case class:
			class = c != ']'
		case c == '*' || c == '}' || c == '+':
			found = true
		}
	}
	if found {
		b.WriteByte('?')
	}
	return b.String()
}

// computePlus applies a --plus string with an argument to v, as GNU's Perl
// does.
func (r rpl) computePlus(v string) string {
	switch r.kind {
	case kDefault:
		if v == "" || v == "0" { // false to Perl
			return r.text
		}
		return v
	case kSkip:
		if r.n > len(v) {
			return ""
		}
		return v[r.n:]
	case kSubstr:
		if r.n > len(v) {
			return ""
		}
		return v[r.n:min(r.n+r.m, len(v))]
	case kPrefix, kPrefixLong, kSuffixLong:
		return replaceFirst(r.re, v, func(string) string { return "" })
	case kSuffix:
		if m := r.re.FindStringSubmatchIndex(v); m != nil {
			return v[m[2]:m[3]] + v[m[1]:]
		}
		return v
	case kReplace, kReplaceStart, kReplaceEnd:
		return replaceFirst(r.re, v, func(string) string { return r.text })
	case kReplaceAll:
		return r.re.ReplaceAllLiteralString(v, r.text)
	case kUpper:
		return replaceFirst(r.re, v, strings.ToUpper)
	case kUpperAll:
		return r.re.ReplaceAllStringFunc(v, strings.ToUpper)
	case kLower:
		return replaceFirst(r.re, v, strings.ToLower)
	case kLowerAll:
		return r.re.ReplaceAllStringFunc(v, strings.ToLower)
	}
	return v
}

// replaceFirst is Perl's s/re/.../ without /g: the first match of re in v
// replaced by what f makes of it.
func replaceFirst(re *regexp.Regexp, v string, f func(string) string) string {
	m := re.FindStringIndex(v)
	if m == nil {
		return v
	}
	return v[:m[0]] + f(v[m[0]:m[1]]) + v[m[1]:]
}
